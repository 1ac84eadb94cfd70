package scale

import (
	"errors"
	"fmt"
	"math"
)

// Kind says how an item enters a score (see the package doc, Scoring).
type Kind int

const (
	// Ordinal items (Likert, 0–10) and binary items (Min 0, Max 1) are POMP scaled;
	// a value outside Min..Max is an error.
	Ordinal Kind = iota
	// Count items are top-coded at Max before POMP scaling; a value below Min is an
	// error.
	Count
)

// Item describes one item of a scale: its name (for errors), its range from the
// codebook, and whether it is reverse coded.
type Item struct {
	Name     string
	Min, Max float64
	Reverse  bool
	Kind     Kind
}

// ScoreSpec describes a composite score.
type ScoreSpec struct {
	// Name names the scale in errors.
	Name  string
	Items []Item
	// MinItems is the number of answered items a score needs; 0 means ⌈k/2⌉.
	MinItems int
	// Weights, when set (one per item, ≥ 0, not all 0), makes the score the weighted
	// mean of the answered items' POMP values (factor-score weights such as the
	// loadings of OmegaOf); nil means the plain mean.
	Weights []float64
}

// ErrSpec is wrapped by errors in a ScoreSpec.
var ErrSpec = errors.New("invalid scale")

// check validates s against items and returns the number of items needed.
func (s ScoreSpec) check(items [][]float64) (int, error) {
	k := len(s.Items)
	name := s.Name
	if name == "" {
		name = "scale"
	}
	if k == 0 {
		return 0, fmt.Errorf("%s: %w: no items", name, ErrSpec)
	}
	if len(items) != k {
		return 0, fmt.Errorf("%s: %w: %d item columns for %d items", name, ErrSpec, len(items), k)
	}
	for j, it := range s.Items {
		if !(it.Max > it.Min) || math.IsInf(it.Max-it.Min, 0) {
			return 0, fmt.Errorf("%s: %w: item %s: range %v..%v is empty", name, ErrSpec, it.Name, it.Min, it.Max)
		}
		if len(items[j]) != len(items[0]) {
			return 0, fmt.Errorf("%s: %w: item %s has %d rows, item %s %d", name, ErrSpec, it.Name, len(items[j]), s.Items[0].Name, len(items[0]))
		}
	}
	if s.Weights != nil {
		if len(s.Weights) != k {
			return 0, fmt.Errorf("%s: %w: %d weights for %d items", name, ErrSpec, len(s.Weights), k)
		}
		sum := 0.0
		for j, v := range s.Weights {
			if !(v >= 0) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%s: %w: item %s: weight %v, want a finite number ≥ 0", name, ErrSpec, s.Items[j].Name, v)
			}
			sum += v
		}
		if sum == 0 {
			return 0, fmt.Errorf("%s: %w: every weight is 0", name, ErrSpec)
		}
	}
	need := s.MinItems
	if need == 0 {
		need = (k + 1) / 2
	}
	if need < 1 || need > k {
		return 0, fmt.Errorf("%s: %w: min items %d, want 1..%d", name, ErrSpec, s.MinItems, k)
	}
	return need, nil
}

// POMP is an item's answer x on the 0–100 scale: reverse coded when it.Reverse
// (Max + Min − x), top-coded at Max for a Count item, then 100·(x − Min)/(Max − Min).
// NaN stays NaN; a value outside the range is an error naming the item.
func (it Item) POMP(x float64) (float64, error) {
	if math.IsNaN(x) {
		return x, nil
	}
	if it.Kind == Count && x > it.Max {
		x = it.Max
	}
	if x < it.Min || x > it.Max {
		return math.NaN(), fmt.Errorf("item %s: value %v outside %v..%v", it.Name, x, it.Min, it.Max)
	}
	if it.Reverse {
		x = it.Max + it.Min - x
	}
	return 100 * (x - it.Min) / (it.Max - it.Min), nil
}

// Score computes each respondent's score (package doc, Scoring): the mean, or with
// spec.Weights the weighted mean, of the POMP values of the answered items, NaN when
// fewer than MinItems are answered. items[j][i] is item j of respondent i.
func Score(items [][]float64, spec ScoreSpec) ([]float64, error) {
	need, err := spec.check(items)
	if err != nil {
		return nil, err
	}
	n := len(items[0])
	sum := make([]float64, n)
	den := make([]float64, n)
	count := make([]int, n)
	for j, it := range spec.Items {
		v := 1.0
		if spec.Weights != nil {
			v = spec.Weights[j]
		}
		for i, x := range items[j] {
			p, err := it.POMP(x)
			if err != nil {
				return nil, fmt.Errorf("%s: respondent %d: %w", specName(spec), i+1, err)
			}
			if math.IsNaN(p) {
				continue
			}
			sum[i] += v * p
			den[i] += v
			count[i]++
		}
	}
	for i := range sum {
		if count[i] < need || den[i] == 0 {
			sum[i] = math.NaN()
		} else {
			sum[i] /= den[i]
		}
	}
	return sum, nil
}

func specName(s ScoreSpec) string {
	if s.Name == "" {
		return "scale"
	}
	return s.Name
}

// FactorScoreWeights are ScoreSpec.Weights that make the score a factor score:
// v_j = (λ_j/θ_j)·(Max_j − Min_j), so that Σ_j v_j·p_j / Σ_j v_j, p_j the POMP value,
// is, up to a linear map onto 0–100, Bartlett's (1937) factor score Σ_j (λ_j/θ_j)·x_j of
// the one-factor model o (the items in o's order, already reverse coded as items says).
// An item with a negative loading is an error: it should be reverse coded first.
func FactorScoreWeights(o *OmegaResult, items []Item) ([]float64, error) {
	if len(items) != len(o.Loadings) {
		return nil, fmt.Errorf("factor score weights: %d items for a model of %d", len(items), len(o.Loadings))
	}
	v := make([]float64, len(items))
	for j, it := range items {
		if o.Loadings[j] < 0 {
			return nil, fmt.Errorf("factor score weights: item %s loads negatively (%.3g); reverse code it", it.Name, o.Loadings[j])
		}
		v[j] = o.Loadings[j] / o.Residuals[j] * (it.Max - it.Min)
	}
	return v, nil
}
