package survey

import (
	"math"
	"runtime"
	"sync"
)

// Cell holds the sufficient statistics of one (domain, sampling unit) cell for an
// analysis item with values a (and b for a ratio's denominator): over the rows of the
// cell that are in the domain and have a (and b) non-missing,
//
//	N = rows, NW = rows with non-zero weight,
//	W = Σ w, A = Σ w·a, B = Σ w·b, AA = Σ w·a², BB = Σ w·b², AB = Σ w·a·b.
//
// Means, totals, ratios and proportions, their Taylor-linearisation variances (the
// influence function of each is linear in these sums within a unit) and design effects
// need nothing else. This is "the seam" of DESIGN.md: a DuckDB producer computes the same
// sums with one GROUP BY domain, unit.
type Cell struct {
	W, A, B, AA, BB, AB float64
	N, NW               int64
}

func (c *Cell) add(o *Cell) {
	c.W += o.W
	c.A += o.A
	c.B += o.B
	c.AA += o.AA
	c.BB += o.BB
	c.AB += o.AB
	c.N += o.N
	c.NW += o.NW
}

// Sums are the cells of one analysis item, stored by domain: the cells of domain d are
// Cells[Start[d]:Start[d+1]], one per sampling unit Unit[j] (the design's finest
// variance stage: the PSU, or the last-stage unit when fpc is given for every stage) in
// increasing order, for the units where the domain has rows — so memory follows the
// rows, however many domains and units there are. For a replicate design Rep[d*R+r]
// holds W, A, B of replicate r (the replicate analysis weight in place of w).
type Sums struct {
	Domains, Units, R int
	Start             []int
	Unit              []int32
	Cells             []Cell
	Rep               []Cell

	present []bool // supplied replicate columns: row patterns present per domain
}

// Producer computes Sums for several items in one scan. Codes are the design's: unit
// u of row i is the design's finest-stage unit, domain d the dense domain code. The
// in-memory producer below is the reference; any other (a SQL GROUP BY domain, unit)
// must give identical sums.
type Producer interface {
	Accumulate(d *Design, items []Item, dom []int32, nDom int) []*Sums
}

// Item is one analysis variable as per-row values: A (NaN = missing), and for a ratio the
// denominator B. A row counts when its domain code is ≥ 0 and A (and B) are not NaN.
// The other fields say what A and B are, for producers that compute the sums from the
// source (a SQL GROUP BY) rather than from these slices: A is column Column, or with
// Level set the indicator Column = Level, or with AtMost set the indicator
// Column ≤ AtMost[domain] (the Woodruff step of a quantile); B is column Denominator.
type Item struct {
	A, B []float64

	Column, Denominator string
	Level               *string
	AtMost              []float64
}

// MemoryProducer accumulates Sums from in-memory columns: one pass over the rows per
// item, indexing a dense array by (domain, unit) computed once per call: no maps in the
// loop.
type MemoryProducer struct{}

// Sums is Accumulate for a single item.
func (p MemoryProducer) Sums(d *Design, it Item, dom []int32, nDom int) *Sums {
	return p.Accumulate(d, []Item{it}, dom, nDom)[0]
}

// Accumulate implements Producer.
func (MemoryProducer) Accumulate(d *Design, items []Item, dom []int32, nDom int) []*Sums {
	out := make([]*Sums, len(items))
	if d.rep != nil && d.rep.factors == nil {
		for k, it := range items {
			out[k] = &Sums{Domains: nDom, R: d.rep.r}
			d.rep.accumulateColumns(out[k], d, it, dom)
		}
		return out
	}
	unit, nu := d.Units()
	cell, start, units := compactCells(dom, unit, nDom, nu)
	nCells := len(units)
	var means []int
	for k, it := range items {
		if it.B == nil {
			means = append(means, k)
			continue
		}
		out[k] = &Sums{Domains: nDom, Units: nu, Start: start, Unit: units, Cells: accumulateRatio(cell, d.w, it, nCells)}
	}
	for j, cells := range accumulateMeans(cell, d.w, items, means, nCells) {
		out[means[j]] = &Sums{Domains: nDom, Units: nu, Start: start, Unit: units, Cells: cells}
	}
	if d.rep != nil {
		for _, s := range out {
			s.R = d.rep.r
			d.rep.foldFactors(s)
		}
	}
	return out
}

