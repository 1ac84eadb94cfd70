package stata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"socap/internal/testcsv"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// writerVars exercise what the writer declares: every storage type,
// Norwegian labels, a value label table shared by two variables with a
// label for .a, a date and a timestamp, strN and strL (beyond 2045
// bytes).
var writerVars = []Variable{
	{Name: "id", Storage: "long"},
	{Name: "tillit", Label: "Tillit til folk flest (0–10), æøå", Storage: "byte", LabelSet: "skala",
		ValueLabels: []labelled.ValueLabel{{Value: 0, Label: "Ingen tillit"}, {Value: 10, Label: "Full tillit"}, {Missing: 'a', Label: "Vet ikke"}}},
	{Name: "tillit2", Storage: "int", LabelSet: "skala",
		ValueLabels: []labelled.ValueLabel{{Value: 0, Label: "Ingen tillit"}, {Value: 10, Label: "Full tillit"}, {Missing: 'a', Label: "Vet ikke"}}},
	{Name: "andel", Storage: "float"},
	{Name: "inntekt", Label: "Income"},
	{Name: "fødd", Kind: labelled.Date},
	{Name: "tid", Kind: labelled.DateTime, Storage: "double"},
	{Name: "kommune", Kind: labelled.String, Width: 20, Label: "Kommune"},
	{Name: "svar", Kind: labelled.String, Width: 5000},
}

// writerCell is value c of observation r: a float64 (NaN is .), a
// tagged missing value or a string.
func writerCell(r, c int) any {
	switch c {
	case 0:
		return float64(r + 1)
	case 1, 2:
		return []any{0.0, 5.0, 10.0, tagged('a'), math.NaN(), -127.0, 100.0}[(r+c)%7]
	case 3:
		return []any{0.5, -1.25, tagged('z'), 1e30}[r%4]
	case 4:
		return []any{250000.5, math.NaN(), -1e-300, 8e307, tagged('b')}[r%5]
	case 5:
		return []float64{0, -3653, 19000, math.NaN()}[r%4]
	case 6:
		return []float64{0, 1.5e9, -86400.25, math.NaN()}[r%4]
	case 7:
		return []string{"Tromsø", "Ålesund", "", "Bodø og Salten"}[r%4]
	}
	return strings.Repeat("Ærø|", (r*97)%1250)
}

