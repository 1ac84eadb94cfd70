package survey

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// interceptFit is svyglm(y ~ 1, family = quasibinomial) in one domain as R's glm.fit
// leaves it: the coefficient β, the fitted μ and deviance when IRLS stopped, and the
// model-based variance (naive.cov) from the working weights of the last iteration.
type interceptFit struct {
	beta, mu, dev, naive float64
}

// glmStart holds the per-domain row sums of glm.fit's first IRLS iteration, which starts
// from a different μ in every row (binomial's mustart = (W y + 1/2)/(W + 1)): Σ w², Σ w² z
// with w² = W·μ.η²/V(μ), z = η + (y − μ)/μ.η, and the starting deviance.
type glmStart struct {
	sw2, sw2z, dev float64
}

// glmStarts computes glmStart for every domain; W_i = w_i·n/Σw are svyglm's rescaled
// prior weights (tot gives n and Σw per domain).
func (d *Design) glmStarts(y []float64, dom []int32, tot []Cell) []glmStart {
	out := make([]glmStart, len(tot))
	for i, dd := range dom {
		if dd < 0 || math.IsNaN(y[i]) {
			continue
		}
		t := &tot[dd]
		W := d.w[i] * d.modelRows(*t) / t.W
		yi := y[i]
		if W == 0 {
			continue // y[weights == 0] <- 0, and dev.resids are 0 with weight 0
		}
		eta := math.Log((W*yi + 0.5) / (W + 1) / (1 - (W*yi+0.5)/(W+1)))
		mu := logitLinkinv(eta)
		me := logitMuEta(eta)
		s := &out[dd]
		w2 := W * me * me / (mu * (1 - mu))
		s.sw2 += w2
		s.sw2z += w2 * (eta + (yi-mu)/me)
		s.dev += binomialDev(yi, mu, W)
	}
	return out
}

// binomialDev is binomial()$dev.resids for one row: 2W(y log(y/μ) + (1−y) log((1−y)/(1−μ))).
func binomialDev(y, mu, w float64) float64 {
	ylogy := func(y, mu float64) float64 {
		if y == 0 {
			return 0
		}
		return y * math.Log(y/mu)
	}
	return 2 * w * (ylogy(y, mu) + ylogy(1-y, 1-mu))
}

// fitIntercept runs glm.fit's IRLS for an intercept: the first step from the row sums
// st, later steps (μ now equal in every row) from the domain's n, Σw and Σwy, stopping
// as glm.fit does when |dev − dev_old|/(|dev| + 0.1) < 1e-8.
func fitIntercept(st glmStart, n, sw, a float64) interceptFit {
	c := n / sw
	dev := func(mu float64) float64 { return c * (binomialDev(1, mu, a) + binomialDev(0, mu, sw-a)) }
	beta := st.sw2z / st.sw2
	naive := 1 / st.sw2
	devold := st.dev
	mu := logitLinkinv(beta)
	d := dev(mu)
	p := a / sw
	for iter := 1; iter < 25 && math.Abs(d-devold)/(math.Abs(d)+0.1) >= 1e-8; iter++ {
		devold = d
		me := logitMuEta(beta)
		naive = 1 / (n * me * me / (mu * (1 - mu)))
		beta += (p - mu) / me
		mu = logitLinkinv(beta)
		d = dev(mu)
	}
	return interceptFit{beta: beta, mu: mu, dev: d, naive: naive}
}

// logitMuEta is R's binomial()$mu.eta: exp(η)/(1+exp(η))², ε beyond ±30.
func logitMuEta(eta float64) float64 {
	if eta > 30 || eta < -30 {
		return 2.220446049250313e-16
	}
	e := math.Exp(eta)
	return e / ((1 + e) * (1 + e))
}

