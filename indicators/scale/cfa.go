package scale

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// ErrNotConverged is wrapped when a CFA does not converge.
var ErrNotConverged = errors.New("did not converge")

// ErrHeywood is wrapped when a fitted residual (or factor) variance is negative.
var ErrHeywood = errors.New("negative variance (Heywood case)")

// Fit is a model's fit, as lavaan's fitMeasures (package doc).
type Fit struct {
	ChiSq  float64 `json:"chisq"`
	DF     float64 `json:"df"`
	PValue float64 `json:"pvalue"` // NaN when df = 0
	CFI    float64 `json:"cfi"`
	TLI    float64 `json:"tli"`
	RMSEA  float64 `json:"rmsea"`
	SRMR   float64 `json:"srmr"`
	// NPar is the number of free parameters, N the number of respondents fitted.
	NPar int     `json:"npar"`
	N    int     `json:"n"`
	FMin float64 `json:"-"`
	// Iterations of Fisher scoring.
	Iterations int `json:"-"`
}

// GroupEstimates are one group's parameter estimates, per item.
type GroupEstimates struct {
	Group      string    `json:"group"`
	N          int       `json:"n"`
	Loadings   []float64 `json:"loadings"`
	Residuals  []float64 `json:"residuals"`
	Intercepts []float64 `json:"intercepts,omitempty"`
	FactorVar  float64   `json:"factor_var"`
	FactorMean float64   `json:"factor_mean"`
}

// OmegaResult is the one-factor CFA of a group and its omega total.
type OmegaResult struct {
	Total     float64   `json:"total"`
	N         int       `json:"n"`
	Items     []string  `json:"items"`
	Loadings  []float64 `json:"loadings"`
	Residuals []float64 `json:"residuals"`
	Fit       Fit       `json:"fit"`
}

// group parameter layout: λ (k), θ (k), ν (k), ψ, κ.
func qOf(k int) int { return 3*k + 2 }

type groupData struct {
	name    string
	n       float64
	mean    []float64
	cov     []float64 // divisor n
	logDetS float64
}

func newGroupData(m *Moments, items []string) (*groupData, error) {
	n, mean, cov := m.Complete()
	k := m.k
	if n <= float64(k) {
		return nil, fmt.Errorf("group %s: %v complete case(s) for %d items: %w to fit a factor model", m.Group, n, k, ErrTooFew)
	}
	if err := m.checkVariance(cov); err != nil {
		return nil, err
	}
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(k, append([]float64(nil), cov...))) {
		return nil, fmt.Errorf("group %s: the items' covariance matrix is singular (an item is a linear combination of others)", m.Group)
	}
	return &groupData{name: m.Group, n: n, mean: mean, cov: cov, logDetS: ch.LogDet()}, nil
}

// model is a (multi-group) one-factor model: for each group, each parameter of the
// layout above is free (index ≥ 0 into the parameter vector) or fixed.
type model struct {
	k      int
	items  []string
	data   []*groupData
	n      float64
	means  bool // mean structure (multi-group models)
	index  [][]int
	fixed  [][]float64
	npar   int
	name   string
	shared bool // loadings shared across groups (sign fixed globally)
}

func (md *model) groupParams(theta []float64, g int) []float64 {
	gp := make([]float64, qOf(md.k))
	for a, ix := range md.index[g] {
		if ix >= 0 {
			gp[a] = theta[ix]
		} else {
			gp[a] = md.fixed[g][a]
		}
	}
	return gp
}

