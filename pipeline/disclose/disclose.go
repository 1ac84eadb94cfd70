package disclose

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Rules are the disclosure rules of socap.yaml's disclosure: section.
type Rules struct {
	// MinN: a cell resting on fewer respondents is suppressed (default 10).
	MinN int
	// MinCount: a proportion with fewer respondents than this with the
	// attribute, or without it, is suppressed (default 3).
	MinCount int
	// Protection: an attacker must not be able to narrow a suppressed
	// cell's sum of weights or weighted total to within ±Protection of its
	// value (default 0.20).
	Protection float64
}

// DefaultRules are the rules Statistics Norway's practice suggests and
// socap uses when socap.yaml says nothing: min_n 10, min_count 3,
// protection 0.20.
func DefaultRules() Rules { return Rules{MinN: 10, MinCount: 3, Protection: 0.20} }

// Check refuses rules that cannot be applied.
func (r Rules) Check() error {
	switch {
	case r.MinN < 1:
		return fmt.Errorf("disclosure: min_n %d is below 1", r.MinN)
	case r.MinCount < 0:
		return fmt.Errorf("disclosure: min_count %d is negative", r.MinCount)
	case !(r.Protection > 0 && r.Protection < 1):
		return fmt.Errorf("disclosure: protection %v is not between 0 and 1", r.Protection)
	}
	return nil
}

// Kind says what a table's estimates are, which bounds what an attacker
// knows about a suppressed cell before seeing any published number.
type Kind uint8

const (
	// Mean: estimates are means (or any ratio of weighted totals); bounded
	// by Table.Min and Table.Max when Min < Max, unbounded otherwise.
	Mean Kind = iota
	// Proportion: estimates are shares between 0 and 1, NAttr counts the
	// respondents with the attribute.
	Proportion
)

// Table is one indicator (one statistic of it) in one wave: the cells of
// all its group sets. Cells of group sets that nest in each other are
// linked by addition, in sums of weights and in weighted totals
// (estimate × sum of weights); that is what secondary suppression protects
// against.
type Table struct {
	Indicator string
	Wave      string
	Kind      Kind
	// Min and Max are the range of a mean's values (0 and 100 for a POMP
	// score), used when Min < Max. Proportions are bounded by 0 and 1.
	Min, Max float64
	Cells    []Cell
}

// Cell is one published number: the estimate for one group of one group
// set. The whole sample is the cell with no variables.
type Cell struct {
	// Vars and Values name the group: Vars[i] = Values[i]. Order does not
	// matter.
	Vars   []string
	Values []string
	// N counts the respondents the cell rests on; NAttr, for a proportion,
	// those with the attribute.
	N, NAttr   int
	Estimate   float64
	SumWeights float64
}

// Status is what may be done with a cell.
type Status uint8

const (
	// Published: the cell may be shown.
	Published Status = iota
	// Primary: suppressed on its own account (too few respondents, too few
	// with or without the attribute, or invalid).
	Primary
	// Secondary: suppressed so that a primary cell cannot be worked out
	// from the published ones.
	Secondary
)

