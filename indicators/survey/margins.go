package survey

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// MarginalEffect is an average marginal effect of one predictor, overall or in one
// group. For a binomial model it is in percentage points (Unit).
type MarginalEffect struct {
	// Variable is the data column; Term names the effect: the column for a numeric
	// predictor (a derivative), the coefficient name of the level for a factor
	// ("factor(gndr)2": level 2 against the reference).
	Variable string            `json:"variable"`
	Term     string            `json:"term"`
	Level    string            `json:"level,omitempty"`
	Ref      string            `json:"reference,omitempty"`
	By       map[string]string `json:"by,omitempty"`
	Estimate float64           `json:"estimate"`
	SE       float64           `json:"se"`
	T        float64           `json:"t"`
	P        float64           `json:"p"`
	CILow    float64           `json:"ci_low"`
	CIHigh   float64           `json:"ci_high"`
	DF       float64           `json:"df"`
	N        int               `json:"n"`
	Unit     string            `json:"unit"`
}

// MarshalJSON writes non-finite numbers as null.
func (e MarginalEffect) MarshalJSON() ([]byte, error) {
	b := fmt.Appendf(nil, `{"variable":%s,"term":%s`, jsonOf(e.Variable), jsonOf(e.Term))
	if e.Level != "" {
		b = fmt.Appendf(b, `,"level":%s,"reference":%s`, jsonOf(e.Level), jsonOf(e.Ref))
	}
	if e.By != nil {
		b = fmt.Appendf(b, `,"by":%s`, jsonOf(e.By))
	}
	return fmt.Appendf(b, `,"estimate":%s,"se":%s,"t":%s,"p":%s,"ci_low":%s,"ci_high":%s,"df":%s,"n":%d,"unit":%s}`,
		jsonNumber(e.Estimate), jsonNumber(e.SE), jsonNumber(e.T), jsonNumber(e.P), jsonNumber(e.CILow),
		jsonNumber(e.CIHigh), jsonNumber(e.DF), e.N, jsonOf(e.Unit)), nil
}

// effect is one average marginal effect: the derivative with respect to a numeric
// column (level < 0), or a factor level against the reference.
type effect struct {
	col, term string
	v         int // the factor's variable
	level     int32
}

// Margins returns the average marginal effects of the given columns (every predictor
// column when none), over all complete rows and, when by is not "", in each group of
// column by (Bartus 2005; Stata's margins, dydx()). For a numeric column x,
//
//	AME = Σ w_i ∂μ_i/∂x / Σ w_i,  ∂μ_i/∂x = μ'(η_i) Σ_j β_j ∂x_ij/∂x,
//
// through every term that uses x (I(x^2), log(x), interactions); for a factor, each
// level ℓ against the reference r: AME = Σ w_i (μ_i(ℓ) − μ_i(r)) / Σ w_i with every row
// set to ℓ, then to r. Standard errors are design-based and unconditional (they count
// the sampling of the covariates as well as of β̂): for linearisation the influence
// function w_i(m_i − AME)/W + (∂AME/∂β)ᵀ A⁻¹U_i goes through svyrecvar (delta method);
// replicate designs recompute the AME with each replicate's β̂ and weights (svrVar).
// Binomial effects are reported in percentage points (×100).
func (g *GLM) Margins(cols []string, by string) ([]MarginalEffect, error) {
	return g.MarginsWith(cols, by, MarginOptions{})
}

// MarginOptions choose how marginal effects' standard errors are computed.
type MarginOptions struct {
	// FixedCovariates treats the covariates as fixed, counting only the sampling of β̂:
	// Var(AME) = (∂AME/∂β)ᵀ V(β̂) (∂AME/∂β), as svycontrast on the fit's coefficients
	// (or predictions) gives it, and Stata's margins without vce(unconditional);
	// replicate designs recompute the AME with each replicate's β̂ and the full-sample
	// weights. These SEs are smaller than the default unconditional ones by the part of
	// the variance that comes from which covariate values were sampled.
	FixedCovariates bool
}

