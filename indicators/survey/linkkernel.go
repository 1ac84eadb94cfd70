package survey

// logitWorkGo is logitWork row by row: for the logit link, μ from η and
// t = exp(−|η|), the working response z = η + (y − μ)/d and weight ww = w·d²/V(μ)
// with V(μ) = μ(1 − μ) and d = dμ/dη = max(V(μ), ε) (R's binomial()$mu.eta). It
// reports rows with weight whose μ is numerically 0 or 1 (boundary) and any z or ww
// that is not finite.
func logitWorkGo(eta, ex, w, y, mu, z, ww []float64) (boundary, nonfinite bool) {
	n := len(eta)
	ex, w, y, mu, z, ww = ex[:n], w[:n], y[:n], mu[:n], z[:n], ww[:n]
	chk := 0.0 // NaN when a working response or weight is not finite
	for r, e := range eta {
		t := ex[r]
		m := 1 / (1 + t)
		if e < 0 {
			m = t / (1 + t)
		}
		v := m * (1 - m)
		d := v // math.Max(v, epsMu), NaN included
		if v < epsMu {
			d = epsMu
		}
		if w[r] != 0 && (m < 1e-10 || m > 1-1e-10) {
			boundary = true
		}
		zr, wr := e+(y[r]-m)/d, w[r]*d*d/v
		chk += zr*0 + wr*0
		mu[r], z[r], ww[r] = m, zr, wr
	}
	return boundary, chk != 0
}
