package core

import (
	"fmt"
	"math"
	"slices"

	"socap/indicators/scale"
	"socap/pipeline/codebook"
)

// A Measure is one output and how its columns are computed. Modules make
// them with ScoreOf, ShareOf, MeanOf and RatioOf and combine them with New.
type Measure struct {
	Output Output
	pop    Population
	inputs []string
	// compute fills the output's columns for respondents in the population
	// (in[i]); every column starts as NaN.
	compute func(cols map[string][]float64, in []bool, out [][]float64) error
	// score-based measures only
	items    []scale.Item
	minItems int
}

// Describe is the part of an Output a module writes by hand.
type Describe struct {
	ID             string
	Label          codebook.Text
	HigherIsBetter bool
}

func (d Describe) output(u Unit, pop Population, st Statistic) Output {
	if !u.known() {
		panic("core: unknown unit " + u.ID)
	}
	return Output{ID: d.ID, Label: d.Label, Unit: u, HigherIsBetter: d.HigherIsBetter, Population: pop.Text(), Statistic: st}
}

// ScoreOf is a POMP score (Cohen, Cohen, Aiken & West 1999) over items, as
// synth's truth defines the dimension scores:
//
//	score_i = (1/|A_i|) Σ_{j∈A_i} 100 · (r_j(c_j(x_ij)) − Min_j) / (Max_j − Min_j)
//
// A_i the items respondent i answered, c_j clamping to [Min_j, Max_j] (the
// codebook's score bounds: ten or more friends count as ten), r_j reverse
// coding (Max_j + Min_j − x) for reversed items; NaN when fewer than
// minItems items are answered (0 means ⌈k/2⌉, scale's default) and outside
// the population. The survey statistic is the mean.
func ScoreOf(d Describe, items []scale.Item, minItems int, pop Population) Measure {
	m := Measure{Output: d.output(POMP, pop, Statistic{Kind: Mean, Column: d.ID}), pop: pop, items: items, minItems: minItems}
	for _, it := range items {
		m.inputs = append(m.inputs, it.Name)
	}
	m.compute = func(cols map[string][]float64, in []bool, out [][]float64) error {
		xs, err := m.itemColumns(cols, in, false)
		if err != nil {
			return err
		}
		s, err := scale.Score(xs, scale.ScoreSpec{Name: d.ID, Items: m.items, MinItems: m.minItems})
		if err != nil {
			return err
		}
		for i, v := range s {
			if in[i] {
				out[0][i] = v
			}
		}
		return nil
	}
	return m
}

// itemColumns are the items clamped to their bounds, reverse coded when
// reverse is set, NaN outside the population. Without reverse, columns that
// need no change are returned as they are (not copied).
func (m *Measure) itemColumns(cols map[string][]float64, in []bool, reverse bool) ([][]float64, error) {
	xs := make([][]float64, len(m.items))
	for j, it := range m.items {
		x, err := column(m.Output.ID, cols, it.Name, len(in))
		if err != nil {
			return nil, err
		}
		if !reverse && !slices.ContainsFunc(x, func(v float64) bool { return v < it.Min || v > it.Max }) {
			xs[j] = x
			continue
		}
		c := make([]float64, len(x))
		for i, v := range x {
			v = math.Max(it.Min, math.Min(it.Max, v)) // NaN stays NaN
			if reverse && it.Reverse {
				v = it.Max + it.Min - v
			}
			if reverse && !in[i] {
				v = math.NaN()
			}
			c[i] = v
		}
		xs[j] = c
	}
	return xs, nil
}

// ShareOf is the share of persons with variable = 1 (a 0/1 variable, NaN
// when not answered): the respondent's value is the variable itself; any
// other value is an error. The survey statistic is the proportion.
func ShareOf(d Describe, variable string, pop Population) Measure {
	return valueOf(d, Share, Statistic{Kind: Proportion, Column: d.ID}, variable, 0, 1, true, pop)
}

// MeanOf is the mean of variable over the population, a variable within
// [lo, hi] (the codebook's range: 0–10 for life satisfaction); a value
// outside is an error.
func MeanOf(d Describe, u Unit, variable string, lo, hi float64, pop Population) Measure {
	return valueOf(d, u, Statistic{Kind: Mean, Column: d.ID}, variable, lo, hi, false, pop)
}

func valueOf(d Describe, u Unit, st Statistic, variable string, lo, hi float64, binary bool, pop Population) Measure {
	m := Measure{Output: d.output(u, pop, st), pop: pop, inputs: []string{variable}}
	m.compute = func(cols map[string][]float64, in []bool, out [][]float64) error {
		x, err := column(d.ID, cols, variable, len(in))
		if err != nil {
			return err
		}
		for i, v := range x {
			if !in[i] || math.IsNaN(v) {
				continue
			}
			if v < lo || v > hi || (binary && v != lo && v != hi) {
				return fmt.Errorf("%s: column %s: respondent %d: value %v, want %s", d.ID, variable, i+1, v, want(lo, hi, binary))
			}
			out[0][i] = v
		}
		return nil
	}
	return m
}

func want(lo, hi float64, binary bool) string {
	if binary {
		return fmt.Sprintf("%v or %v", lo, hi)
	}
	return fmt.Sprintf("%v..%v", lo, hi)
}

// RatioOf is the ratio of totals R = Σ w·num / Σ w·den over the respondents of
// the population who answered both and have den > 0 (children_activity over
// children): a ratio of two counts with 0 ≤ num ≤ den, so that R is a share
// of the units counted by den (children, not parents). Compute gives num and
// den in the columns id_num and id_den, and each respondent's own num/den in
// id (for the scores table; its mean is not R). num > den or a negative count
// is an error.
func RatioOf(d Describe, num, den string, pop Population) Measure {
	st := Statistic{Kind: Ratio, Column: d.ID, Num: d.ID + "_num", Den: d.ID + "_den"}
	m := Measure{Output: d.output(Share, pop, st), pop: pop, inputs: []string{num, den}}
	m.compute = func(cols map[string][]float64, in []bool, out [][]float64) error {
		a, err := column(d.ID, cols, num, len(in))
		if err != nil {
			return err
		}
		b, err := column(d.ID, cols, den, len(in))
		if err != nil {
			return err
		}
		for i := range a {
			if !in[i] || math.IsNaN(a[i]) || math.IsNaN(b[i]) || b[i] == 0 {
				continue
			}
			if a[i] < 0 || b[i] < 0 || a[i] > b[i] {
				return fmt.Errorf("%s: respondent %d: %s %v and %s %v, want 0 ≤ %s ≤ %s", d.ID, i+1, num, a[i], den, b[i], num, den)
			}
			out[0][i], out[1][i], out[2][i] = a[i]/b[i], a[i], b[i]
		}
		return nil
	}
	return m
}
