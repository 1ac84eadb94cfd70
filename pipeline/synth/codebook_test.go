package synth

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"socap/pipeline/codebook"
)

// generateCSV generates a survey and returns each wave's CSV.
func generateCSV(t testing.TB, opts Options) ([][]byte, *Truth) {
	t.Helper()
	bufs := make([]bytes.Buffer, opts.Waves)
	var writers []RowWriter
	var csvs []*CSVWriter
	for i := range bufs {
		cw, err := NewCSVWriter(&bufs[i])
		if err != nil {
			t.Fatal(err)
		}
		writers, csvs = append(writers, cw), append(csvs, cw)
	}
	truth, err := Generate(opts, writers)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, opts.Waves)
	for i, cw := range csvs {
		if err := cw.Flush(); err != nil {
			t.Fatal(err)
		}
		out[i] = bufs[i].Bytes()
	}
	return out, truth
}

// TestIlagCodebookDescribesOutput checks that the builtin:ilag codebook
// validates, lists exactly the columns the generator writes, in order, and
// admits every value written: a labelled code, a value in range, or a
// missing code.
func TestIlagCodebookDescribesOutput(t *testing.T) {
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range cb.Variables {
		names = append(names, v.Name)
	}
	want := []string{IDColumn}
	for _, c := range Columns {
		want = append(want, c.Name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("codebook variables\n%v\nwant the columns written\n%v", names, want)
	}
	if w := cb.Variable("weight"); cb.IDVariable().Name != IDColumn || w == nil || w.Type != codebook.Weight {
		t.Errorf("id %q, weight %+v; want id %q and a weight variable named weight", cb.IDVariable().Name, w, IDColumn)
	}
	for _, v := range cb.Variables {
		if v.Source != "" && !slices.ContainsFunc(cb.References, func(r codebook.Reference) bool { return r.ID == v.Source }) {
			t.Errorf("%s: source %q is not a reference", v.Name, v.Source)
		}
	}
	for _, c := range Columns {
		v := cb.Variable(c.Name)
		var codes []string
		for _, m := range v.Missing {
			codes = append(codes, string(m))
		}
		var wantCodes []string
		if c.Missing[0] != 0 {
			wantCodes = []string{strconv.Itoa(c.Missing[0]), strconv.Itoa(c.Missing[1])}
		}
		if !slices.Equal(codes, wantCodes) {
			t.Errorf("%s: codebook missing codes %v, generator writes %v", c.Name, codes, wantCodes)
		}
	}

	waves, _ := generateCSV(t, Options{Respondents: 3000, Waves: 2, Seed: 7})
	seen := map[string]bool{}
	for w, data := range waves {
		records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(records[0], want) {
			t.Fatalf("wave %d header %v", w+1, records[0])
		}
		for _, rec := range records[1:] {
			if seen[rec[0]] {
				t.Fatalf("id %s twice", rec[0])
			}
			seen[rec[0]] = true
			for j, cell := range rec[1:] {
				v := &cb.Variables[j+1]
				if cell == "" {
					continue
				}
				if err := admits(v, cell); err != nil {
					t.Fatalf("wave %d, id %s: %v", w+1, rec[0], err)
				}
			}
		}
	}
}

// admits checks a value against a codebook variable.
func admits(v *codebook.Variable, cell string) error {
	if slices.Contains(v.Missing, codebook.Code(cell)) {
		return nil
	}
	x, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return err
	}
	if v.RestrictedToLabels() && !slices.ContainsFunc(v.Values, func(val codebook.Value) bool { return string(val.Code) == cell }) {
		return fmt.Errorf("%s = %s is not a labelled code", v.Name, cell)
	}
	if lo, hi, ok := v.Bounds(); ok && (x < lo || x > hi) {
		return fmt.Errorf("%s = %s outside [%g, %g]", v.Name, cell, lo, hi)
	}
	return nil
}
