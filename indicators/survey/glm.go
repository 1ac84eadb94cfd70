package survey

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
)

// Family is a GLM error distribution with its canonical link, as R's family objects:
// gaussian (identity), binomial and quasibinomial (logit), poisson and quasipoisson
// (log). Under a survey design the quasi and non-quasi versions give the same
// estimates and design-based standard errors (svyglm reports the same either way).
type Family string

const (
	Gaussian      Family = "gaussian"
	Binomial      Family = "binomial"
	Quasibinomial Family = "quasibinomial"
	Poisson       Family = "poisson"
	Quasipoisson  Family = "quasipoisson"
)

// link is a family's link and variance: μ = inv(η); dinv = dμ/dη, given η and μ (so
// that hot loops reuse μ); d2inv = d²μ/dη² (for marginal-effect gradients); V(μ) and
// the unit deviance.
type link struct {
	inv, d2inv func(eta float64) float64
	dinv       func(eta, mu float64) float64
	variance   func(mu float64) float64
	dev        func(y, mu float64) float64
	binary     bool // response a proportion in [0, 1]
	count      bool // response ≥ 0
}

// epsMu is R's .Machine$double.eps floor of μ.eta in binomial()/poisson().
const epsMu = 2.220446049250313e-16

func logistic(eta float64) float64 {
	if eta >= 0 {
		return 1 / (1 + math.Exp(-eta))
	}
	e := math.Exp(eta)
	return e / (1 + e)
}

// ylogy is y·log(y/μ) with 0·log 0 = 0 (R's y_log_y).
func ylogy(y, mu float64) float64 {
	if y == 0 {
		return 0
	}
	return y * math.Log(y/mu)
}

func (f Family) link() (link, error) {
	switch f {
	case Gaussian:
		return link{
			inv:      func(eta float64) float64 { return eta },
			dinv:     func(float64, float64) float64 { return 1 },
			d2inv:    func(float64) float64 { return 0 },
			variance: func(float64) float64 { return 1 },
			dev:      func(y, mu float64) float64 { return (y - mu) * (y - mu) },
		}, nil
	case Binomial, Quasibinomial:
		return link{
			inv:  logistic,
			dinv: func(_, m float64) float64 { return math.Max(m*(1-m), epsMu) },
			d2inv: func(eta float64) float64 {
				m := logistic(eta)
				return m * (1 - m) * (1 - 2*m)
			},
			variance: func(mu float64) float64 { return mu * (1 - mu) },
			dev:      func(y, mu float64) float64 { return 2 * (ylogy(y, mu) + ylogy(1-y, 1-mu)) },
			binary:   true,
		}, nil
	case Poisson, Quasipoisson:
		return link{
			inv:      math.Exp,
			dinv:     func(_, m float64) float64 { return math.Max(m, epsMu) },
			d2inv:    math.Exp,
			variance: func(mu float64) float64 { return mu },
			dev:      func(y, mu float64) float64 { return 2 * (ylogy(y, mu) - (y - mu)) },
			count:    true,
		}, nil
	}
	return link{}, fmt.Errorf("family %q: want gaussian, binomial, quasibinomial, poisson or quasipoisson", f)
}

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
	N          int     // complete rows used
	DFResidual float64 // degf(design) + 1 − p, as svyglm
	Iterations int
	// Deviance is Σ w̃_i d(y_i, μ_i) over the complete rows with w̃ the sampling weights
	// divided by their mean over all the design's rows, as deviance(svyglm) (svyglm
	// passes glm the weights scaled so).
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
	if opt.Family == "" {
		opt.Family = Gaussian
	}
	if opt.Level == 0 {
		opt.Level = 0.95
	}
	if !(opt.Level > 0 && opt.Level < 1) {
		return nil, fmt.Errorf("glm: confidence level %v: want a number between 0 and 1", opt.Level)
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 100
	}
	if opt.Tol == 0 {
		opt.Tol = 1e-6
	}
	lk, err := opt.Family.link()
	if err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	f, err := ParseFormula(formula)
	if err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	m, err := newModelSpec(f, d.frame, opt.Refs, lk.binary)
	if err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	g := &GLM{Formula: formula, Family: opt.Family, N: len(m.rows), Level: opt.Level, d: d, m: m, lk: lk}
	g.cols, g.y = m.columns()
	g.w = m.gather(d.w)
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
	sw := 0.0
	for _, v := range d.w {
		sw += v
	}
	g.Deviance = final.dev / (sw / float64(d.n))
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

