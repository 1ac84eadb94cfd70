package survey

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// CalMethod is a calibration method.
type CalMethod string

const (
	// PostStratify scales the weights in each level of one variable to its population
	// count (R's postStratify).
	PostStratify CalMethod = "poststratify"
	// Rake post-stratifies on each variable in turn until the margins agree (iterative
	// proportional fitting, Deming & Stephan 1940; R's rake).
	Rake CalMethod = "rake"
	// Linear is GREG calibration with the linear distance, g = 1 + xᵀλ, optionally
	// truncated to bounds (Deville & Särndal 1992; R's calibrate(calfun="linear")).
	Linear CalMethod = "linear"
	// Logit is calibration with the logit distance, g within (lower, upper) (Deville &
	// Särndal 1992, case 6; R's calibrate(calfun="logit")).
	Logit CalMethod = "logit"
)

// Margin is a known population total: the number of population units with Level of
// Variable, or, with Level "", the population total of the numeric Variable.
type Margin struct {
	Variable string
	Level    string
	Total    float64
}

// CalOptions configure Design.Calibrate.
type CalOptions struct {
	Method  CalMethod
	Margins []Margin
	// Lower and Upper bound the ratio of calibrated to original weights (R's bounds);
	// both 0 means unbounded. Logit needs finite bounds with Lower < 1 < Upper.
	Lower, Upper float64
	// MaxIter bounds the iterations (default 50 for linear and logit, as calibrate;
	// 100 for rake).
	MaxIter int
	// Tol is the convergence tolerance: for rake the largest change of a weighted
	// count in the cross-classification of the margin variables between sweeps,
	// relative to the total weight when below 1 (R's rake epsilon; default 1e-10); for
	// linear and logit the largest |misfit|/(1 + |total|) (calibrate's epsilon;
	// default 1e-10).
	Tol float64
}

// CalReport describes a calibration that succeeded.
type CalReport struct {
	Method     CalMethod
	Iterations int
	// GMin and GMax are the smallest and largest ratio of new to old weight.
	GMin, GMax float64
}

// ErrCalibration is wrapped by every calibration failure.
var ErrCalibration = errors.New("calibration failed")

// calStep is one calibration applied to a design; residuals replaces the influence
// matrix x (n×p, row major, weights included) by its residuals on the calibration.
type calStep interface {
	residuals(x []float64, p int)
}

// calResiduals applies the design's calibrations in order to a copy of x (x itself
// when there are none), as svyrecvar does with design$postStrata.
func (d *Design) calResiduals(x []float64, p int) []float64 {
	if len(d.cal) == 0 {
		return x
	}
	x = append([]float64(nil), x...)
	for _, c := range d.cal {
		c.residuals(x, p)
	}
	return x
}

// Calibrate returns the design with weights calibrated to the population margins, as
// R's postStratify, rake and calibrate. Linearisation variances of the new design use
// the residuals of every influence function on the calibration (Deville & Särndal
// 1992; Lumley 2010, ch. 7), exactly as svyrecvar does: post-stratum means removed,
// raking margins removed by ten sweeps, GREG regression residuals. A replicate design
// has each replicate's weights calibrated in the same way (and rake runs as many sweeps
// on every replicate as the full sample needed), so variances need nothing more.
func (d *Design) Calibrate(opt CalOptions) (*Design, *CalReport, error) {
	nd, rep, err := d.calibrate(opt)
	if err != nil {
		return nil, nil, fmt.Errorf("calibrate (%s): %w", opt.Method, err)
	}
	return nd, rep, nil
}

// calVar is one margin variable: a factor's level codes (reference first, in sorted
// order) with their population counts, or a numeric column with its total.
type calVar struct {
	name   string
	codes  []int32
	levels []string
	totals []float64
	num    []float64
	total  float64
}

