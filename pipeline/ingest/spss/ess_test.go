package spss

import (
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// essEditionDiffs lists the ESS9NO.sav variables whose values differ from
// ESS9NO.csv, with the reason. The .sav is edition 2.0, the CSV edition 3.1.
var essEditionDiffs = map[string]string{
	"name":     "dataset title names the edition: ESS9e02 vs ESS9e03",
	"edition":  "edition number: 2 vs 3",
	"proddate": "production date: 15.06.2020 vs 10.12.2020",
	"stratum":  "edition 3 renumbered the sampling strata",
	"psu":      "edition 3 renumbered the primary sampling units",
	"ggchld":   "edition 2 has 6 (Not applicable) without declaring it user-missing; edition 3 has NA",
	"anctry2":  "edition 2 declares 555555–999999 user-missing; edition 3 keeps 555555 (No second ancestry) as a value",
}

// TestESS compares the ESS SPSS files with their CSVs for every shared
// variable, matching respondents by idno. ESS9NO.csv (R's write.csv) has
// numeric user-missing codes as NA but keeps the codes of string variables
// ("6666", "999"), so numeric variables are compared as read by default
// and string variables as read with KeepUserMissing. The Nordic CSVs are
// extracts as haven reads them, missing values empty.
func TestESS(t *testing.T) {
	tests := []struct {
		sav, csv, na string
		minShared    int
		diffs        map[string]string
	}{
		{"ess9no/ESS9NO.sav", "ess9no/ESS9NO.csv", "NA", 500, essEditionDiffs},
		{"ess9nordic/ESS9FI.sav", "ess9nordic/ess9fi.csv", "", 15, nil},
		{"ess9nordic/ESS9SE.sav", "ess9nordic/ess9se.csv", "", 15, nil},
	}
	for _, tt := range tests {
		t.Run(tt.sav, func(t *testing.T) {
			compareESS(t, shareddata.Path(t, tt.sav), shareddata.Path(t, tt.csv), tt.na, tt.minShared, tt.diffs)
		})
	}
}

func compareESS(t *testing.T, path, csvPath, na string, minShared int, diffs map[string]string) {
	r, b := readAll(t, path, Options{})
	_, kept := readAll(t, path, Options{KeepUserMissing: true})
	want := testcsv.Read(t, csvPath)
	col, rows := labelledtest.MatchRows(t, varNames(r), b, want, "idno")
	shared, differing := 0, map[string]int{}
	for j, v := range r.Variables {
		cj, ok := col[v.Name]
		if !ok {
			continue
		}
		shared++
		c := b.Columns[j]
		if v.Kind == labelled.String {
			c = kept.Columns[j]
		}
		for k, rec := range want[1:] {
			if !labelledtest.SameAsR(v.Kind, c, rows[k], rec[cj], na) {
				differing[v.Name]++
			}
		}
	}
	if shared < minShared {
		t.Errorf("only %d shared variables", shared)
	}
	for name, n := range differing {
		if _, ok := diffs[name]; !ok {
			t.Errorf("%s: %d respondents differ from the CSV", name, n)
		}
	}
	for name := range diffs {
		if differing[name] == 0 {
			t.Errorf("%s is listed as differing but matches the CSV", name)
		}
	}
}
