// Package coretest checks an indicator module against its testdata: a small
// hand-made input (testdata/input.csv: harmonised variables, one respondent a
// row, blank or NA = missing) and the values worked out by hand
// (testdata/expected.csv: one column per output column, blank or NA = NaN, one row
// per input row). It is for the modules' tests only.
package coretest

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// New is a module's constructor.
type New func(cb *codebook.Codebook, opts core.Options) (core.Indicator, error)

// Check builds the module on the builtin ilag codebook with opts, computes it
// on testdata/input.csv and compares every output column with
// testdata/expected.csv within 1e-9. It returns the module for further checks.
func Check(t *testing.T, newModule New, opts core.Options) core.Indicator {
	t.Helper()
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	ind, err := newModule(cb, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := ReadCSV(t, filepath.Join("testdata", "input.csv"))
	want := ReadCSV(t, filepath.Join("testdata", "expected.csv"))
	got, err := ind.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ind.Outputs() {
		for _, c := range o.Columns() {
			w, ok := want[c]
			if !ok {
				t.Errorf("expected.csv has no column %s", c)
				continue
			}
			if len(got[c]) != len(w) {
				t.Errorf("%s: %d values, want %d", c, len(got[c]), len(w))
				continue
			}
			for i := range w {
				if !Same(got[c][i], w[i]) {
					t.Errorf("%s: row %d: got %v, want %v", c, i+1, got[c][i], w[i])
				}
			}
		}
	}
	return ind
}

// Same reports whether a and b are both NaN or within 1e-9 of each other.
func Same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9
}

// ReadCSV reads a CSV of numbers into columns by header name; a blank or NA is NaN.
func ReadCSV(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: empty", path)
	}
	cols := map[string][]float64{}
	for i, rec := range recs[1:] {
		for j, s := range rec {
			v := math.NaN()
			if s != "" && s != "NA" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatalf("%s: row %d, column %s: %v", path, i+2, recs[0][j], err)
				}
			}
			cols[recs[0][j]] = append(cols[recs[0][j]], v)
		}
	}
	return cols
}
