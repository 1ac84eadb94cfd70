package disclose

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// The attacker's linear program. Its unknowns are the sums of weights sw
// and weighted totals t of a set U of suppressed cells; every other cell
// is known at its true value. The constraints are the relations that touch
// U, each in sums of weights and in weighted totals, and what an attacker
// knows of any cell beforehand: sw ≥ 0 and, for a bounded statistic,
// lo·sw ≤ t ≤ hi·sw. The tightest interval of one unknown is a minimisation
// and a maximisation (Hundepool et al., Statistical Disclosure Control,
// Wiley 2012, §5.5 and §7.3: the attacker's interval is the solution of two
// linear programs over the table's additive constraints).
//
// In standard form (minimise cᵀx, Ax = b, x ≥ 0) each unknown i has three
// columns: sw_i; and u_i = t_i − lo·sw_i and v_i = hi·sw_i − t_i with the
// row u_i + v_i − (hi−lo)·sw_i = 0 when bounded, or t_i = t⁺_i − t⁻_i when
// not. Values are scaled so that the unknowns are about 1.

type lpModel struct {
	unk     []int32
	col     map[int32]int
	bounded bool
	swScale float64 // sw = swScale · x_sw
	tScale  float64 // t = tScale · (loR·x_sw + x_u) bounded, tScale · (x_t⁺ − x_t⁻) not
	loR     float64
	a       *mat.Dense
	b       []float64
	zero    []bool // columns in no constraint
	err     error
	// tab is the simplex tableau of a vertex (from the true table, or
	// from gonum's solution) that every solve continues from.
	tab *tableau
}

var errLP = errors.New("linear program failed")

// newLP builds the attacker's program for the unknown cells unk.
func (tb *tableState) newLP(unk []int32) *lpModel {
	m := &lpModel{unk: unk, col: make(map[int32]int, len(unk)), bounded: tb.bounded}
	for i, c := range unk {
		m.col[c] = i
		m.swScale = math.Max(m.swScale, tb.cells[c].sw)
		m.tScale = math.Max(m.tScale, math.Abs(tb.cells[c].t))
	}
	if m.swScale == 0 {
		m.swScale = 1
	}
	if m.bounded {
		m.tScale = m.swScale * (tb.hi - tb.lo)
		m.loR = tb.lo / (tb.hi - tb.lo)
	} else if m.tScale == 0 {
		m.tScale = 1
	}
	n := len(unk)
	ncol := 3 * n
	var rows [][]float64
	seen := map[int32]bool{}
	for _, c := range unk {
		for _, ri := range tb.cells[c].rels {
			if seen[ri] {
				continue
			}
			seen[ri] = true
			r := &tb.rels[ri]
			sw := make([]float64, ncol+1)
			t := make([]float64, ncol+1)
			rhsSW, rhsT := r.rSW, r.rT
			term := func(ci int32, coef float64) {
				if j, ok := m.col[ci]; ok {
					sw[j] += coef
					if m.bounded {
						t[j] += coef * m.loR
						t[n+j] += coef
					} else {
						t[n+j] += coef
						t[2*n+j] -= coef
					}
					return
				}
				rhsSW -= coef * tb.cells[ci].sw
				rhsT -= coef * tb.cells[ci].t
			}
			term(r.parent, 1)
			for _, ch := range r.children {
				term(ch, -1)
			}
			sw[ncol] = rhsSW / m.swScale
			t[ncol] = rhsT / m.tScale
			rows = append(rows, sw, t)
		}
	}
	if m.bounded {
		for j := 0; j < n; j++ {
			row := make([]float64, ncol+1)
			row[j], row[n+j], row[2*n+j] = -1, 1, 1
			rows = append(rows, row)
		}
	}
	rows, err := echelon(rows, ncol)
	if err != nil {
		m.err = err
		return m
	}
	m.zero = make([]bool, ncol)
	for j := range m.zero {
		m.zero[j] = true
		for _, r := range rows {
			if r[j] != 0 {
				m.zero[j] = false
				break
			}
		}
	}
	kept := 0
	for _, z := range m.zero {
		if !z {
			kept++
		}
	}
	if len(rows) > 0 {
		m.a = mat.NewDense(len(rows), kept, nil)
		m.b = make([]float64, len(rows))
		for i, r := range rows {
			k := 0
			for j := 0; j < ncol; j++ {
				if !m.zero[j] {
					m.a.Set(i, k, r[j])
					k++
				}
			}
			m.b[i] = r[ncol]
		}
		// The true values are a feasible point; a vertex found from it
		// spares the simplex method its first phase.
		x := make([]float64, 0, kept)
		for j, z := range m.zero {
			if !z {
				x = append(x, m.truth(tb, j))
			}
		}
		m.tab = newTableau(m.a, m.b, x)
	}
	return m
}

// truth is column j's value at the true table.
func (m *lpModel) truth(tb *tableState, j int) float64 {
	n := len(m.unk)
	c := &tb.cells[m.unk[j%n]]
	switch {
	case j < n:
		return c.sw / m.swScale
	case m.bounded && j < 2*n:
		return (c.t - tb.lo*c.sw) / m.tScale
	case m.bounded:
		return (tb.hi*c.sw - c.t) / m.tScale
	case j < 2*n:
		return math.Max(c.t, 0) / m.tScale
	}
	return math.Max(-c.t, 0) / m.tScale
}

