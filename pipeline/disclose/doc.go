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
// and Unprotected (sensitive cells that could not be protected, 0 unless
// a linear program failed; a stage should refuse to publish, or warn,
// when it is not). The only error is for rules that cannot be applied;
// invalid cells are suppressed with the reason ("primary: invalid cell:
// …").
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
// protection is proved, in two steps: a search that is fast and finds
// cheap patterns, then an audit-and-repair loop that guarantees the rest.
//
// The search protects cells in order of increasing n (ties by label). For
// each, candidates are hypercubes (Repsilber's method, as in τ-Argus: one
// alternative level, or the margin, per variable; the cube's corners can
// move by ±δ with alternating signs while every published cell and
// relation stays), the cheapest first by the n of the corners not yet
// suppressed, preferring cubes whose corners all have room for the
// protection. A cube whose corners are all suppressed and have room proves
// the protection outright; otherwise a linear program (the attacker's,
// below) over the suppressed cells of the cell's neighbourhood (the
// sub-table its cubes span), every other cell taken as known, decides.
// That attacker is stronger than the real one, and suppressing more only
// widens intervals, so a cell found protected stays protected. Up to 100
// cubes are tried (see maxRounds for why so many).
//
// A cell the search could not prove (its neighbourhood is too small a
// view, or no cube has room: cells where nearly everyone has the
// attribute) goes, after all searches, to the repair: it is audited over
// the suppressed cells linked to it, taken in by breadth from it (up to
// 400, so exactly as Audit does for all but the largest sets), and while
// the attacker can still narrow it, the published cell sharing a relation
// with those cells that has the fewest respondents (ties in canonical
// order) is suppressed and taken in, and the audit runs again. Every cell
// outside the program is taken as known, so what the repair finds
// protected is protected; it ends because each step takes in a cell, and
// once the whole linked set is suppressed the attacker has only the
// bounds. So Report.Unprotected is 0 unless a program fails numerically
// or a wholly suppressed linked set still gives a cell away (neither seen
// in the tests); such a cell is reported, never passed silently. Most cells the
// search leaves turn out protected by the larger audit without any
// further suppression; suppressing whole neighbourhoods instead, as an
// earlier version did, cost more than twice the population share.
//
// The attacker's programs: minimise and maximise a cell's sum of weights,
// total and complement subject to the relations and the bounds
// (Hundepool et al. §5.5), solved by a dense tableau simplex method
// (Dantzig's rule, then Bland's) that starts from a vertex found from the
// true table, which is always feasible, and keeps its basis from one
// objective to the next (gonum's optimize/convex/lp, which solves three
// dense systems per pivot, is the fallback). Everything depends only on
// the sorted cells, not on input order; tables are independent and run in
// parallel.
//
// Audit(tables, marked, rules) is the attacker as a reusable check: for
// every cell the primary rule makes sensitive it solves the same programs
// over the whole connected set of suppressed cells (exact up to 400 cells;
// a larger set, as national tables have, over parts of it: the
// neighbourhoods a cube and the cell's suppressed neighbours span, then the
// repair's breadth-first 400, every other cell known, so that what it
// proves protected is) and reports the intervals (Exposure) and whether
// they are wide enough; it does not trust the marks. The tests also attack
// with an LP written apart from the package (unknowns: the finest cells;
// solved by gonum).
//
// Not modelled: an unpublished finer crossing's non-negativity when only
// its margins are published (the relations link published group sets), and
// the small "no value" residual groups themselves, which the attacker is
// assumed to know rather than protected.
package disclose