// likelihoodCI is svyciprop(method="likelihood"): the interval of the intercept of the
// quasibinomial svyglm by profiling its deviance with the Rao–Scott rescaling of
// confint.svyglm(method="likelihood") (Lumley 2010, sec. 2.4.1; Rao & Scott 1984). With
// f the glm fit, s² = covU the design variance of β̂, λ = s²/naive (design over model
// variance), α = Φ(t_{df,(1−level)/2}·√λ)/2 and φ the dispersion of summary.svyglm —
// the design variance of svyglm's Pearson residuals (y−μ̂)/√(μ̂(1−μ̂)) over the nnz rows
// with non-zero weight — the profile
//
//	z(β) = sign(β−β̂)·√((D(β) − D(β̂))/φ),  D(β) = Σ binomial deviance residuals, weights W
//
// is evaluated as MASS's profile.glm does (steps of z_max/5·s, z_max² the upper α
// point of F(1, n−1), i.e. z_max = t_{n−1, 1−α/2}, up to 9 steps each way), interpolated by R's spline(method="fmm")
// and inverted by linear interpolation at ±Φ⁻¹(2α); the interval is expit of that.
func likelihoodCI(f interceptFit, covU float64, n, nnz, sw, a float64, df, level float64) (lo, hi float64) {
	mu := f.mu
	if !(a > 0 && a < sw) || !(covU > 0) || n < 2 {
		return math.NaN(), math.NaN()
	}
	c := n / sw // W_i = c·w_i
	lambda := covU / f.naive
	alpha := distuv.UnitNormal.CDF(qt((1-level)/2, df)*math.Sqrt(lambda)) / 2
	se := math.Sqrt(covU)
	m1 := (a - mu*sw) / sw             // Σw(y−μ)/Σw
	m2 := (a*(1-2*mu) + mu*mu*sw) / sw // Σw(y−μ)²/Σw
	disp := nnz / (nnz - 1) * (m2 - m1*m1) / (mu * (1 - mu))
	dev := func(b float64) float64 {
		m := logitLinkinv(b)
		return c * (binomialDev(1, m, a) + binomialDev(0, m, sw-a))
	}
	// zmax = √qf(α, 1, n−1, lower.tail = FALSE) = −qt(α/2, n−1): a large design effect
	// makes α tiny (1e-16), where 1 − α rounds and gonum's F quantile of it is wrong by
	// orders of magnitude; the t quantile of the lower tail is exact there.
	zmax := -qt(alpha/2, n-1)
	del := zmax / 5
	zs, bs := []float64{0}, []float64{f.beta}
	for _, sgn := range []float64{-1, 1} {
		z := 0.0
		for step := 1; step < 10 && math.Abs(z) < zmax; step++ {
			b := f.beta + sgn*float64(step)*del*se
			zz := math.Max((dev(b)-f.dev)/disp, 0)
			z = sgn * math.Sqrt(zz)
			zs = append(zs, z)
			bs = append(bs, b)
		}
	}
	if len(zs) < 3 { // no step either way (zmax not a positive number): no profile
		return math.NaN(), math.NaN()
	}
	idx := make([]int, len(zs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return zs[idx[i]] < zs[idx[j]] })
	x := make([]float64, len(idx))
	y := make([]float64, len(idx))
	for k, i := range idx {
		x[k], y[k] = bs[i], zs[i]
	}
	sx, sy := splineFMM(x, y, 3*len(x))
	cut := distuv.UnitNormal.Quantile(2 * alpha)
	return expit(approxLinear(sy, sx, cut)), expit(approxLinear(sy, sx, -cut))
}

// logitLinkinv is R's binomial()$linkinv: exp(η)/(1+exp(η)), with η beyond ±30 held at
// the machine-epsilon limits.
func logitLinkinv(eta float64) float64 {
	const eps = 2.220446049250313e-16
	var t float64
	switch {
	case eta < -30:
		t = eps
	case eta > 30:
		t = 1 / eps
	default:
		t = math.Exp(eta)
	}
	return t / (1 + t)
}

// splineFMM is R's spline(x, y, n, method="fmm") for x strictly increasing: the cubic
// spline of Forsythe, Malcolm & Moler (1977) evaluated at n equally spaced points from
// x[0] to x[len−1].
func splineFMM(x, y []float64, n int) (xout, yout []float64) {
	m := len(x)
	b := make([]float64, m)
	c := make([]float64, m)
	d := make([]float64, m)
	fmmCoef(x, y, b, c, d)
	xout = make([]float64, n)
	yout = make([]float64, n)
	by := (x[m-1] - x[0]) / float64(n-1)
	i := 0
	for l := range xout {
		u := x[0] + float64(l)*by
		if l == n-1 {
			u = x[m-1]
		}
		xout[l] = u
		if u < x[i] || (i < m-1 && x[i+1] < u) {
			i = 0
			j := m
			for j > i+1 {
				k := (i + j) / 2
				if u < x[k] {
					j = k
				} else {
					i = k
				}
			}
		}
		dx := u - x[i]
		yout[l] = y[i] + dx*(b[i]+dx*(c[i]+dx*d[i]))
	}
	return xout, yout
}

