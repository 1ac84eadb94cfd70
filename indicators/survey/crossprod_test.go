package survey

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCrossLower checks the tiled kernel against plain sums on odd block lengths.
func TestCrossLower(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range []int{4, 8, 16} {
		for _, n := range []int{0, 1, 3, 17, 256} {
			w, x := make([]float64, n), make([][]float64, q)
			for r := range w {
				w[r] = rng.Float64()
			}
			for j := range x {
				x[j] = make([]float64, n)
				for r := 0; r < n; r++ {
					x[j][r] = rng.NormFloat64()
				}
			}
			acc := make([]float64, q*q)
			for k := range acc {
				acc[k] = float64(k) // adds to what is there
			}
			crossLower(acc, q, w, x)
			for j := 0; j < q; j++ {
				for k := 0; k <= j; k++ {
					want := float64(j*q + k)
					for r := 0; r < n; r++ {
						want += w[r] * x[j][r] * x[k][r]
					}
					if got := acc[j*q+k]; math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
						t.Fatalf("q %d n %d cell (%d,%d): %v, want %v", q, n, j, k, got, want)
					}
				}
			}
		}
	}
}

// TestKernelHelpers checks tile42 (AVX2 where available) against tile42Go, and axpy
// against its scalar loop, bit for bit.
func TestKernelHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 3, 4, 5, 8, 31, 512} {
		v := make([][]float64, 7)
		for k := range v {
			v[k] = make([]float64, n)
			for r := range v[k] {
				v[k][r] = rng.NormFloat64()
			}
		}
		a00, a01, a10, a11, a20, a21, a30, a31 := tile42(v[6], v[0], v[1], v[2], v[3], v[4], v[5])
		b00, b01, b10, b11, b20, b21, b30, b31 := tile42Go(v[6], v[0], v[1], v[2], v[3], v[4], v[5])
		got := []float64{a00, a01, a10, a11, a20, a21, a30, a31}
		for k, want := range []float64{b00, b01, b10, b11, b20, b21, b30, b31} {
			if math.Abs(got[k]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Fatalf("n %d tile cell %d: %v, want %v", n, k, got[k], want)
			}
		}
		y := append([]float64(nil), v[2]...)
		axpy(y, v[3], 0.7)
		for r := 0; r < n; r++ {
			if want := v[2][r] + v[3][r]*0.7; y[r] != want {
				t.Fatalf("n %d axpy row %d: %v, want %v", n, r, y[r], want)
			}
		}
		y4 := append([]float64(nil), v[2]...)
		a := [4]float64{0.7, -1.3, 1e-3, 42}
		axpy4(y4, (*[4][]float64)(v[3:7]), &a)
		y = append(y[:0], v[2]...)
		for k := range a {
			axpy(y, v[3+k], a[k])
		}
		for r := range y {
			if y4[r] != y[r] {
				t.Fatalf("n %d axpy4 row %d: %v, four axpy calls %v", n, r, y4[r], y[r])
			}
		}
		codes := make([]int32, n)
		for r := range codes {
			codes[r] = int32(rng.IntN(4)) - 1
		}
		for _, level := range []int32{-1, 0, 2} {
			got, want := make([]float64, n), make([]float64, n)
			indicator(got, codes, level)
			for r, c := range codes {
				if c == level {
					want[r] = 1
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("n %d indicator of level %d: %v, want %v", n, level, got, want)
			}
		}
	}
}

// TestExpNeg compares expNeg with math.Exp.
func TestExpNeg(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := make([]float64, 100003)
	for r := range src {
		switch r % 3 {
		case 0:
			src[r] = rng.NormFloat64() * 3
		case 1:
			src[r] = (rng.Float64() - 0.5) * 1416
		default:
			src[r] = rng.Float64() * 1e-6
		}
	}
	src[0], src[1], src[2], src[3] = 0, 708, -708, math.Copysign(0, -1)
	dst := make([]float64, len(src))
	expNeg(dst, src)
	for r, x := range src {
		want := math.Exp(-math.Abs(x))
		if math.Abs(dst[r]-want) > 4e-16*want {
			t.Fatalf("exp(−|%v|): %v, want %v (rel %g)", x, dst[r], want, (dst[r]-want)/want)
		}
	}
	nan := []float64{1, 2, math.NaN(), 3, math.NaN()}
	out := make([]float64, len(nan))
	expNeg(out, nan)
	if !math.IsNaN(out[2]) || !math.IsNaN(out[4]) || out[0] != math.Exp(-1) && math.Abs(out[0]-math.Exp(-1)) > 4e-16 {
		t.Fatalf("NaN: %v", out)
	}
}