type irlsFit struct {
	beta []float64
	iter int
}

// irls fits the model with weights w by iteratively reweighted least squares, as R's
// glm.fit (McCullagh & Nelder 1989, sec. 2.5): z = η + (y − μ)/μ'(η),
// W = w μ'(η)²/V(μ), β ← (XᵀWX)⁻¹XᵀWz. Each iteration is one parallel pass over the
// rows. Newton's method converges quadratically, so iterations stop when the last step
// is below Tol in every coefficient's naive standard error, |Δβ_j| < Tol·√(A⁻¹)_jj:
// the returned β is then within about Tol² standard errors of the maximum (R's
// criterion, the relative change of the deviance, needs a logarithm per row and one
// more pass). A step to a non-finite fit is halved, up to 30 times. start nil starts
// from nullStart.
func (g *GLM) irls(w []float64, start []float64, opt GLMOptions) (*irlsFit, error) {
	p := len(g.m.names)
	var eta0, mu0 []float64
	beta := slices.Clone(start)
	if start == nil {
		if beta = g.nullStart(w); beta == nil {
			eta0, mu0 = g.startEta(w)
		}
	}
	var prev []float64
	halvings := 0
	for iter := 0; ; {
		out := g.pass(beta, eta0, mu0, w, nil, nil)
		if !out.finite {
			if prev == nil || halvings == 30 {
				return nil, fmt.Errorf("%w: the fit is not finite after step halving at iteration %d", ErrNoConvergence, iter)
			}
			halvings++
			for j := range beta {
				beta[j] = (beta[j] + prev[j]) / 2
			}
			continue
		}
		if beta != nil && g.lk.binary && out.boundary {
			return nil, g.separationError(beta, prev)
		}
		if iter == opt.MaxIter {
			return nil, fmt.Errorf("%w in %d iterations (the last step was still above %g standard errors); coefficients still moving: %s",
				ErrNoConvergence, opt.MaxIter, opt.Tol, strings.Join(g.moving(beta, prev), ", "))
		}
		ainv, err := g.invert(out.xtwx)
		if err != nil {
			return nil, err
		}
		next := make([]float64, p)
		mat.NewVecDense(p, next).MulVec(ainv, mat.NewVecDense(p, out.xtwz))
		iter++
		if beta != nil {
			small := true
			for j := range next {
				small = small && math.Abs(next[j]-beta[j]) <= opt.Tol*math.Sqrt(ainv.At(j, j))
			}
			if small {
				return &irlsFit{beta: next, iter: iter}, nil
			}
		}
		prev, beta, eta0, mu0 = beta, next, nil, nil
		halvings = 0
	}
}

// nullStart is the intercept-only fit, β = (g(ȳ), 0, …, 0) with ȳ = Σ w y / Σ w and g the
// canonical link: the null model's estimate, from which Newton's method takes one
// iteration fewer than from R's mustart on typical data (4 rather than 5 on the
// benchmark's) and whose first pass needs no logarithm per row. It is nil for a model
// without an intercept or when g(ȳ) is not finite (an outcome that is always 0, say):
// those start from mustart.
func (g *GLM) nullStart(w []float64) []float64 {
	if g.m.names[0] != "(Intercept)" {
		return nil
	}
	sw, swy := 0.0, 0.0
	for r, y := range g.y {
		sw += w[r]
		swy += w[r] * y
	}
	mean := swy / sw
	b0 := math.NaN()
	switch g.Family.kind() {
	case kindIdentity:
		b0 = mean
	case kindLogit:
		b0 = math.Log(mean / (1 - mean))
	case kindLog:
		b0 = math.Log(mean)
	}
	if math.IsNaN(b0) || math.IsInf(b0, 0) {
		return nil
	}
	beta := make([]float64, len(g.m.names))
	beta[0] = b0
	return beta
}

