package spss

import (
	"path/filepath"
	"strconv"
	"testing"
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

// TestESS9NO compares ESS9NO.sav with ESS9NO.csv for every shared variable,
// matching respondents by idno. The CSV has numeric user-missing codes as
// NA but keeps the codes of string variables ("6666", "999"), so numeric
// variables are compared as read by default and string variables as read
// with KeepUserMissing.
func TestESS9NO(t *testing.T) {
	ds := filepath.Join(datasets(t), "ess9no")
	path := filepath.Join(ds, "ESS9NO.sav")
	r, b := readAll(t, path, Options{})
	_, kept := readAll(t, path, Options{KeepUserMissing: true})
	want := readCSV(t, filepath.Join(ds, "ESS9NO.csv"))
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
	shared, differing := 0, map[string]int{}
	for j, v := range r.Variables {
		cj, ok := col[v.Name]
		if !ok {
			continue
		}
		shared++
		c := b.Columns[j]
		if v.Kind == String {
			c = kept.Columns[j]
		}
		for _, rec := range want[1:] {
			id, _ := strconv.ParseFloat(rec[col["idno"]], 64)
			i, ok := row[id]
			if !ok {
				t.Fatalf("idno %v of the CSV not in the .sav", id)
			}
			if !essSame(v, c, i, rec[cj]) {
				differing[v.Name]++
			}
		}
	}
	if shared < 500 {
		t.Errorf("only %d shared variables", shared)
	}
	for name, n := range differing {
		if _, ok := essEditionDiffs[name]; !ok {
			t.Errorf("%s: %d respondents differ from the CSV", name, n)
		}
	}
	for name := range essEditionDiffs {
		if differing[name] == 0 {
			t.Errorf("%s is listed as differing but matches the CSV", name)
		}
	}
}

// essSame compares with a cell of R's write.csv: NA for missing, numbers
// with 15 significant digits.
func essSame(v Variable, c Column, i int, cell string) bool {
	if !c.Valid[i] {
		return cell == "NA"
	}
	if v.Kind == String {
		return c.Strings[i] == cell
	}
	w, err := strconv.ParseFloat(cell, 64)
	return err == nil && strconv.FormatFloat(c.Floats[i], 'g', 15, 64) == strconv.FormatFloat(w, 'g', 15, 64)
}
