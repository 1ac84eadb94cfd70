package stata

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"socap/pipeline/ingest/internal/labelled"
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
	ds := datasets(t)
	if testing.Short() {
		t.Skip("starting R takes seconds; skipped in -short mode")
	}
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not on PATH (apt-get install -y r-base-core r-cran-haven)")
	}
	if err := exec.Command(rscript, "-e", "library(haven)").Run(); err != nil {
		t.Skip("R package haven not installed (apt-get install -y r-cran-haven)")
	}
	files, _ := filepath.Glob(filepath.Join(ds, "readstat/*/*.dta"))
	files = append(files, filepath.Join(ds, "ess9no/ESS9NO.dta"))
	args := []string{havenScript, t.TempDir()}
	for _, f := range files {
		if filepath.Base(f) == "ESS9NO.dta" {
			f += "::UTF-8"
		}
		args = append(args, f)
	}
	dir := args[1]
	if out, err := exec.Command(rscript, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", havenScript, err, out)
	}
	for i, f := range files {
		rel, _ := filepath.Rel(ds, f)
		t.Run(rel, func(t *testing.T) {
			r, b := readAll(t, f, Options{})
			want := readCSV(t, filepath.Join(dir, strconv.Itoa(i+1)+".dta.csv"))
			if len(want[0]) != len(r.Variables) || b.Len != len(want)-1 {
				t.Fatalf("%d variables × %d rows, haven %d × %d", len(r.Variables), b.Len, len(want[0]), len(want)-1)
			}
			bad := 0
			for i := 0; i < b.Len && bad < 20; i++ {
				for j, v := range r.Variables {
					if !sameAsHaven(v, b.Columns[j], i, want[i+1][j]) {
						bad++
						t.Errorf("row %d %s: got %q, haven %q", i+1, v.Name, render(v, b.Columns[j], i, cellStyle{null: "NA", tags: true}), want[i+1][j])
					}
				}
			}
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
	w, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return false
	}
	x := c.Floats[i]
	if v.Kind == labelled.Time {
		x -= stataEpochDays * 86400
	}
	return x == w || (v.Kind != labelled.Numeric && math.Abs(x-w) <= 1e-12*math.Abs(w))
}
