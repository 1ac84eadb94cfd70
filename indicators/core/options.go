package core

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"socap/pipeline/codebook"
)

// Options are a module's options as socap.yaml's indicators: section gives
// them (already decoded: numbers as int, int64, uint64 or float64). Each
// module documents its options in its sample.conf.
type Options map[string]any

// Check refuses an option not in known.
func (o Options) Check(module string, known ...string) error {
	for _, k := range slices.Sorted(maps.Keys(o)) {
		if !slices.Contains(known, k) {
			return fmt.Errorf("%s: %w: unknown option %s (known: %s)", module, ErrOption, k, strings.Join(known, ", "))
		}
	}
	return nil
}

// Int is option key as a whole number ≥ 0, def when not set.
func (o Options) Int(module, key string, def int) (int, error) {
	v, ok := o[key]
	if !ok {
		return def, nil
	}
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, fmt.Errorf("%s: %w: %s: %v is not a number", module, ErrOption, key, v)
	}
	if f != math.Trunc(f) || f < 0 || f > 1e6 {
		return 0, fmt.Errorf("%s: %w: %s: %v, want a whole number ≥ 0", module, ErrOption, key, v)
	}
	return int(f), nil
}

// Ages is an age band [Min, Max] in whole years; a bound of 0 is no bound.
type Ages struct{ Min, Max int }

// AgeOptions reads the options prefix+"min_age" and prefix+"max_age" with
// defaults def.
func (o Options) AgeOptions(module, prefix string, def Ages) (Ages, error) {
	lo, err := o.Int(module, prefix+"min_age", def.Min)
	if err != nil {
		return Ages{}, err
	}
	hi, err := o.Int(module, prefix+"max_age", def.Max)
	if err != nil {
		return Ages{}, err
	}
	if hi > 0 && hi < lo {
		return Ages{}, fmt.Errorf("%s: %w: %smax_age %d below %smin_age %d", module, ErrOption, prefix, hi, prefix, lo)
	}
	return Ages{lo, hi}, nil
}

// bounded reports whether the band restricts ages at all.
func (a Ages) bounded() bool { return a.Min > 0 || a.Max > 0 }

// contains reports whether age x is in the band (false for a missing age).
func (a Ages) contains(x float64) bool {
	if math.IsNaN(x) {
		return false
	}
	return (a.Min == 0 || x >= float64(a.Min)) && (a.Max == 0 || x <= float64(a.Max))
}

// text is the band in words: " aged 20–66" / " 20–66 år", "" when unbounded.
func (a Ages) text() codebook.Text {
	switch {
	case a.Min > 0 && a.Max > 0:
		r := strconv.Itoa(a.Min) + "–" + strconv.Itoa(a.Max)
		return codebook.Text{NB: " " + r + " år", EN: " aged " + r}
	case a.Min > 0:
		return codebook.Text{NB: " " + strconv.Itoa(a.Min) + " år og eldre", EN: " aged " + strconv.Itoa(a.Min) + " or older"}
	case a.Max > 0:
		return codebook.Text{NB: " opp til " + strconv.Itoa(a.Max) + " år", EN: " aged up to " + strconv.Itoa(a.Max)}
	}
	return codebook.Text{}
}

// Population is whom an output is about: persons in an age band (read from
// the harmonised age), and, when Given is set, with Given = 1 (jobmatch:
// the employed).
type Population struct {
	// Who names the persons: {NB: "personer", EN: "persons"}.
	Who   codebook.Text
	Ages  Ages
	Given string
}

// Text is the population in words: Who followed by the age band.
func (p Population) Text() codebook.Text {
	a := p.Ages.text()
	return codebook.Text{NB: p.Who.NB + a.NB, EN: p.Who.EN + a.EN}
}

// inputs are the columns the population reads.
func (p Population) inputs() []string {
	var in []string
	if p.Ages.bounded() {
		in = append(in, "age")
	}
	if p.Given != "" {
		in = append(in, p.Given)
	}
	return in
}

// mask is, per respondent, whether they are in the population.
func (p Population) mask(module string, cols map[string][]float64, n int) ([]bool, error) {
	in := make([]bool, n)
	for i := range in {
		in[i] = true
	}
	if p.Ages.bounded() {
		age, err := column(module, cols, "age", n)
		if err != nil {
			return nil, err
		}
		for i, x := range age {
			in[i] = p.Ages.contains(x)
		}
	}
	if p.Given != "" {
		g, err := column(module, cols, p.Given, n)
		if err != nil {
			return nil, err
		}
		for i, x := range g {
			in[i] = in[i] && x == 1
		}
	}
	return in, nil
}
