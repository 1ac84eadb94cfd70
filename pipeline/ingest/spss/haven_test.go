package spss

import (
	"path/filepath"
	"strconv"
	"testing"

	"socap/internal/testcsv"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// TestHaven compares every SPSS file of the shared corpus with R's haven
// (read_sav), with user-missing values as NA (user_na = FALSE) and kept
// (user_na = TRUE, Options.KeepUserMissing).
func TestHaven(t *testing.T) {
	ds, files := labelledtest.Corpus(t, 10, corpus...)
	dir := labelledtest.Haven(t, filepath.Join("testdata", "reference", "haven_csv.R"), files)
	for i, f := range files {
		rel, _ := filepath.Rel(ds, f)
		for _, keep := range []bool{false, true} {
			name := filepath.Join(dir, strconv.Itoa(i+1)+map[bool]string{false: ".user_na_false.csv", true: ".user_na_true.csv"}[keep])
			t.Run(rel+map[bool]string{false: "", true: "/user_na"}[keep], func(t *testing.T) {
				r, b := readAll(t, f, Options{KeepUserMissing: keep})
				labelledtest.CompareTable(t, "haven", varNames(r), b, testcsv.Read(t, name), func(i, j int, cell string) bool {
					return sameAsHaven(r.Variables[j], b.Columns[j], i, cell)
				}, func(i, j int) string { return render(r.Variables[j], b.Columns[j], i, cellStyle{null: "NA"}) })
			})
		}
	}
}

// sameAsHaven compares with a cell of haven_csv.R.
func sameAsHaven(v Variable, c labelled.Column, i int, cell string) bool {
	if !c.Valid[i] {
		return cell == "NA"
	}
	if v.Kind == labelled.String {
		return c.Strings[i] == cell
	}
	return labelledtest.SameAsHaven(v.Kind, c.Floats[i], cell)
}