func (d *Design) calibrate(opt CalOptions) (*Design, *CalReport, error) {
	vars, err := d.calVars(opt)
	if err != nil {
		return nil, nil, err
	}
	if opt.Lower == 0 && opt.Upper == 0 {
		opt.Lower, opt.Upper = math.Inf(-1), math.Inf(1)
	}
	if !(opt.Lower < 1 && opt.Upper > 1) {
		return nil, nil, fmt.Errorf("bounds %v..%v: want lower < 1 < upper", opt.Lower, opt.Upper)
	}
	if opt.Tol == 0 {
		opt.Tol = 1e-10
	}
	var run func(w []float64, sweeps int) ([]float64, calStep, int, error)
	switch opt.Method {
	case PostStratify:
		if len(vars) != 1 || vars[0].num != nil {
			return nil, nil, errors.New("post-stratification takes the levels of one variable; use rake or linear for several")
		}
		v := vars[0]
		run = func(w []float64, _ int) ([]float64, calStep, int, error) {
			nw, st, err := postStratify(w, v)
			return nw, st, 1, err
		}
	case Rake:
		for _, v := range vars {
			if v.num != nil {
				return nil, nil, fmt.Errorf("%s is numeric; raking takes categorical margins (use linear or logit)", v.name)
			}
		}
		if opt.MaxIter == 0 {
			opt.MaxIter = 100
		}
		run = func(w []float64, sweeps int) ([]float64, calStep, int, error) {
			return rake(w, vars, opt, sweeps)
		}
	case Linear, Logit:
		if opt.Method == Logit && (math.IsInf(opt.Lower, 0) || math.IsInf(opt.Upper, 0)) {
			return nil, nil, errors.New("logit calibration needs finite bounds, e.g. 0.5,2")
		}
		if opt.MaxIter == 0 {
			opt.MaxIter = 50
		}
		mm, pop := calMatrix(vars, d.n)
		run = func(w []float64, _ int) ([]float64, calStep, int, error) {
			return grake(mm, pop, w, opt)
		}
	default:
		return nil, nil, fmt.Errorf("method %q: want poststratify, rake, linear or logit", opt.Method)
	}
	w, step, iter, err := run(d.w, 0)
	if err != nil {
		return nil, nil, err
	}
	nd := *d
	nd.w = w
	rep := &CalReport{Method: opt.Method, Iterations: iter, GMin: math.Inf(1), GMax: math.Inf(-1)}
	for i, x := range w {
		if d.w[i] > 0 {
			g := x / d.w[i]
			rep.GMin, rep.GMax = math.Min(rep.GMin, g), math.Max(rep.GMax, g)
		}
	}
	if d.rep == nil {
		nd.cal = append(slices.Clip(d.cal), step)
		return &nd, rep, nil
	}
	rp := *d.rep
	rp.factors = nil
	rp.cols = make([][]float64, rp.r)
	wr := make([]float64, d.n)
	for r := range rp.cols {
		d.repWeights(r, wr)
		if rp.cols[r], _, _, err = run(wr, iter); err != nil {
			return nil, nil, fmt.Errorf("replicate %d: %w", r+1, err)
		}
	}
	rp.names = nil
	rp.buildPatterns(d.n)
	nd.rep = &rp
	sp := *d.spec.Replicates
	sp.Multipliers = false
	nd.spec.Replicates = &sp
	return &nd, rep, nil
}

