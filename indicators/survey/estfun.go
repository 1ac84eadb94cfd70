package survey

import "gonum.org/v1/gonum/mat"

// A GLM's estimating functions are U_i = s_i x_i, the model-matrix row x_i times the
// scalar s_i = w_i (y_i − μ_i) μ'(η_i)/V(μ_i) (svyglm's estfun: working residual times
// working weight, times x_i). The fit keeps s (one number a row, GLM.resid) and forms
// from it, column by column, only what the variance needs: the finest-stage unit
// totals of U, or U itself where calibration has to replace it by residuals.

// scoreCov returns B, the design covariance of Σ_i U_i over the rows with in[i]
// (svy.varcoef's svyrecvar of the estimating functions; V(β̂) = A⁻¹BA⁻¹).
func (g *GLM) scoreCov(in []bool) *mat.SymDense {
	p := len(g.cols)
	d := g.d
	if len(d.cal) > 0 {
		return d.influenceCov(g.fullRows(g.scoreRows(), p), p, in)
	}
	cells := d.unitCells(in)
	return d.totalsCov(g.scoreTotals(len(cells)), p, cells)
}

// scoreRows returns U (complete rows × p, row major).
func (g *GLM) scoreRows() []float64 {
	p := len(g.cols)
	u := make([]float64, len(g.resid)*p)
	for j, c := range g.cols {
		for r, x := range c.values() {
			u[r*p+j] = x * g.resid[r]
		}
	}
	return u
}

// scoreTotals returns the totals of U over the nu finest-stage units (unit × p, row
// major). Columns go four at a time, so that rows of one unit in a row (data sorted by
// PSU) make four independent chains of additions rather than one, and groups of four
// run in parallel, each into its own column-major totals.
func (g *GLM) scoreTotals(nu int) []float64 {
	p := len(g.cols)
	n := len(g.resid)
	units := g.d.unit[g.d.finest()]
	if n != g.d.n {
		units = make([]int32, n)
		for r, i := range g.m.rows {
			units[r] = g.d.unit[g.d.finest()][i]
		}
	}
	groups := (p + 3) / 4
	byCol := make([]float64, 4*groups*nu) // column j's totals at j·nu; padding after p·nu
	parallelFor(groups, func(k int) {
		var x [4][]float64
		var t [4][]float64
		buf := make([]float64, 4*passBlock)
		for c := range t {
			t[c] = byCol[(4*k+c)*nu : (4*k+c+1)*nu]
		}
		for b0 := 0; b0 < n; b0 += passBlock {
			b1 := min(b0+passBlock, n)
			for c := range x {
				if j := 4*k + c; j < p {
					x[c] = g.cols[j].block(b0, b1, buf[c*passBlock:])
				} else {
					x[c] = buf[c*passBlock : c*passBlock+b1-b0]
					clear(x[c])
				}
			}
			scatter4(&t, &x, g.resid[b0:b1], units[b0:b1])
		}
	})
	tot := make([]float64, nu*p)
	for j := 0; j < p; j++ {
		for u, v := range byCol[j*nu : (j+1)*nu] {
			tot[u*p+j] = v
		}
	}
	return tot
}

// scatter4 adds x[c][r]·s[r] to t[c][u[r]] for the four columns c.
func scatter4(t, x *[4][]float64, s []float64, u []int32) {
	t0, t1, t2, t3 := t[0], t[1], t[2], t[3]
	x0, x1, x2, x3 := x[0][:len(s)], x[1][:len(s)], x[2][:len(s)], x[3][:len(s)]
	u = u[:len(s)]
	for r, sr := range s {
		k := u[r]
		t0[k] += x0[r] * sr
		t1[k] += x1[r] * sr
		t2[k] += x2[r] * sr
		t3[k] += x3[r] * sr
	}
}

// xdot returns Xv over the complete rows (a linear predictor at coefficients v).
func (g *GLM) xdot(v []float64) []float64 {
	n := len(g.resid)
	out := make([]float64, n)
	parallelRows(n, func(lo, hi int) {
		buf := make([]float64, len(g.cols)*passBlock)
		xs := make([][]float64, len(g.cols))
		for b0 := lo; b0 < hi; b0 += passBlock {
			b1 := min(b0+passBlock, hi)
			for j, c := range g.cols {
				xs[j] = c.block(b0, b1, buf[j*passBlock:])
			}
			addXb(out[b0:b1], xs, v)
		}
	})
	return out
}
