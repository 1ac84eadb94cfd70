package survey

// crossLower adds to acc (q×q, row major) the lower triangle of UᵀX over a block of
// rows: acc[j*q+k] += Σ_r u[j][r]·x[k][r] for k ≤ j, where u and x hold q columns
// (column-major: each a slice of the block's rows, all of the same length) and q is a
// multiple of 4 (pad with zero columns). The cells are computed in register tiles of
// 4 u-columns × 2 x-columns, so each pair of loads feeds several multiply-adds (a
// level-3 kernel, where per-row rank-1 updates load and store every accumulator
// cell); tiles on the diagonal also add some cells above it (k > j), which callers
// ignore.
func crossLower(acc []float64, q int, u, x [][]float64) {
	for j0 := 0; j0 < q; j0 += 4 {
		u0, u1, u2, u3 := u[j0], u[j0+1], u[j0+2], u[j0+3]
		for k0 := 0; k0 < j0+4; k0 += 2 {
			a00, a01, a10, a11, a20, a21, a30, a31 := tile42(u0, u1, u2, u3, x[k0], x[k0+1])
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
func tile42Go(u0, u1, u2, u3, x0, x1 []float64) (a00, a01, a10, a11, a20, a21, a30, a31 float64) {
	n := len(u0)
	u1, u2, u3, x0, x1 = u1[:n], u2[:n], u3[:n], x0[:n], x1[:n]
	for r, v0 := range u0 {
		y0, y1 := x0[r], x1[r]
		v1, v2, v3 := u1[r], u2[r], u3[r]
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
