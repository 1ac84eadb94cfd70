package survey

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// smallFrame is a made-up stratified cluster sample: strata a and b with two PSUs
// each, stratum c with a single PSU.
func smallFrame(t testing.TB) *Frame {
	t.Helper()
	nan := math.NaN()
	f := NewFrame()
	for _, err := range []error{
		f.AddString("stratum", []string{"a", "a", "a", "a", "b", "b", "b", "b", "c", "c"}),
		f.AddFloat("psu", []float64{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}),
		f.AddFloat("w", []float64{10, 10, 12, 12, 5, 5, 8, 8, 20, 20}),
		f.AddFloat("zero", []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
		f.AddFloat("neg", []float64{10, 10, 12, -1, 5, 5, 8, 8, 20, 20}),
		f.AddFloat("pop", []float64{100, 100, 100, 100, 1, 1, 1, 1, 50, 50}),
		f.AddFloat("mixed", []float64{100, 100, 100, 100, 0.5, 0.5, 0.5, 0.5, 50, 50}),
		f.AddFloat("y", []float64{1, 2, 3, 4, 5, 6, 7, nan, 9, 10}),
		f.AddFloat("bin", []float64{0, 1, 1, 0, 1, 2, 0, 1, 1, 0}),
		f.AddString("label", []string{"x", "x", "x", "x", "x", "x", "x", "x", "x", "x"}),
		f.AddString("g", []string{"u", "u", "v", "v", "u", "u", "v", "v", "u", "u"}),
		f.AddString("split", []string{"u", "v", "w", "w", "x", "x", "y", "y", "z", "z"}),
		f.AddFloat("rep1", []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestDesignErrors(t *testing.T) {
	base := Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, LonelyPSU: LonelyRemove}
	with := func(edit func(*Spec)) Spec {
		s := base
		edit(&s)
		return s
	}
	tests := []struct {
		name string
		spec Spec
		is   error
		want []string
	}{
		{"unknown column lists close matches", with(func(s *Spec) { s.Weights = "ww" }),
			ErrUnknownColumn, []string{`column "ww"`, `did you mean "w"`}},
		{"unknown column without close match", with(func(s *Spec) { s.Strata = "region" }),
			ErrUnknownColumn, []string{`strata: column "region": unknown column`}},
		{"text weight column", with(func(s *Spec) { s.Weights = "label" }),
			ErrNotNumeric, []string{`weights: column "label", row 1: "x" is not a number`}},
		{"text fpc column", with(func(s *Spec) { s.FPC = []string{"label"} }),
			ErrNotNumeric, []string{`fpc: column "label"`}},
		{"lonely psu under fail names the stratum", with(func(s *Spec) { s.LonelyPSU = LonelyFail }),
			ErrLonelyPSU, []string{`stratum "c"`, "stage 1", "only one PSU"}},
		{"negative weight names row", with(func(s *Spec) { s.Weights = "neg" }),
			nil, []string{`column "neg", row 4: negative weight -1`}},
		{"fpc below sample size names the stratum", with(func(s *Spec) { s.FPC = []string{"pop"} }),
			nil, []string{`population size 1 is smaller than the 2 sampled units in stratum "b"`}},
		{"fpc mixing sizes and fractions", with(func(s *Spec) { s.FPC = []string{"mixed"} }),
			nil, []string{"mix of population sizes"}},
		{"psu in two strata without nest", with(func(s *Spec) { s.Strata = "split" }),
			nil, []string{`PSU "1" appears in strata "u" and "v"`, "nest"}},
		{"replicate pattern matching nothing", Spec{Weights: "w", Replicates: &ReplicateSpec{Pattern: "^repw", Type: JK1}},
			ErrNoReplicates, []string{`replicate pattern "^repw"`}},
		{"replicates with strata", Spec{Weights: "w", Strata: "stratum", Replicates: &ReplicateSpec{Pattern: "^rep", Type: JK1}},
			nil, []string{"replicate weights replace strata"}},
		{"fay without rho", Spec{Weights: "w", Replicates: &ReplicateSpec{Pattern: "^rep", Type: Fay}},
			nil, []string{"Fay needs rho"}},
		{"unknown lonely rule", with(func(s *Spec) { s.LonelyPSU = "drop" }),
			nil, []string{`lonely psu rule "drop"`}},
		{"fpc per stage", with(func(s *Spec) { s.FPC = []string{"pop", "pop"} }),
			nil, []string{"2 columns for 1 sampling stage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDesign(smallFrame(t), tt.spec)
			checkErr(t, err, tt.is, tt.want)
		})
	}
}

func checkErr(t *testing.T, err, is error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %q does not wrap %v", err, is)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if msg := err.Error(); strings.ToLower(msg[:1]) != msg[:1] {
		t.Errorf("error %q does not start in lower case", msg)
	}
}

func TestEstimateErrors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		reqs []Request
		opt  Options
		is   error
		want []string
	}{
		{"zero total weight in a domain", Spec{Weights: "zero"}, []Request{mean("y")}, Options{By: []string{"g"}},
			ErrZeroWeight, []string{"estimate mean of y", `domain g="u"`, "sum of weights is 0"}},
		{"unknown analysis column", Spec{Weights: "w"}, []Request{mean("yy")}, Options{},
			ErrUnknownColumn, []string{`estimate mean of yy: column "yy"`, `did you mean "y"`}},
		{"unknown by column", Spec{Weights: "w"}, []Request{mean("y")}, Options{By: []string{"gg"}},
			ErrUnknownColumn, []string{`by: column "gg"`, `"g"`}},
		{"text analysis column", Spec{Weights: "w"}, []Request{mean("label")}, Options{},
			ErrNotNumeric, []string{`column "label"`}},
		{"proportion of a non 0/1 variable", Spec{Weights: "w"}, []Request{prop("bin")}, Options{},
			nil, []string{`column "bin", row 6: value 2 is not 0 or 1`}},
		{"quantile outside [0,1]", Spec{Weights: "w"}, []Request{quant("y", 1.5)}, Options{},
			nil, []string{"probability 1.5 outside [0, 1]"}},
		{"unknown statistic", Spec{Weights: "w"}, []Request{{Statistic: "median", Variable: "y"}}, Options{},
			nil, []string{`statistic "median"`}},
		{"bad level", Spec{Weights: "w"}, []Request{mean("y")}, Options{Level: 95},
			nil, []string{"confidence level 95"}},
		{"bad interval method", Spec{Weights: "w"}, []Request{prop("bin")}, Options{PropCI: "wald"},
			nil, []string{`proportion interval "wald"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDesign(smallFrame(t), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Estimate(tt.reqs, tt.opt)
			checkErr(t, err, tt.is, tt.want)
		})
	}
}

// TestEstimateGroupOnlyOutsideSubset: a group whose rows a subset left out
// (weight zero) is not estimated, as svyby enumerates groups among rows of
// non-zero weight, instead of failing for its zero sum of weights.
func TestEstimateGroupOnlyOutsideSubset(t *testing.T) {
	d, err := NewDesign(smallFrame(t), Spec{Weights: "w"})
	if err != nil {
		t.Fatal(err)
	}
	codes, _ := d.frame.Strings("g")
	keep := make([]bool, len(codes))
	for i, c := range codes {
		keep[i] = c == "v"
	}
	s, err := d.Subset(keep, "g = v")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.Estimate([]Request{mean("y")}, Options{By: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].By["g"] != "v" {
		t.Fatalf("records %+v, want the one of g = v", recs)
	}
	whole, err := d.Estimate([]Request{mean("y")}, Options{By: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range whole {
		if r.By["g"] == "v" && (r.Estimate != recs[0].Estimate || r.N != recs[0].N) {
			t.Errorf("subset g = v: %v (n %v), by g on the whole design: %v (n %v)", recs[0].Estimate, recs[0].N, r.Estimate, r.N)
		}
	}
}