// finest returns the stage whose units carry the cells.
func (d *Design) finest() int { return len(d.unit) - 1 }

// Units returns, for a Producer, each row's sampling unit at the stage the cells use
// (the PSU; the last-stage unit when fpc is given for every stage) and the number of
// units. A design with supplied replicate columns has no units: its Sums have one cell
// per domain (Units = 1, unit 0) and the replicate sums.
func (d *Design) Units() (unit []int32, n int) {
	if d.unit == nil {
		return nil, 0
	}
	return d.unit[d.finest()], d.nUnits[d.finest()]
}

// meanAcc is the part of a Cell a mean, total or proportion needs, in 32 bytes.
type meanAcc struct {
	W, A, AA float64
	N, NW    int32
}

// chunks splits n rows over the available cores in fixed chunks, runs f on each and
// returns the number of chunks; results merged in chunk order do not depend on
// scheduling. With fewer than four rows per cell merging the chunks' cells would cost
// as much as accumulating them, so one chunk does it all.
func chunks(n, nCells int, f func(p, lo, hi int)) int {
	workers := min(runtime.GOMAXPROCS(0), 1+n/200_000)
	if nCells > n/4 {
		workers = 1
	}
	size := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for p := 0; p < workers; p++ {
		wg.Go(func() { f(p, p*size, min((p+1)*size, n)) })
	}
	wg.Wait()
	return workers
}

// accumulateMeans sums the items idx (all without denominator), one pass over the rows
// per item so that one item's cells (32 bytes each) stay in cache.
func accumulateMeans(cell []int32, w []float64, items []Item, idx []int, nCells int) [][]Cell {
	out := make([][]Cell, len(idx))
	parts := make([][]meanAcc, runtime.GOMAXPROCS(0))
	for j, k := range idx {
		a := items[k].A
		n := chunks(len(cell), nCells, func(p, lo, hi int) {
			if parts[p] == nil {
				parts[p] = make([]meanAcc, nCells)
			} else {
				clear(parts[p])
			}
			acc := parts[p]
			for i := lo; i < hi; i++ {
				c := cell[i]
				y := a[i]
				if c < 0 || y != y { // y != y: NaN, missing
					continue
				}
				wi := w[i]
				m := &acc[c]
				m.N++
				if wi != 0 {
					m.NW++
				}
				m.W += wi
				wy := wi * y
				m.A += wy
				m.AA += wy * y
			}
		})
		cells := make([]Cell, nCells)
		for _, acc := range parts[:n] {
			for c := range cells {
				m := &acc[c]
				o := &cells[c]
				o.W += m.W
				o.A += m.A
				o.AA += m.AA
				o.N += int64(m.N)
				o.NW += int64(m.NW)
			}
		}
		out[j] = cells
	}
	return out
}

// accumulateRatio sums one item with a denominator.
func accumulateRatio(cell []int32, w []float64, it Item, nCells int) []Cell {
	parts := make([][]Cell, runtime.GOMAXPROCS(0))
	n := chunks(len(cell), nCells, func(p, lo, hi int) {
		parts[p] = make([]Cell, nCells)
		ratioPass(parts[p], cell[lo:hi], w[lo:hi], it.A[lo:hi], it.B[lo:hi])
	})
	out := make([]Cell, nCells)
	for _, part := range parts[:n] {
		for c := range out {
			out[c].add(&part[c])
		}
	}
	return out
}

