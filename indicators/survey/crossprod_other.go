//go:build !amd64

package survey

import "math"

// tile42 returns the eight weighted dot products Σ w[r]·u_i[r]·x_k[r] of u0…u3 with x0
// and x1.
func tile42(w, u0, u1, u2, u3, x0, x1 []float64) (a00, a01, a10, a11, a20, a21, a30, a31 float64) {
	return tile42Go(w, u0, u1, u2, u3, x0, x1)
}

// axpy adds x[r]·alpha to y[r].
func axpy(y, x []float64, alpha float64) {
	x = x[:len(y)]
	for r := range y {
		y[r] += x[r] * alpha
	}
}

// expNeg sets dst[r] = exp(−|src[r]|).
func expNeg(dst, src []float64) {
	src = src[:len(dst)]
	for r, x := range src {
		dst[r] = math.Exp(-math.Abs(x))
	}
}

// logitWork is logitWorkGo.
func logitWork(eta, ex, w, y, mu, z, ww []float64) (boundary, nonfinite bool) {
	return logitWorkGo(eta, ex, w, y, mu, z, ww)
}

// logs sets dst[r] = log(src[r]).
func logs(dst, src []float64) {
	src = src[:len(dst)]
	for r, x := range src {
		dst[r] = math.Log(x)
	}
}

// axpy4 adds x[k][r]·a[k] to y[r] for k = 0…3 in turn.
func axpy4(y []float64, x *[4][]float64, a *[4]float64) {
	for k := range x {
		axpy(y, x[k], a[k])
	}
}

// indicator sets dst[r] to 1 where codes[r] == level, else 0.
func indicator(dst []float64, codes []int32, level int32) { indicatorGo(dst, codes, level) }