// calVars matches the margins to the design's columns, refusing levels found on one
// side only, missing values, and margins whose population sizes disagree.
func (d *Design) calVars(opt CalOptions) ([]*calVar, error) {
	if len(opt.Margins) == 0 {
		return nil, errors.New("no margins given")
	}
	var vars []*calVar
	byName := map[string]*calVar{}
	given := map[string]map[string]float64{}
	for _, m := range opt.Margins {
		if math.IsNaN(m.Total) || math.IsInf(m.Total, 0) || (m.Level != "" && m.Total < 0) {
			return nil, fmt.Errorf("margin %s=%q: total %v is not a count", m.Variable, m.Level, m.Total)
		}
		v, ok := byName[m.Variable]
		if !ok {
			v = &calVar{name: m.Variable}
			byName[m.Variable] = v
			vars = append(vars, v)
			given[m.Variable] = map[string]float64{}
		}
		if _, dup := given[m.Variable][m.Level]; dup {
			return nil, fmt.Errorf("margin %s=%q given twice", m.Variable, m.Level)
		}
		given[m.Variable][m.Level] = m.Total
	}
	var sizes []string
	size := math.NaN()
	for _, v := range vars {
		g := given[v.name]
		if t, ok := g[""]; ok {
			if len(g) > 1 {
				return nil, fmt.Errorf("margin %s: a numeric total (empty level) and level counts; give one or the other", v.name)
			}
			x, err := d.frame.Float(v.name)
			if err != nil {
				return nil, fmt.Errorf("margin %s: %w", v.name, err)
			}
			if i := slices.IndexFunc(x, math.IsNaN); i >= 0 {
				return nil, fmt.Errorf("column %q, row %d: %w (calibration needs every row)", v.name, i+1, ErrMissing)
			}
			v.num, v.total = x, t
			continue
		}
		s, err := d.frame.Strings(v.name)
		if err != nil {
			return nil, fmt.Errorf("margin %s: %w", v.name, err)
		}
		c, levels := codes(s)
		if i := slices.Index(c, -1); i >= 0 {
			return nil, fmt.Errorf("column %q, row %d: %w (calibration needs every row)", v.name, i+1, ErrMissing)
		}
		count := make([]int, len(levels))
		for _, x := range c {
			count[x]++
		}
		var onlySample, onlyPop []string
		sum := 0.0
		for l, lev := range levels {
			t, ok := g[lev]
			if !ok {
				onlySample = append(onlySample, fmt.Sprintf("%q (%d rows)", lev, count[l]))
			}
			v.totals = append(v.totals, t)
			sum += t
		}
		for lev, t := range g {
			if !slices.Contains(levels, lev) && t > 0 {
				onlyPop = append(onlyPop, strconv.Quote(lev))
			}
		}
		slices.Sort(onlyPop)
		if len(onlySample) > 0 {
			return nil, fmt.Errorf("%s: level %s in the sample but not in the margins", v.name, strings.Join(onlySample, ", "))
		}
		if len(onlyPop) > 0 {
			return nil, fmt.Errorf("%s: level %s in the margins but not in the sample: no row can carry its total (merge it with another level)",
				v.name, strings.Join(onlyPop, ", "))
		}
		for l, t := range v.totals {
			if t == 0 {
				return nil, fmt.Errorf("%s: level %q has %d rows in the sample but population total 0", v.name, levels[l], count[l])
			}
		}
		v.codes, v.levels = c, levels
		sizes = append(sizes, fmt.Sprintf("%s %v", v.name, sum))
		if math.IsNaN(size) {
			size = sum
		} else if math.Abs(sum-size) > 1e-9*math.Max(sum, size) {
			return nil, fmt.Errorf("margins disagree on the population size: %s", strings.Join(sizes, ", "))
		}
	}
	return vars, nil
}

// postStratify is R's postStratify on one variable: w_i·N_h/Ŵ_h in level h.
func postStratify(w []float64, v *calVar) ([]float64, *postStep, error) {
	sum := make([]float64, len(v.levels))
	for i, c := range v.codes {
		sum[c] += w[i]
	}
	for c, t := range sum {
		if !(t > 0) {
			return nil, nil, fmt.Errorf("%w: %s: the rows with level %q have total weight %v", ErrCalibration, v.name, v.levels[c], t)
		}
	}
	nw := make([]float64, len(w))
	for i, c := range v.codes {
		nw[i] = w[i] * v.totals[c] / sum[c]
	}
	return nw, &postStep{codes: v.codes, k: len(v.levels), psw: nw, oldw: w}, nil
}

// postStep is the linearisation of post-stratification (svyrecvar):
//
//	x_i ← x_i − ψ_h(i)·w_i,  ψ_h = Σ_{j∈h} x_j·w⁰_j/w_j / Σ_{j∈h} w⁰_j,
//
// w⁰ the weights before and w after; with x = w·z this removes the post-stratum means
// of z (Lumley 2010, sec. 7.2).
type postStep struct {
	codes     []int32
	k         int
	psw, oldw []float64
}

func (s *postStep) residuals(x []float64, p int) {
	num := make([]float64, s.k*p)
	den := make([]float64, s.k)
	for i, h := range s.codes {
		w := s.psw[i]
		if w == 0 && s.oldw[i] == 0 {
			w = 1
		}
		den[h] += s.oldw[i]
		for j := 0; j < p; j++ {
			num[int(h)*p+j] += x[i*p+j] * s.oldw[i] / w
		}
	}
	for i, h := range s.codes {
		w := s.psw[i]
		if w == 0 && s.oldw[i] == 0 {
			w = 1
		}
		for j := 0; j < p; j++ {
			x[i*p+j] -= num[int(h)*p+j] / den[h] * w
		}
	}
}

