package scale

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

var nan = math.NaN()

func TestScore(t *testing.T) {
	items := []Item{{Name: "a", Min: 1, Max: 5}, {Name: "b", Min: 0, Max: 10, Reverse: true}, {Name: "c", Min: 0, Max: 1}, {Name: "n", Min: 0, Max: 4, Kind: Count}}
	for _, c := range []struct {
		name string
		row  []float64
		spec ScoreSpec
		want float64
	}{
		{"all answered", []float64{5, 0, 1, 2}, ScoreSpec{}, (100 + 100 + 100 + 50) / 4.0},
		{"reverse coded", []float64{1, 10, 0, 0}, ScoreSpec{}, 0},
		{"count top-coded", []float64{1, 10, 0, 9}, ScoreSpec{}, 25},
		{"half answered is enough by default", []float64{3, nan, 1, nan}, ScoreSpec{}, 75},
		{"fewer than half: missing, not zero", []float64{3, nan, nan, nan}, ScoreSpec{}, nan},
		{"min items 1", []float64{3, nan, nan, nan}, ScoreSpec{MinItems: 1}, 50},
		{"weighted", []float64{5, 10, 1, 0}, ScoreSpec{Weights: []float64{3, 1, 0, 0}}, 75},
	} {
		spec := c.spec
		spec.Items = items
		cols := make([][]float64, len(c.row))
		for j, x := range c.row {
			cols[j] = []float64{x}
		}
		got, err := Score(cols, spec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !(got[0] == c.want || math.IsNaN(got[0]) && math.IsNaN(c.want)) {
			t.Errorf("%s: score %v, want %v", c.name, got[0], c.want)
		}
	}
	_, err := Score([][]float64{{1}, {11}, {0}, {0}}, ScoreSpec{Name: "trust", Items: items})
	if err == nil || !strings.Contains(err.Error(), "trust: respondent 1: item b: value 11 outside 0..10") {
		t.Errorf("out of range: %v", err)
	}
	if _, err := Score([][]float64{{1}}, ScoreSpec{Items: []Item{{Name: "x", Min: 2, Max: 2}}}); !errors.Is(err, ErrSpec) {
		t.Errorf("empty range: %v, want ErrSpec", err)
	}
}

// normalItems draws n rows of k standard normal items with correlation matrix corr.
func normalItems(n int, corr [][]float64, seed uint64) [][]float64 {
	k := len(corr)
	l := make([][]float64, k) // Cholesky factor
	for i := range k {
		l[i] = make([]float64, k)
		for j := 0; j <= i; j++ {
			s := corr[i][j]
			for m := range j {
				s -= l[i][m] * l[j][m]
			}
			if i == j {
				l[i][j] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([][]float64, k)
	for j := range out {
		out[j] = make([]float64, n)
	}
	z := make([]float64, k)
	for i := range n {
		for j := range z {
			z[j] = r.NormFloat64()
		}
		for a := range k {
			for b := 0; b <= a; b++ {
				out[a][i] += l[a][b] * z[b]
			}
		}
	}
	return out
}

func TestHeywoodCase(t *testing.T) {
	// λ₁² = r₁₂r₁₃/r₂₃ = 1.28 > 1: the first item's residual variance must be negative
	x := normalItems(5000, [][]float64{{1, 0.8, 0.8}, {0.8, 1, 0.5}, {0.8, 0.5, 1}}, 3)
	_, err := Omega([]string{"q1", "q2", "q3"}, x)
	if !errors.Is(err, ErrHeywood) || !strings.Contains(err.Error(), "item q1") {
		t.Errorf("got %v, want a Heywood case naming q1", err)
	}
}

func TestNoVariance(t *testing.T) {
	_, err := Alpha([]string{"a", "flat"}, [][]float64{{1, 2, 3}, {4, 4, 4}})
	if !errors.Is(err, ErrNoVariance) || !strings.Contains(err.Error(), "item flat") {
		t.Errorf("got %v, want no variance of flat", err)
	}
}

// TestMergeAndGroups checks that merging the groups' moments gives the whole sample's
// numbers, and that a one-factor model recovers the loadings it was simulated with.
func TestMergeAndGroups(t *testing.T) {
	names, items, w, group := simulate(20000, 6, 4, 0, 5)
	all, err := Accumulate(names, items, w, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Accumulate(names, items, w, group, 4)
	if err != nil {
		t.Fatal(err)
	}
	merged := ms[0].Clone()
	for _, m := range ms[1:] {
		merged.Merge(m)
	}
	a1, _ := AlphaOf(all[0])
	a2, _ := AlphaOf(merged)
	w1, _ := WeightedAlphaOf(all[0])
	w2, _ := WeightedAlphaOf(merged)
	if math.Abs(a1.Raw-a2.Raw) > 1e-12 || math.Abs(a1.Items[2].RDrop-a2.Items[2].RDrop) > 1e-12 || math.Abs(w1-w2) > 1e-12 {
		t.Errorf("merged groups: alpha %v, r.drop %v, weighted %v; whole sample %v, %v, %v", a2.Raw, a2.Items[2].RDrop, w2, a1.Raw, a1.Items[2].RDrop, w1)
	}
	o, err := OmegaOf(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	for j, l := range o.Loadings { // simulated 1.5·(0.6 + 0.05j), before rounding to 0..10
		if want := 1.5 * (0.6 + 0.05*float64(j)); math.Abs(l-want) > 0.1 {
			t.Errorf("loading %d: %v, want about %v", j, l, want)
		}
	}
	inv, err := Invariance(ms, InvarianceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !*inv.Models[1].Holds || !*inv.Models[2].Holds || len(inv.ItemsToFree) != 0 {
		t.Errorf("invariant simulation: metric holds %v, scalar %v, items to free %v", *inv.Models[1].Holds, *inv.Models[2].Holds, inv.ItemsToFree)
	}
}

func TestFactorScoreWeights(t *testing.T) {
	o := &OmegaResult{Loadings: []float64{1, 2, 0.5}, Residuals: []float64{2, 1, 0.25}}
	items := []Item{{Name: "a", Min: 0, Max: 10}, {Name: "b", Min: 1, Max: 5}, {Name: "c", Min: 0, Max: 1}}
	v, err := FactorScoreWeights(o, items)
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range []float64{0.5 * 10, 2 * 4, 2 * 1} {
		if math.Abs(v[j]-want) > 1e-15 {
			t.Errorf("weight %d: %v, want %v", j, v[j], want)
		}
	}
	// the score is then linear in Bartlett's Σ (λ/θ)·x: 100·Σ(λ_j/θ_j)(x_j − Min_j)/Σ v_j
	x := []float64{4, 3, 1}
	s, err := Score([][]float64{{x[0]}, {x[1]}, {x[2]}}, ScoreSpec{Items: items, Weights: v})
	if err != nil {
		t.Fatal(err)
	}
	want := 100 * (0.5*(4-0) + 2*(3-1) + 2*(1-0)) / (5 + 8 + 2)
	if math.Abs(s[0]-want) > 1e-12 {
		t.Errorf("score %v, want %v", s[0], want)
	}
	o.Loadings[1] = -2
	if _, err := FactorScoreWeights(o, items); err == nil || !strings.Contains(err.Error(), "item b loads negatively") {
		t.Errorf("negative loading: %v", err)
	}
}
