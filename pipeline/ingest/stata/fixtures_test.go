package stata

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

// sharedDatasets returns ../shared/datasets beside the repository root,
// or "" when it is absent.
func sharedDatasets() string {
	dir, _ := filepath.Abs(".")
	for dir != filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			ds := filepath.Join(dir, "..", "shared", "datasets")
			if _, err := os.Stat(ds); err == nil {
				return ds
			}
			return ""
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

func datasets(t testing.TB) string {
	t.Helper()
	ds := sharedDatasets()
	if ds == "" {
		t.Skip("shared datasets not found at ../shared/datasets beside the checkout (they are never copied into it)")
	}
	return ds
}

// readAll reads every observation of path into one batch.
func readAll(t testing.TB, path string, opts Options) (*Reader, *labelled.Batch) {
	t.Helper()
	r, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r, drain(t, r)
}

func drain(t testing.TB, r *Reader) *labelled.Batch {
	t.Helper()
	all := &labelled.Batch{Columns: make([]labelled.Column, len(r.Variables))}
	b := r.NewBatch(3) // small batches exercise the batch boundaries
	for {
		n, err := r.Next(b)
		if errors.Is(err, io.EOF) {
			return all
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
				a.Tags = append(a.Tags, c.Tags[:n]...)
			}
		}
		all.Len += n
	}
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
	recs[0][0] = strings.TrimPrefix(recs[0][0], "\ufeff")
	return recs
}

// cellStyle says how a companion CSV spells values.
type cellStyle struct {
	null    string // how a missing value is written
	tags    bool   // .a–.z are written as their letter
	labeled bool   // labeled values are written as their label
	raw     bool   // dates are written as stored (days; seconds for %tc)
}

// render spells value i of variable v as the companion CSV does.
func render(v Variable, c labelled.Column, i int, st cellStyle) string {
	if v.Kind == labelled.String {
		return c.Strings[i]
	}
	if st.labeled {
		for _, l := range v.ValueLabels {
			if (!c.Valid[i] && l.Missing == c.Tags[i]) || (c.Valid[i] && l.Missing == 0 && l.Value == c.Floats[i]) {
				return l.Label
			}
		}
	}
	if !c.Valid[i] {
		if st.tags && c.Tags[i] != '.' {
			return string(c.Tags[i])
		}
		return st.null
	}
	x := c.Floats[i]
	switch {
	case st.raw && v.Kind == labelled.Date:
		x += stataEpochDays
	case st.raw && v.Kind == labelled.DateTime:
		x += stataEpochDays * 86400
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

// sameCell compares numerically when both are numbers (the CSVs write 1.0
// for 1) and the hour as 0 or 00.
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

// TestFixturesMatchCSV reads the pyreadstat Stata fixtures and compares
// every cell with their companion CSVs: sample.csv has dates as text;
// sample_nodate_sas_stata.csv has them as stored (seconds for %tc);
// missing_dta_formatted.csv writes .a–.z as letters, missing_unformatted.csv
// every missing value as NaN and missing_dta_labeled.csv value labels.
func TestFixturesMatchCSV(t *testing.T) {
	ds := filepath.Join(datasets(t), "readstat")
	tests := []struct {
		file, csv string
		style     cellStyle
	}{
		{"basic/sample.dta", "basic/sample.csv", cellStyle{}},
		{"basic/sample.dta", "basic/sample_nodate_sas_stata.csv", cellStyle{raw: true}},
		{"missing_data/missing_test.dta", "missing_data/missing_dta_formatted.csv", cellStyle{null: "NaN", tags: true}},
		{"missing_data/missing_test.dta", "missing_data/missing_unformatted.csv", cellStyle{null: "NaN"}},
		{"missing_data/missing_test.dta", "missing_data/missing_dta_labeled.csv", cellStyle{null: "NaN", tags: true, labeled: true}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"~"+filepath.Base(tt.csv), func(t *testing.T) {
			r, b := readAll(t, filepath.Join(ds, tt.file), Options{})
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
					if got := render(v, b.Columns[j], i, tt.style); !sameCell(got, want[i+1][j]) {
						t.Errorf("row %d %s: got %q, want %q", i+1, v.Name, got, want[i+1][j])
					}
				}
			}
		})
	}
}
