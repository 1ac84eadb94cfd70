package survey

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// influenceCov is survey's svyrecvar for a p-column influence matrix: the covariance
// matrix of the estimated totals Σ_i x_i, where x (n×p, row major) already carries the
// weights (Binder 1983; Lumley 2010, sec. 2.3 and appendix). Rows with in[i] false
// are outside the estimation domain (their x must be zero); in == nil means every row.
// A calibrated design first replaces x by its calibration residuals (see calibrate.go).
//
// Each entry uses the engine's scalar linearisation variance V(·) (strata, multistage
// with fpc, lonely-PSU rules), which is a quadratic form in the unit totals under every
// lonely-PSU rule, so the covariances follow exactly by polarisation:
//
//	C_jk = (V(t_j/s_j + t_k/s_k) − V(t_j/s_j) − V(t_k/s_k))/2 · s_j s_k,  s_j = √V(t_j),
//
// the scaling keeping the off-diagonal terms accurate whatever the columns' sizes.
func (d *Design) influenceCov(x []float64, p int, in []bool) *mat.SymDense {
	if len(d.cal) > 0 {
		// residuals are not zero outside the domain: every row counts, as in R, where
		// a calibrated design keeps all its rows when subset
		x = d.calResiduals(x, p)
		in = nil
	}
	cells := d.unitCells(in)
	tot := make([]float64, len(cells)*p)
	for i, u := range d.unit[d.finest()] {
		if in != nil && !in[i] {
			continue
		}
		t := tot[int(u)*p : int(u+1)*p]
		for j, v := range x[i*p : (i+1)*p] {
			t[j] += v
		}
	}
	return d.totalsCov(tot, p, cells)
}

// totalsCov is influenceCov from the finest-stage unit totals of the influence matrix:
// tot[u·p+j] is the total of column j over unit u, and cells are unitCells(in).
func (d *Design) totalsCov(tot []float64, p int, cells []Cell) *mat.SymDense {
	return polarize(p, pairs(p, d.totalsVariance(tot, p, cells)))
}