// evalGroup is F_g at group parameters gp and, when deriv, its gradient and expected
// information (q×q, row major) with respect to gp (package doc; the derivatives of
// Σ = ψλλᵀ + Θ and μ = ν + κλ in closed form).
func (md *model) evalGroup(gp []float64, d *groupData, deriv bool) (f float64, grad, info []float64) {
	k := md.k
	lam, th, nu := gp[:k], gp[k:2*k], gp[2*k:3*k]
	psi, kap := gp[3*k], gp[3*k+1]
	sig := make([]float64, k*k)
	for a := range k {
		for b := range k {
			sig[a*k+b] = psi * lam[a] * lam[b]
		}
		sig[a*k+a] += th[a]
	}
	l, logDet, ok := cholesky(sig, k)
	if !ok {
		return math.Inf(1), nil, nil
	}
	p := cholInverse(l, k)
	dm := make([]float64, k) // m − μ
	for a := range k {
		dm[a] = d.mean[a] - nu[a] - kap*lam[a]
	}
	pd := matVec(p, dm, k)
	trSP, dPd := 0.0, 0.0
	for a := range k {
		dPd += dm[a] * pd[a]
		for b := range k {
			trSP += d.cov[a*k+b] * p[b*k+a]
		}
	}
	f = logDet + trSP - d.logDetS - float64(k) + dPd
	if !deriv {
		return f, nil, nil
	}
	// G = P − P S P − (Pd)(Pd)ᵀ
	ps := matMul(p, d.cov, k)
	psp := matMul(ps, p, k)
	gm := make([]float64, k*k)
	for a := range k {
		for b := range k {
			gm[a*k+b] = p[a*k+b] - psp[a*k+b] - pd[a]*pd[b]
		}
	}
	q := qOf(k)
	grad = make([]float64, q)
	glam := matVec(gm, lam, k)
	lgl, lpd := 0.0, 0.0
	for a := range k {
		grad[a] = 2*psi*glam[a] - 2*kap*pd[a]
		grad[k+a] = gm[a*k+a]
		grad[2*k+a] = -2 * pd[a]
		lgl += lam[a] * glam[a]
		lpd += lam[a] * pd[a]
	}
	grad[3*k] = lgl
	grad[3*k+1] = -2 * lpd
	av := matVec(p, lam, k) // a = Pλ
	c := 0.0
	for a := range k {
		c += lam[a] * av[a]
	}
	info = make([]float64, q*q)
	set := func(i, j int, v float64) { info[i*q+j] += v; info[j*q+i] += v }
	il, it, in, ipsi, ikap := 0, k, 2*k, 3*k, 3*k+1
	for i := range k {
		for j := 0; j <= i; j++ {
			pij := p[i*k+j]
			h := psi*psi*(2*av[i]*av[j]+2*c*pij) + 2*kap*kap*pij
			hth := pij * pij
			hnu := 2 * pij
			if i == j {
				info[(il+i)*q+il+i] += h
				info[(it+i)*q+it+i] += hth
				info[(in+i)*q+in+i] += hnu
			} else {
				set(il+i, il+j, h)
				set(it+i, it+j, hth)
				set(in+i, in+j, hnu)
			}
		}
		for j := range k {
			pij := p[i*k+j]
			set(il+i, it+j, 2*psi*av[j]*pij)
			set(il+i, in+j, 2*kap*pij)
		}
		set(il+i, ipsi, 2*psi*c*av[i])
		set(il+i, ikap, 2*kap*av[i])
		set(it+i, ipsi, av[i]*av[i])
		set(in+i, ikap, 2*av[i])
	}
	info[ipsi*q+ipsi] = c * c
	info[ikap*q+ikap] = 2 * c
	return f, grad, info
}

func matVec(m, v []float64, k int) []float64 {
	out := make([]float64, k)
	for a := range k {
		s := 0.0
		for b := range k {
			s += m[a*k+b] * v[b]
		}
		out[a] = s
	}
	return out
}

func matMul(x, y []float64, k int) []float64 {
	out := make([]float64, k*k)
	for a := range k {
		for l := range k {
			xa := x[a*k+l]
			for b := range k {
				out[a*k+b] += xa * y[l*k+b]
			}
		}
	}
	return out
}

// eval is F = Σ_g (N_g/N) F_g and, when deriv, its gradient and expected information
// in the free parameters.
func (md *model) eval(theta []float64, deriv bool) (f float64, grad, info []float64) {
	q := qOf(md.k)
	if deriv {
		grad = make([]float64, md.npar)
		info = make([]float64, md.npar*md.npar)
	}
	for g, d := range md.data {
		wg := d.n / md.n
		fg, gg, hg := md.evalGroup(md.groupParams(theta, g), d, deriv)
		if math.IsInf(fg, 1) {
			return fg, nil, nil
		}
		f += wg * fg
		if !deriv {
			continue
		}
		ix := md.index[g]
		for a := range q {
			ia := ix[a]
			if ia < 0 {
				continue
			}
			grad[ia] += wg * gg[a]
			for b := range q {
				if ib := ix[b]; ib >= 0 {
					info[ia*md.npar+ib] += wg * hg[a*q+b]
				}
			}
		}
	}
	return f, grad, info
}

