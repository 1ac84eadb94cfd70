package stata

import (
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
	"socap/pipeline/ingest/internal/labelledtest"
)

// TestESS9NO compares ESS9NO.dta (format 115, Latin-1 text, missing codes
// as .a–.d) with ESS9NO.csv for every shared variable, matching
// respondents by idno. Both are edition 3, so every value must match
// (ESS9NO.sav, edition 2, differs in a few variables; see the spss
// package's test).
func TestESS9NO(t *testing.T) {
	r, b := readAll(t, shareddata.Path(t, "ess9no/ESS9NO.dta"), Options{})
	want := testcsv.Read(t, shareddata.Path(t, "ess9no/ESS9NO.csv"))
	if r.File.Version != 115 || r.File.Rows != 1406 || r.File.Encoding != "UTF-8" {
		t.Errorf("file info %+v", r.File)
	}
	// The text of this format-115 file is UTF-8, not Latin-1.
	for _, v := range r.Variables {
		if v.Name == "prtvtcat" && (len(v.ValueLabels) < 5 || v.ValueLabels[4].Label != "Grüne") {
			t.Errorf("prtvtcat labels %+v, want Grüne fifth", v.ValueLabels)
		}
	}
	col, rows := labelledtest.MatchRows(t, varNames(r), b, want, "idno")
	shared := 0
	for j, v := range r.Variables {
		cj, ok := col[v.Name]
		if !ok {
			continue
		}
		shared++
		for k, rec := range want[1:] {
			if i := rows[k]; !labelledtest.SameAsR(v.Kind, b.Columns[j], i, rec[cj], "NA") {
				t.Errorf("idno %s %s: %q, CSV %q", rec[col["idno"]], v.Name, render(v, b.Columns[j], i, cellStyle{null: "NA"}), rec[cj])
			}
		}
	}
	if shared < 500 {
		t.Errorf("only %d shared variables", shared)
	}
}
