package spss

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"socap/pipeline/ingest/internal/labelled"
)

// havenCSVs runs testdata/reference/haven_csv.R on files and returns the
// directory it wrote to, or skips when R's haven is not installed.
func havenCSVs(t *testing.T, script string, files []string) string {
	t.Helper()
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
	dir := t.TempDir()
	if out, err := exec.Command(rscript, append([]string{script, dir}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", script, err, out)
	}
	return dir
}

// TestHaven compares every SPSS file of the shared corpus with R's haven
// (read_sav), with user-missing values as NA (user_na = FALSE) and kept
// (user_na = TRUE, Options.KeepUserMissing).
func TestHaven(t *testing.T) {
	ds := datasets(t)
	var files []string
	for _, pat := range []string{"readstat/*/*.sav", "readstat/*/*.zsav", "ess9no/*.sav", "ess9nordic/*.sav"} {
		m, _ := filepath.Glob(filepath.Join(ds, pat))
		files = append(files, m...)
	}
	dir := havenCSVs(t, filepath.Join("testdata", "reference", "haven_csv.R"), files)
	for i, f := range files {
		rel, _ := filepath.Rel(ds, f)
		for _, keep := range []bool{false, true} {
			name := filepath.Join(dir, strconv.Itoa(i+1)+map[bool]string{false: ".user_na_false.csv", true: ".user_na_true.csv"}[keep])
			t.Run(rel+map[bool]string{false: "", true: "/user_na"}[keep], func(t *testing.T) {
				r, b := readAll(t, f, Options{KeepUserMissing: keep})
				want := readCSV(t, name)
				if len(want[0]) != len(r.Variables) || b.Len != len(want)-1 {
					t.Fatalf("%d variables × %d rows, haven %d × %d", len(r.Variables), b.Len, len(want[0]), len(want)-1)
				}
				bad := 0
				for i := 0; i < b.Len && bad < 20; i++ {
					for j, v := range r.Variables {
						if !sameAsHaven(v, b.Columns[j], i, want[i+1][j]) {
							bad++
							t.Errorf("row %d %s: got %q, haven %q", i+1, v.Name, render(v, b.Columns[j], i, cellStyle{null: "NA"}), want[i+1][j])
						}
					}
				}
			})
		}
	}
}

// sameAsHaven compares with a cell of haven_csv.R. Dates and times are
// compared to 1e-12 relative: haven divides before shifting the epoch.
func sameAsHaven(v Variable, c labelled.Column, i int, cell string) bool {
	if !c.Valid[i] {
		return cell == "NA"
	}
	if v.Kind == labelled.String {
		return c.Strings[i] == cell
	}
	w, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return false
	}
	x := c.Floats[i]
	return x == w || (v.Kind != labelled.Numeric && math.Abs(x-w) <= 1e-12*math.Abs(w))
}
