package scale

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestAccumulatorBatches gathers random answers (missing values, an item nobody
// answers in the first batch, zero weights, respondents in no group) in uneven
// batches: the Moments equal Accumulate's over all of them, field for field.
func TestAccumulatorBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const n, k, groups = 1000, 4, 3
	items := make([][]float64, k)
	for j := range items {
		items[j] = make([]float64, n)
		for i := range items[j] {
			items[j][i] = float64(1 + rng.IntN(5))
			if rng.Float64() < 0.15 || (j == 3 && i < 300) {
				items[j][i] = math.NaN()
			}
		}
	}
	weights := make([]float64, n)
	group := make([]int32, n)
	for i := range weights {
		weights[i] = 0.5 + rng.Float64()
		if i%17 == 0 {
			weights[i] = 0
		}
		group[i] = int32(rng.IntN(groups+1)) - 1
	}
	names := []string{"a", "b", "c", "d"}
	want, err := Accumulate(names, items, weights, group, groups)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := NewAccumulator(names)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range [][2]int{{0, 250}, {250, 251}, {251, 700}, {700, n}} {
		batch := make([][]float64, k)
		for j := range batch {
			batch[j] = items[j][cut[0]:cut[1]]
		}
		if err := acc.Add(batch, weights[cut[0]:cut[1]], group[cut[0]:cut[1]], groups); err != nil {
			t.Fatal(err)
		}
	}
	got := acc.Moments()
	if len(got) != groups {
		t.Fatalf("%d groups, want %d", len(got), groups)
	}
	for g := range got {
		got[g].Group = want[g].Group
		if !reflect.DeepEqual(got[g], want[g]) {
			t.Errorf("group %d: batched %+v\nat once %+v", g, *got[g], *want[g])
		}
		if got[g].N() == 0 {
			t.Errorf("group %d has no complete cases: the test checks nothing", g)
		}
	}
	if err := acc.Add(make([][]float64, 3), nil, nil, 1); err == nil {
		t.Error("a batch of 3 items for 4 names was accepted")
	}
}