// startEta is R's mustart, μ = (w y + 1/2)/(w + 1) with w the weights over their mean
// for binomial, y + 1/10 for poisson, y for gaussian, and its η (glm.fit's first
// iteration uses both, without computing μ back from η).
func (g *GLM) startEta(w []float64) (eta, mu []float64) {
	n := len(g.y)
	wsum := 0.0
	for _, x := range w {
		wsum += x
	}
	mean := wsum / float64(n)
	eta, mu = make([]float64, n), make([]float64, n)
	for r, y := range g.y {
		switch {
		case g.lk.binary:
			pw := w[r] / mean
			m := (pw*y + 0.5) / (pw + 1)
			eta[r], mu[r] = math.Log(m/(1-m)), m
		case g.lk.count:
			eta[r], mu[r] = math.Log(y+0.1), y+0.1
		default:
			eta[r], mu[r] = y, y
		}
	}
	return eta, mu
}

// passChunk is the number of rows per block of parallelRows: blocks are summed in a
// fixed order, so results do not depend on the number of CPUs.
const passChunk = 1 << 13

// parallelRows calls f on the blocks [lo, hi) of passChunk rows covering 0..n, spread
// over GOMAXPROCS goroutines; f must only write data of its own block.
func parallelRows(n int, f func(lo, hi int)) {
	parallelFor((n+passChunk-1)/passChunk, func(b int) { f(b*passChunk, min((b+1)*passChunk, n)) })
}

// parallelFor calls f(0), …, f(k−1), spread over GOMAXPROCS goroutines.
func parallelFor(k int, f func(b int)) {
	workers := min(runtime.GOMAXPROCS(0), k)
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := g; b < k; b += workers {
				f(b)
			}
		}()
	}
	wg.Wait()
}

// passResult is what one pass over the rows computes at β.
type passResult struct {
	finite   bool          // every working weight and response finite
	boundary bool          // a fitted probability numerically 0 or 1 on a row with weight
	dev      float64       // Σ w d(y, μ), in the final pass
	xtwx     *mat.SymDense // XᵀWX
	xtwz     []float64     // XᵀWz
}

// passBlock is the number of rows the cross-product kernel takes at a time: the
// block's columns of X, W·X, z and W·z (about 16·(p+1)·passBlock bytes) stay in cache.
const passBlock = 512

// linkKind selects the inlined μ, dμ/dη and V(μ) of the canonical links in pass (the
// same arithmetic as the family's link functions).
type linkKind int

const (
	kindOther linkKind = iota
	kindIdentity
	kindLogit
	kindLog
)

func (f Family) kind() linkKind {
	switch f {
	case Gaussian:
		return kindIdentity
	case Binomial, Quasibinomial:
		return kindLogit
	case Poisson, Quasipoisson:
		return kindLog
	}
	return kindOther
}

