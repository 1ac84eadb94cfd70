package disclose

import (
	"fmt"
	"sort"
)

// Exposure is what an attacker can learn of one sensitive cell (one that
// the primary rule suppresses) from the published cells of its table.
type Exposure struct {
	// Table and Cell index the input: tables[Table].Cells[Cell].
	Table, Cell int
	Label       string
	// True values and the attacker's tightest intervals.
	SumWeights, SumWeightsLow, SumWeightsHigh float64
	Total, TotalLow, TotalHigh                float64
	// Complement is max·sw − t, for a proportion the weighted count
	// without the attribute (bounded statistics only).
	Complement, ComplementLow, ComplementHigh float64
	// The half-widths the intervals must reach on each side (see Audit).
	NeedSumWeights, NeedTotal, NeedComplement float64
	// Published is true when the marks publish the sensitive cell itself.
	Published bool
	Protected bool
	// Exact is false when the cell's linked suppressed cells were too many
	// for one program and only part of them were taken as unknown: the
	// intervals are then narrower than a real attacker's (a cell found
	// protected is protected).
	Exact bool
	// Err is set when the linear program failed; the cell then counts as
	// not protected.
	Err error
}

// auditExact bounds the unknowns of one audit program (the tableau is
// dense: 400 unknowns are 1,200 columns and about as many rows).
const auditExact = 400

// Audit attacks marked tables as an intruder who knows every published
// cell, the additive relations of each table (a group set's cells add up
// to the cells of the group sets it nests in, in sums of weights and in
// weighted totals estimate × sum of weights, up to the respondents without
// a value, taken as known) and that sums of weights are ≥ 0 and estimates
// within their range. For every cell the primary rule makes sensitive it
// returns the tightest interval of its sum of weights and weighted total,
// computed by linear programming over all suppressed cells linked to it
// (Hundepool et al., Statistical Disclosure Control, 2012, §5.5), and for
// a bounded statistic that of its complement total max·sw − t (for a
// proportion, the weighted count without the attribute). A cell is
// protected when each interval reaches x − h and x + h, or the bound
// known beforehand where that is nearer (0 for a total of values ≥ 0),
// with h = p·|x| for the sum of weights and h = max(p·|x|, MinCount ·
// (max − min) · sw/n) for the totals, p the rules' Protection: no value
// can be narrowed to within ±p of itself, and the attacker cannot rule out
// that MinCount average respondents have, or lack, the attribute.
//
// Audit does not trust the marks: it finds the sensitive cells from the
// rules, and a sensitive cell marked publishable is reported unprotected.
// Its programs cover the whole connected set of suppressed cells (exact,
// but slower than Apply's search, which checks neighbourhoods) up to 400
// cells. A larger set (national tables: a crossing with 357
// municipalities links thousands of suppressed cells) is attacked over
// parts of it, every other cell taken as known (Exposure.Exact is false;
// the intervals are then narrower than a real attacker's, so a cell found
// protected is protected): first growing neighbourhoods of the cell
// (auditLocal), then the 400 cells the repair of Apply would take in
// (breadth).
func Audit(tables []Table, marked [][]Mark, rules Rules) ([]Exposure, error) {
	if err := rules.Check(); err != nil {
		return nil, err
	}
	if len(marked) != len(tables) {
		return nil, fmt.Errorf("disclosure audit: %d tables but %d marked", len(tables), len(marked))
	}
	var out []Exposure
	for ti := range tables {
		if len(marked[ti]) != len(tables[ti].Cells) {
			return nil, fmt.Errorf("disclosure audit: table %s has %d cells but %d marks", tableLabel(&tables[ti]), len(tables[ti].Cells), len(marked[ti]))
		}
		tb := newTableState(&tables[ti], rules)
		var sens []int32
		for i := range tb.cells {
			c := &tb.cells[i]
			if c.valid && c.status == Primary {
				sens = append(sens, int32(i))
			}
			c.status = marked[ti][c.in].Status
		}
		for _, e := range tb.audit(sens) {
			e.Table = ti
			out = append(out, e)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Table != out[b].Table {
			return out[a].Table < out[b].Table
		}
		return out[a].Cell < out[b].Cell
	})
	return out, nil
}

