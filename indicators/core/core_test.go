package core

import (
	"errors"
	"math"
	"strings"
	"testing"

	"socap/indicators/scale"
	"socap/pipeline/codebook"
)

// TestRefusals: values a module cannot score are refused with the column and
// respondent named, never turned into a number or dropped.
func TestRefusals(t *testing.T) {
	nan := math.NaN()
	d := Describe{ID: "x", Label: codebook.Text{NB: "x", EN: "x"}}
	all := Population{Who: Persons}
	for _, tc := range []struct {
		name string
		m    Measure
		cols map[string][]float64
		want string
	}{
		{"share not 0/1", ShareOf(d, "employed", all), map[string][]float64{"employed": {1, 0.5}}, "column employed: respondent 2: value 0.5, want 0 or 1"},
		{"mean out of range", MeanOf(d, ScaleTo10, "qol", 0, 10, all), map[string][]float64{"qol": {11}}, "respondent 1: value 11, want 0..10"},
		{"more active than children", RatioOf(d, "a", "c", all), map[string][]float64{"a": {nan, 3}, "c": {0, 2}}, "respondent 2: a 3 and c 2"},
		{"missing column", ShareOf(d, "employed", Population{Who: Persons, Ages: Ages{20, 66}}), map[string][]float64{"employed": {1}}, "no column age"},
		{"ragged", ScoreOf(d, []scale.Item{{Name: "a", Min: 0, Max: 1}, {Name: "b", Min: 0, Max: 1}}, 0, all), map[string][]float64{"a": {1, 0}, "b": {1}}, "column b has 1 rows, want 2"},
	} {
		_, err := New("m", tc.m).Compute(tc.cols)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestOptions: numbers as YAML decodes them, and the refusals.
func TestOptions(t *testing.T) {
	o := Options{"a": uint64(3), "b": 4.0, "c": -1, "d": "x", "e": 2.5, "min_age": 30, "max_age": 20}
	if v, err := o.Int("m", "a", 0); v != 3 || err != nil {
		t.Errorf("a: %v %v", v, err)
	}
	if v, err := o.Int("m", "b", 0); v != 4 || err != nil {
		t.Errorf("b: %v %v", v, err)
	}
	if v, err := o.Int("m", "zz", 7); v != 7 || err != nil {
		t.Errorf("default: %v %v", v, err)
	}
	for _, k := range []string{"c", "d", "e"} {
		if _, err := o.Int("m", k, 0); !errors.Is(err, ErrOption) {
			t.Errorf("%s: err %v, want ErrOption", k, err)
		}
	}
	if _, err := o.AgeOptions("m", "", Ages{}); !errors.Is(err, ErrOption) {
		t.Errorf("max_age below min_age: err %v", err)
	}
	if err := (Options{"min_itmes": 1}).Check("m", "min_items"); err == nil || !strings.Contains(err.Error(), "unknown option min_itmes (known: min_items)") {
		t.Errorf("check: %v", err)
	}
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Dimension(cb, Options{"min_items": 9}, "cognitive", codebook.Text{}); !errors.Is(err, ErrOption) {
		t.Errorf("min_items 9 of 4: err %v", err)
	}
	if _, err := Dimension(cb, nil, "no_such_dimension", codebook.Text{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no items: err %v", err)
	}
}

// TestPopulationText: the population in words, in both languages.
func TestPopulationText(t *testing.T) {
	for _, tc := range []struct {
		a      Ages
		nb, en string
	}{
		{Ages{20, 66}, "personer 20–66 år", "persons aged 20–66"},
		{Ages{}, "personer", "persons"},
		{Ages{Min: 16}, "personer 16 år og eldre", "persons aged 16 or older"},
	} {
		got := Population{Who: Persons, Ages: tc.a}.Text()
		if got.NB != tc.nb || got.EN != tc.en {
			t.Errorf("%v: %+v, want %q / %q", tc.a, got, tc.nb, tc.en)
		}
	}
}
