package survey

import "math"

//go:noescape
func tile42AVX(w, u0, u1, u2, u3, x0, x1 *float64, n int, out *[32]float64)

//go:noescape
func axpyAVX(y, x *float64, alpha float64, n int)

//go:noescape
func axpy4AVX(y, x0, x1, x2, x3 *float64, a *[4]float64, n int)

//go:noescape
func indicatorAVX(dst *float64, codes *int32, level int32, n int)

func cpuid(eax, ecx uint32) (a, b, c, d uint32)

func xgetbv0() uint32

// haveAVX2FMA reports AVX2 and FMA with the OS saving the YMM registers.
var haveAVX2FMA = func() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&(fma|osxsave|avx) != fma|osxsave|avx || xgetbv0()&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0 // AVX2
}()

// vectorRows is how many of n rows the AVX2 kernels take: n rounded down to a multiple
// of 4, or 0 on a CPU without AVX2 and FMA.
func vectorRows(n int) int {
	if !haveAVX2FMA {
		return 0
	}
	return n &^ 3
}

// tile42 returns the eight weighted dot products Σ w[r]·u_i[r]·x_k[r] of u0…u3 with x0
// and x1.
func tile42(w, u0, u1, u2, u3, x0, x1 []float64) (a00, a01, a10, a11, a20, a21, a30, a31 float64) {
	if !haveAVX2FMA || len(w) < 4 {
		return tile42Go(w, u0, u1, u2, u3, x0, x1)
	}
	n := len(w)
	n4 := n &^ 3
	u0, u1, u2, u3, x0, x1 = u0[:n], u1[:n], u2[:n], u3[:n], x0[:n], x1[:n]
	var out [32]float64
	tile42AVX(&w[0], &u0[0], &u1[0], &u2[0], &u3[0], &x0[0], &x1[0], n4, &out)
	s := func(k int) float64 { return (out[k] + out[k+1]) + (out[k+2] + out[k+3]) }
	a00, a01, a10, a11, a20, a21, a30, a31 = s(0), s(4), s(8), s(12), s(16), s(20), s(24), s(28)
	if n4 < n {
		b00, b01, b10, b11, b20, b21, b30, b31 := tile42Go(w[n4:], u0[n4:], u1[n4:], u2[n4:], u3[n4:], x0[n4:], x1[n4:])
		a00, a01, a10, a11 = a00+b00, a01+b01, a10+b10, a11+b11
		a20, a21, a30, a31 = a20+b20, a21+b21, a30+b30, a31+b31
	}
	return
}

// axpy adds x[r]·alpha to y[r].
func axpy(y, x []float64, alpha float64) {
	n := len(y)
	x = x[:n]
	n4 := vectorRows(n)
	if n4 > 0 {
		axpyAVX(&y[0], &x[0], alpha, n4)
	}
	for r := n4; r < n; r++ {
		y[r] += x[r] * alpha
	}
}

// axpy4 adds x[k][r]·a[k] to y[r] for k = 0…3 in turn: four axpy calls, with the same
// results, reading and writing y once.
func axpy4(y []float64, x *[4][]float64, a *[4]float64) {
	n := len(y)
	x0, x1, x2, x3 := x[0][:n], x[1][:n], x[2][:n], x[3][:n]
	n4 := vectorRows(n)
	if n4 > 0 {
		axpy4AVX(&y[0], &x0[0], &x1[0], &x2[0], &x3[0], a, n4)
	}
	for r := n4; r < n; r++ {
		y[r] = y[r] + x0[r]*a[0] + x1[r]*a[1] + x2[r]*a[2] + x3[r]*a[3]
	}
}

// indicator sets dst[r] to 1 where codes[r] == level, else 0.
func indicator(dst []float64, codes []int32, level int32) {
	n := len(dst)
	codes = codes[:n]
	n4 := vectorRows(n)
	if n4 > 0 {
		indicatorAVX(&dst[0], &codes[0], level, n4)
	}
	indicatorGo(dst[n4:], codes[n4:], level)
}

//go:noescape
func expNegAVX(dst, src *float64, n int, tab *[20][4]float64)

// expTab holds expNegAVX's constants, each four times: the sign bit, −708, log2(e),
// ln 2 in two parts (math's Ln2Hi, Ln2Lo), the exponent bias, 1/13!, …, 1/1!, 1.
var expTab = func() (t [20][4]float64) {
	set := func(k int, v float64) { t[k] = [4]float64{v, v, v, v} }
	set(0, math.Float64frombits(1<<63))
	set(1, -708)
	set(2, math.Log2E)
	set(3, 6.93147180369123816490e-01)
	set(4, 1.90821492927058770002e-10)
	set(5, math.Float64frombits(1023))
	f := 1.0
	for k := 2; k <= 13; k++ {
		f *= float64(k)
	}
	for k := 13; k >= 0; k-- { // 1/k! at t[6+13−k]
		set(6+13-k, 1/f)
		f /= float64(max(k, 1))
	}
	return t
}()

// expNeg sets dst[r] = exp(−|src[r]|) (within an ulp or two of math.Exp; −|src[r]| below
// −708 counts as −708).
func expNeg(dst, src []float64) {
	n := len(dst)
	src = src[:n]
	n4 := vectorRows(n)
	if n4 > 0 {
		expNegAVX(&dst[0], &src[0], n4, &expTab)
	}
	for r := n4; r < n; r++ {
		dst[r] = math.Exp(-math.Abs(src[r]))
	}
}