// writeCases writes rows observations of vars with the Writer and
// returns the file; cell gives value c of observation r.
func writeCases(t testing.TB, vars []Variable, opts WriterOptions, rows int, cell func(r, c int) any) []byte {
	t.Helper()
	if opts.Created.IsZero() {
		opts.Created = testCreated
	}
	var m labelledtest.MemFile
	w, err := NewWriter(&m, "test.dta", vars, opts)
	if err != nil {
		t.Fatal(err)
	}
	b := w.NewBatch(7)
	for r := 0; r < rows; r += b.Len {
		b.Len = min(7, rows-r)
		for i := 0; i < b.Len; i++ {
			for c := range vars {
				col := &b.Columns[c]
				switch x := cell(r+i, c).(type) {
				case string:
					col.Strings[i], col.Valid[i] = x, true
				case tagged:
					col.Valid[i], col.Tags[i] = false, byte(x)
				case float64:
					col.Floats[i], col.Valid[i], col.Tags[i] = x, !math.IsNaN(x), 0
				}
			}
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return m.B
}

// writeFile writes the file of writeCases into a temporary directory.
func writeFile(t testing.TB, name string, opts WriterOptions, rows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, writeCases(t, writerVars, opts, rows, writerCell), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkWriterFile reads a file of writerVars back and compares the
// metadata and every value with what was written.
func checkWriterFile(t *testing.T, data []byte, rows, release int) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "w.dta", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := labelledtest.ReadAll(t, r)
	if r.File.Version != release || r.File.Rows != int64(rows) || r.File.Label != "Levekår 2026" || r.File.Timestamp != "24 Nov 2026 20:00" ||
		!reflect.DeepEqual(r.File.Documents, []string{"Første notat", "Second note"}) {
		t.Errorf("file info %+v", r.File)
	}
	for j, want := range writerVars {
		got := r.Variables[j]
		want.Format = map[string]string{"long": "%12.0g", "byte": "%8.0g", "int": "%8.0g", "float": "%9.0g", "": "%10.0g", "double": "%10.0g"}[want.Storage]
		switch want.Kind {
		case labelled.Date:
			want.Format = "%td"
		case labelled.DateTime:
			want.Format = "%tc"
		case labelled.String:
			want.Format = "%" + strconv.Itoa(want.Width) + "s"
		}
		if want.Storage == "" {
			want.Storage = "double"
		}
		if want.Width > 2045 {
			want.Storage, want.Width, want.Format = "strL", 0, "%9s"
		} else if want.Kind == labelled.String {
			want.Storage = "str" + strconv.Itoa(want.Width)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("variable %d:\n got %+v\nwant %+v", j, got, want)
		}
	}
	if b.Len != rows {
		t.Fatalf("%d observations, want %d", b.Len, rows)
	}
	for i := 0; i < rows; i++ {
		for j, v := range writerVars {
			c := b.Columns[j]
			ok := true
			switch x := writerCell(i, j).(type) {
			case string:
				ok = c.Strings[i] == x && c.Valid[i]
			case tagged:
				ok = !c.Valid[i] && c.Tags[i] == byte(x)
			case float64:
				if v.Storage == "float" {
					x = float64(float32(x))
				}
				ok = c.Valid[i] == !math.IsNaN(x) && (math.IsNaN(x) && c.Tags[i] == '.' || c.Floats[i] == x)
			}
			if !ok {
				t.Fatalf("observation %d %s: %q (tag %q), want %.40v", i+1, v.Name, render(v, c, i, cellStyle{null: "."}), c.Tags, writerCell(i, j))
			}
		}
	}
}

var writerOpts = WriterOptions{Label: "Levekår 2026", Notes: []string{"Første notat", "Second note"}}

// TestWriterRoundTrip writes writerVars in formats 118 and 119, in both
// byte orders, and reads everything back.
func TestWriterRoundTrip(t *testing.T) {
	for _, release := range []int{118, 119} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(strconv.Itoa(release)+"/"+order.String(), func(t *testing.T) {
				opts := writerOpts
				opts.Release, opts.ByteOrder = release, order
				checkWriterFile(t, writeCases(t, writerVars, opts, 40, writerCell), 40, release)
			})
		}
	}
}

// TestWriterChoosesRelease119 checks that more than 32,767 variables
// make a format-119 file.
func TestWriterChoosesRelease119(t *testing.T) {
	vars := make([]Variable, 32768)
	for i := range vars {
		vars[i] = Variable{Name: "v" + strconv.Itoa(i), Storage: "byte"}
	}
	data := writeCases(t, vars, WriterOptions{}, 2, func(r, c int) any { return float64(r) })
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "wide.dta", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := labelledtest.ReadAll(t, r)
	if r.File.Version != 119 || len(r.Variables) != 32768 || b.Columns[32767].Floats[1] != 1 {
		t.Errorf("format %d, %d variables", r.File.Version, len(r.Variables))
	}
}

