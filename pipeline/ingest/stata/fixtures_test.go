package stata

import (
	"path/filepath"
	"strconv"
	"testing"

	"socap/internal/shareddata"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// readAll reads every observation of path into one batch.
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
	if !st.raw {
		return labelledtest.Calendar(v.Kind, x)
	}
	switch v.Kind {
	case labelled.Date:
		x += stataEpochDays
	case labelled.DateTime:
		x += stataEpochDays * 86400
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// TestFixturesMatchCSV reads the pyreadstat Stata fixtures and compares
// every cell with their companion CSVs: sample.csv has dates as text;
// sample_nodate_sas_stata.csv has them as stored (seconds for %tc);
// missing_dta_formatted.csv writes .a–.z as letters, missing_unformatted.csv
// every missing value as NaN and missing_dta_labeled.csv value labels.
func TestFixturesMatchCSV(t *testing.T) {
	ds := shareddata.Path(t, "readstat")
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
			labelledtest.CompareCSV(t, filepath.Join(ds, tt.csv), varNames(r), b, func(i, j int) string {
				return render(r.Variables[j], b.Columns[j], i, tt.style)
			})
		})
	}
}