// MarginsWith is Margins with the standard errors opt asks for.
func (g *GLM) MarginsWith(cols []string, by string, opt MarginOptions) ([]MarginalEffect, error) {
	effects, err := g.effects(cols)
	if err != nil {
		return nil, fmt.Errorf("margins: %w", err)
	}
	groups, labels, err := g.groups(by)
	if err != nil {
		return nil, fmt.Errorf("margins: %w", err)
	}
	unit, scale := "response units", 1.0
	if g.lk.binary {
		unit, scale = "percentage points", 100
	}
	var out []MarginalEffect
	for _, e := range effects {
		est, cov, n := g.effectCov(e, groups, len(labels)+1, opt.FixedCovariates)
		for k := range est {
			me := MarginalEffect{Variable: e.col, Term: e.term, DF: g.DFResidual, N: n[k], Unit: unit,
				Estimate: est[k] * scale, SE: math.Sqrt(cov.At(k, k)) * scale}
			if e.level >= 0 {
				v := g.m.vars[e.v]
				me.Level, me.Ref = v.levels[e.level], v.levels[0]
			}
			if k > 0 {
				me.By = map[string]string{by: labels[k-1]}
			}
			me.T = me.Estimate / me.SE
			me.P = tTwoSided(me.T, me.DF)
			me.CILow, me.CIHigh = tInterval(me.Estimate, me.SE, me.DF, g.Level)
			out = append(out, me)
		}
	}
	return out, nil
}

// effects lists the effects of the named columns, in the order given.
func (g *GLM) effects(cols []string) ([]effect, error) {
	m := g.m
	var all []string
	for _, v := range m.vars[1:] {
		if v.factor {
			all = append(all, v.col)
		} else {
			all = v.e.columns(all)
		}
	}
	all = slices.Compact(all)
	if len(cols) == 0 {
		cols = all
	}
	var out []effect
	for _, c := range cols {
		if !slices.Contains(all, c) {
			return nil, fmt.Errorf("column %q is not a predictor of %s", c, g.Formula)
		}
		fi := slices.IndexFunc(m.vars[1:], func(v *modelVar) bool { return v.factor && v.col == c })
		if fi < 0 {
			out = append(out, effect{col: c, term: c, level: -1})
			continue
		}
		v := m.vars[fi+1]
		for l := int32(1); l < int32(len(v.levels)); l++ {
			out = append(out, effect{col: c, term: v.label + v.levels[l], v: fi + 1, level: l})
		}
	}
	return out, nil
}

// groups codes the complete rows by column by: group[r] is the level's index, −1 when
// missing; without by every row is in no group.
func (g *GLM) groups(by string) ([]int32, []string, error) {
	grp := make([]int32, len(g.m.rows))
	if by == "" {
		for r := range grp {
			grp[r] = -1
		}
		return grp, nil, nil
	}
	s, err := g.d.frame.Strings(by)
	if err != nil {
		return nil, nil, fmt.Errorf("by: %w", err)
	}
	sub := make([]string, len(g.m.rows))
	for r, i := range g.m.rows {
		sub[r] = s[i]
	}
	c, labels := codes(sub)
	return c, labels, nil
}

// effectRows returns each complete row's effect m_r at β and, when grad is not nil,
// writes ∂m_r/∂β into grad (row major).
func (g *GLM) effectRows(e effect, beta, grad []float64) []float64 {
	m := g.m
	p := len(beta)
	lk := g.lk
	out := make([]float64, len(m.rows))
	x1 := make([]float64, p)
	x0 := make([]float64, p)
	val := make([]float64, len(m.vars))
	dval := make([]float64, len(m.vars))
	for r, i := range m.rows {
		if e.level < 0 {
			m.fill(i, x1, x0, &rowOverride{col: e.col, level: -1}, val, dval) // x0 holds ∂x/∂col
			eta := dot(x1, beta)
			slope := dot(x0, beta)
			d1 := lk.dinv(eta, lk.inv(eta))
			out[r] = d1 * slope
			if grad != nil {
				d2 := lk.d2inv(eta) * slope
				for j := range x1 {
					grad[r*p+j] = d2*x1[j] + d1*x0[j]
				}
			}
			continue
		}
		m.fill(i, x1, nil, &rowOverride{col: e.col, level: e.level}, val, nil)
		m.fill(i, x0, nil, &rowOverride{col: e.col, level: 0}, val, nil)
		e1, e0 := dot(x1, beta), dot(x0, beta)
		out[r] = lk.inv(e1) - lk.inv(e0)
		if grad != nil {
			a, b := lk.dinv(e1, lk.inv(e1)), lk.dinv(e0, lk.inv(e0))
			for j := range x1 {
				grad[r*p+j] = a*x1[j] - b*x0[j]
			}
		}
	}
	return out
}