// TestWriterErrors checks that what Stata cannot store is refused with
// an error naming the variable (and the observation).
func TestWriterErrors(t *testing.T) {
	num := func(name string) Variable { return Variable{Name: name} }
	labels := []labelled.ValueLabel{{Value: 1, Label: "one"}}
	for _, tt := range []struct {
		vars []Variable
		opts WriterOptions
		want string
	}{
		{[]Variable{num("")}, WriterOptions{}, "variable : empty name"},
		{[]Variable{num(strings.Repeat("ø", 33))}, WriterOptions{}, "name of 33 characters: Stata allows 32"},
		{[]Variable{num("1st")}, WriterOptions{}, `variable 1st: name starts with '1'`},
		{[]Variable{num("a.b")}, WriterOptions{}, `variable a.b: name contains '.'`},
		{[]Variable{num("long")}, WriterOptions{}, "variable long: name is reserved"},
		{[]Variable{num("str80")}, WriterOptions{}, "variable str80: name is reserved"},
		{[]Variable{num("x"), num("x")}, WriterOptions{}, "variable x: duplicate name"},
		{[]Variable{{Name: "s", Kind: labelled.String, Width: 3, ValueLabels: []labelled.ValueLabel{{String: "a", Label: "A"}}}}, WriterOptions{}, "variable s: value labels for a string: Stata labels numbers only"},
		{[]Variable{{Name: "x", ValueLabels: []labelled.ValueLabel{{Value: 1.5, Label: "half"}}}}, WriterOptions{}, `variable x: value label "half" for 1.5: Stata labels integers`},
		{[]Variable{{Name: "x", ValueLabels: []labelled.ValueLabel{{Value: 3e9, Label: "big"}}}}, WriterOptions{}, `variable x: value label "big" for 3e+09`},
		{[]Variable{{Name: "x", LabelSet: "l", ValueLabels: labels}, {Name: "y", LabelSet: "l", ValueLabels: []labelled.ValueLabel{{Value: 2, Label: "two"}}}}, WriterOptions{}, "variable y: value label table l differs"},
		{[]Variable{{Name: "x", LabelSet: "1l", ValueLabels: labels}}, WriterOptions{}, "variable x: value label name 1l: name starts with '1'"},
		{[]Variable{{Name: "x", Storage: "str4"}}, WriterOptions{}, `variable x: storage "str4" for a number`},
		{[]Variable{{Name: "s", Kind: labelled.String, Storage: "str2046"}}, WriterOptions{}, `variable s: storage "str2046" for a string`},
		{[]Variable{{Name: "x", Format: "%td"}}, WriterOptions{}, "variable x: format %td makes date values, the variable is numeric"},
		{[]Variable{num("x")}, WriterOptions{Release: 117}, "release 117: the writer writes 118 or 119"},
	} {
		_, err := NewWriter(&labelledtest.MemFile{}, "bad.dta", tt.vars, tt.opts)
		if err == nil || !strings.HasPrefix(err.Error(), "write bad.dta: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want an error saying %q", err, tt.want)
		}
	}

	for _, tt := range []struct {
		v    Variable
		x    any
		want string
	}{
		{Variable{Name: "b", Storage: "byte"}, 1.5, "observation 2, variable b: 1.5 does not fit byte"},
		{Variable{Name: "b", Storage: "byte"}, 101.0, "observation 2, variable b: 101 does not fit byte"},
		{Variable{Name: "i", Storage: "int"}, -32768.0, "observation 2, variable i: -32768 does not fit int"},
		{Variable{Name: "d"}, math.Inf(1), "observation 2, variable d: +Inf is beyond the range of double"},
		{Variable{Name: "f", Storage: "float"}, 1e39, "observation 2, variable f: 1e+39 is beyond the range of float"},
		{Variable{Name: "s", Kind: labelled.String, Width: 4}, "Bergen", "observation 2, variable s: a string of 6 bytes does not fit str4"},
	} {
		w, err := NewWriter(&labelledtest.MemFile{}, "bad.dta", []Variable{tt.v}, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b := w.NewBatch(2)
		b.Len = 2
		c := &b.Columns[0]
		c.Valid[0], c.Valid[1] = true, true
		if s, ok := tt.x.(string); ok {
			c.Strings[1] = s
		} else {
			c.Floats[1] = tt.x.(float64)
		}
		first := w.Write(b)
		labelledtest.CheckMessage(t, first, "write bad.dta: "+tt.want)
		if err := w.Close(); err != first {
			t.Errorf("Close: %v, want the first error again", err)
		}
	}
}