// solution is a fitted model.
type solution struct {
	md    *model
	theta []float64
	f     float64
	iter  int
}

const (
	maxIter           = 1000
	decrementTol      = 1e-22 // g'I⁻¹g at convergence: parameters to about 1e-11
	fullStepDecrement = 1e-8
)

// fit minimises F by Fisher scoring with step halving from start.
func (md *model) fit(start []float64) (*solution, error) {
	theta := append([]float64(nil), start...)
	f, grad, info := md.eval(theta, true)
	if math.IsInf(f, 1) {
		return nil, fmt.Errorf("%s: the starting values give a covariance matrix that is not positive definite", md.name)
	}
	for iter := 1; iter <= maxIter; iter++ {
		step, ok := solveSym(info, grad, md.npar)
		if !ok {
			return nil, fmt.Errorf("%s: the information matrix is singular at iteration %d (the model is not identified)", md.name, iter)
		}
		dec := 0.0
		for a := range step {
			step[a] = -step[a]
			dec -= grad[a] * step[a]
		}
		if dec < decrementTol {
			md.fixSign(theta)
			return &solution{md: md, theta: theta, f: f, iter: iter}, nil
		}
		next := make([]float64, md.npar)
		if dec < fullStepDecrement { // near the optimum: Fisher scoring's full step, as F's rounding noise hides its decrease
			for a := range theta {
				next[a] = theta[a] + step[a]
			}
		} else if !md.lineSearch(theta, step, next, f, dec) {
			return nil, fmt.Errorf("%s: %w: no step lowers the fit function at iteration %d", md.name, ErrNotConverged, iter)
		}
		theta, next = next, theta
		f, grad, info = md.eval(theta, true)
	}
	return nil, fmt.Errorf("%s: %w in %d iterations", md.name, ErrNotConverged, maxIter)
}

// lineSearch halves the step until F decreases enough (Armijo), writing the new point
// into next.
func (md *model) lineSearch(theta, step, next []float64, f, dec float64) bool {
	t := 1.0
	for range 60 {
		for a := range theta {
			next[a] = theta[a] + t*step[a]
		}
		if fn, _, _ := md.eval(next, false); fn <= f-1e-4*t*dec {
			return true
		}
		t /= 2
	}
	return false
}

// solveSym solves the symmetric positive definite system A x = b.
func solveSym(a, b []float64, n int) ([]float64, bool) {
	l, _, ok := cholesky(a, n)
	if !ok {
		return nil, false
	}
	x := slices.Clone(b)
	for i := range n { // L y = b
		for j := range i {
			x[i] -= l[i*n+j] * x[j]
		}
		x[i] /= l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- { // Lᵀ x = y
		for j := i + 1; j < n; j++ {
			x[i] -= l[j*n+i] * x[j]
		}
		x[i] /= l[i*n+i]
	}
	return x, true
}

// cholesky is the lower-triangular L with A = L Lᵀ of the symmetric n×n matrix a
// (row major; its lower triangle is read) and log det A = 2 Σ log L_ii, or false when
// A is not numerically positive definite. The small systems of a one-factor model
// (one row and column per item) are factored here rather than by mat.Cholesky, whose
// condition estimate per factorisation cost more than the fit itself.
func cholesky(a []float64, n int) (l []float64, logDet float64, ok bool) {
	l = make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			v := a[i*n+j]
			for m := range j {
				v -= l[i*n+m] * l[j*n+m]
			}
			if i == j {
				if !(v > 0) || math.IsInf(v, 0) {
					return nil, 0, false
				}
				l[i*n+i] = math.Sqrt(v)
				logDet += math.Log(v)
				continue
			}
			l[i*n+j] = v / l[j*n+j]
		}
	}
	return l, logDet, true
}

// cholInverse is A⁻¹ (n×n, row major) from A's Cholesky factor l: L⁻¹ by forward
// substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
func cholInverse(l []float64, n int) []float64 {
	li := make([]float64, n*n)
	for j := range n {
		li[j*n+j] = 1 / l[j*n+j]
		for i := j + 1; i < n; i++ {
			v := 0.0
			for m := j; m < i; m++ {
				v -= l[i*n+m] * li[m*n+j]
			}
			li[i*n+j] = v / l[i*n+i]
		}
	}
	inv := make([]float64, n*n)
	for a := range n {
		for b := 0; b <= a; b++ {
			v := 0.0
			for m := a; m < n; m++ {
				v += li[m*n+a] * li[m*n+b]
			}
			inv[a*n+b], inv[b*n+a] = v, v
		}
	}
	return inv
}

