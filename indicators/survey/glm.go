package survey

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
)

// GLMOptions configure Design.GLM.
type GLMOptions struct {
	Family Family // default gaussian
	// Refs maps a factor's column to its reference level (--ref g=level).
	Refs map[string]string
	// Level is the confidence level (default 0.95).
	Level float64
	// MaxIter bounds the IRLS iterations (default 100); Tol is the convergence
	// tolerance: the largest IRLS step in naive standard errors (default 1e-6, which
	// leaves β̂ about 1e-12 standard errors from the maximum).
	MaxIter int
	Tol     float64
}

// Coefficient is one regression coefficient with its design-based inference.
type Coefficient struct {
	Term     string  `json:"term"`
	Estimate float64 `json:"estimate"`
	SE       float64 `json:"se"`
	T        float64 `json:"t"`
	P        float64 `json:"p"`
	CILow    float64 `json:"ci_low"`
	CIHigh   float64 `json:"ci_high"`
}

// MarshalJSON writes non-finite numbers as null.
func (c Coefficient) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"term":%s,"estimate":%s,"se":%s,"t":%s,"p":%s,"ci_low":%s,"ci_high":%s}`,
		jsonOf(c.Term), jsonNumber(c.Estimate), jsonNumber(c.SE), jsonNumber(c.T), jsonNumber(c.P),
		jsonNumber(c.CILow), jsonNumber(c.CIHigh)), nil
}

func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and string slices always marshal
	}
	return b
}

// GLM is a fitted survey-weighted generalised linear model (R's svyglm).
type GLM struct {
	Formula    string
	Family     Family
	N          int     // complete rows with a non-zero weight (in a subset, the subpopulation's)
	DFResidual float64 // degf(design) + 1 − p, as svyglm
	Iterations int
	// Deviance is Σ w̃_i d(y_i, μ_i) over the complete rows with w̃ the sampling weights
	// divided by their mean over the design's rows of non-zero weight (in a subset, the
	// subpopulation's), as deviance(svyglm) (svyglm passes glm the weights scaled so).
	Deviance float64
	Coef     []Coefficient
	// Cov is the design-based covariance matrix of the coefficients (vcov(svyglm)).
	Cov *mat.SymDense
	// Fitted holds μ̂ for every frame row, NaN for rows not used (missing values).
	Fitted []float64
	Level  float64

	d    *Design
	m    *modelSpec
	lk   link
	cols []modelCol // complete rows: model-matrix columns
	y    []float64  // complete rows: response
	w    []float64  // complete rows: sampling weights
	beta []float64
	// resid holds, per complete row, the scalar s_i of the estimating function
	// U_i = s_i x_i (see estfun.go) and ainv A⁻¹, so that A⁻¹U_i are the coefficients'
	// influence functions; repBeta holds a replicate design's replicate coefficients.
	resid   []float64
	ainv    *mat.SymDense
	repBeta [][]float64
}

// Names returns the coefficient names, as R's names(coef(fit)).
func (g *GLM) Names() []string { return slices.Clone(g.m.names) }

// ErrSeparation is wrapped when a binomial model's estimates do not exist because the
// outcome is perfectly predicted (complete or quasi-complete separation).
var ErrSeparation = errors.New("separation")

// ErrNoConvergence is wrapped when IRLS does not converge.
var ErrNoConvergence = errors.New("did not converge")

// ErrCollinear is wrapped when model-matrix columns are linearly dependent.
var ErrCollinear = errors.New("collinear predictors")

// GLM fits formula to the design's frame by iteratively reweighted least squares on the
// sampling weights (the pseudo-likelihood; Binder 1983) and computes design-based
// standard errors as R's svyglm (Lumley 2010, ch. 5; Lumley & Scott 2017):
//
//	V(β̂) = A⁻¹ · V_design(Σ_i U_i) · A⁻¹,  A = Xᵀ W X,
//	U_i = w_i x_i (y_i − μ_i) μ'(η_i)/V(μ_i),  W = diag(w_i μ'(η_i)²/V(μ_i)),
//
// the middle term by svyrecvar on the estimating functions U_i for linearisation
// designs (with calibration residuals on a calibrated design); replicate designs refit
// the model with every replicate's weights, starting from β̂, and apply svrVar. Rows
// with a missing response or predictor are left out (na.omit) but their PSUs still
// count. Coefficients are tested with t on DFResidual = degf + 1 − p; the intervals
// are β̂ ± t_{DFResidual, 1−α/2}·SE (confint.svyglm).
func (d *Design) GLM(formula string, opt GLMOptions) (*GLM, error) {
	lk, f, err := opt.prepare(formula)
	if err != nil {
		return nil, err
	}
	m, err := newModelSpec(f, d.frame, opt.Refs, lk.binary)
	if err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	g := &GLM{Formula: formula, Family: opt.Family, Level: opt.Level, d: d, m: m, lk: lk}
	g.cols, g.y = m.columns()
	g.w = m.gather(d.w)
	for _, w := range g.w {
		if w != 0 {
			g.N++
		}
	}
	if err := g.checkResponse(); err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	if lk.binary {
		if err := g.separatedIndicators(); err != nil {
			return nil, fmt.Errorf("glm %s: %w", formula, err)
		}
	}
	fit, err := g.irls(g.w, nil, opt)
	if err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	g.beta, g.Iterations = fit.beta, fit.iter
	p := len(g.beta)
	in := make([]bool, d.n)
	for _, i := range m.rows {
		in[i] = true
	}
	// the final pass at β̂: A = XᵀWX (summary.glm's cov.unscaled is A⁻¹), the scores
	// and the deviance
	g.resid = make([]float64, len(g.y))
	fitted := make([]float64, len(g.y))
	final := g.pass(g.beta, nil, nil, g.w, g.resid, fitted)
	sw, nw := 0.0, 0
	for _, v := range d.w {
		if v != 0 {
			sw += v
			nw++
		}
	}
	g.Deviance = final.dev / (sw / float64(nw))
	if g.ainv, err = g.invert(final.xtwx); err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	if d.rep == nil {
		g.Cov = sandwich(g.ainv, g.scoreCov(in))
	} else {
		if err := g.replicateFits(opt); err != nil {
			return nil, fmt.Errorf("glm %s: %w", formula, err)
		}
		g.Cov = d.rep.replicateCov(g.repBeta, g.beta)
	}
	g.DFResidual = d.subsetDF(in) + 1 - float64(p)
	g.Fitted = m.spread(fitted)
	g.Coef = make([]Coefficient, p)
	for j := range g.Coef {
		se := math.Sqrt(g.Cov.At(j, j))
		c := Coefficient{Term: m.names[j], Estimate: g.beta[j], SE: se, T: g.beta[j] / se}
		c.P = tTwoSided(c.T, g.DFResidual)
		c.CILow, c.CIHigh = tInterval(c.Estimate, se, g.DFResidual, opt.Level)
		g.Coef[j] = c
	}
	return g, nil
}

// tTwoSided is 2·P(T_df > |t|) (2*pt(-abs(t), df)), computed as the regularised
// incomplete beta I_{df/(df+t²)}(df/2, 1/2) so that tiny p-values keep their relative
// accuracy; df = +Inf gives the normal.
func tTwoSided(t, df float64) float64 {
	switch {
	case math.IsNaN(t) || math.IsNaN(df) || df <= 0:
		return math.NaN()
	case math.IsInf(df, 1):
		return math.Erfc(math.Abs(t) / math.Sqrt2)
	}
	return mathext.RegIncBeta(df/2, 0.5, df/(df+t*t))
}

func dot(a, b []float64) float64 {
	s := 0.0
	for j, v := range a {
		s += v * b[j]
	}
	return s
}

func (g *GLM) checkResponse() error {
	resp := g.m.vars[0].label
	for r, y := range g.y {
		switch {
		case g.lk.binary && (y < 0 || y > 1):
			return fmt.Errorf("response %s, row %d: value %v outside [0, 1] (binomial needs 0/1 or proportions)", resp, g.m.rows[r]+1, y)
		case g.lk.count && y < 0:
			return fmt.Errorf("response %s, row %d: negative value %v (poisson needs counts)", resp, g.m.rows[r]+1, y)
		}
	}
	return nil
}

// separatedIndicators refuses a binomial model in which some 0/1 column (a factor
// level, typically) has the same outcome on every row where it is 1: the likelihood
// then increases without bound in that coefficient (quasi-complete separation;
// Albert & Anderson 1984).
func (g *GLM) separatedIndicators() error {
	p := len(g.m.names)
	var bad []string
	// a factor level's column: the counts and outcome sums of all the factor's levels
	// in one pass over its codes (the same sums, in the same order)
	type levelSums struct {
		n   []int
		sum []float64
	}
	byVar := map[int]levelSums{}
	for j := 0; j < p; j++ {
		if g.m.names[j] == "(Intercept)" {
			continue
		}
		n, sum, indicator := 0, 0.0, true
		if parts := g.m.cols[j]; len(parts) == 1 && parts[0].level >= 0 {
			ls, ok := byVar[parts[0].v]
			if !ok {
				mv := g.m.vars[parts[0].v]
				ls = levelSums{make([]int, len(mv.levels)), make([]float64, len(mv.levels))}
				for r, i := range g.m.rows {
					if c := mv.codes[i]; g.w[r] > 0 && c >= 0 && int(c) < len(ls.n) {
						ls.n[c]++
						ls.sum[c] += g.y[r]
					}
				}
				byVar[parts[0].v] = ls
			}
			if l := int(parts[0].level); l < len(ls.n) {
				n, sum = ls.n[l], ls.sum[l]
			}
			if n == 0 {
				continue
			}
			if sum == 0 || sum == float64(n) {
				bad = append(bad, fmt.Sprintf("%s (all %d rows with it have outcome %g)", g.m.names[j], n, sum/float64(n)))
			}
			continue
		}
		for r, x := range g.cols[j].values() {
			if x != 0 && x != 1 {
				indicator = false
				break
			}
			if x == 1 && g.w[r] > 0 {
				n++
				sum += g.y[r]
			}
		}
		if !indicator || n == 0 {
			continue
		}
		if sum == 0 || sum == float64(n) {
			bad = append(bad, fmt.Sprintf("%s (all %d rows with it have outcome %g)", g.m.names[j], n, sum/float64(n)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: the outcome is perfectly predicted by %s; merge or drop those levels",
			ErrSeparation, strings.Join(bad, ", "))
	}
	return nil
}

// moving names the columns whose standardised coefficients changed most in the last
// step (at least half the largest change): the direction in which a separated or
// non-converging fit keeps going.
func (g *GLM) moving(beta, prev []float64) []string {
	p := len(beta)
	if prev == nil {
		return []string{"(all)"}
	}
	vals := make([][]float64, len(g.cols))
	for j, c := range g.cols {
		vals[j] = c.values()
	}
	sd := colSD(vals)
	ch := make([]float64, p)
	top := 0.0
	for j := range ch {
		s := sd[j]
		if g.m.names[j] == "(Intercept)" {
			s = 1
		}
		ch[j] = math.Abs(beta[j]-prev[j]) * s
		top = math.Max(top, ch[j])
	}
	idx := make([]int, p)
	for j := range idx {
		idx[j] = j
	}
	sort.SliceStable(idx, func(a, b int) bool { return ch[idx[a]] > ch[idx[b]] })
	var out []string
	for _, j := range idx {
		if ch[j] >= top/2 && g.m.names[j] != "(Intercept)" {
			out = append(out, g.m.names[j])
		}
	}
	if len(out) == 0 {
		out = []string{"(Intercept)"}
	}
	return out
}

func colSD(cols [][]float64) []float64 {
	ss := make([]float64, len(cols))
	for j, c := range cols {
		n := len(c)
		mean := 0.0
		for _, v := range c {
			mean += v
		}
		mean /= float64(n)
		for _, v := range c {
			ss[j] += (v - mean) * (v - mean)
		}
		ss[j] = math.Sqrt(ss[j] / float64(max(n-1, 1)))
	}
	return ss
}

// fullRows spreads complete-row values (row major, k columns) over every design row,
// zero for rows left out.
func (g *GLM) fullRows(v []float64, k int) []float64 {
	if len(g.m.rows) == g.d.n {
		return v
	}
	full := make([]float64, g.d.n*k)
	for r, i := range g.m.rows {
		copy(full[i*k:(i+1)*k], v[r*k:(r+1)*k])
	}
	return full
}

// sandwich returns A⁻¹ B A⁻¹.
func sandwich(ainv, b *mat.SymDense) *mat.SymDense {
	var t, v mat.Dense
	t.Mul(ainv, b)
	v.Mul(&t, ainv)
	p := ainv.SymmetricDim()
	out := mat.NewSymDense(p, nil)
	for j := 0; j < p; j++ {
		for k := 0; k <= j; k++ {
			out.SetSym(j, k, (v.At(j, k)+v.At(k, j))/2)
		}
	}
	return out
}

// replicateFits refits the model with every replicate's weights from β̂ (svyglm's
// svyrep.design method).
func (g *GLM) replicateFits(opt GLMOptions) error {
	d := g.d
	wr := make([]float64, d.n)
	g.repBeta = make([][]float64, d.rep.r)
	w := make([]float64, len(g.y))
	for r := range g.repBeta {
		d.repWeights(r, wr)
		for k, i := range g.m.rows {
			w[k] = wr[i]
		}
		fit, err := g.irls(w, g.beta, opt)
		if err != nil {
			return fmt.Errorf("replicate %d: %w", r+1, err)
		}
		g.repBeta[r] = fit.beta
	}
	return nil
}

// prepare fills in opt's defaults (gaussian, level 0.95, 100 iterations,
// tolerance 1e-6 standard errors), checks the level and returns the
// family's link and the parsed formula: the start of both Design.GLM and
// Design.GLMSums.
func (opt *GLMOptions) prepare(formula string) (link, *Formula, error) {
	if opt.Family == "" {
		opt.Family = Gaussian
	}
	if opt.Level == 0 {
		opt.Level = 0.95
	}
	if !(opt.Level > 0 && opt.Level < 1) {
		return link{}, nil, fmt.Errorf("glm: confidence level %v: want a number between 0 and 1", opt.Level)
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 100
	}
	if opt.Tol == 0 {
		opt.Tol = 1e-6
	}
	lk, err := opt.Family.link()
	if err != nil {
		return link{}, nil, fmt.Errorf("glm: %w", err)
	}
	f, err := ParseFormula(formula)
	if err != nil {
		return link{}, nil, fmt.Errorf("glm: %w", err)
	}
	return lk, f, nil
}
