package spss

import (
	"path/filepath"
	"strconv"
	"testing"

	"socap/internal/shareddata"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// readAll reads every case of path into one batch per variable.
func readAll(t testing.TB, path string, opts Options) (*Reader, *labelled.Batch) {
	t.Helper()
	return labelledtest.ReadFile(t, path, func(path string) (*Reader, error) { return Open(path, opts) })
}

// varNames lists the names of r's variables.
func varNames(r *Reader) []string {
	return labelledtest.Names(r.Variables, func(v Variable) string { return v.Name })
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
	if !st.raw {
		return labelledtest.Calendar(v.Kind, x)
	}
	switch v.Kind {
	case labelled.Date:
		x = x*86400 + spssEpochOffset
	case labelled.DateTime:
		x += spssEpochOffset
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// TestFixturesMatchCSV reads every pyreadstat SPSS fixture that has a
// companion CSV and compares every cell. The companions differ in style:
// sample.csv writes dates as text and nulls as empty cells;
// sample_missing*.csv write SPSS's #NULL!; *_unformatted.csv write NaN for
// missing; *_formatted.csv keep user-missing values; *_labeled.csv print
// value labels; sample_nodate_spss.csv writes dates as SPSS seconds.
func TestFixturesMatchCSV(t *testing.T) {
	ds := shareddata.Path(t, "readstat")
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
			labelledtest.CompareCSV(t, filepath.Join(ds, tt.csv), varNames(r), b, func(i, j int) string {
				return render(r.Variables[j], b.Columns[j], i, tt.style)
			})
		})
	}
}