// effectCov returns the effect overall (k = 0) and in each group (k = 1 + group), the
// covariance matrix of these estimates and the rows behind each.
func (g *GLM) effectCov(e effect, grp []int32, K int, fixed bool) ([]float64, *mat.SymDense, []int) {
	p := len(g.beta)
	n := len(g.m.rows)
	var grad []float64
	if g.d.rep == nil {
		grad = make([]float64, n*p)
	}
	mr := g.effectRows(e, g.beta, grad)
	in := func(r, k int) bool { return k == 0 || grp[r] == int32(k-1) }
	ame := func(w, m []float64) ([]float64, []float64, []int) {
		est, wsum, cnt := make([]float64, K), make([]float64, K), make([]int, K)
		for r := range m {
			for k := 0; k < K; k++ {
				if in(r, k) {
					est[k] += w[r] * m[r]
					wsum[k] += w[r]
					cnt[k]++
				}
			}
		}
		for k := range est {
			est[k] /= wsum[k]
		}
		return est, wsum, cnt
	}
	est, wsum, cnt := ame(g.w, mr)
	if g.d.rep != nil {
		theta := make([][]float64, len(g.repBeta))
		wr := make([]float64, g.d.n)
		w := make([]float64, n)
		for r, b := range g.repBeta {
			g.d.repWeights(r, wr)
			for k, i := range g.m.rows {
				w[k] = wr[i]
			}
			if fixed {
				w = g.w
			}
			theta[r], _, _ = ame(w, g.effectRows(e, b, nil))
		}
		return est, g.d.rep.replicateCov(theta, est), cnt
	}
	// ∂AME_k/∂β = Σ_{r∈k} w_r ∂m_r/∂β / W_k
	dAME := make([]float64, K*p)
	for r := 0; r < n; r++ {
		for k := 0; k < K; k++ {
			if in(r, k) {
				for j := 0; j < p; j++ {
					dAME[k*p+j] += g.w[r] * grad[r*p+j] / wsum[k]
				}
			}
		}
	}
	if fixed {
		cov := mat.NewSymDense(K, nil)
		for a := 0; a < K; a++ {
			ga := mat.NewVecDense(p, dAME[a*p:(a+1)*p])
			for b := a; b < K; b++ {
				cov.SetSym(a, b, mat.Inner(ga, g.Cov, mat.NewVecDense(p, dAME[b*p:(b+1)*p])))
			}
		}
		return est, cov, cnt
	}
	// the β̂ part of the influence, (∂AME_k/∂β)ᵀA⁻¹U_r, as s_r·x_r·(A⁻¹ ∂AME_k/∂β)
	xad := make([][]float64, K)
	for k := range xad {
		ad := make([]float64, p)
		mat.NewVecDense(p, ad).MulVec(g.ainv, mat.NewVecDense(p, dAME[k*p:(k+1)*p]))
		xad[k] = g.xdot(ad)
	}
	z := make([]float64, n*K)
	inRow := make([]bool, g.d.n)
	for r, i := range g.m.rows {
		inRow[i] = true
		for k := 0; k < K; k++ {
			v := g.resid[r] * xad[k][r]
			if in(r, k) {
				v += g.w[r] * (mr[r] - est[k]) / wsum[k]
			}
			z[r*K+k] = v
		}
	}
	return est, g.d.influenceCov(g.fullRows(z, K), K, inRow), cnt
}