// pass computes, for η = Xβ (or η = eta0 and μ = mu0 when given), the IRLS cross-products,
// accumulating chunks of rows in parallel. Within a chunk, blocks of passBlock rows
// are taken column by column: η by column axpys (the same sums, in the same order, as
// a row's dot product), then the working weights and responses, then XᵀWX and XᵀWz as
// the lower triangle of (W[X z])ᵀ[X z] by the register-tiled kernel crossLower. With
// resid not nil it is the final pass at the estimate: it also writes the scalars
// s_i = w_i (y_i − μ_i) μ'(η_i)/V(μ_i) of the estimating functions U_i = s_i x_i
// (svyglm's estfun, whose design-based total has the covariance B of
// V(β̂) = A⁻¹BA⁻¹, svy.varcoef), the fitted values μ_i and sums the deviance.
func (g *GLM) pass(beta, eta0, mu0, w, resid, fitted []float64) passResult {
	p := len(g.m.names)
	n := len(g.y)
	kind := g.Family.kind()
	q := (p + 1 + 3) / 4 * 4 // columns of [X z], padded to the kernel's tile
	width := q*q + 3         // lower triangle, deviance, boundary, non-finite
	iDev, iBound, iNonfinite := q*q, q*q+1, q*q+2
	parts := make([][]float64, (n+passChunk-1)/passChunk)
	parallelRows(n, func(lo, hi int) {
		const B = passBlock
		acc := make([]float64, width)
		buf := make([]float64, (7+p)*B)
		wwb, etab, zb, zero, expb, mub, devb := buf[:B], buf[B:2*B], buf[2*B:3*B], buf[3*B:4*B], buf[4*B:5*B], buf[5*B:6*B], buf[6*B:7*B]
		cbuf := buf[7*B:] // the block's intercept and factor-level columns
		xs := make([][]float64, q)
		for b0 := lo; b0 < hi; b0 += B {
			b1 := min(b0+B, hi)
			nb := b1 - b0
			eta, z, mu, ww := etab[:nb], zb[:nb], mub[:nb], wwb[:nb]
			for j, c := range g.cols {
				xs[j] = c.block(b0, b1, cbuf[j*B:j*B+nb])
			}
			if eta0 != nil {
				copy(eta, eta0[b0:b1])
			} else {
				clear(eta)
				addXb(eta, xs[:p], beta)
			}
			wb, yb := w[b0:b1], g.y[b0:b1]
			var ex []float64 // exp(−|η|), for the logit link
			var boundary, nonfinite bool
			if kind == kindLogit && mu0 == nil {
				ex = expb[:nb]
				expNeg(ex, eta)
				boundary, nonfinite = logitWork(eta, ex, wb, yb, mu, z, ww)
			} else {
				var m0 []float64
				if mu0 != nil {
					m0 = mu0[b0:b1]
				}
				boundary, nonfinite = g.linkWork(eta, m0, wb, yb, mu, z, ww)
			}
			if boundary {
				acc[iBound] = 1
			}
			if nonfinite {
				acc[iNonfinite] = 1
			}
			if resid != nil {
				acc[iDev] += g.estfunRows(eta, ex, wb, yb, mu, resid[b0:b1], devb[:nb])
				copy(fitted[b0:b1], mu)
			}
			xs[p] = z
			for j := p + 1; j < q; j++ {
				xs[j] = zero[:nb]
			}
			crossLower(acc, q, ww, xs)
		}
		parts[lo/passChunk] = acc
	})
	sum := make([]float64, width)
	for _, a := range parts {
		for k, v := range a {
			sum[k] += v
		}
	}
	xtwx := mat.NewSymDense(p, nil)
	xtwz := make([]float64, p)
	for j := 0; j < p; j++ {
		for k := 0; k <= j; k++ {
			xtwx.SetSym(j, k, sum[j*q+k])
		}
		xtwz[j] = sum[p*q+j]
	}
	return passResult{finite: sum[iNonfinite] == 0, boundary: sum[iBound] > 0, dev: sum[iDev],
		xtwx: xtwx, xtwz: xtwz}
}