// TestWriterRewritesFixtures reads every Stata file of the shared corpus,
// writes it again with the Writer (format 118) and checks that the copy
// reads back the same: metadata and every value, tags included.
func TestWriterRewritesFixtures(t *testing.T) {
	ds, files := labelledtest.Corpus(t, 2, "readstat/*/*.dta", "ess9no/ESS9NO.dta")
	for _, f := range files {
		rel, _ := filepath.Rel(ds, f)
		t.Run(rel, func(t *testing.T) {
			r, b := readAll(t, f, Options{})
			var m labelledtest.MemFile
			w, err := NewWriter(&m, "copy.dta", r.Variables, WriterOptions{Label: r.File.Label, Notes: r.File.Documents})
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(w.Write(b), w.Close()); err != nil {
				t.Fatal(err)
			}
			r2, err := NewReader(bytes.NewReader(m.B), int64(len(m.B)), "copy.dta", Options{})
			if err != nil {
				t.Fatal(err)
			}
			b2 := labelledtest.ReadAll(t, r2)
			if r2.File.Label != r.File.Label || !reflect.DeepEqual(r2.File.Documents, r.File.Documents) || r2.File.Rows != r.File.Rows {
				t.Errorf("file info %+v, read %+v", r2.File, r.File)
			}
			if !reflect.DeepEqual(r2.Variables, r.Variables) {
				t.Errorf("variables differ:\n got %+v\nwant %+v", r2.Variables, r.Variables)
			}
			if !reflect.DeepEqual(b2, b) {
				t.Error("the values differ")
			}
		})
	}
}

// TestWriterReadstat has the readstat command read the writer's files
// of both formats and byte orders and compares every value with the Go
// reader's (in format 119 LSF ReadStat misreads strL references, see
// TestReadstatWriterFiles).
func TestWriterReadstat(t *testing.T) {
	labelledtest.Readstat(t)
	for _, release := range []int{118, 119} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			opts := writerOpts
			opts.Release, opts.ByteOrder = release, order
			name := "w" + strconv.Itoa(release) + order.String() + ".dta"
			path := writeFile(t, name, opts, 50)
			var skip []string
			if release == 119 && order == binary.LittleEndian {
				skip = []string{"svar"}
			}
			t.Run(name, func(t *testing.T) { compareWithReadstat(t, path, skip...) })
		}
	}
}

// TestWriterHaven has R's haven read a file of the writer: every value,
// NA and tagged missing values, the variable labels and the value labels.
func TestWriterHaven(t *testing.T) {
	path := writeFile(t, "haven.dta", writerOpts, 30)
	dir := labelledtest.Haven(t, havenScript, []string{path})
	r, b := readAll(t, path, Options{})
	labelledtest.CompareTable(t, "haven", varNames(r), b, testcsv.Read(t, filepath.Join(dir, "1.dta.csv")), func(i, j int, cell string) bool {
		return sameAsHaven(r.Variables[j], b.Columns[j], i, cell)
	}, func(i, j int) string {
		return render(r.Variables[j], b.Columns[j], i, cellStyle{null: "NA", tags: true})
	})
	meta := labelledtest.HavenLabels(t, filepath.Join("..", "spss", "testdata", "reference", "haven_labels.R"), path)
	want := [][]string{
		{"variable", "label", "labels", "na_values", "na_range"},
		{"id", "NA", "", "", ""},
		{"tillit", "Tillit til folk flest (0–10), æøå", "0=Ingen tillit;10=Full tillit;NA=Vet ikke", "", ""},
		{"tillit2", "NA", "0=Ingen tillit;10=Full tillit;NA=Vet ikke", "", ""},
		{"andel", "NA", "", "", ""},
		{"inntekt", "Income", "", "", ""},
		{"fødd", "NA", "", "", ""},
		{"tid", "NA", "", "", ""},
		{"kommune", "Kommune", "", "", ""},
		{"svar", "NA", "", "", ""},
	}
	if !reflect.DeepEqual(meta, want) {
		t.Errorf("haven reads the metadata as\n%q\nwant\n%q", meta, want)
	}
}
