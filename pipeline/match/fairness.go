package match

import (
	"maps"
	"math"
	"slices"
)

// Fairness is the distribution of match quality in one group of newcomers,
// so that a centre sees whether some groups systematically get worse
// matches. Unmatched newcomers count in Newcomers and not in the quality
// statistics; Share is Matched/Newcomers.
type Fairness struct {
	// Variable is "all", "gender" or "country_group"; Group its value
	// ("" for all, "unknown" when not given).
	Variable, Group    string
	Newcomers, Matched int
	Share              float64
	Mean               float64
	Q25, Median, Q75   float64
	// Gap is Mean minus the mean quality of all matched newcomers.
	Gap float64
}

// fairnessBy are the variables of the fairness view.
var fairnessBy = []struct {
	name string
	of   func(*Newcomer) string
}{
	{"all", func(*Newcomer) string { return "" }},
	{"gender", func(n *Newcomer) string { return orUnknown(n.Gender) }},
	{"country_group", func(n *Newcomer) string { return orUnknown(n.CountryGroup) }},
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// fairness is the quality distribution of all newcomers, then by gender and
// by country group, groups sorted. Quantiles are R's type 7 (quantile()'s
// default): the sorted qualities interpolated at h = (n−1)p. A group
// without matched newcomers has NaN statistics.
func fairness(newcomers []Newcomer, pairs []Pair) []Fairness {
	quality := make(map[string]float64, len(pairs))
	for _, p := range pairs {
		quality[p.Newcomer] = p.Quality
	}
	var out []Fairness
	for _, v := range fairnessBy {
		count := map[string]int{}
		qs := map[string][]float64{}
		for i := range newcomers {
			g := v.of(&newcomers[i])
			count[g]++
			if q, ok := quality[newcomers[i].ID]; ok {
				qs[g] = append(qs[g], q)
			}
		}
		for _, g := range slices.Sorted(maps.Keys(count)) {
			q := qs[g]
			slices.Sort(q)
			out = append(out, Fairness{Variable: v.name, Group: g, Newcomers: count[g], Matched: len(q),
				Share: float64(len(q)) / float64(count[g]),
				Mean:  mean(q), Q25: quantile7(q, 0.25), Median: quantile7(q, 0.5), Q75: quantile7(q, 0.75)})
		}
	}
	for i := range out {
		out[i].Gap = out[i].Mean - out[0].Mean
	}
	return out
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// quantile7 is R's quantile(x, p, type = 7) of sorted x.
func quantile7(x []float64, p float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	h := float64(len(x)-1) * p
	lo := math.Floor(h)
	hi := math.Min(lo+1, float64(len(x)-1))
	return x[int(lo)] + (h-lo)*(x[int(hi)]-x[int(lo)])
}
