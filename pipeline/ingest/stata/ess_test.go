package stata

import (
	"path/filepath"
	"strconv"
	"testing"

	"socap/pipeline/ingest/internal/labelled"
)

// TestESS9NO compares ESS9NO.dta (format 115, Latin-1 text, missing codes
// as .a–.d) with ESS9NO.csv for every shared variable, matching
// respondents by idno. Both are edition 3, so every value must match
// (ESS9NO.sav, edition 2, differs in a few variables; see the spss
// package's test).
func TestESS9NO(t *testing.T) {
	ds := filepath.Join(datasets(t), "ess9no")
	r, b := readAll(t, filepath.Join(ds, "ESS9NO.dta"), Options{})
	want := readCSV(t, filepath.Join(ds, "ESS9NO.csv"))
	if r.File.Version != 115 || r.File.Rows != 1406 || r.File.Encoding != "UTF-8" {
		t.Errorf("file info %+v", r.File)
	}
	// The text of this format-115 file is UTF-8, not Latin-1.
	for _, v := range r.Variables {
		if v.Name == "prtvtcat" && (len(v.ValueLabels) < 5 || v.ValueLabels[4].Label != "Grüne") {
			t.Errorf("prtvtcat labels %+v, want Grüne fifth", v.ValueLabels)
		}
	}
	col := map[string]int{}
	for j, name := range want[0] {
		col[name] = j
	}
	idno := -1
	for j, v := range r.Variables {
		if v.Name == "idno" {
			idno = j
		}
	}
	if idno < 0 {
		t.Fatal("no idno variable")
	}
	row := map[float64]int{}
	for i := 0; i < b.Len; i++ {
		row[b.Columns[idno].Floats[i]] = i
	}
	if b.Len != len(want)-1 {
		t.Errorf("%d respondents, CSV has %d", b.Len, len(want)-1)
	}
	shared := 0
	for j, v := range r.Variables {
		cj, ok := col[v.Name]
		if !ok {
			continue
		}
		shared++
		for _, rec := range want[1:] {
			id, _ := strconv.ParseFloat(rec[col["idno"]], 64)
			i, ok := row[id]
			if !ok {
				t.Fatalf("idno %v of the CSV not in the .dta", id)
			}
			if !essSame(v, b.Columns[j], i, rec[cj]) {
				t.Errorf("idno %v %s: %q, CSV %q", id, v.Name, render(v, b.Columns[j], i, cellStyle{null: "NA"}), rec[cj])
			}
		}
	}
	if shared < 500 {
		t.Errorf("only %d shared variables", shared)
	}
}

// essSame compares with a cell of R's write.csv: NA for missing, numbers
// with 15 significant digits.
func essSame(v Variable, c labelled.Column, i int, cell string) bool {
	if v.Kind == labelled.String {
		return c.Strings[i] == cell
	}
	if !c.Valid[i] {
		return cell == "NA"
	}
	w, err := strconv.ParseFloat(cell, 64)
	return err == nil && strconv.FormatFloat(c.Floats[i], 'g', 15, 64) == strconv.FormatFloat(w, 'g', 15, 64)
}
