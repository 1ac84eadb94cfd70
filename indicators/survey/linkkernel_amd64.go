package survey

import "math"

//go:noescape
func logitWorkAVX(eta, ex, w, y, mu, z, ww *float64, n int, tab *[4][4]float64, flags *[8]float64)

//go:noescape
func logAVX(dst, src *float64, n int, tab *[17][4]float64)

// logitTab holds logitWorkAVX's constants, each four times: 1, ε, 1e−10, 1 − 1e−10.
var logitTab = [4][4]float64{
	{1, 1, 1, 1},
	{epsMu, epsMu, epsMu, epsMu},
	{1e-10, 1e-10, 1e-10, 1e-10},
	{1 - 1e-10, 1 - 1e-10, 1 - 1e-10, 1 - 1e-10},
}

// logitWork is logitWorkGo, four rows at a time where the CPU has AVX2 (the same
// arithmetic, so the same results).
func logitWork(eta, ex, w, y, mu, z, ww []float64) (boundary, nonfinite bool) {
	n := len(eta)
	n4 := vectorRows(n)
	if n4 > 0 {
		ex, w, y, mu, z, ww = ex[:n], w[:n], y[:n], mu[:n], z[:n], ww[:n]
		var flags [8]float64
		logitWorkAVX(&eta[0], &ex[0], &w[0], &y[0], &mu[0], &z[0], &ww[0], n4, &logitTab, &flags)
		for _, f := range flags[:4] {
			boundary = boundary || math.Float64bits(f) != 0
		}
		nonfinite = flags[4]+flags[5]+flags[6]+flags[7] != 0
	}
	b, nf := logitWorkGo(eta[n4:], ex[n4:], w[n4:], y[n4:], mu[n4:], z[n4:], ww[n4:])
	return boundary || b, nonfinite || nf
}

// logTab holds logAVX's constants, each four times (see logAVX).
var logTab = func() (t [17][4]float64) {
	set := func(k int, v float64) { t[k] = [4]float64{v, v, v, v} }
	set(0, math.Float64frombits(1<<52-1))
	set(1, 0.5)
	set(2, math.Sqrt2/2)
	set(3, math.Float64frombits(0x4338000000000000-1022))
	set(4, 0x1.8p52)
	set(5, 1)
	set(6, 2)
	set(7, 0.5)
	for k, l := range []float64{ // math.Log's L1…L7
		6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
		2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
		1.479819860511658591e-01,
	} {
		set(8+k, l)
	}
	set(15, 6.93147180369123816490e-01) // Ln2Hi
	set(16, 1.90821492927058770002e-10) // Ln2Lo
	return t
}()

// logs sets dst[r] = log(src[r]) (within an ulp of math.Log; dst may be src), four at
// a time where the CPU has AVX2 and every value is a positive normal finite number,
// else by math.Log.
func logs(dst, src []float64) {
	n := len(dst)
	src = src[:n]
	n4 := 0
	if allPositiveNormal(src) {
		n4 = vectorRows(n)
	}
	if n4 > 0 {
		logAVX(&dst[0], &src[0], n4, &logTab)
	}
	for r := n4; r < n; r++ {
		dst[r] = math.Log(src[r])
	}
}

// allPositiveNormal reports whether every value is a positive normal finite number.
func allPositiveNormal(v []float64) bool {
	ok := true
	for _, x := range v {
		ok = ok && x >= 0x1p-1022 && x <= math.MaxFloat64
	}
	return ok
}