// fixSign makes the loadings sum positive (with std.lv the model cannot tell λ from
// −λ): per group, or over all groups when loadings are shared; factor means flip with
// them.
func (md *model) fixSign(theta []float64) {
	k := md.k
	flip := func(groups []int) {
		done := map[int]bool{}
		for _, g := range groups {
			for a, ix := range md.index[g] {
				if ix >= 0 && !done[ix] && (a < k || a == 3*k+1) {
					theta[ix] = -theta[ix]
					done[ix] = true
				}
			}
		}
	}
	sumLam := func(g int) float64 {
		s := 0.0
		gp := md.groupParams(theta, g)
		for _, l := range gp[:k] {
			s += l
		}
		return s
	}
	if md.shared {
		if sumLam(0) < 0 {
			all := make([]int, len(md.data))
			for g := range all {
				all[g] = g
			}
			flip(all)
		}
		return
	}
	for g := range md.data {
		if sumLam(g) < 0 {
			flip([]int{g})
		}
	}
}

// check refuses a solution with a negative residual or factor variance.
func (s *solution) check() error {
	k := s.md.k
	for g := range s.md.data {
		gp := s.md.groupParams(s.theta, g)
		for j := range k {
			if gp[k+j] < 0 {
				return fmt.Errorf("%s: group %s: item %s: residual variance %.4g: %w", s.md.name, s.md.data[g].name, s.md.items[j], gp[k+j], ErrHeywood)
			}
		}
		if gp[3*k] < 0 {
			return fmt.Errorf("%s: group %s: factor variance %.4g: %w", s.md.name, s.md.data[g].name, gp[3*k], ErrHeywood)
		}
	}
	return nil
}

func (s *solution) estimates() []GroupEstimates {
	k := s.md.k
	out := make([]GroupEstimates, len(s.md.data))
	for g, d := range s.md.data {
		gp := s.md.groupParams(s.theta, g)
		e := GroupEstimates{Group: d.name, N: int(d.n), Loadings: gp[:k:k], Residuals: gp[k : 2*k : 2*k], FactorVar: gp[3*k], FactorMean: gp[3*k+1]}
		if s.md.means {
			e.Intercepts = gp[2*k : 3*k : 3*k]
		}
		out[g] = e
	}
	return out
}

// fitMeasures computes lavaan's fit measures of the solution (package doc).
func (s *solution) fitMeasures() Fit {
	md := s.md
	k := md.k
	G := float64(len(md.data))
	moments := float64(k * (k + 1) / 2)
	if md.means {
		moments += float64(k)
	}
	fit := Fit{NPar: md.npar, N: int(md.n), FMin: s.f, Iterations: s.iter}
	fit.ChiSq = max(md.n*s.f, 0) // F ≥ 0; a saturated model's rounding noise is 0
	fit.DF = G*moments - float64(md.npar)
	chiB, dfB := 0.0, G*float64(k*(k-1)/2)
	srmr := 0.0
	for g, d := range md.data {
		sumLog := 0.0
		for j := range k {
			sumLog += math.Log(d.cov[j*k+j])
		}
		chiB += d.n * (sumLog - d.logDetS)
		gp := md.groupParams(s.theta, g)
		lam, th, nu := gp[:k], gp[k:2*k], gp[2*k:3*k]
		ss, cnt := 0.0, 0.0
		for a := range k {
			for b := 0; b <= a; b++ {
				sig := gp[3*k] * lam[a] * lam[b]
				if a == b {
					sig += th[a]
				}
				r := (d.cov[a*k+b] - sig) / math.Sqrt(d.cov[a*k+a]*d.cov[b*k+b])
				ss += r * r
				cnt++
			}
			if md.means {
				r := (d.mean[a] - nu[a] - gp[3*k+1]*lam[a]) / math.Sqrt(d.cov[a*k+a])
				ss += r * r
				cnt++
			}
		}
		srmr += d.n / md.n * math.Sqrt(ss/cnt)
	}
	fit.SRMR = srmr
	chi, df := fit.ChiSq, fit.DF
	fit.PValue = math.NaN()
	if df > 0 {
		fit.PValue = distuv.ChiSquared{K: df}.Survival(chi)
	}
	t1 := math.Max(chi-df, 0)
	t2 := math.Max(math.Max(chi-df, chiB-dfB), 0)
	if t1 == 0 && t2 == 0 {
		fit.CFI = 1
	} else {
		fit.CFI = 1 - t1/t2
	}
	switch {
	case df > 0 && dfB > 0:
		fit.TLI = (chiB/dfB - chi/df) / (chiB/dfB - 1)
	case df == 0:
		fit.TLI = 1
	default:
		fit.TLI = math.NaN()
	}
	if df > 0 {
		fit.RMSEA = math.Sqrt(math.Max(chi/md.n/df-1/md.n, 0)) * math.Sqrt(G)
	}
	return fit
}