// rake is R's rake: sweeps of post-stratification on each margin in turn until the
// weighted counts of the cross-classification of all margin variables change by less
// than the tolerance (relative to the total weight when below 1) between sweeps.
// With sweeps > 0 exactly that many sweeps run (replicates follow the full sample).
func rake(w []float64, vars []*calVar, opt CalOptions, sweeps int) ([]float64, calStep, int, error) {
	eps := opt.Tol
	if eps < 1 {
		total := 0.0
		for _, x := range w {
			total += x
		}
		eps *= total
	}
	cell, ncell := crossCodes(vars, len(w))
	table := func(w []float64) []float64 {
		t := make([]float64, ncell)
		for i, c := range cell {
			t[c] += w[i]
		}
		return t
	}
	old := table(w)
	cur := w
	step := &rakeStep{}
	delta := math.Inf(1)
	for iter := 0; ; iter++ {
		if sweeps > 0 && iter == sweeps || sweeps == 0 && iter == opt.MaxIter {
			if sweeps > 0 {
				return cur, step, iter, nil
			}
			return nil, nil, iter, fmt.Errorf("%w: raking did not converge in %d sweeps: counts still change by %.3g (tolerance %.3g); raise the iteration limit or check for conflicting margins",
				ErrCalibration, iter, delta, eps)
		}
		step.margins = step.margins[:0]
		for _, v := range vars {
			var ps *postStep
			var err error
			if cur, ps, err = postStratify(cur, v); err != nil {
				return nil, nil, iter, err
			}
			step.margins = append(step.margins, ps)
		}
		nt := table(cur)
		delta = 0
		for c := range nt {
			delta = math.Max(delta, math.Abs(nt[c]-old[c]))
		}
		if sweeps == 0 && delta < eps {
			return cur, step, iter + 1, nil
		}
		old = nt
	}
}

// crossCodes numbers the combinations of the variables' levels.
func crossCodes(vars []*calVar, n int) ([]int32, int) {
	cell := make([]int32, n)
	size := 1
	for _, v := range vars {
		for i, c := range v.codes {
			cell[i] = cell[i]*int32(len(v.levels)) + c
		}
		size *= len(v.levels)
	}
	return cell, size
}

// rakeStep is svyrecvar's linearisation of raking: ten sweeps of
// x ← x − w·ave(x/w) over the levels of each margin, w the weights after that margin's
// post-stratification in the final sweep and ave the unweighted mean in the level.
type rakeStep struct{ margins []*postStep }

func (s *rakeStep) residuals(x []float64, p int) {
	for range 10 {
		for _, m := range s.margins {
			sum := make([]float64, m.k*p)
			cnt := make([]float64, m.k)
			for i, h := range m.codes {
				cnt[h]++
				if m.psw[i] != 0 {
					for j := 0; j < p; j++ {
						sum[int(h)*p+j] += x[i*p+j] / m.psw[i]
					}
				}
			}
			for i, h := range m.codes {
				for j := 0; j < p; j++ {
					x[i*p+j] -= m.psw[i] * sum[int(h)*p+j] / cnt[h]
				}
			}
		}
	}
}

// calMatrix builds the calibration model matrix (row major) and the population
// totals: the intercept (the population size) when there is a categorical margin, the
// counts of every level but the first of each factor (treatment contrasts), and the
// totals of numeric variables, as model.matrix(~ a + b + x) in R's calibrate.
func calMatrix(vars []*calVar, n int) ([]float64, []float64) {
	var pop []float64
	type col struct {
		v     *calVar
		level int32
	}
	var cols []col
	for _, v := range vars {
		if v.num == nil && len(pop) == 0 {
			size := 0.0
			for _, t := range v.totals {
				size += t
			}
			pop = append(pop, size)
			cols = append([]col{{nil, -1}}, cols...)
		}
	}
	for _, v := range vars {
		if v.num != nil {
			cols = append(cols, col{v, -1})
			pop = append(pop, v.total)
			continue
		}
		for l := 1; l < len(v.levels); l++ {
			cols = append(cols, col{v, int32(l)})
			pop = append(pop, v.totals[l])
		}
	}
	q := len(cols)
	mm := make([]float64, n*q)
	for i := 0; i < n; i++ {
		for j, c := range cols {
			switch {
			case c.v == nil:
				mm[i*q+j] = 1
			case c.v.num != nil:
				mm[i*q+j] = c.v.num[i]
			case c.v.codes[i] == c.level:
				mm[i*q+j] = 1
			}
		}
	}
	return mm, pop
}

