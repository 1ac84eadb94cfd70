package disclose

import (
	"math"
	"math/bits"
	"sort"
	"strings"
)

// The structure of one table: its variables (dimensions), their levels, each
// valid cell's coordinates (a level index, or total for a variable not in
// the cell's group set) and the additive relations between cells.

// cellState is one cell of a table in canonical order.
type cellState struct {
	in     int // index in Table.Cells
	label  string
	sortBy string
	mask   uint64 // the group set, as a set of dimensions
	coords []int32
	n      int
	nAttr  int
	sw, t  float64 // sum of weights, weighted total
	valid  bool
	status Status
	reason string
	rels   []int32 // relations the cell takes part in
}

// relation is parent − Σ children = rSW (sums of weights) and = rT
// (weighted totals). The residual is what the children miss of the
// parent: respondents without a value of the finer group set's variables
// (or cells left out as empty). The audit takes it as known to the
// attacker, which can only make the attacker stronger.
type relation struct {
	parent   int32
	children []int32
	rSW, rT  float64
}

type tableState struct {
	t       *Table
	rules   Rules
	cells   []cellState
	dims    []string
	levels  [][]string
	radix   []int64
	total   []int32 // coordinate meaning "all levels" per dimension
	byKey   map[int64]int32
	masks   []uint64 // group sets with at least one valid cell, sorted
	rels    []relation
	bounded bool
	lo, hi  float64

	unprotected []int32
}

// maxDims bounds the variables of one table (group sets are bit masks).
const maxDims = 62

func newTableState(t *Table, r Rules) *tableState {
	tb := &tableState{t: t, rules: r, byKey: map[int64]int32{}}
	tb.lo, tb.hi, tb.bounded = t.bounds()
	tb.cells = make([]cellState, len(t.Cells))
	for i, c := range t.Cells {
		cs := &tb.cells[i]
		cs.in, cs.n, cs.nAttr, cs.sw = i, c.N, c.NAttr, c.SumWeights
		cs.t = c.Estimate * c.SumWeights
		if why := invalid(t, c); why != "" {
			cs.label, cs.status, cs.reason = Label(c), Primary, "primary: invalid cell: "+why
			cs.sortBy = "\xff" + cs.label
			continue
		}
		vars, vals, _ := canonical(c)
		cs.label = labelOf(vars, vals)
		cs.sortBy = strings.Join(vars, "\x00") + "\x01" + strings.Join(vals, "\x00")
		cs.valid = true
	}
	sort.SliceStable(tb.cells, func(a, b int) bool { return tb.cells[a].sortBy < tb.cells[b].sortBy })
	// A group given twice cannot be checked: both copies are suppressed.
	for i := 1; i < len(tb.cells); i++ {
		if a, b := &tb.cells[i-1], &tb.cells[i]; a.sortBy == b.sortBy && (a.valid || a.reason == dupReason) {
			a.valid, a.status, a.reason = false, Primary, dupReason
			b.valid, b.status, b.reason = false, Primary, dupReason
		}
	}
	tb.index()
	for i := range tb.cells {
		c := &tb.cells[i]
		if !c.valid {
			continue
		}
		if why := PrimaryReason(c.n, c.nAttr, t.Kind == Proportion, r); why != "" {
			c.status, c.reason = Primary, why
		}
	}
	return tb
}

const dupReason = "primary: invalid cell: group given twice"

// index assigns coordinates and builds the relations.
func (tb *tableState) index() {
	seen := map[string]int{}
	for i := range tb.cells {
		if !tb.cells[i].valid {
			continue
		}
		for _, v := range tb.t.Cells[tb.cells[i].in].Vars {
			seen[v] = 0
		}
	}
	for v := range seen {
		tb.dims = append(tb.dims, v)
	}
	sort.Strings(tb.dims)
	if len(tb.dims) > maxDims {
		tb.invalidateAll("more than 62 variables in one table")
		return
	}
	for d, v := range tb.dims {
		seen[v] = d
	}
	lv := make([]map[string]bool, len(tb.dims))
	for d := range lv {
		lv[d] = map[string]bool{}
	}
	for i := range tb.cells {
		if c := tb.t.Cells[tb.cells[i].in]; tb.cells[i].valid {
			for k, v := range c.Vars {
				lv[seen[v]][c.Values[k]] = true
			}
		}
	}
	tb.levels = make([][]string, len(tb.dims))
	tb.total = make([]int32, len(tb.dims))
	tb.radix = make([]int64, len(tb.dims))
	size := 1.0
	for d := range lv {
		for l := range lv[d] {
			tb.levels[d] = append(tb.levels[d], l)
		}
		sort.Strings(tb.levels[d])
		tb.total[d] = int32(len(tb.levels[d]))
		tb.radix[d] = int64(size)
		size *= float64(len(tb.levels[d]) + 1)
	}
	if size > 1<<62 {
		tb.invalidateAll("too many groups in one table")
		return
	}
	lvIndex := make([]map[string]int32, len(tb.dims))
	for d := range lvIndex {
		lvIndex[d] = map[string]int32{}
		for k, l := range tb.levels[d] {
			lvIndex[d][l] = int32(k)
		}
	}
	masks := map[uint64]bool{}
	for i := range tb.cells {
		cs := &tb.cells[i]
		if !cs.valid {
			continue
		}
		c := tb.t.Cells[cs.in]
		cs.coords = append([]int32(nil), tb.total...)
		for k, v := range c.Vars {
			d := seen[v]
			cs.coords[d] = lvIndex[d][c.Values[k]]
			cs.mask |= 1 << uint(d)
		}
		tb.byKey[tb.key(cs.coords)] = int32(i)
		masks[cs.mask] = true
	}
	for m := range masks {
		tb.masks = append(tb.masks, m)
	}
	sort.Slice(tb.masks, func(a, b int) bool {
		ca, cb := bits.OnesCount64(tb.masks[a]), bits.OnesCount64(tb.masks[b])
		if ca != cb {
			return ca < cb
		}
		return tb.masks[a] < tb.masks[b]
	})
	tb.relations()
}