// startGroup gives starting values for one group's one-factor model from its sample
// moments: loadings 0.7·s_j with the sign of the item's correlations with the others,
// residual variances 0.51·s_j², intercepts the means.
func startGroup(d *groupData, k int) []float64 {
	gp := make([]float64, qOf(k))
	for j := range k {
		sj := math.Sqrt(d.cov[j*k+j])
		r := 0.0
		for l := range k {
			if l != j {
				r += d.cov[j*k+l] / (sj * math.Sqrt(d.cov[l*k+l]))
			}
		}
		sign := 1.0
		if r < 0 {
			sign = -1
		}
		gp[j] = sign * 0.7 * sj
		gp[k+j] = 0.51 * sj * sj
		gp[2*k+j] = d.mean[j]
	}
	gp[3*k] = 1
	return gp
}

// startFrom maps per-group parameter values onto md's free parameters: each free
// parameter starts at the mean of the group values it stands for.
func (md *model) startFrom(gps [][]float64) []float64 {
	theta := make([]float64, md.npar)
	cnt := make([]float64, md.npar)
	for g, ix := range md.index {
		for a, i := range ix {
			if i >= 0 {
				theta[i] += gps[g][a]
				cnt[i]++
			}
		}
	}
	for i := range theta {
		theta[i] /= cnt[i]
	}
	return theta
}

// singleModel is the one-factor model of one group without a mean structure (lavaan's
// single-group default): loadings and residual variances free, ψ = 1, ν = m.
func singleModel(d *groupData, items []string, name string) *model {
	k := len(items)
	md := &model{k: k, items: items, data: []*groupData{d}, n: d.n, name: name}
	ix := make([]int, qOf(k))
	fx := make([]float64, qOf(k))
	for a := range ix {
		ix[a] = -1
	}
	for j := range 2 * k {
		ix[j] = j
	}
	copy(fx[2*k:3*k], d.mean)
	fx[3*k] = 1
	md.index, md.fixed, md.npar = [][]int{ix}, [][]float64{fx}, 2*k
	return md
}

// OmegaOf fits the one-factor CFA (lavaan cfa(…, std.lv = TRUE), listwise complete
// cases) of the group and returns omega total, the estimates and the fit.
func OmegaOf(m *Moments) (*OmegaResult, error) {
	d, err := newGroupData(m, m.Items)
	if err != nil {
		return nil, err
	}
	md := singleModel(d, m.Items, "one-factor model")
	sol, err := md.fit(md.startFrom([][]float64{startGroup(d, m.k)}))
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", m.Group, err)
	}
	if err := sol.check(); err != nil {
		return nil, err
	}
	k := m.k
	res := &OmegaResult{N: int(d.n), Items: m.Items, Loadings: sol.theta[:k:k], Residuals: sol.theta[k : 2*k : 2*k], Fit: sol.fitMeasures()}
	sl, st := 0.0, 0.0
	for j := range k {
		sl += res.Loadings[j]
		st += res.Residuals[j]
	}
	res.Total = sl * sl / (sl*sl + st)
	return res, nil
}

// Omega is OmegaOf on plain columns (items[j][i], NaN missing).
func Omega(names []string, items [][]float64) (*OmegaResult, error) {
	ms, err := Accumulate(names, items, nil, nil, 1)
	if err != nil {
		return nil, err
	}
	return OmegaOf(ms[0])
}