// fmmCoef is R's fmm_spline (stats/src/splines.c): end conditions from third divided
// differences, tridiagonal solve, polynomial coefficients b, c, d per knot.
func fmmCoef(x, y, b, c, d []float64) {
	n := len(x)
	if n < 3 {
		t := (y[1] - y[0]) / (x[1] - x[0])
		b[0], b[1] = t, t
		return
	}
	// 1-based indexing as in the C source.
	X := func(i int) float64 { return x[i-1] }
	Y := func(i int) float64 { return y[i-1] }
	B := func(i int) *float64 { return &b[i-1] }
	C := func(i int) *float64 { return &c[i-1] }
	D := func(i int) *float64 { return &d[i-1] }
	nm1 := n - 1
	*D(1) = X(2) - X(1)
	*C(2) = (Y(2) - Y(1)) / *D(1)
	for i := 2; i < n; i++ {
		*D(i) = X(i+1) - X(i)
		*B(i) = 2 * (*D(i - 1) + *D(i))
		*C(i + 1) = (Y(i+1) - Y(i)) / *D(i)
		*C(i) = *C(i + 1) - *C(i)
	}
	*B(1) = -*D(1)
	*B(n) = -*D(nm1)
	*C(1), *C(n) = 0, 0
	if n > 3 {
		*C(1) = *C(3)/(X(4)-X(2)) - *C(2)/(X(3)-X(1))
		*C(n) = *C(nm1)/(X(n)-X(n-2)) - *C(n - 2)/(X(nm1)-X(n-3))
		*C(1) = *C(1) * *D(1) * *D(1) / (X(4) - X(1))
		*C(n) = -*C(n) * *D(nm1) * *D(nm1) / (X(n) - X(n-3))
	}
	for i := 2; i <= n; i++ {
		t := *D(i - 1) / *B(i - 1)
		*B(i) = *B(i) - t**D(i - 1)
		*C(i) = *C(i) - t**C(i - 1)
	}
	*C(n) = *C(n) / *B(n)
	for i := nm1; i >= 1; i-- {
		*C(i) = (*C(i) - *D(i)**C(i + 1)) / *B(i)
	}
	*B(n) = (Y(n)-Y(n-1)) / *D(nm1) + *D(nm1)*(*C(nm1)+2**C(n))
	for i := 1; i <= nm1; i++ {
		*B(i) = (Y(i+1)-Y(i)) / *D(i) - *D(i)*(*C(i + 1)+2**C(i))
		*D(i) = (*C(i + 1) - *C(i)) / *D(i)
		*C(i) = 3 * *C(i)
	}
	*C(n) = 3 * *C(n)
	*D(n) = *D(nm1)
}

// approxLinear is R's approx(x, y, xout=v, rule=1) for one point: pairs with a NaN
// are dropped (na.rm = TRUE), x is sorted (ties averaged, as ties=mean), and the
// result is NaN outside the range of x or without pairs.
func approxLinear(x, y []float64, v float64) float64 {
	var idx []int
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return math.NaN()
	}
	sort.SliceStable(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
	var xs, ys []float64
	for k := 0; k < len(idx); {
		j, sum := k+1, y[idx[k]]
		for ; j < len(idx) && x[idx[j]] == x[idx[k]]; j++ {
			sum += y[idx[j]]
		}
		xs = append(xs, x[idx[k]])
		ys = append(ys, sum/float64(j-k))
		k = j
	}
	if v < xs[0] || v > xs[len(xs)-1] || math.IsNaN(v) {
		return math.NaN()
	}
	return interpolate(xs, ys, v)
}

// interpolate is R's approx1 for v within [xs[0], xs[len−1]], xs sorted and distinct:
// bisection for the bracketing pair, exact at the knots, linear between.
func interpolate(xs, ys []float64, v float64) float64 {
	i, j := 0, len(xs)-1
	for i < j-1 {
		k := (i + j) / 2
		if v < xs[k] {
			j = k
		} else {
			i = k
		}
	}
	if v == xs[j] {
		return ys[j]
	}
	if v == xs[i] {
		return ys[i]
	}
	return ys[i] + (ys[j]-ys[i])*((v-xs[i])/(xs[j]-xs[i]))
}
