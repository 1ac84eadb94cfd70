package disclose

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// tableau is the dense simplex tableau of min cᵀx subject to Ax = b,
// x ≥ 0 in the canonical form of a feasible basis B: rows B⁻¹A | B⁻¹b
// (Dantzig's primal simplex method in tableau form; Chvátal, Linear
// Programming, Freeman 1983, ch. 2–3). A pivot costs O(mn), where gonum's
// revised method solves three dense m × m systems. The basis stays
// feasible whatever the objective, so the attacker's programs (a minimum
// and a maximum per interval, several intervals per model) each start
// where the last one ended. Entering columns follow Dantzig's rule (most
// negative reduced cost) and, after as many pivots as rows and columns,
// Bland's rule, which cannot cycle.
type tableau struct {
	m, n  int
	t     []float64 // row i is t[i*(n+1) : (i+1)*(n+1)], the last entry its right-hand side
	basis []int
}

const (
	pivotTol = 1e-9  // smallest pivot and ratio-test entry
	costTol  = 1e-10 // a reduced cost below −costTol improves the objective
)

// newTableau brings [A | b] to the canonical form of a basis of a vertex
// found from x, a feasible point (Ax = b, x ≥ 0), nil when that fails.
// Columns where x > 0 are made basic in turn by Gauss–Jordan elimination;
// one that depends on the basic columns already chosen gives a direction
// that keeps Ax = b, along which x moves until x_j or a basic entry
// reaches 0 (the purification step of an interior-point crossover; Megiddo,
// "On finding primal- and dual-optimal bases", ORSA J. Computing 1991).
// The remaining rows take columns where x = 0.
func newTableau(a *mat.Dense, b, x []float64) *tableau {
	m, n := a.Dims()
	tb := &tableau{m: m, n: n, t: make([]float64, m*(n+1)), basis: make([]int, m)}
	for i := 0; i < m; i++ {
		row := tb.row(i)
		for j := 0; j < n; j++ {
			row[j] = a.At(i, j)
		}
		row[n] = b[i]
		tb.basis[i] = -1
	}
	x = append([]float64(nil), x...)
	// free returns the unpivoted row with the largest entry in column j.
	free := func(j int) int {
		best, bv := -1, pivotTol
		for i, bj := range tb.basis {
			if v := math.Abs(tb.t[i*(n+1)+j]); bj < 0 && v > bv {
				best, bv = i, v
			}
		}
		return best
	}
	for j := 0; j < n; j++ {
		if !(x[j] > 1e-13) {
			x[j] = 0
			continue
		}
		if r := free(j); r >= 0 {
			tb.pivot(r, j)
			continue
		}
		// x_j depends on the basic columns: lowering it by θ raises
		// basic entry i by θ·t[i][j].
		step, at := x[j], -1
		for i, bj := range tb.basis {
			if a := tb.t[i*(n+1)+j]; bj >= 0 && a < -pivotTol {
				if q := x[bj] / -a; q < step {
					step, at = q, i
				}
			}
		}
		for i, bj := range tb.basis {
			if bj >= 0 {
				x[bj] = math.Max(0, x[bj]+step*tb.t[i*(n+1)+j])
			}
		}
		x[j] -= step
		if at >= 0 {
			x[tb.basis[at]] = 0
			tb.pivot(at, j)
		} else {
			x[j] = 0
		}
	}
	for i, bj := range tb.basis {
		if bj >= 0 {
			continue
		}
		best, bv := -1, pivotTol
		row := tb.row(i)
		for k := 0; k < n; k++ {
			if v := math.Abs(row[k]); x[k] == 0 && v > bv {
				best, bv = k, v
			}
		}
		if best < 0 {
			return nil
		}
		tb.pivot(i, best)
	}
	for i := 0; i < m; i++ {
		if r := tb.row(i); r[n] < 0 {
			if r[n] < -1e-7 {
				return nil
			}
			r[n] = 0
		}
	}
	return tb
}

func (tb *tableau) row(i int) []float64 { return tb.t[i*(tb.n+1) : (i+1)*(tb.n+1)] }

// pivot makes column j basic in row r.
func (tb *tableau) pivot(r, j int) {
	pr := tb.row(r)
	inv := 1 / pr[j]
	for k := range pr {
		pr[k] *= inv
	}
	pr[j] = 1
	for i := 0; i < tb.m; i++ {
		if i == r {
			continue
		}
		ri := tb.row(i)
		f := ri[j]
		if f == 0 {
			continue
		}
		for k, v := range pr {
			if v != 0 {
				ri[k] -= f * v
			}
		}
		ri[j] = 0
	}
	tb.basis[r] = j
}

// minimise returns min cᵀx, −Inf when the program is unbounded below, and
// ok false when it did not finish within its pivots (numerical trouble).
func (tb *tableau) minimise(c []float64) (float64, bool) {
	m, n := tb.m, tb.n
	d := append([]float64(nil), c...)
	f := 0.0
	for i, bj := range tb.basis {
		if cb := c[bj]; cb != 0 {
			row := tb.row(i)
			for k := 0; k < n; k++ {
				d[k] -= cb * row[k]
			}
			f += cb * row[n]
		}
	}
	dantzig := m + n
	for iter := 0; iter < 50*(m+n); iter++ {
		enter := -1
		for k, v := range d {
			if v < -costTol && (enter < 0 || iter < dantzig && v < d[enter]) {
				enter = k
				if iter >= dantzig {
					break
				}
			}
		}
		if enter < 0 {
			return f, true
		}
		leave, ratio := -1, math.Inf(1)
		for i := 0; i < m; i++ {
			row := tb.row(i)
			if a := row[enter]; a > pivotTol {
				q := math.Max(row[n], 0) / a
				if q < ratio || q == ratio && tb.basis[i] < tb.basis[leave] {
					leave, ratio = i, q
				}
			}
		}
		if leave < 0 {
			return math.Inf(-1), true
		}
		tb.pivot(leave, enter)
		pr := tb.row(leave)
		dj := d[enter]
		for k := 0; k < n; k++ {
			if pr[k] != 0 {
				d[k] -= dj * pr[k]
			}
		}
		d[enter] = 0
		f += dj * pr[n]
	}
	return 0, false
}
