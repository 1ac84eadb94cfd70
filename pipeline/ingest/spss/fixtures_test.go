package spss

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"socap/pipeline/ingest/internal/labelled"
)

// datasets returns ../shared/datasets beside the repository root, or skips.
func datasets(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	ds := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(ds); err != nil {
		t.Skipf("shared datasets not found at %s (they live beside the checkout, never in it): %v", ds, err)
	}
	return ds
}

// readAll reads every case of path into one batch per variable.
func readAll(t testing.TB, path string, opts Options) (*Reader, *labelled.Batch) {
	t.Helper()
	r, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	all := &labelled.Batch{Columns: make([]labelled.Column, len(r.Variables))}
	b := r.NewBatch(3) // small batches exercise the batch boundaries
	for {
		n, err := r.Next(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Columns {
			c, a := &b.Columns[i], &all.Columns[i]
			a.Valid = append(a.Valid, c.Valid[:n]...)
			if c.Strings != nil {
				a.Strings = append(a.Strings, c.Strings[:n]...)
			} else {
				a.Floats = append(a.Floats, c.Floats[:n]...)
			}
		}
		all.Len += n
	}
	return r, all
}

func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) > 0 && len(recs[0]) > 0 {
		recs[0][0] = strings.TrimPrefix(recs[0][0], "\ufeff")
	}
	return recs
}

// cellStyle says how a companion CSV spells values.
type cellStyle struct {
	null    string // how a missing value is written
	labeled bool   // labeled values are written as their label
	raw     bool   // dates are written as SPSS seconds, not calendar text
}

// render spells value i of variable v as the companion CSV does.
func render(v Variable, c labelled.Column, i int, st cellStyle) string {
	if !c.Valid[i] {
		return st.null
	}
	if v.Kind == labelled.String {
		return c.Strings[i]
	}
	x := c.Floats[i]
	if st.labeled {
		for _, l := range v.ValueLabels {
			if l.Value == x {
				return l.Label
			}
		}
	}
	switch {
	case st.raw && v.Kind == labelled.Date:
		x = x*86400 + spssEpochOffset
	case st.raw && v.Kind == labelled.DateTime:
		x += spssEpochOffset
	case st.raw:
	case v.Kind == labelled.Date:
		return time.Unix(int64(math.Floor(x))*86400, 0).UTC().Format("2006-01-02")
	case v.Kind == labelled.DateTime:
		return time.Unix(int64(x), 0).UTC().Format("2006-01-02T15:04:05.000000")
	case v.Kind == labelled.Time:
		s := int64(x)
		return strconv.FormatInt(s/3600, 10) + time.Unix(s%3600, 0).UTC().Format(":04:05.000000")
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// sameCell compares a rendered value with the CSV text, numerically when
// both are numbers (the CSVs write 1.10 or 1.0 for 1.1 and 1) and with the
// hour written as 0 or 00.
func sameCell(got, want string) bool {
	if got == want {
		return true
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 == nil && err2 == nil {
		return g == w
	}
	return strings.TrimLeft(got, "0") == strings.TrimLeft(want, "0")
}

// TestFixturesMatchCSV reads every pyreadstat SPSS fixture that has a
// companion CSV and compares every cell. The companions differ in style:
// sample.csv writes dates as text and nulls as empty cells;
// sample_missing*.csv write SPSS's #NULL!; *_unformatted.csv write NaN for
// missing; *_formatted.csv keep user-missing values; *_labeled.csv print
// value labels; sample_nodate_spss.csv writes dates as SPSS seconds.
func TestFixturesMatchCSV(t *testing.T) {
	ds := filepath.Join(datasets(t), "readstat")
	tests := []struct {
		file, csv string
		keep      bool
		style     cellStyle
	}{
		{"basic/sample.sav", "basic/sample.csv", false, cellStyle{}},
		{"basic/sample.zsav", "basic/sample.csv", false, cellStyle{}},
		{"basic/sample.sav", "basic/sample_nodate_spss.csv", false, cellStyle{raw: true}},
		{"basic/sample_missing.sav", "basic/sample_missing.csv", false, cellStyle{null: "#NULL!"}},
		{"basic/sample_missing.sav", "basic/sample_missing_user.csv", true, cellStyle{null: "#NULL!"}},
		{"missing_data/missing_test.sav", "missing_data/missing_sav_unformatted.csv", false, cellStyle{null: "NaN"}},
		{"missing_data/missing_test.sav", "missing_data/missing_sav_formatted.csv", true, cellStyle{null: "NaN"}},
		{"missing_data/missing_test.sav", "missing_data/missing_sav_labeled.csv", true, cellStyle{null: "NaN", labeled: true}},
		{"missing_data/missing_char.sav", "missing_data/missing_char_unformatted.csv", false, cellStyle{null: "NaN"}},
		{"missing_data/missing_char.sav", "missing_data/missing_char_formatted.csv", true, cellStyle{null: "NaN"}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"~"+filepath.Base(tt.csv), func(t *testing.T) {
			r, b := readAll(t, filepath.Join(ds, tt.file), Options{KeepUserMissing: tt.keep})
			want := readCSV(t, filepath.Join(ds, tt.csv))
			if len(want[0]) != len(r.Variables) {
				t.Fatalf("%d variables, CSV has %d columns", len(r.Variables), len(want[0]))
			}
			for j, v := range r.Variables {
				if v.Name != want[0][j] {
					t.Errorf("variable %d is %q, CSV says %q", j, v.Name, want[0][j])
				}
			}
			if b.Len != len(want)-1 {
				t.Fatalf("%d rows, CSV has %d", b.Len, len(want)-1)
			}
			for i := 0; i < b.Len; i++ {
				for j, v := range r.Variables {
					got := render(v, b.Columns[j], i, tt.style)
					if !sameCell(got, want[i+1][j]) {
						t.Errorf("row %d %s: got %q, want %q", i+1, v.Name, got, want[i+1][j])
					}
				}
			}
		})
	}
}
