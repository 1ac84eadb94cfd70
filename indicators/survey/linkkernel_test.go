package survey

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLogitWork checks logitWork (AVX2 where available) against logitWorkGo bit for
// bit, on ordinary rows and on rows that must set the boundary and non-finite flags.
func TestLogitWork(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float64{0, -0.0, 30, -30, 800, -800, math.Inf(1), math.Inf(-1), math.NaN()}
	for _, n := range []int{0, 1, 3, 4, 7, 64, 513} {
		for _, withSpecial := range []bool{false, true} {
			eta, ex, w, y := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			for r := range eta {
				eta[r] = 4 * rng.NormFloat64()
				w[r] = 100 * rng.Float64()
				y[r] = float64(rng.IntN(2))
				if r%5 == 0 {
					y[r] = rng.Float64() // a proportion
				}
				if withSpecial && r%3 == 0 {
					eta[r] = special[rng.IntN(len(special))]
					w[r] = []float64{0, 1, math.NaN()}[rng.IntN(3)]
				}
			}
			expNeg(ex, eta)
			out := func(f func(eta, ex, w, y, mu, z, ww []float64) (bool, bool)) ([]float64, bool, bool) {
				v := make([]float64, 3*n)
				b, nf := f(eta, ex, w, y, v[:n], v[n:2*n], v[2*n:])
				return v, b, nf
			}
			got, gb, gnf := out(logitWork)
			want, wb, wnf := out(logitWorkGo)
			if gb != wb || gnf != wnf {
				t.Fatalf("n %d special %v: flags (%v, %v), want (%v, %v)", n, withSpecial, gb, gnf, wb, wnf)
			}
			for k := range got {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) && !(math.IsNaN(got[k]) && math.IsNaN(want[k])) {
					t.Fatalf("n %d special %v: value %d is %v, want %v", n, withSpecial, k, got[k], want[k])
				}
			}
			if withSpecial && n >= 64 && !(gb && gnf) {
				t.Errorf("n %d: rows with |η| = 800 and η = ±Inf set no flag (%v, %v)", n, gb, gnf)
			}
			if !withSpecial && n > 0 && (gb || gnf) {
				t.Errorf("n %d: ordinary rows set a flag (%v, %v)", n, gb, gnf)
			}
		}
	}
}

// TestLogs compares logs with math.Log: within one ulp on positive normal numbers of
// every size (the vector path), also when dst is src, and identical on slices holding
// zero, negative, subnormal, infinite or NaN values.
func TestLogs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	src := []float64{1, 2, 0.5, math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0), math.Sqrt2,
		math.E, 1e-300, 1e300, math.MaxFloat64, 0x1p-1022, 1 + 1e-15, 1 - 1e-15}
	for len(src) < 4099 {
		src = append(src, math.Exp(700*(2*rng.Float64()-1)), rng.Float64(), 1+rng.NormFloat64()*1e-3)
	}
	dst := make([]float64, len(src))
	logs(dst, src)
	for r, x := range src {
		want := math.Log(x)
		if got := dst[r]; math.Abs(got-want) > math.Abs(math.Nextafter(want, 0)-want) {
			t.Fatalf("log(%v) = %v, want %v (more than an ulp apart)", x, got, want)
		}
	}
	inPlace := slices.Clone(src)
	logs(inPlace, inPlace)
	if !slices.Equal(inPlace, dst) {
		t.Fatal("logs in place differs from logs into another slice")
	}
	special := append(slices.Clone(src[:8]), 0x1p-1030, 5e-324, 0, math.Copysign(0, -1), -1,
		math.Inf(1), math.Inf(-1), math.NaN())
	dst = make([]float64, len(special))
	logs(dst, special)
	for r, x := range special {
		want, got := math.Log(x), dst[r]
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("log(%v) = %v, want %v", x, got, want)
		}
	}
}