// calDistance is a calibration distance's F(u) − 1 and F'(u) for g = F(xᵀλ) (R's
// calfun objects).
type calDistance struct {
	fm1, df func(u float64) float64
}

func distance(m CalMethod, lo, hi float64) calDistance {
	if m == Logit {
		a := (hi - lo) / ((hi - 1) * (1 - lo))
		return calDistance{
			fm1: func(u float64) float64 {
				e := math.Exp(a * u)
				return (lo*(hi-1)+hi*(1-lo)*e)/(hi-1+(1-lo)*e) - 1
			},
			df: func(u float64) float64 {
				e := math.Exp(a * u)
				den := hi - 1 + (1-lo)*e
				return hi*(1-lo)*e*a/den - (lo*(hi-1)+hi*(1-lo)*e)*((1-lo)*e*a)/(den*den)
			},
		}
	}
	return calDistance{
		fm1: func(u float64) float64 { return math.Min(math.Max(u+1, lo), hi) - 1 },
		df: func(u float64) float64 {
			if u < hi-1 && u > lo-1 {
				return 1
			}
			return 0
		},
	}
}

// grake is R's grake: Newton iterations for λ solving Σ_i w_i F(x_iᵀλ) x_i = T_x,
//
//	λ ← λ + ginv(Σ w_i F'(x_iᵀλ) x_i x_iᵀ) (T_x − Σ w_i F(x_iᵀλ) x_i),
//
// halving steps that make g non-finite, until every |misfit|/(1 + |T|) < Tol. When
// every population total exceeds 20 times its sample estimate the weights are first
// rescaled by the mean ratio, as R does (bounds then apply to the rescaled weights).
func grake(mm, pop, w []float64, opt CalOptions) ([]float64, calStep, int, error) {
	q := len(pop)
	n := len(w)
	dist := distance(opt.Method, opt.Lower, opt.Upper)
	sample := make([]float64, q)
	for i := 0; i < n; i++ {
		for j := 0; j < q; j++ {
			sample[j] += w[i] * mm[i*q+j]
		}
	}
	scale := 1.0
	minRatio := math.Inf(1)
	for j := range pop {
		minRatio = math.Min(minRatio, pop[j]/sample[j])
	}
	ww := w
	if minRatio > 20 {
		scale = 0
		for j := range pop {
			scale += pop[j] / sample[j] / float64(q)
		}
		ww = make([]float64, n)
		for i := range w {
			ww[i] = w[i] * scale
		}
		for j := range sample {
			sample[j] *= scale
		}
	}
	eta := make([]float64, q)
	xeta := make([]float64, n)
	g := make([]float64, n)
	update := func() bool {
		ok := true
		for i := 0; i < n; i++ {
			xeta[i] = dot(mm[i*q:(i+1)*q], eta)
			g[i] = 1 + dist.fm1(xeta[i])
			ok = ok && !math.IsNaN(g[i]) && !math.IsInf(g[i], 0) && !math.IsNaN(dist.df(xeta[i])) && !math.IsInf(dist.df(xeta[i]), 0)
		}
		return ok
	}
	misfit := func() ([]float64, float64) {
		mf := make([]float64, q)
		copy(mf, pop)
		for i := 0; i < n; i++ {
			f := ww[i] * (g[i] - 1)
			for j := 0; j < q; j++ {
				mf[j] -= ww[i] * mm[i*q+j]
				if f != 0 {
					mf[j] -= f * mm[i*q+j]
				}
			}
		}
		worst := 0.0
		for j := range mf {
			worst = math.Max(worst, math.Abs(mf[j])/(1+math.Abs(pop[j])))
		}
		return mf, worst
	}
	update()
	iter := 1
	for {
		mf, _ := misfit()
		deta := ginvSolve(weightedCross(mm, q, func(i int) float64 { return ww[i] * dist.df(xeta[i]) }), mf)
		for j := range eta {
			eta[j] += deta[j]
		}
		for ok := update(); !ok && iter < opt.MaxIter; ok = update() {
			iter++
			for j := range eta {
				deta[j] /= 2
				eta[j] -= deta[j]
			}
		}
		_, worst := misfit()
		if worst < opt.Tol {
			break
		}
		iter++
		if iter > opt.MaxIter {
			what := "did not converge"
			if !math.IsInf(opt.Lower, 0) || !math.IsInf(opt.Upper, 0) {
				what = fmt.Sprintf("cannot meet the margins within bounds %g..%g", opt.Lower, opt.Upper)
			}
			return nil, nil, iter, fmt.Errorf("%w: %s: after %d iterations a total still misses by %.3g of itself (tolerance %.3g); widen the bounds or check the margins",
				ErrCalibration, what, opt.MaxIter, worst, opt.Tol)
		}
	}
	nw := make([]float64, n)
	for i := range g {
		g[i] *= scale
		nw[i] = w[i] * g[i]
	}
	return nw, newGregStep(mm, q, w, g), iter, nil
}

