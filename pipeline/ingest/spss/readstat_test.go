package spss

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"socap/pipeline/ingest/internal/labelled"
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
func sameAsReadstat(v Variable, c labelled.Column, i int, cell string) bool {
	got := render(v, c, i, cellStyle{raw: true})
	if v.Kind == labelled.String || !c.Valid[i] {
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

// TestReadstatGenerated has ReadStat write a .sav from a CSV and a
// metadata file (long UTF-8 strings up to 700 bytes, so very long
// strings; fractions; system-missing; discrete and range user-missing
// values; value labels) and checks the reader against both ReadStat's
// reading and the source values.
func TestReadstatGenerated(t *testing.T) {
	bin, err := exec.LookPath("readstat")
	if err != nil {
		t.Skip("readstat not on PATH (apt-get install -y readstat)")
	}
	dir := t.TempDir()
	var src bytes.Buffer
	cw := csv.NewWriter(&src)
	cw.Write([]string{"id", "txt", "x", "code"})
	const rows = 300
	for i := 0; i < rows; i++ {
		x := ""
		if i%7 != 0 {
			x = strconv.FormatFloat(float64(i)*1.25-50, 'g', -1, 64)
		}
		cw.Write([]string{strconv.Itoa(i), strings.Repeat("Ærø ", (i*7)%176), x, strconv.Itoa(i % 5)})
	}
	cw.Flush()
	meta := `{"type": "SPSS", "variables": [
{"type": "NUMERIC", "name": "id", "label": "Identifier", "missing": {"type": "DISCRETE", "values": [3, 4]}},
{"type": "STRING", "name": "txt", "label": "Long text"},
{"type": "NUMERIC", "name": "x", "format": "NUMBER", "decimals": 2, "missing": {"type": "RANGE", "low": 10, "high": 20}},
{"type": "NUMERIC", "name": "code", "categories": [{"code": 1, "label": "one"}, {"code": 4, "label": "four"}]}]}`
	csvPath, metaPath, sav := filepath.Join(dir, "in.csv"), filepath.Join(dir, "meta.json"), filepath.Join(dir, "gen.sav")
	if err := os.WriteFile(csvPath, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metaPath, []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, csvPath, metaPath, sav).CombinedOutput(); err != nil {
		t.Fatalf("readstat: %v: %s", err, out)
	}
	compareWithReadstat(t, sav)

	r, b := readAll(t, sav, Options{})
	if r.Variables[1].Kind != labelled.String || r.Variables[1].Width <= 255 || r.Variables[1].Label != "Long text" {
		t.Errorf("txt should be a very long string: %+v", r.Variables[1])
	}
	if got := r.Variables[3].ValueLabels; len(got) != 2 || got[1].Value != 4 || got[1].Label != "four" {
		t.Errorf("code labels %+v", got)
	}
	if b.Len != rows {
		t.Fatalf("%d rows, want %d", b.Len, rows)
	}
	for i := 0; i < rows; i++ {
		if want := strings.TrimRight(strings.Repeat("Ærø ", (i*7)%176), " "); b.Columns[1].Strings[i] != want {
			t.Errorf("row %d txt has %d bytes, want %d", i, len(b.Columns[1].Strings[i]), len(want))
		}
		if valid := i != 3 && i != 4; b.Columns[0].Valid[i] != valid {
			t.Errorf("row %d id valid=%v, want %v", i, b.Columns[0].Valid[i], valid)
		}
		x := float64(i)*1.25 - 50
		if valid := i%7 != 0 && (x < 10 || x > 20); b.Columns[2].Valid[i] != valid || (valid && b.Columns[2].Floats[i] != x) {
			t.Errorf("row %d x=%v valid=%v, want %v valid=%v", i, b.Columns[2].Floats[i], b.Columns[2].Valid[i], x, valid)
		}
	}
}

// TestReadstatStringLabels has ReadStat write value labels for a string
// wider than 8 bytes, which go in the long string value labels record
// (subtype 21).
func TestReadstatStringLabels(t *testing.T) {
	bin, err := exec.LookPath("readstat")
	if err != nil {
		t.Skip("readstat not on PATH (apt-get install -y readstat)")
	}
	dir := t.TempDir()
	csvPath, metaPath, sav := filepath.Join(dir, "in.csv"), filepath.Join(dir, "meta.json"), filepath.Join(dir, "labels.sav")
	os.WriteFile(csvPath, []byte("city,code\nBergen sentrum,1\nOslo,2\nTromsø nord,3\n"), 0o644)
	os.WriteFile(metaPath, []byte(`{"type": "SPSS", "variables": [
{"type": "STRING", "name": "city", "categories": [{"code": "Bergen sentrum", "label": "BGO"}, {"code": "Tromsø nord", "label": "TOS"}]},
{"type": "NUMERIC", "name": "code"}]}`), 0o644)
	if out, err := exec.Command(bin, csvPath, metaPath, sav).CombinedOutput(); err != nil {
		t.Fatalf("readstat: %v: %s", err, out)
	}
	compareWithReadstat(t, sav)
	r, _ := readAll(t, sav, Options{})
	want := []labelled.ValueLabel{{String: "Bergen sentrum", Label: "BGO"}, {String: "Tromsø nord", Label: "TOS"}}
	if v := r.Variables[0]; v.Width != 14 || !reflect.DeepEqual(v.ValueLabels, want) {
		t.Errorf("city: %+v", v)
	}
}

// TestReadstatWriterFiles has ReadStat read the test writer's files in
// every compression and byte order (zlib in several blocks), so the
// writer the other tests rely on is checked by an independent reader.
func TestReadstatWriterFiles(t *testing.T) {
	if _, err := exec.LookPath("readstat"); err != nil {
		t.Skip("readstat not on PATH (apt-get install -y readstat)")
	}
	dir := t.TempDir()
	for _, comp := range []int32{0, 1, 2} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			path := filepath.Join(dir, fmt.Sprintf("w%d%s.sav", comp, order))
			if comp == 2 {
				path = strings.TrimSuffix(path, ".sav") + ".zsav"
			}
			if err := os.WriteFile(path, writeRoundTrip(t, order, 200, comp), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Run(filepath.Base(path), func(t *testing.T) { compareWithReadstat(t, path) })
		}
	}
}