// totalsVariance is the design variance of the combination Σ_j c_j (column j) of the
// influence matrix whose finest-stage unit totals are tot (as at totalsCov): one
// svyrecvar of the combined unit totals. Safe for concurrent use.
func (d *Design) totalsVariance(tot []float64, p int, cells []Cell) func(c []float64) float64 {
	tv := d.newTaylor()
	cs := slices.Clone(cells)
	var mu sync.Mutex
	return func(c []float64) float64 {
		var on []int
		for j, cj := range c {
			if cj != 0 {
				on = append(on, j)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for u := range cs {
			v := 0.0
			for _, j := range on {
				v += c[j] * tot[u*p+j]
			}
			cs[u].A = v
		}
		tv.load(cs, func(c *Cell) float64 { return c.A })
		return tv.variance()
	}
}

// pairs turns the variance of a combination of p columns into polarize's q.
func pairs(p int, combination func(c []float64) float64) func(a, b int, ca, cb float64) float64 {
	c := make([]float64, p)
	return func(a, b int, ca, cb float64) float64 {
		clear(c)
		c[a] = ca
		if b >= 0 {
			c[b] += cb
		}
		return combination(c)
	}
}

// polarize builds a p×p covariance matrix from a variance function q of the linear
// combination ca·column a + cb·column b (b < 0: column a alone), as described at
// influenceCov.
func polarize(p int, q func(a, b int, ca, cb float64) float64) *mat.SymDense {
	diag := make([]float64, p)
	s := make([]float64, p)
	for j := range diag {
		diag[j] = q(j, -1, 1, 0)
		s[j] = math.Sqrt(diag[j])
		if !(s[j] > 0) || math.IsInf(s[j], 0) {
			s[j] = 1
		}
	}
	v := mat.NewSymDense(p, nil)
	for j := 0; j < p; j++ {
		v.SetSym(j, j, diag[j])
		for k := 0; k < j; k++ {
			both := q(j, k, 1/s[j], 1/s[k])
			c := (both - diag[j]/(s[j]*s[j]) - diag[k]/(s[k]*s[k])) / 2
			v.SetSym(j, k, c*s[j]*s[k])
		}
	}
	return v
}

// replicateCov is survey's svrVar for p statistics: theta[r] holds the p estimates
// from replicate r and est the full-sample estimates; the covariance is
// scale · Σ_r rscales_r (θ_r − c)(θ_r − c)ᵀ with c the replicate mean (or est with
// mse), computed through the engine's scalar replicate variance by polarisation.
func (rp *replicates) replicateCov(theta [][]float64, est []float64) *mat.SymDense {
	return polarize(len(est), pairs(len(est), rp.combinationVariance(theta, est)))
}

// combinationVariance is the replicate variance of Σ_j c_j θ_j: svrVar of the combined
// replicate estimates Σ_j c_j θ_rj about Σ_j c_j est_j. Safe for concurrent use.
func (rp *replicates) combinationVariance(theta [][]float64, est []float64) func(c []float64) float64 {
	return func(c []float64) float64 {
		th := make([]float64, len(theta))
		e := 0.0
		for j, cj := range c {
			if cj == 0 {
				continue
			}
			e += cj * est[j]
			for r, t := range theta {
				th[r] += cj * t[j]
			}
		}
		return rp.variance(th, e)
	}
}

// repWeights fills dst with the analysis weights of replicate r.
func (d *Design) repWeights(r int, dst []float64) {
	rp := d.rep
	if rp.cols != nil {
		copy(dst, rp.cols[r])
		return
	}
	f := rp.factors[r]
	for i, u := range d.unit[0] {
		dst[i] = d.w[i] * f[u]
	}
}

// unitCells counts, per finest-stage unit, the rows with in[i] true (all rows when in
// is nil) and those of them with non-zero weight.
func (d *Design) unitCells(in []bool) []Cell {
	k := d.finest()
	cells := make([]Cell, d.nUnits[k])
	for i, u := range d.unit[k] {
		if in != nil && !in[i] {
			continue
		}
		cells[u].N++
		if d.w[i] != 0 {
			cells[u].NW++
		}
	}
	return cells
}

// subsetDF is the design degrees of freedom of the rows with in[i] true, as R's degf of
// design[in, ] for a linearisation design (PSUs minus strata among rows with non-zero
// weight); replicate designs keep the full design's degf, as svrepdesign stores it.
func (d *Design) subsetDF(in []bool) float64 {
	if d.spec.DF > 0 || d.rep != nil || in == nil {
		return d.DF()
	}
	tv := d.newTaylor()
	tv.load(d.unitCells(in), func(*Cell) float64 { return 0 })
	return tv.df()
}

// ErrMissing is wrapped when an analysis column holds missing values where none are
// allowed.
var ErrMissing = errors.New("missing value")

// TotalCov returns the estimated totals Σ_i w_i y_ij of the given columns and their
// covariance matrix under the design (svytotal of several variables): Taylor
// linearisation with x_ij = w_i y_ij (svyrecvar, with calibration residuals on a
// calibrated design) or the replicate totals Σ_i w_ri y_ij (svrVar). Every column
// must be complete.
func (d *Design) TotalCov(cols ...[]float64) ([]float64, *mat.SymDense, error) {
	p := len(cols)
	for j, c := range cols {
		if len(c) != d.n {
			return nil, nil, fmt.Errorf("total: column %d has %d rows, design has %d", j+1, len(c), d.n)
		}
		for i, v := range c {
			if math.IsNaN(v) {
				return nil, nil, fmt.Errorf("total: column %d, row %d: %w", j+1, i+1, ErrMissing)
			}
		}
	}
	total := func(w []float64) []float64 {
		t := make([]float64, p)
		for j, c := range cols {
			for i, v := range c {
				t[j] += w[i] * v
			}
		}
		return t
	}
	est := total(d.w)
	if d.rep == nil {
		x := make([]float64, d.n*p)
		for j, c := range cols {
			for i, v := range c {
				x[i*p+j] = d.w[i] * v
			}
		}
		return est, d.influenceCov(x, p, nil), nil
	}
	theta := make([][]float64, d.rep.r)
	wr := make([]float64, d.n)
	for r := range theta {
		d.repWeights(r, wr)
		theta[r] = total(wr)
	}
	return est, d.rep.replicateCov(theta, est), nil
}
