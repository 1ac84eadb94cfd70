package survey

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// irlsFit is what irls returns: the coefficients and the iterations taken.
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
	var eta0, mu0 []float64
	beta := slices.Clone(start)
	if start == nil {
		if beta = g.nullStart(w); beta == nil {
			eta0, mu0 = g.startEta(w)
		}
	}
	return g.newton(beta, opt, g.moving, func(beta []float64) (passResult, error) {
		out := g.pass(beta, eta0, mu0, w, nil, nil)
		eta0, mu0 = nil, nil
		return out, nil
	})
}

// newton is the loop of irls, shared by the fit from sums (Design.GLMSums): pass(β)
// gives XᵀWX and XᵀWz at β (β nil: at mustart) and whether the fit is finite and a
// binomial probability on the boundary; a step to a non-finite fit is halved, up to 30
// times; a boundary fit is separation, named by moving (the columns whose coefficients
// moved most in the last step, as for a fit that does not converge).
func (g *GLM) newton(beta []float64, opt GLMOptions, moving func(beta, prev []float64) []string,
	pass func(beta []float64) (passResult, error)) (*irlsFit, error) {
	p := len(g.m.names)
	var prev []float64
	halvings := 0
	for iter := 0; ; {
		out, err := pass(beta)
		if err != nil {
			return nil, err
		}
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
			return nil, fmt.Errorf("%w: fitted probabilities numerically 0 or 1; the outcome is (nearly) perfectly predicted by %s",
				ErrSeparation, strings.Join(moving(beta, prev), ", "))
		}
		if iter == opt.MaxIter {
			return nil, fmt.Errorf("%w in %d iterations (the last step was still above %g standard errors); coefficients still moving: %s",
				ErrNoConvergence, opt.MaxIter, opt.Tol, strings.Join(moving(beta, prev), ", "))
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
		prev, beta = beta, next
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
	return g.nullStartAt(swy / sw)
}

// nullStartAt is nullStart from the weighted mean of the outcome.
func (g *GLM) nullStartAt(mean float64) []float64 {
	if g.m.names[0] != "(Intercept)" {
		return nil
	}
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