// auditLocal attacks s over the suppressed cells of growing
// neighbourhoods: per variable s's own level, the total, the levels of
// the first cube (of the cheapest maxRounds) that certifies s's
// protection, if any, and levels where
// the cell next to s (that level instead of s's) is suppressed, those of
// fewest respondents first — the levels the cubes of Apply's search use,
// as a cube's corners next to s are suppressed; for a variable not in s's
// group set, its levels in order — 1, 2, 4, … levels more per
// variable each time, while the unknowns stay within auditExact. It
// reports the exposure of the first neighbourhood that protects s, and
// false when none does.
func (tb *tableState) auditLocal(s int32) (Exposure, bool) {
	cs := &tb.cells[s]
	area := make([][]int32, len(tb.dims))
	cand := make([][]int32, len(tb.dims))
	for d := range tb.dims {
		area[d] = []int32{cs.coords[d]}
		if cs.coords[d] != tb.total[d] {
			area[d] = append(area[d], tb.total[d])
		}
		n := map[int32]int{}
		for l := int32(0); l < tb.total[d]; l++ {
			if cs.coords[d] == tb.total[d] {
				cand[d] = append(cand[d], l) // a unit of the cubes: every level
			} else if c, ok := tb.neighbour(s, d, l); ok && l != cs.coords[d] && tb.suppressed(c) {
				cand[d] = append(cand[d], l)
				n[l] = tb.cells[c].n
			}
		}
		sort.SliceStable(cand[d], func(a, b int) bool { return n[cand[d][a]] < n[cand[d][b]] })
	}
	tried := map[string]bool{}
	for round := 0; round < maxRounds; round++ {
		cube, _, ok := tb.bestCube(s, tried)
		if !ok {
			break
		}
		if tb.certifies(s, cube) {
			tb.widen(area, s, cube)
			break
		}
		tried[tb.canonicalKey(cube)] = true
	}
	for step := 1; ; step *= 2 {
		grew := false
		for d := range cand {
			k := min(step, len(cand[d]))
			area[d] = append(area[d], cand[d][:k]...)
			cand[d] = cand[d][k:]
			grew = grew || k > 0
		}
		var unk []int32
		for _, c := range tb.areaCells(area) {
			if tb.suppressed(c) {
				unk = append(unk, c)
			}
		}
		if !grew || len(unk) > auditExact {
			return Exposure{}, false
		}
		m := tb.newLP(unk)
		if tb.exposure(m, s, true).Protected {
			return tb.exposure(m, s, false), true
		}
	}
}

func (tb *tableState) audit(sens []int32) []Exposure {
	// Union the suppressed cells that share a relation.
	parent := make([]int32, len(tb.cells))
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, r := range tb.rels {
		first := int32(-1)
		for _, c := range append([]int32{r.parent}, r.children...) {
			if !tb.suppressed(c) {
				continue
			}
			if first < 0 {
				first = c
			} else if a, b := find(first), find(c); a != b {
				parent[b] = a
			}
		}
	}
	comp := map[int32][]int32{}
	for i := range tb.cells {
		if tb.cells[i].valid && tb.suppressed(int32(i)) {
			root := find(int32(i))
			comp[root] = append(comp[root], int32(i))
		}
	}
	models := map[int32]*lpModel{}
	var out []Exposure
	for _, s := range sens {
		cs := &tb.cells[s]
		if !tb.suppressed(s) {
			out = append(out, Exposure{Cell: cs.in, Label: cs.label, SumWeights: cs.sw, Total: cs.t,
				SumWeightsLow: cs.sw, SumWeightsHigh: cs.sw, TotalLow: cs.t, TotalHigh: cs.t, Published: true})
			continue
		}
		root := find(s)
		var m *lpModel
		exact := len(comp[root]) <= auditExact
		if exact {
			m = models[root]
			if m == nil {
				m = tb.newLP(comp[root])
				models[root] = m
			}
		} else if e, ok := tb.auditLocal(s); ok {
			e.Cell, e.Label = cs.in, cs.label
			out = append(out, e)
			continue
		} else {
			m = tb.newLP(tb.breadth(s, auditExact))
		}
		e := tb.exposure(m, s, false)
		e.Cell, e.Label, e.Exact = cs.in, cs.label, exact
		out = append(out, e)
	}
	return out
}