func (tb *tableState) invalidateAll(why string) {
	for i := range tb.cells {
		if tb.cells[i].valid {
			tb.cells[i].valid, tb.cells[i].status, tb.cells[i].reason = false, Primary, "primary: invalid cell: "+why
		}
	}
	tb.dims = nil
}

func (tb *tableState) key(coords []int32) int64 {
	var k int64
	for d, c := range coords {
		k += int64(c) * tb.radix[d]
	}
	return k
}

// relations links every group set to the group sets it covers: P ⊂ S with
// no published group set between them. Every other nesting follows from
// these by addition.
func (tb *tableState) relations() {
	byMask := map[uint64][]int32{}
	for i := range tb.cells {
		if tb.cells[i].valid {
			byMask[tb.cells[i].mask] = append(byMask[tb.cells[i].mask], int32(i))
		}
	}
	coords := make([]int32, len(tb.dims))
	for _, s := range tb.masks {
		for _, p := range tb.masks {
			if p == s || p&s != p || !tb.covers(p, s) {
				continue
			}
			relOf := map[int32]int32{}
			for _, ci := range byMask[s] {
				copy(coords, tb.cells[ci].coords)
				for d := range coords {
					if (s&^p)&(1<<uint(d)) != 0 {
						coords[d] = tb.total[d]
					}
				}
				pi, ok := tb.byKey[tb.key(coords)]
				if !ok {
					continue
				}
				ri, ok := relOf[pi]
				if !ok {
					ri = int32(len(tb.rels))
					relOf[pi] = ri
					tb.rels = append(tb.rels, relation{parent: pi})
				}
				tb.rels[ri].children = append(tb.rels[ri].children, ci)
			}
		}
	}
	for ri := range tb.rels {
		r := &tb.rels[ri]
		p := &tb.cells[r.parent]
		r.rSW, r.rT = p.sw, p.t
		p.rels = append(p.rels, int32(ri))
		for _, c := range r.children {
			r.rSW -= tb.cells[c].sw
			r.rT -= tb.cells[c].t
			tb.cells[c].rels = append(tb.cells[c].rels, int32(ri))
		}
	}
}

// covers reports whether no group set lies strictly between p and s.
func (tb *tableState) covers(p, s uint64) bool {
	for _, q := range tb.masks {
		if q != p && q != s && q&p == p && q&s == q {
			return false
		}
	}
	return true
}

func (tb *tableState) suppressed(i int32) bool { return tb.cells[i].status != Published }

// need is the half-width of the interval an attacker must not be able to
// narrow a sensitive cell's sum of weights (sw), weighted total (t) and,
// for a bounded statistic, complement total (c = max·sw − t: for a
// proportion, the weighted count without the attribute) to: Protection
// times the value, but for a total or complement at least the weight of
// one average respondent times the range, so that a proportion of 0 or 1
// cannot be pinned down either.
func (tb *tableState) need(c *cellState) (sw, t, comp float64) {
	p := tb.rules.Protection
	sw = p * c.sw
	t = p * math.Abs(c.t)
	if tb.bounded {
		comp = p * math.Abs(tb.hi*c.sw-c.t)
		if c.n > 0 {
			floor := (tb.hi - tb.lo) * c.sw / float64(c.n)
			t = math.Max(t, floor)
			comp = math.Max(comp, floor)
		}
	}
	return sw, t, comp
}

// tPrior is what an attacker knows of a weighted total before any number:
// with values ≥ 0 it is ≥ 0, with values ≤ 0 it is ≤ 0.
func (tb *tableState) tPrior() (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if tb.bounded && tb.lo >= 0 {
		lo = 0
	}
	if tb.bounded && tb.hi <= 0 {
		hi = 0
	}
	return lo, hi
}

func (tb *tableState) marks() []Mark {
	out := make([]Mark, len(tb.cells))
	for _, c := range tb.cells {
		out[c.in] = Mark{Status: c.status, Reason: c.reason}
	}
	return out
}