func (s Status) String() string {
	switch s {
	case Published:
		return "published"
	case Primary:
		return "primary"
	case Secondary:
		return "secondary"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Mark is a cell's disclosure status and, when suppressed, why.
type Mark struct {
	Status Status
	// Reason is "" for a published cell, otherwise one of
	//	primary: n < 10
	//	primary: fewer than 3 with the attribute
	//	primary: fewer than 3 without the attribute
	//	primary: invalid cell: <why>
	//	secondary: protects <cell label>
	Reason string
}

// Publishable reports whether the cell may be shown.
func (m Mark) Publishable() bool { return m.Status == Published }

// Shown is x as a published table shows it: x when the cell is published,
// NaN (stored as NULL) when it is suppressed.
func (m Mark) Shown(x float64) float64 {
	if !m.Publishable() {
		return math.NaN()
	}
	return x
}

// Report summarises a disclosure run, for the store and the methods
// appendix.
type Report struct {
	Rules  Rules
	Totals Summary
	// Indicators, sorted by name.
	Indicators []Summary
	// Unprotected counts primary cells that could not be protected: the
	// audit-and-repair loop after the search suppresses until each is, so
	// this is 0 unless a linear program failed. Their labels are in
	// UnprotectedCells.
	Unprotected      int
	UnprotectedCells []string
}

// Summary counts cells and information loss for one indicator or all.
type Summary struct {
	Indicator                             string
	Cells, Suppressed, Primary, Secondary int
	// CellShare is Suppressed / Cells.
	CellShare float64
	// PopulationShare is the sum of weights of the suppressed cells over
	// that of all cells: the share of the (weighted) population whose
	// numbers are not shown, each group set counted once.
	PopulationShare float64
	sw, swSupp      float64
}

// Apply marks every cell of tables publishable or suppressed under rules
// and summarises the result. marked[i][j] is the mark of tables[i].Cells[j].
// Tables are independent of each other; the result depends neither on
// the order of the tables nor on the order of their cells. Invalid cells
// (a negative n, a NaN estimate, a variable without a value, a cell given
// twice, …) are suppressed with the reason, never dropped. The only error is
// for rules that cannot be applied.
func Apply(tables []Table, rules Rules) ([][]Mark, Report, error) {
	if err := rules.Check(); err != nil {
		return nil, Report{}, err
	}
	marked := make([][]Mark, len(tables))
	rep := Report{Rules: rules}
	byInd := map[string]*Summary{}
	// Tables are independent: protect them in parallel, collect in order.
	unprotected := make([][]string, len(tables))
	parts := make([]Summary, len(tables)) // per table, summed in canonical cell order
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				tb := newTableState(&tables[i], rules)
				tb.protectAll()
				marked[i] = tb.marks()
				parts[i].Indicator = tables[i].Indicator
				for _, c := range tb.cells {
					parts[i].add(marked[i][c.in], tables[i].Cells[c.in].SumWeights)
				}
				for _, c := range tb.unprotected {
					unprotected[i] = append(unprotected[i], tableLabel(&tables[i])+": "+tb.cells[c].label)
				}
			}
		}()
	}
	for i := range tables {
		work <- i
	}
	close(work)
	wg.Wait()
	for i := range tables {
		rep.Unprotected += len(unprotected[i])
		rep.UnprotectedCells = append(rep.UnprotectedCells, unprotected[i]...)
	}
	// Sum the tables in an order of their own, not the input's, so that the
	// shares come out the same to the last bit.
	sort.Slice(parts, func(a, b int) bool {
		pa, pb := parts[a], parts[b]
		if pa.Indicator != pb.Indicator {
			return pa.Indicator < pb.Indicator
		}
		if pa.sw != pb.sw {
			return pa.sw < pb.sw
		}
		if pa.swSupp != pb.swSupp {
			return pa.swSupp < pb.swSupp
		}
		return pa.Cells < pb.Cells
	})
	for _, p := range parts {
		s := byInd[p.Indicator]
		if s == nil {
			s = &Summary{Indicator: p.Indicator}
			byInd[p.Indicator] = s
		}
		s.merge(p)
		rep.Totals.merge(p)
	}
	for _, s := range byInd {
		s.finish()
		rep.Indicators = append(rep.Indicators, *s)
	}
	sort.Slice(rep.Indicators, func(a, b int) bool { return rep.Indicators[a].Indicator < rep.Indicators[b].Indicator })
	sort.Strings(rep.UnprotectedCells)
	rep.Totals.finish()
	return marked, rep, nil
}

func (s *Summary) add(m Mark, sw float64) {
	s.Cells++
	if !(sw >= 0) || math.IsInf(sw, 0) {
		sw = 0
	}
	s.sw += sw
	switch m.Status {
	case Primary:
		s.Primary++
	case Secondary:
		s.Secondary++
	default:
		return
	}
	s.Suppressed++
	s.swSupp += sw
}

func (s *Summary) merge(o Summary) {
	s.Cells += o.Cells
	s.Suppressed += o.Suppressed
	s.Primary += o.Primary
	s.Secondary += o.Secondary
	s.sw += o.sw
	s.swSupp += o.swSupp
}

func (s *Summary) finish() {
	if s.Cells > 0 {
		s.CellShare = float64(s.Suppressed) / float64(s.Cells)
	}
	if s.sw > 0 {
		s.PopulationShare = s.swSupp / s.sw
	}
}

