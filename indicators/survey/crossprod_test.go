package survey

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCrossLower checks the tiled kernel against plain sums on odd block lengths.
func TestCrossLower(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range []int{4, 8, 16} {
		for _, n := range []int{0, 1, 3, 17, 256} {
			u, x := make([][]float64, q), make([][]float64, q)
			for j := range u {
				u[j], x[j] = make([]float64, n), make([]float64, n)
				for r := 0; r < n; r++ {
					u[j][r], x[j][r] = rng.NormFloat64(), rng.NormFloat64()
				}
			}
			acc := make([]float64, q*q)
			for k := range acc {
				acc[k] = float64(k) // adds to what is there
			}
			crossLower(acc, q, u, x)
			for j := 0; j < q; j++ {
				for k := 0; k <= j; k++ {
					want := float64(j*q + k)
					for r := 0; r < n; r++ {
						want += u[j][r] * x[k][r]
					}
					if got := acc[j*q+k]; math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
						t.Fatalf("q %d n %d cell (%d,%d): %v, want %v", q, n, j, k, got, want)
					}
				}
			}
		}
	}
}
