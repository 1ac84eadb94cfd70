package survey

import "math"

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

// Sums are the cells of one analysis item: Cells[d*Units+u] for domain d and sampling
// unit u (the design's finest variance stage: the PSU, or the last-stage unit when fpc
// is given for every stage), and for a replicate design Rep[d*R+r] holding W, A, B of
// replicate r (the replicate analysis weight in place of w).
type Sums struct {
	Domains, Units, R int
	Cells             []Cell
	Rep               []Cell

	present []bool // supplied replicate columns: row patterns present per domain
}

// Producer computes Sums. Codes are the design's: unit u is Design.unitOf(row), domain
// d is the dense domain code. The in-memory producer below is the reference; any other
// (a SQL GROUP BY) must give identical sums.
type Producer interface {
	Sums(d *Design, it Item, dom []int32, nDom int) *Sums
}

// Item is one analysis variable as per-row values: A (NaN = missing), and for a ratio the
// denominator B. A row counts when its domain code is ≥ 0 and A (and B) are not NaN.
type Item struct {
	A, B []float64
}

// MemoryProducer accumulates Sums from in-memory columns in one pass over the rows,
// indexing dense arrays by (domain, unit): no maps in the loop.
type MemoryProducer struct{}

// Sums implements Producer.
func (MemoryProducer) Sums(d *Design, it Item, dom []int32, nDom int) *Sums {
	s := &Sums{Domains: nDom}
	if d.rep != nil {
		s.R = d.rep.r
	}
	if d.rep == nil || d.rep.factors != nil {
		d.accumulateUnits(s, it, dom)
		if d.rep != nil {
			d.rep.foldFactors(s)
		}
		return s
	}
	d.rep.accumulateColumns(s, d, it, dom)
	return s
}

// finest returns the stage whose units carry the cells.
func (d *Design) finest() int { return len(d.unit) - 1 }

func (d *Design) accumulateUnits(s *Sums, it Item, dom []int32) {
	k := d.finest()
	unit := d.unit[k]
	s.Units = d.nUnits[k]
	s.Cells = make([]Cell, s.Domains*s.Units)
	nu := s.Units
	w := d.w
	a := it.A
	if it.B == nil {
		for i, dd := range dom {
			if dd < 0 {
				continue
			}
			y := a[i]
			if math.IsNaN(y) {
				continue
			}
			wi := w[i]
			c := &s.Cells[int(dd)*nu+int(unit[i])]
			c.N++
			if wi != 0 {
				c.NW++
			}
			c.W += wi
			wy := wi * y
			c.A += wy
			c.AA += wy * y
		}
		return
	}
	b := it.B
	for i, dd := range dom {
		if dd < 0 {
			continue
		}
		y, x := a[i], b[i]
		if math.IsNaN(y) || math.IsNaN(x) {
			continue
		}
		wi := w[i]
		c := &s.Cells[int(dd)*nu+int(unit[i])]
		c.N++
		if wi != 0 {
			c.NW++
		}
		c.W += wi
		wy, wx := wi*y, wi*x
		c.A += wy
		c.B += wx
		c.AA += wy * y
		c.BB += wx * x
		c.AB += wy * x
	}
}

// domainTotal sums the cells of domain dd.
func (s *Sums) domainTotal(dd int) Cell {
	var t Cell
	for u := 0; u < s.Units; u++ {
		t.add(&s.Cells[dd*s.Units+u])
	}
	return t
}
