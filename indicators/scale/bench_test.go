package scale

import (
	"math"
	"math/rand/v2"
	"testing"
)

// simulate draws n respondents of a one-factor model with k items on a 0–10 scale
// (rounded, 2 % of answers missing) in groups municipalities whose factor means differ;
// item 0's intercept is shifted by shift in the last group.
func simulate(n, k, groups int, shift float64, seed uint64) (names []string, items [][]float64, weights []float64, group []int32) {
	r := rand.New(rand.NewPCG(seed, 1))
	names = make([]string, k)
	items = make([][]float64, k)
	for j := range k {
		names[j] = "q" + string(rune('a'+j))
		items[j] = make([]float64, n)
	}
	weights = make([]float64, n)
	group = make([]int32, n)
	for i := range n {
		g := int32(r.IntN(groups))
		group[i] = g
		weights[i] = 0.5 + r.Float64()
		eta := 0.1*float64(g) + r.NormFloat64()
		for j := range k {
			x := 5 + (0.6+0.05*float64(j))*1.5*eta + 1.2*r.NormFloat64()
			if j == 0 && int(g) == groups-1 {
				x += shift
			}
			x = math.Round(math.Min(math.Max(x, 0), 10))
			if r.Float64() < 0.02 {
				x = math.NaN()
			}
			items[j][i] = x
		}
	}
	return names, items, weights, group
}

// BenchmarkScale1M is the target: alpha, weighted alpha, omega and the three
// invariance models (with the search for items to free) of a 10-item scale on
// 1,000,000 respondents in 13 municipalities, from the one pass over the rows.
func BenchmarkScale1M(b *testing.B) {
	names, items, w, group := simulate(1_000_000, 10, 13, 1.5, 1)
	b.Run("accumulate", func(b *testing.B) {
		for b.Loop() {
			if _, err := Accumulate(names, items, w, group, 13); err != nil {
				b.Fatal(err)
			}
		}
	})
	ms, err := Accumulate(names, items, w, group, 13)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fit", func(b *testing.B) {
		for b.Loop() {
			fitAll(b, ms)
		}
	})
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			ms, err := Accumulate(names, items, w, group, 13)
			if err != nil {
				b.Fatal(err)
			}
			fitAll(b, ms)
		}
	})
}

func fitAll(b *testing.B, ms []*Moments) {
	total := ms[0].Clone()
	for _, m := range ms[1:] {
		total.Merge(m)
	}
	for _, m := range append([]*Moments{total}, ms...) {
		if _, err := AlphaOf(m); err != nil {
			b.Fatal(err)
		}
		if _, err := WeightedAlphaOf(m); err != nil {
			b.Fatal(err)
		}
		if _, err := OmegaOf(m); err != nil {
			b.Fatal(err)
		}
	}
	inv, err := Invariance(ms, InvarianceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if len(inv.ItemsToFree) == 0 || inv.ItemsToFree[0].Item != "qa" {
		b.Fatalf("items to free %+v, want qa", inv.ItemsToFree)
	}
}
