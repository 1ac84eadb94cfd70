// Package disclose is socap's disclosure control: it decides which cells
// of socap's tables may be published so that no published number reveals
// a small group, as Statistics Norway and the public-health profiles do.
// It works on tables of cells (pure functions, no I/O) and knows nothing of
// indicators, HTML or the store.
//
// # Interface
//
//	marked, report, err := disclose.Apply(tables, rules)
//
// A Table is one indicator (one statistic) in one wave: the cells of all
// its group sets. A Cell names its group (Vars[i] = Values[i]; the whole
// sample has none) and carries n, the number with the attribute (NAttr,
// proportions), the estimate and the sum of weights. marked[i][j] is the
// Mark of tables[i].Cells[j]: Published, Primary or Secondary and the
// reason. report counts cells, primary and secondary suppressions per
// indicator, the share of cells and of the weighted population suppressed,
// and Unprotected (sensitive cells the search could not protect; 0 in the
// tests, a stage should refuse to publish, or warn, when it is not). The
// only error is for rules that cannot be applied; invalid cells are
// suppressed with the reason ("primary: invalid cell: …").
//
// Around it: PrimaryReason (the primary rule for one number: a marginal
// effect by group rests on that group's n), Derived (a difference,
// comparison, change or difference-in-differences is publishable only when
// all its cells are), ShowN (n as shown: exact, "under 10" or ":"), Symbol
// (":", Statistics Norway's symbol for a suppressed number, with the reason
// as footnote) and Audit (the attacker, below). A suppressed cell's
// estimate, SE, CI and sum of weights are not to be shown at all.
//
// # Rules
//
// Primary: a cell resting on fewer than MinN respondents (10) is
// suppressed ("primary: n < 10"); so is a proportion with fewer than
// MinCount (3) with the attribute or without it ("primary: fewer than 3
// with the attribute": "every immigrant woman in Frøya is employed"
// discloses each of them).
//
// Secondary: within a table, a group set's cells add up to those of each
// group set it nests in (municipality × background × gender to
// municipality × background, …, to the whole sample), in sums of weights
// and in weighted totals (estimate × sum of weights), up to the respondents
// without a value of the finer variables, which the attacker is assumed to
// know. Further cells are suppressed ("secondary: protects <cell>") until no
// primary cell's sum of weights, weighted total or (bounded statistics)
// complement total max·sw − t can be narrowed, from the published cells,
// these relations and the bounds known beforehand (sw ≥ 0, min·sw ≤ t ≤
// max·sw), to within ±Protection (20 %) of its value, or, for a total near
// 0, to within one average respondent's weight: Hundepool et al.'s upper
// and lower protection levels (Statistical Disclosure Control, Wiley 2012,
// §5.5).
//
// # Method, and why
//
// A greedy rule (never a lone suppressed cell in a row) fails for
// crossings of three variables with their margins: a pattern can have two
// suppressions in every row and column and still give a cell away. So each
// protection is proved. Cells are protected in order of increasing n
// (ties by label). For each, candidates are hypercubes (Repsilber's method,
// as in τ-Argus: one alternative level, or the margin, per variable; the
// cube's corners can move by ±δ with alternating signs while every
// published cell and relation stays), the cheapest first by the n of the
// corners not yet suppressed, preferring cubes whose corners all have room
// for the protection. A cube whose corners are all suppressed and have room
// proves the protection outright; otherwise an audit decides: a linear
// program (gonum's optimize/convex/lp simplex) minimises and maximises the
// cell's sum of weights, total and complement over the relations touching
// the suppressed cells of its neighbourhood (the sub-table its cubes span),
// every other cell taken as known. That attacker is stronger than the real
// one, and suppressing more only widens intervals, so a cell found
// protected stays protected: the result is safe against the full linear
// attack on the whole table, without one large program per table (gonum's
// simplex is dense; the programs stay at tens of columns even for 357
// municipalities). After six cubes the neighbourhood and the cell's
// relations are suppressed whole. Everything depends only on the sorted
// cells, not on input order; tables are independent and run in parallel.
//
// Audit(tables, marked, rules) is the attacker as a reusable check: for
// every cell the primary rule makes sensitive it solves the same programs
// over the whole connected set of suppressed cells (exact up to 120 cells,
// else the 120 nearest) and reports the intervals (Exposure) and whether
// they are wide enough; it does not trust the marks. The tests also attack
// with an LP written apart from the package (unknowns: the finest cells).
//
// Not modelled: an unpublished finer crossing's non-negativity when only
// its margins are published (the relations link published group sets), and
// the small "no value" residual groups themselves, which the attacker is
// assumed to know rather than protected.
package disclose