// linkWork is logitWork for every link, row by row: μ = g⁻¹(η) (or mu0 when given),
// z = η + (y − μ)/μ'(η) and ww = w μ'(η)²/V(μ); the canonical log and identity links
// are written out, others go through the family's functions.
func (g *GLM) linkWork(eta, mu0, w, y, mu, z, ww []float64) (boundary, nonfinite bool) {
	lk := g.lk
	kind := g.Family.kind()
	chk := 0.0 // NaN when a working response or weight is not finite
	for r, e := range eta {
		var m, d, v float64
		switch {
		case kind == kindIdentity:
			m, d, v = e, 1, 1
		case kind == kindLog:
			m = math.Exp(e)
			if mu0 != nil {
				m = mu0[r]
			}
			v, d = m, m
			if m < epsMu {
				d = epsMu
			}
		default:
			if mu0 != nil {
				m = mu0[r]
			} else {
				m = lk.inv(e)
			}
			d = lk.dinv(e, m)
			v = lk.variance(m)
		}
		if w[r] != 0 && lk.binary && (m < 1e-10 || m > 1-1e-10) {
			boundary = true
		}
		zr, wr := e+(y[r]-m)/d, w[r]*d*d/v
		chk += zr*0 + wr*0
		mu[r], z[r], ww[r] = m, zr, wr
	}
	return boundary, chk != 0
}

// estfunRows writes the scalars s_i = w_i (y_i − μ_i) μ'(η_i)/V(μ_i) of the estimating
// functions (estfun.go) for a block of rows and returns the block's deviance
// Σ w_i d(y_i, μ_i). For the logit link and y_i ∈ {0, 1}, d = −2 log q_i with q_i the
// fitted probability of the observed outcome, 1/(1+t) or t/(1+t) with
// ex = t = exp(−|η_i|): −log q_i = log(1+t), plus |η_i| when the outcome is the less
// likely one (no cancellation in 1 − μ_i); the logarithms are taken four at a time
// in buf.
func (g *GLM) estfunRows(eta, ex, w, y, mu, resid, buf []float64) float64 {
	lk := g.lk
	if ex != nil { // logit: d = V(μ) unless V(μ) < ε (logitWork)
		for r, m := range mu {
			resid[r] = w[r] * (y[r] - m)
			if v := m * (1 - m); v < epsMu {
				resid[r] *= epsMu / v
			}
		}
	} else {
		for r, m := range mu {
			resid[r] = w[r] * (y[r] - m) * lk.dinv(eta[r], m) / lk.variance(m)
		}
	}
	dev := 0.0
	if ex == nil {
		for r, m := range mu {
			if w[r] != 0 {
				dev += w[r] * lk.dev(y[r], m)
			}
		}
		return dev
	}
	l := buf[:len(eta)]
	for r, t := range ex {
		l[r] = 1 + t
	}
	logs(l, l)
	for r, e := range eta {
		switch {
		case w[r] == 0:
		case y[r] == 0 || y[r] == 1:
			if (y[r] == 1) != (e >= 0) {
				l[r] += math.Abs(e)
			}
			dev += 2 * w[r] * l[r]
		default: // a proportion
			dev += w[r] * lk.dev(y[r], mu[r])
		}
	}
	return dev
}

// modelCol is a model-matrix column over the complete rows: numeric values x (read
// only: without missing rows a plain numeric column is the frame's own slice), or,
// with x nil, the intercept (codes nil) or the indicator codes[r] == level of a
// factor level, which pass expands a block at a time instead of keeping n floats.
type modelCol struct {
	x     []float64
	codes []int32
	level int32
	n     int
}

// ones is the intercept's block of passBlock rows (read only).
var ones = func() []float64 {
	v := make([]float64, passBlock)
	for r := range v {
		v[r] = 1
	}
	return v
}()

// block returns the column's rows lo..hi, written to buf (of length hi − lo) unless
// the column holds its values.
func (c modelCol) block(lo, hi int, buf []float64) []float64 {
	switch {
	case c.x != nil:
		return c.x[lo:hi]
	case c.codes == nil:
		if hi-lo <= len(ones) {
			return ones[:hi-lo]
		}
		buf = buf[:hi-lo]
		for r := range buf {
			buf[r] = 1
		}
	default:
		buf = buf[:hi-lo]
		indicator(buf, c.codes[lo:hi], c.level)
	}
	return buf
}

