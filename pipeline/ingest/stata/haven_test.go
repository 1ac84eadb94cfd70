package stata

import (
	"path/filepath"
	"strconv"
	"testing"

	"socap/internal/testcsv"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// havenScript is the R script that dumps files as haven reads them; it
// lives with the spss package's reference data and serves both readers.
var havenScript = filepath.Join("..", "spss", "testdata", "reference", "haven_csv.R")

// TestHaven compares every Stata file of the shared corpus with R's
// haven (read_dta): values, NA and tagged missing values .a–.z. haven
// reads ESS9NO.dta only when told its text is UTF-8: by default it
// assumes windows-1252 for format 115 and fails on bytes that code page
// leaves undefined.
func TestHaven(t *testing.T) {
	ds, files := labelledtest.Corpus(t, 2, "readstat/*/*.dta", "ess9no/ESS9NO.dta")
	var args []string
	for _, f := range files {
		if filepath.Base(f) == "ESS9NO.dta" {
			f += "::UTF-8"
		}
		args = append(args, f)
	}
	dir := labelledtest.Haven(t, havenScript, args)
	for i, f := range files {
		rel, _ := filepath.Rel(ds, f)
		t.Run(rel, func(t *testing.T) {
			r, b := readAll(t, f, Options{})
			want := testcsv.Read(t, filepath.Join(dir, strconv.Itoa(i+1)+".dta.csv"))
			labelledtest.CompareTable(t, "haven", varNames(r), b, want, func(i, j int, cell string) bool {
				return sameAsHaven(r.Variables[j], b.Columns[j], i, cell)
			}, func(i, j int) string {
				return render(r.Variables[j], b.Columns[j], i, cellStyle{null: "NA", tags: true})
			})
		})
	}
}

// sameAsHaven compares with a cell of haven_csv.R. haven reads a
// time-of-day format such as %tcHH:MM:SS as a timestamp on 1960-01-01,
// where this reader gives seconds since midnight.
func sameAsHaven(v Variable, c labelled.Column, i int, cell string) bool {
	if v.Kind == labelled.String {
		return c.Strings[i] == cell
	}
	if !c.Valid[i] {
		if c.Tags[i] == '.' {
			return cell == "NA"
		}
		return cell == "."+string(c.Tags[i])
	}
	x := c.Floats[i]
	if v.Kind == labelled.Time {
		x -= stataEpochDays * 86400
	}
	return labelledtest.SameAsHaven(v.Kind, x, cell)
}