// ginvSolve returns ginv(t)·b with MASS::ginv's tolerance: singular values below
// 256·ε times the largest count as zero.
func ginvSolve(t *mat.SymDense, b []float64) []float64 {
	q := len(b)
	var svd mat.SVD
	out := make([]float64, q)
	if !svd.Factorize(t, mat.SVDThin) {
		return out
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := 256 * 2.220446049250313e-16 * s[0]
	for k, sk := range s {
		if !(sk > tol) {
			continue
		}
		c := 0.0
		for a := 0; a < q; a++ {
			c += u.At(a, k) * b[a]
		}
		c /= sk
		for a := 0; a < q; a++ {
			out[a] += v.At(a, k) * c
		}
	}
	return out
}

// gregStep is svyrecvar's linearisation of GREG calibration (Deville & Särndal 1992;
// Särndal, Swensson & Wretman 1992, sec. 6.6): with w⁰ the weights before calibration,
// g the calibration factors and x_i the auxiliary variables,
//
//	x_i ← x_i − g_i w⁰_i x_iᵀB,  B = (Σ w⁰ x xᵀ)⁻¹ Σ_i x_i x_i/g_i,
//
// that is R's qr.resid(qr(mm·√w⁰), x/(g√w⁰))·g√w⁰ (a pseudo-inverse where the
// auxiliary variables are collinear, as the QR residuals are).
type gregStep struct {
	mm   []float64
	q    int
	w0   []float64
	g    []float64
	xtwx *mat.SymDense
}

func newGregStep(mm []float64, q int, w0, g []float64) *gregStep {
	a := weightedCross(mm, q, func(i int) float64 { return w0[i] })
	return &gregStep{mm: mm, q: q, w0: w0, g: slices.Clone(g), xtwx: a}
}

// weightedCross returns Σ_i w(i) x_i x_iᵀ for the rows of mm (row major, q columns),
// with the GLM's cross-product kernel.
func weightedCross(mm []float64, q int, w func(i int) float64) *mat.SymDense {
	n := len(mm) / q
	wv := make([]float64, n)
	for i := range wv {
		wv[i] = w(i)
	}
	acc := make([]float64, q*q+q)
	accumulate(acc, mm, q, wv, make([]float64, n))
	out := mat.NewSymDense(q, nil)
	for j := 0; j < q; j++ {
		for k := 0; k <= j; k++ {
			out.SetSym(j, k, acc[j*q+k])
		}
	}
	return out
}

func (s *gregStep) residuals(x []float64, p int) {
	q := s.q
	rhs := make([]float64, q*p) // column k at rhs[k*q:(k+1)*q]
	for i, g := range s.g {
		row := s.mm[i*q : (i+1)*q]
		for k := 0; k < p; k++ {
			v := x[i*p+k] / g
			for j := 0; j < q; j++ {
				rhs[k*q+j] += row[j] * v
			}
		}
	}
	b := make([]float64, q*p)
	for k := 0; k < p; k++ {
		copy(b[k*q:(k+1)*q], ginvSolve(s.xtwx, rhs[k*q:(k+1)*q]))
	}
	for i, g := range s.g {
		row := s.mm[i*q : (i+1)*q]
		f := g * s.w0[i]
		for k := 0; k < p; k++ {
			x[i*p+k] -= f * dot(row, b[k*q:(k+1)*q])
		}
	}
}

// Weights returns the design's sampling weights, calibrated ones after Calibrate. The
// slice is the design's own: do not change it.
func (d *Design) Weights() []float64 { return d.w }

// ReplicateWeights returns every replicate's analysis weights (nil for a linearisation
// design).
func (d *Design) ReplicateWeights() [][]float64 {
	if d.rep == nil {
		return nil
	}
	out := make([][]float64, d.rep.r)
	for r := range out {
		out[r] = make([]float64, d.n)
		d.repWeights(r, out[r])
	}
	return out
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