// indicatorGo is indicator in Go, without a branch per row.
func indicatorGo(dst []float64, codes []int32, level int32) {
	codes = codes[:len(dst)]
	for r, k := range codes {
		d := int64(k ^ level) // 0 on the level
		ne := uint64((d | -d) >> 63)
		dst[r] = math.Float64frombits(^ne & 0x3ff0000000000000) // 1 or 0
	}
}

// values returns the whole column (a new slice for the intercept and factor levels).
func (c modelCol) values() []float64 {
	if c.x != nil {
		return c.x
	}
	return c.block(0, c.n, make([]float64, c.n))
}

// full reports whether every frame row is complete.
func (m *modelSpec) full() bool { return len(m.rows) == len(m.vars[0].num) }

// gather returns a frame column's values on the complete rows: v itself (read only)
// when every row is complete.
func (m *modelSpec) gather(v []float64) []float64 {
	if m.full() {
		return v
	}
	out := make([]float64, len(m.rows))
	for r, i := range m.rows {
		out[r] = v[i]
	}
	return out
}

// spread is the reverse of gather: values on the complete rows spread over the frame's
// rows, NaN on the others (v itself when every row is complete).
func (m *modelSpec) spread(v []float64) []float64 {
	if m.full() {
		return v
	}
	out := make([]float64, len(m.vars[0].num))
	for i := range out {
		out[i] = math.NaN()
	}
	for r, i := range m.rows {
		out[i] = v[r]
	}
	return out
}

// columns returns the model-matrix columns over the complete rows (the columns of
// matrix) and the response. Without missing rows, a plain numeric column and the
// response are the frame's own slices, not copies: read only.
func (m *modelSpec) columns() (cols []modelCol, y []float64) {
	n := len(m.rows)
	full := m.full()
	gather := m.gather
	codes := map[int][]int32{} // factor codes over the complete rows, by variable
	y = gather(m.vars[0].num)
	cols = make([]modelCol, len(m.cols))
	for j, parts := range m.cols {
		switch {
		case len(parts) == 0: // the intercept
			cols[j] = modelCol{n: n}
			continue
		case len(parts) == 1 && parts[0].level < 0:
			cols[j] = modelCol{x: gather(m.vars[parts[0].v].num), n: n}
			continue
		case len(parts) == 1: // a factor level's indicator
			v := parts[0].v
			cs, ok := codes[v]
			if !ok {
				cs = m.vars[v].codes
				if !full {
					cs = make([]int32, n)
					for r, i := range m.rows {
						cs[r] = m.vars[v].codes[i]
					}
				}
				codes[v] = cs
			}
			cols[j] = modelCol{codes: cs, level: parts[0].level, n: n}
			continue
		}
		c := make([]float64, n)
		cols[j] = modelCol{x: c, n: n}
		parallelRows(n, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				i := m.rows[r]
				v := 1.0
				for _, pt := range parts {
					mv := m.vars[pt.v]
					if pt.level < 0 {
						v *= mv.num[i]
					} else if mv.codes[i] != pt.level {
						v = 0
						break
					}
				}
				c[r] = v
			}
		})
	}
	return cols, y
}

