package survey

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestTiedWeights checks that both quantile rules give the same quantile from ties
// compressed by TiedWeights as from the rows sorted stably, on seeded data with heavy
// ties, single-row runs, integer and fractional weights, at probabilities between run
// ends and (integer weights, where the running sums are exact) at them.
func TestTiedWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		y := make([]float64, n)
		w := make([]float64, n)
		for i := range y {
			y[i] = float64(rng.IntN(1 + trial%9))
			w[i] = float64(1 + rng.IntN(4))
			if trial%2 == 1 {
				w[i] = 0.1 + rng.Float64()
			}
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return y[idx[a]] < y[idx[b]] })
		var xs, ws, vals, sums, last []float64
		var counts []int64
		for _, i := range idx {
			xs, ws = append(xs, y[i]), append(ws, w[i])
			if len(vals) == 0 || vals[len(vals)-1] != y[i] {
				vals, sums, last, counts = append(vals, y[i]), append(sums, 0), append(last, 0), append(counts, 0)
			}
			j := len(vals) - 1
			sums[j] += w[i]
			last[j] = w[i]
			counts[j]++
		}
		cx, cw := TiedWeights(vals, sums, counts, last)
		ps := []float64{0, 0.01, 0.25, 0.5, 0.75, 0.99, 1, rng.Float64()}
		if trial%2 == 0 { // integer weights: p at run and row ends exactly
			c := cumsum(ws)
			for _, v := range c {
				ps = append(ps, v/c[len(c)-1])
			}
		}
		for _, rule := range []QuantileRule{QRuleMath, QRuleHF7} {
			for _, p := range ps {
				want, got := rule.rule()(xs, ws, p), rule.rule()(cx, cw, p)
				if !(got == want || mathClose(got, want, 1e-12)) {
					t.Fatalf("trial %d, %s, p %v: rows give %v, tied weights %v\nrows %v %v\nties %v %v", trial, rule, p, want, got, xs, ws, cx, cw)
				}
			}
		}
		if !slices.IsSorted(cx) {
			t.Fatalf("tied weights out of order: %v", cx)
		}
	}
}

func mathClose(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	m := max(a, -a, b, -b, 1)
	return d <= tol*m
}
