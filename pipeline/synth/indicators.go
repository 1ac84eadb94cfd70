package synth

import (
	"maps"
	"math"
	"slices"
	"strings"
)

// The indicators of socap's indicator modules and their population values.
// Each is a design-based mean (or a ratio of totals) of a respondent-level
// value over a population domain; its true value in a group and wave is the
// same quantity over every person of the finite population in that group,
// so that a 95 % confidence interval from the sample covers it in about 95 %
// of samples.
//
// The three dimension scores are POMP scores (percent of maximum possible,
// Cohen, Cohen, Aiken & West 1999, Multivariate Behavioral Research 34(3)):
//
//	score_d = (1/|J_d|) Σ_{j∈J_d} 100 · (c_j(x_j) − lo_j) / (hi_j − lo_j)
//
// over the items J_d of dimension d (the codebook's dimension:), where
// [lo_j, hi_j] is the item's score_range (else its range), c_j clamps to it
// and reversed items (reverse: true) use hi_j + lo_j − x_j. A respondent's
// score averages the items answered; the population value averages each
// person's score over all items, which is what the sample score estimates
// because items are skipped completely at random and independently of one
// another (the mean over a random subset of items has the full mean as its
// expectation, whatever the subset's size).

// IndicatorDef documents one indicator of the truth.
type IndicatorDef struct {
	Name string `json:"indicator"`
	// Statistic is "mean" (of Variable over the population) or "ratio"
	// (Σ Numerator / Σ Denominator over the population).
	Statistic   string `json:"statistic"`
	Variable    string `json:"variable,omitempty"`
	Numerator   string `json:"numerator,omitempty"`
	Denominator string `json:"denominator,omitempty"`
	// Unit is "pomp" (0–100), "proportion" (0–1) or "scale 0–10".
	Unit       string `json:"unit"`
	Population string `json:"population"`
	Formula    string `json:"formula"`
	// Items are the scored items of a dimension score.
	Items []ScoredItem `json:"items,omitempty"`
	stat  int
}