func (g *GLM) separationError(beta, prev []float64) error {
	names := g.moving(beta, prev)
	return fmt.Errorf("%w: fitted probabilities numerically 0 or 1; the outcome is (nearly) perfectly predicted by %s",
		ErrSeparation, strings.Join(names, ", "))
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

// invert returns A⁻¹ for the symmetric XᵀWX, or names the columns that are linear
// combinations of earlier ones (a pivot below 1e-10 of its diagonal in a Cholesky
// factorisation of the scaled matrix).
func (g *GLM) invert(a *mat.SymDense) (*mat.SymDense, error) {
	p := a.SymmetricDim()
	s := make([]float64, p)
	for j := range s {
		s[j] = 1
		if v := a.At(j, j); v > 0 {
			s[j] = 1 / math.Sqrt(v)
		}
	}
	sc := mat.NewSymDense(p, nil)
	for j := 0; j < p; j++ {
		for k := 0; k <= j; k++ {
			sc.SetSym(j, k, a.At(j, k)*s[j]*s[k])
		}
	}
	if bad := aliased(sc); len(bad) > 0 {
		names := make([]string, len(bad))
		for k, j := range bad {
			names[k] = g.m.names[j]
		}
		return nil, fmt.Errorf("%w: %s %s a linear combination of the other columns (or has no variation among rows with weight); drop it",
			ErrCollinear, strings.Join(names, ", "), map[bool]string{true: "is", false: "are"}[len(names) == 1])
	}
	var ch mat.Cholesky
	if !ch.Factorize(sc) {
		return nil, fmt.Errorf("%w: the cross-product matrix is not positive definite", ErrCollinear)
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCollinear, err)
	}
	for j := 0; j < p; j++ {
		for k := 0; k <= j; k++ {
			inv.SetSym(j, k, inv.At(j, k)*s[j]*s[k])
		}
	}
	return &inv, nil
}

// aliased runs a Cholesky factorisation column by column and returns the columns
// whose pivot (the part not explained by earlier columns) is numerically zero.
func aliased(a *mat.SymDense) []int {
	p := a.SymmetricDim()
	l := make([]float64, p*p)
	var bad []int
	for j := 0; j < p; j++ {
		d := a.At(j, j)
		for k := 0; k < j; k++ {
			d -= l[j*p+k] * l[j*p+k]
		}
		if !(d > 1e-10) {
			bad = append(bad, j)
			continue // the column's row of L stays zero
		}
		ljj := math.Sqrt(d)
		l[j*p+j] = ljj
		for i := j + 1; i < p; i++ {
			v := a.At(i, j)
			for k := 0; k < j; k++ {
				v -= l[i*p+k] * l[j*p+k]
			}
			l[i*p+j] = v / ljj
		}
	}
	return bad
}

// accumulate adds XᵀWX (lower triangle, row major p×p) and XᵀWz to acc for the rows of
// x (row major, p columns), four rows at a time so that each accumulator cell is
// loaded and stored once per four products.
func accumulate(acc, x []float64, p int, w, z []float64) {
	n := len(w)
	r := 0
	for ; r+4 <= n; r += 4 {
		x0, x1 := x[r*p:(r+1)*p], x[(r+1)*p:(r+2)*p]
		x2, x3 := x[(r+2)*p:(r+3)*p], x[(r+3)*p:(r+4)*p]
		w0, w1, w2, w3 := w[r], w[r+1], w[r+2], w[r+3]
		for j := 0; j < p; j++ {
			v0, v1, v2, v3 := w0*x0[j], w1*x1[j], w2*x2[j], w3*x3[j]
			if v0 == 0 && v1 == 0 && v2 == 0 && v3 == 0 {
				continue // a factor level none of the four rows has
			}
			a := acc[j*p : j*p+j+1]
			y0, y1, y2, y3 := x0[:len(a)], x1[:len(a)], x2[:len(a)], x3[:len(a)]
			for k := range a {
				a[k] += v0*y0[k] + v1*y1[k] + v2*y2[k] + v3*y3[k]
			}
			acc[p*p+j] += v0*z[r] + v1*z[r+1] + v2*z[r+2] + v3*z[r+3]
		}
	}
	for ; r < n; r++ {
		row := x[r*p : (r+1)*p]
		for j, xj := range row {
			v := w[r] * xj
			a := acc[j*p : j*p+j+1]
			for k, xk := range row[:len(a)] {
				a[k] += v * xk
			}
			acc[p*p+j] += v * z[r]
		}
	}
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
