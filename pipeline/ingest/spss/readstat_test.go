package spss

import (
	"bytes"
	"encoding/csv"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// readstatCSV converts path with the readstat command (ReadStat, Debian
// package readstat) and returns its CSV, or skips when readstat is absent.
// ReadStat keeps user-missing values and writes dates as SPSS seconds.
func readstatCSV(t *testing.T, path string) [][]string {
	t.Helper()
	bin, err := exec.LookPath("readstat")
	if err != nil {
		t.Skip("readstat not on PATH (apt-get install -y readstat)")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, path, "-")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("readstat %s: %v: %s", path, err, stderr.String())
	}
	cr := csv.NewReader(&out)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("readstat %s output: %v", path, err)
	}
	return recs
}

// sameAsReadstat compares a value with ReadStat's CSV cell. ReadStat
// prints numbers with six decimals, or with 14 when six lose digits, and
// missing values as empty cells.
func sameAsReadstat(v Variable, c Column, i int, cell string) bool {
	got := render(v, c, i, cellStyle{raw: true})
	if v.Kind == String || !c.Valid[i] {
		return got == cell
	}
	w, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return false
	}
	g, _ := strconv.ParseFloat(got, 64)
	return g == w || strconv.FormatFloat(g, 'f', 6, 64) == cell || strconv.FormatFloat(g, 'f', 14, 64) == cell
}

// compareWithReadstat reads path with both readers and compares every
// value.
func compareWithReadstat(t *testing.T, path string) {
	t.Helper()
	want := readstatCSV(t, path)
	r, b := readAll(t, path, Options{KeepUserMissing: true})
	if len(want) == 0 {
		t.Fatalf("readstat wrote nothing for %s", path)
	}
	if len(want[0]) != len(r.Variables) {
		t.Fatalf("%d variables, readstat has %d", len(r.Variables), len(want[0]))
	}
	for j, v := range r.Variables {
		if v.Name != want[0][j] {
			t.Errorf("variable %d: %q, readstat %q", j, v.Name, want[0][j])
		}
	}
	if b.Len != len(want)-1 {
		t.Fatalf("%d rows, readstat %d", b.Len, len(want)-1)
	}
	bad := 0
	for i := 0; i < b.Len && bad < 20; i++ {
		for j, v := range r.Variables {
			if !sameAsReadstat(v, b.Columns[j], i, want[i+1][j]) {
				bad++
				t.Errorf("row %d %s: got %q, readstat %q", i+1, v.Name, render(v, b.Columns[j], i, cellStyle{raw: true}), want[i+1][j])
			}
		}
	}
}

// TestReadstatFixtures compares every SPSS file of the shared corpus with
// ReadStat's conversion.
func TestReadstatFixtures(t *testing.T) {
	ds := datasets(t)
	var files []string
	for _, pat := range []string{"readstat/*/*.sav", "readstat/*/*.zsav", "ess9no/*.sav", "ess9nordic/*.sav"} {
		m, _ := filepath.Glob(filepath.Join(ds, pat))
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d SPSS files under %s", len(files), ds)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(ds, f)
		t.Run(rel, func(t *testing.T) { compareWithReadstat(t, f) })
	}
}