func ratioPass(acc []Cell, cell []int32, w, a, b []float64) {
	for i, c := range cell {
		y, x := a[i], b[i]
		if c < 0 || math.IsNaN(y) || math.IsNaN(x) {
			continue
		}
		wi := w[i]
		m := &acc[c]
		m.N++
		if wi != 0 {
			m.NW++
		}
		m.W += wi
		wy, wx := wi*y, wi*x
		m.A += wy
		m.B += wx
		m.AA += wy * y
		m.BB += wx * x
		m.AB += wy * x
	}
}

// domain returns the cells of domain dd and their units.
func (s *Sums) domain(dd int) ([]Cell, []int32) {
	lo, hi := s.Start[dd], s.Start[dd+1]
	return s.Cells[lo:hi], s.Unit[lo:hi]
}

// domainTotal sums the cells of domain dd.
func (s *Sums) domainTotal(dd int) Cell {
	var t Cell
	cells, _ := s.domain(dd)
	for i := range cells {
		t.add(&cells[i])
	}
	return t
}

// compactCells gives every row in a domain (dom ≥ 0) the index of its (domain, unit)
// cell, cells ordered by domain and then unit, created only where there are rows; start
// and units describe them as Sums does. A table indexed by domain·units + unit serves
// when that space is not much larger than the rows; otherwise rows are bucketed by unit
// (a counting sort) so that memory stays proportional to the rows.
func compactCells(dom, unit []int32, nDom, nu int) (cell []int32, start []int, units []int32) {
	n := len(dom)
	cell = make([]int32, n)
	start = make([]int, nDom+1)
	if nDom*nu <= 4*n+1024 {
		tab := make([]int32, nDom*nu)
		for i, dd := range dom {
			if dd >= 0 {
				tab[int(dd)*nu+int(unit[i])] = 1
			}
		}
		for key, used := range tab {
			if used != 0 {
				tab[key] = int32(len(units))
				units = append(units, int32(key%nu))
				start[key/nu+1]++
			}
		}
		for i, dd := range dom {
			cell[i] = -1
			if dd >= 0 {
				cell[i] = tab[int(dd)*nu+int(unit[i])]
			}
		}
	} else {
		// rows bucketed by unit; within a unit, one cell per domain met
		off := make([]int, nu+1)
		for i, dd := range dom {
			if dd >= 0 {
				off[unit[i]+1]++
			}
		}
		for u := 0; u < nu; u++ {
			off[u+1] += off[u]
		}
		byUnit := make([]int32, off[nu])
		next := append([]int(nil), off[:nu]...)
		for i, dd := range dom {
			cell[i] = -1
			if dd >= 0 {
				byUnit[next[unit[i]]] = int32(i)
				next[unit[i]]++
			}
		}
		seen := make([]int32, nDom) // unit+1 that last made a cell for the domain
		id := make([]int32, nDom)
		var cellDom []int32
		for u := 0; u < nu; u++ {
			for _, r := range byUnit[off[u]:off[u+1]] {
				dd := dom[r]
				if seen[dd] != int32(u)+1 {
					seen[dd] = int32(u) + 1
					id[dd] = int32(len(cellDom))
					cellDom = append(cellDom, dd)
					units = append(units, int32(u))
				}
				cell[r] = id[dd]
			}
		}
		// reorder the cells by domain (stable: units stay increasing)
		for _, dd := range cellDom {
			start[dd+1]++
		}
		for dd := 0; dd < nDom; dd++ {
			start[dd+1] += start[dd]
		}
		pos := make([]int32, len(cellDom))
		fill := append([]int(nil), start[:nDom]...)
		sorted := make([]int32, len(units))
		for c, dd := range cellDom {
			pos[c] = int32(fill[dd])
			sorted[fill[dd]] = units[c]
			fill[dd]++
		}
		units = sorted
		for i, c := range cell {
			if c >= 0 {
				cell[i] = pos[c]
			}
		}
		return cell, start, units
	}
	for dd := 0; dd < nDom; dd++ {
		start[dd+1] += start[dd]
	}
	return cell, start, units
}