// echelon drops linearly dependent rows (Gaussian elimination with partial
// pivoting), as the simplex method needs A of full row rank. A dependent
// row whose right-hand side does not vanish means the relations contradict
// each other.
func echelon(rows [][]float64, ncol int) ([][]float64, error) {
	const eps = 1e-10
	rank := 0
	for j := 0; j < ncol && rank < len(rows); j++ {
		best, bestV := -1, eps
		for i := rank; i < len(rows); i++ {
			if v := math.Abs(rows[i][j]); v > bestV {
				best, bestV = i, v
			}
		}
		if best < 0 {
			continue
		}
		rows[rank], rows[best] = rows[best], rows[rank]
		piv := rows[rank]
		for i := rank + 1; i < len(rows); i++ {
			f := rows[i][j] / piv[j]
			if f == 0 {
				continue
			}
			r := rows[i]
			r[j] = 0
			for k := j + 1; k <= ncol; k++ {
				r[k] -= f * piv[k]
				if math.Abs(r[k]) < 1e-14 {
					r[k] = 0
				}
			}
		}
		rank++
	}
	for i := rank; i < len(rows); i++ {
		if math.Abs(rows[i][ncol]) > 1e-6 {
			return nil, fmt.Errorf("%w: the relations between the cells contradict each other (%g)", errLP, rows[i][ncol])
		}
	}
	return rows[:rank], nil
}

// interval is the tightest [lo, hi] of an unknown's sum of weights
// (q = 0), weighted total (q = 1) or complement total (q = 2, bounded
// statistics only).
func (m *lpModel) interval(c int32, q int) (lo, hi float64, err error) {
	if m.err != nil {
		return 0, 0, m.err
	}
	n := len(m.unk)
	j := m.col[c]
	obj := make([]float64, 3*n)
	scale := m.tScale
	switch {
	case q == 0:
		obj[j], scale = 1, m.swScale
	case q == 2:
		obj[2*n+j] = 1
	case m.bounded:
		obj[j], obj[n+j] = m.loR, 1
	default:
		obj[n+j], obj[2*n+j] = 1, -1
	}
	lo, err = m.minimise(obj)
	if err != nil {
		return 0, 0, err
	}
	for k := range obj {
		obj[k] = -obj[k]
	}
	hi, err = m.minimise(obj)
	if err != nil {
		return 0, 0, err
	}
	return lo * scale, -hi * scale, nil
}

// minimise solves min objᵀx over the model, −Inf when unbounded.
func (m *lpModel) minimise(obj []float64) (opt float64, err error) {
	var c []float64
	for j, z := range m.zero {
		if z {
			if obj[j] < 0 {
				return math.Inf(-1), nil // a free direction
			}
			continue // x_j = 0 at the optimum
		}
		c = append(c, obj[j])
	}
	if m.a == nil {
		return 0, nil
	}
	defer func() {
		if r := recover(); r != nil {
			opt, err = 0, fmt.Errorf("%w: %v", errLP, r)
		}
	}()
	if m.tab != nil {
		if f, ok := m.tab.minimise(c); ok {
			return f, nil
		}
		m.tab = nil
	}
	// No vertex to start from, or the tableau lost its way: gonum's
	// two-phase method, whose solution gives the next tableau its vertex.
	f, x, err := lp.Simplex(c, m.a, m.b, 1e-10, nil)
	if err == nil {
		m.tab = newTableau(m.a, m.b, x)
	}
	if errors.Is(err, lp.ErrUnbounded) {
		return math.Inf(-1), nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errLP, err)
	}
	return f, nil
}

// exposure is the attacker's interval of a sensitive cell within model m
// and whether it is wide enough; with quick it stops at the first interval
// that is not.
func (tb *tableState) exposure(m *lpModel, c int32, quick bool) (e Exposure) {
	cs := &tb.cells[c]
	e.SumWeights, e.Total = cs.sw, cs.t
	e.NeedSumWeights, e.NeedTotal, e.NeedComplement = tb.need(cs)
	plo, phi := tb.tPrior()
	e.Protected = true
	check := func(q int, x, h, lo, hi float64, l, u *float64) bool {
		if e.Err != nil {
			return false
		}
		*l, *u, e.Err = m.interval(c, q)
		ok := e.Err == nil && wide(*l, *u, x, h, lo, hi)
		e.Protected = e.Protected && ok
		return ok || !quick
	}
	_ = check(0, cs.sw, e.NeedSumWeights, 0, math.Inf(1), &e.SumWeightsLow, &e.SumWeightsHigh) &&
		check(1, cs.t, e.NeedTotal, plo, phi, &e.TotalLow, &e.TotalHigh) &&
		(!tb.bounded || check(2, tb.hi*cs.sw-cs.t, e.NeedComplement, 0, math.Inf(1), &e.ComplementLow, &e.ComplementHigh))
	if tb.bounded {
		e.Complement = tb.hi*cs.sw - cs.t
	}
	if e.Err != nil {
		e.Protected = false
	}
	return e
}

// wide reports whether [lo, hi] reaches x − h and x + h, or the bound an
// attacker knows beforehand where that is nearer (a total of 0 cannot go
// below 0): Hundepool et al.'s upper and lower protection levels.
func wide(lo, hi, x, h, priorLo, priorHi float64) bool {
	tol := 1e-7 * (math.Abs(x) + h + 1e-300)
	return lo <= math.Max(x-h, priorLo)+tol && hi >= math.Min(x+h, priorHi)-tol && (h == 0 || hi-lo > 0)
}