func tableLabel(t *Table) string {
	if t.Wave == "" {
		return t.Indicator
	}
	return t.Indicator + " wave " + t.Wave
}

// Label names a cell as reasons do: "kommune=Frøya × kjønn=kvinne" with the
// variables sorted, "all" for the whole sample.
func Label(c Cell) string {
	vars, vals, err := canonical(c)
	if err != nil {
		return "invalid cell"
	}
	return labelOf(vars, vals)
}

func labelOf(vars, vals []string) string {
	if len(vars) == 0 {
		return "all"
	}
	parts := make([]string, len(vars))
	for i := range vars {
		parts[i] = vars[i] + "=" + vals[i]
	}
	return strings.Join(parts, " × ")
}

// canonical returns the cell's variables sorted, with their values.
func canonical(c Cell) ([]string, []string, error) {
	if len(c.Vars) != len(c.Values) {
		return nil, nil, fmt.Errorf("%d variables but %d values", len(c.Vars), len(c.Values))
	}
	idx := make([]int, len(c.Vars))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return c.Vars[idx[a]] < c.Vars[idx[b]] })
	vars := make([]string, len(idx))
	vals := make([]string, len(idx))
	for i, j := range idx {
		vars[i], vals[i] = c.Vars[j], c.Values[j]
		if vars[i] == "" {
			return nil, nil, errors.New("a variable without a name")
		}
		if i > 0 && vars[i] == vars[i-1] {
			return nil, nil, fmt.Errorf("variable %s given twice", vars[i])
		}
	}
	return vars, vals, nil
}

// PrimaryReason is the primary rule for one number resting on n respondents,
// nAttr of them with the attribute when proportion is true: "" when the
// number may be published, else the reason. Derived numbers that rest on a
// group (a marginal effect by group) use it with that group's n.
func PrimaryReason(n, nAttr int, proportion bool, r Rules) string {
	if n < r.MinN {
		return fmt.Sprintf("primary: n < %d", r.MinN)
	}
	if proportion {
		if nAttr < r.MinCount {
			return fmt.Sprintf("primary: fewer than %d with the attribute", r.MinCount)
		}
		if n-nAttr < r.MinCount {
			return fmt.Sprintf("primary: fewer than %d without the attribute", r.MinCount)
		}
	}
	return ""
}

// invalid says why a cell cannot be checked, "" when it can.
func invalid(t *Table, c Cell) string {
	if _, _, err := canonical(c); err != nil {
		return err.Error()
	}
	switch {
	case c.N < 0:
		return fmt.Sprintf("n %d is negative", c.N)
	case math.IsNaN(c.Estimate) || math.IsInf(c.Estimate, 0):
		return fmt.Sprintf("estimate %v", c.Estimate)
	case math.IsNaN(c.SumWeights) || math.IsInf(c.SumWeights, 0) || c.SumWeights < 0:
		return fmt.Sprintf("sum of weights %v", c.SumWeights)
	case c.N > 0 && c.SumWeights == 0:
		return "sum of weights 0 with respondents"
	}
	if t.Kind == Proportion {
		if c.NAttr < 0 || c.NAttr > c.N {
			return fmt.Sprintf("%d with the attribute of n %d", c.NAttr, c.N)
		}
		if c.Estimate < -1e-9 || c.Estimate > 1+1e-9 {
			return fmt.Sprintf("proportion %v outside 0..1", c.Estimate)
		}
	} else if lo, hi, ok := t.bounds(); ok && (c.Estimate < lo-1e-9*(1+math.Abs(lo)) || c.Estimate > hi+1e-9*(1+math.Abs(hi))) {
		return fmt.Sprintf("mean %v outside %v..%v", c.Estimate, lo, hi)
	}
	return ""
}

// bounds is the range of a cell's estimate an attacker knows beforehand.
func (t *Table) bounds() (lo, hi float64, ok bool) {
	if t.Kind == Proportion {
		return 0, 1, true
	}
	if t.Min < t.Max && !math.IsInf(t.Min, 0) && !math.IsInf(t.Max, 0) {
		return t.Min, t.Max, true
	}
	return 0, 0, false
}
