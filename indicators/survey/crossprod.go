package survey

// crossLower adds to acc (q×q, row major) the lower triangle of XᵀWX over a block of
// rows: acc[j*q+k] += Σ_r w[r]·x[j][r]·x[k][r] for k ≤ j, where x holds q columns
// (column-major: each a slice of the block's rows, as long as w) and q is a multiple
// of 4 (pad with zero columns). The cells are computed in register tiles of 4 × 2
// columns, so each load feeds several multiply-adds (a level-3 kernel, where per-row
// rank-1 updates load and store every accumulator cell); tiles on the diagonal also
// add some cells above it (k > j), which callers ignore.
func crossLower(acc []float64, q int, w []float64, x [][]float64) {
	for j0 := 0; j0 < q; j0 += 4 {
		u0, u1, u2, u3 := x[j0], x[j0+1], x[j0+2], x[j0+3]
		for k0 := 0; k0 < j0+4; k0 += 2 {
			a00, a01, a10, a11, a20, a21, a30, a31 := tile42(w, u0, u1, u2, u3, x[k0], x[k0+1])
			acc[j0*q+k0] += a00
			acc[j0*q+k0+1] += a01
			acc[(j0+1)*q+k0] += a10
			acc[(j0+1)*q+k0+1] += a11
			acc[(j0+2)*q+k0] += a20
			acc[(j0+2)*q+k0+1] += a21
			acc[(j0+3)*q+k0] += a30
			acc[(j0+3)*q+k0+1] += a31
		}
	}
}

// tile42Go is tile42 in Go, for blocks of fewer than 4 rows, the rows after the
// last multiple of 4 and CPUs without AVX2 and FMA.
func tile42Go(w, u0, u1, u2, u3, x0, x1 []float64) (a00, a01, a10, a11, a20, a21, a30, a31 float64) {
	n := len(w)
	u0, u1, u2, u3, x0, x1 = u0[:n], u1[:n], u2[:n], u3[:n], x0[:n], x1[:n]
	for r, wr := range w {
		y0, y1 := x0[r], x1[r]
		v0, v1, v2, v3 := wr*u0[r], wr*u1[r], wr*u2[r], wr*u3[r]
		a00 += v0 * y0
		a01 += v0 * y1
		a10 += v1 * y0
		a11 += v1 * y1
		a20 += v2 * y0
		a21 += v2 * y1
		a30 += v3 * y0
		a31 += v3 * y1
	}
	return
}

// addXb adds Σ_j x[j][r]·beta[j] to eta[r] (a linear predictor), four columns at a time.
func addXb(eta []float64, x [][]float64, beta []float64) {
	j := 0
	for ; j+4 <= len(beta); j += 4 {
		axpy4(eta, (*[4][]float64)(x[j:j+4]), (*[4]float64)(beta[j:j+4]))
	}
	for ; j < len(beta); j++ {
		axpy(eta, x[j], beta[j])
	}
}