// ScoredItem is one item of a POMP score with its bounds.
type ScoredItem struct {
	Item    string  `json:"item"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Reverse bool    `json:"reverse,omitempty"`
}

// indicatorDefs are the indicators, in the order written.
var indicatorDefs = func() []IndicatorDef {
	var defs []IndicatorDef
	for d, name := range dimNames {
		def := IndicatorDef{
			Name: name, Statistic: "mean", Variable: name, Unit: "pomp", stat: statScore + d,
			Population: "all persons aged 16–79",
			Formula:    "mean over the answered items j of dimension " + name + " of 100·(x_j − min_j)/(max_j − min_j), x_j clamped to [min_j, max_j] and reversed (min_j + max_j − x_j) where reverse is true; the population value is the mean over persons of the score of all their items",
		}
		for _, it := range items {
			if it.dim == d {
				def.Items = append(def.Items, ScoredItem{Item: it.Name, Min: it.ScoreMin, Max: it.ScoreMax, Reverse: it.Reverse})
			}
		}
		defs = append(defs, def)
	}
	return append(defs,
		IndicatorDef{Name: "participation_children", Statistic: "ratio", Numerator: "children_activity", Denominator: "children", Unit: "proportion", stat: statPartChildren,
			Population: childrenActivityNote,
			Formula:    "Σ w·children_activity / Σ w·children over respondents with children > 0 who answered both; population value Σ children_activity / Σ children"},
		IndicatorDef{Name: "participation_youth", Statistic: "mean", Variable: "org_member", Unit: "proportion", stat: statPartYouth,
			Population: "persons aged 16–25 (age_group 1)", Formula: "share with org_member = 1"},
		IndicatorDef{Name: "participation_adults", Statistic: "mean", Variable: "org_member", Unit: "proportion", stat: statPartAdults,
			Population: "persons aged 26–79 (age_group 2–5)", Formula: "share with org_member = 1"},
		IndicatorDef{Name: "employment", Statistic: "mean", Variable: "employed", Unit: "proportion", stat: statEmployment,
			Population: "persons aged 20–66", Formula: "share with employed = 1"},
		IndicatorDef{Name: "jobmatch", Statistic: "mean", Variable: "job_match", Unit: "proportion", stat: statJobMatch,
			Population: "employed persons (employed = 1; job_match is blank for the others), aged 16–79", Formula: "share with job_match = 1"},
		IndicatorDef{Name: "qol", Statistic: "mean", Variable: "qol", Unit: "scale 0–10", stat: statQoL,
			Population: "all persons aged 16–79", Formula: "mean of qol (life satisfaction 0–10)"},
	)
}()

// pomp is the POMP score of dimension d of one wave's complete answers.
func pomp(mw *measured, d int) float64 {
	s, n := 0.0, 0
	for j := range nItems {
		it := &items[j]
		if it.dim != d {
			continue
		}
		x := math.Max(it.ScoreMin, math.Min(it.ScoreMax, float64(mw.items[j])))
		if it.Reverse {
			x = it.ScoreMin + it.ScoreMax - x
		}
		s += 100 * (x - it.ScoreMin) / (it.ScoreMax - it.ScoreMin)
		n++
	}
	return s / float64(n)
}

// IndicatorValue is an indicator's population value in a group and wave.
type IndicatorValue struct {
	Indicator string `json:"indicator"`
	Wave      int    `json:"wave"`
	// GroupSet names the grouping variables joined by "+", "all" for the
	// whole population (as socap's estimate exports name them).
	GroupSet string            `json:"group_set"`
	By       map[string]string `json:"by"`
	Value    float64           `json:"value"`
	// Population is the size of the indicator's population in the group:
	// persons, or children for participation_children.
	Population float64 `json:"population"`
}

// indicatorSets are the group sets of the indicator truth.
var indicatorSets = [][]string{
	{}, {"background"}, {"gender"}, {"country_group"}, {"age_group"}, {"programme"},
	{"background", "gender"}, {"programme", "background"},
	{"municipality"}, {"municipality", "background"}, {"municipality", "background", "gender"},
	{"country_group", "gender", "education"},
}

// groupSetName is the group set's name: its variables joined by "+", or "all".
func groupSetName(by []string) string {
	if len(by) == 0 {
		return "all"
	}
	return strings.Join(by, "+")
}

// indicatorValues computes every indicator in every group of indicatorSets.
func (acc *accumulator) indicatorValues() []IndicatorValue {
	var out []IndicatorValue
	for _, by := range indicatorSets {
		for _, g := range acc.aggregate(by) {
			for w := range acc.waves {
				for _, def := range indicatorDefs {
					sum, n := g.sums[(w*nStats+def.stat)*2], g.sums[(w*nStats+def.stat)*2+1]
					if n == 0 {
						continue
					}
					out = append(out, IndicatorValue{Indicator: def.Name, Wave: w + 1, GroupSet: groupSetName(by), By: byMap(by, g.levels), Value: sum / n, Population: n})
				}
			}
		}
	}
	return out
}

// indicatorDiD is, per indicator, the programme effect as a difference in
// differences of population values,
//
//	(θ_programme,2 − θ_programme,1) − (θ_comparison,2 − θ_comparison,1),
//
// overall and by background (the same persons are in both waves).
func indicatorDiD(values []IndicatorValue) []Effect {
	find := func(name, set string, wave int, by map[string]string) (float64, bool) {
		i := slices.IndexFunc(values, func(v IndicatorValue) bool {
			return v.Indicator == name && v.GroupSet == set && v.Wave == wave && maps.Equal(v.By, by)
		})
		if i < 0 {
			return 0, false
		}
		return values[i].Value, true
	}
	var out []Effect
	for _, set := range []string{"programme", "programme+background"} {
		for _, v := range values {
			if v.GroupSet != set || v.Wave != 1 || v.By["programme"] != "1" {
				continue
			}
			comp := maps.Clone(v.By)
			comp["programme"] = "0"
			p2, ok1 := find(v.Indicator, set, 2, v.By)
			c1, ok2 := find(v.Indicator, set, 1, comp)
			c2, ok3 := find(v.Indicator, set, 2, comp)
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			by := maps.Clone(v.By)
			delete(by, "programme")
			out = append(out, Effect{Variable: v.Indicator, By: by, Estimate: (p2 - v.Value) - (c2 - c1)})
		}
	}
	return out
}

// FindIndicator returns the population value of an indicator in wave for
// the group by (an empty map for the whole population).
func (t *Truth) FindIndicator(wave int, indicator string, by map[string]string) (IndicatorValue, bool) {
	i := slices.IndexFunc(t.Indicators, func(v IndicatorValue) bool {
		return v.Wave == wave && v.Indicator == indicator && maps.Equal(v.By, by)
	})
	if i < 0 {
		return IndicatorValue{}, false
	}
	return t.Indicators[i], true
}
