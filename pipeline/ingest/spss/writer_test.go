package spss

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"socap/internal/testcsv"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// testCreated is the creation time of the test files.
var testCreated = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// writeCases writes rows cases of vars with the Writer to out, in
// batches of 7 cases; cell gives value c of case r: a float64 (NaN is
// system-missing) or a string.
func writeCases(t testing.TB, out io.Writer, vars []Variable, opts WriterOptions, rows int, cell func(r, c int) any) {
	t.Helper()
	if opts.Created.IsZero() {
		opts.Created = testCreated
	}
	w, err := NewWriter(out, "test.sav", vars, opts)
	if err != nil {
		t.Fatal(err)
	}
	if w.zlib != nil {
		w.zlib.blockSize = 256 // several blocks even in small files
	}
	b := w.NewBatch(7)
	for r := 0; r < rows; {
		b.Len = min(7, rows-r)
		for i := 0; i < b.Len; i++ {
			for c := range vars {
				col := &b.Columns[c]
				switch x := cell(r+i, c).(type) {
				case string:
					col.Strings[i], col.Valid[i] = x, true
				case float64:
					col.Floats[i], col.Valid[i] = x, !math.IsNaN(x)
				}
			}
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		r += b.Len
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes cases with writeCases into a file named name in a
// temporary directory and returns its path.
func writeFile(t testing.TB, name string, vars []Variable, opts WriterOptions, rows int, cell func(r, c int) any) string {
	t.Helper()
	var m labelledtest.MemFile
	writeCases(t, &m, vars, opts, rows, cell)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, m.B, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writerVars exercise what the writer declares: labels in Norwegian,
// numeric and string value labels (short and long strings), discrete and
// range user-missing values, a date, a string of 255 bytes and very long
// strings of 256 and 32767 bytes.
var writerVars = []Variable{
	{Name: "id", Format: "F6.0"},
	{Name: "tillit", Label: "Tillit til folk flest (0–10), æøå", Format: "F2.0", Measure: MeasureOrdinal,
		ValueLabels: []labelled.ValueLabel{{Value: 0, Label: "Ingen tillit"}, {Value: 10, Label: "Full tillit"}, {Value: 99, Label: "Vet ikke"}},
		Missing:     Missing{Values: []float64{88, 99}}},
	{Name: "inntekt", Label: "Income", Missing: Missing{Ranges: []Range{{Lo: 1e6, Hi: math.Inf(1)}}, Values: []float64{-1}}},
	{Name: "fødd", Kind: labelled.Date},
	{Name: "kommune", Kind: labelled.String, Width: 20, Label: "Kommune",
		ValueLabels: []labelled.ValueLabel{{String: "Tromsø", Label: "TOS"}, {String: "Ålesund", Label: "AES"}}},
	{Name: "kjønn", Kind: labelled.String, Width: 1, ValueLabels: []labelled.ValueLabel{{String: "k", Label: "kvinne"}},
		Missing: Missing{Strings: []string{"x"}}},
	{Name: "svar255", Kind: labelled.String, Width: 255},
	{Name: "svar256", Kind: labelled.String, Width: 256, Label: "Open answer"},
	{Name: "lang_tekst_med_et_navn_som_er_mye_lengre_enn_aatte_tegn", Kind: labelled.String, Width: 32767},
}

func writerCell(r, c int) any {
	switch c {
	case 0:
		return float64(r + 1)
	case 1:
		return []float64{0, 5, 10, 88, 99, math.NaN(), 3}[r%7]
	case 2:
		return []float64{-1, 250000.5, 1e6, 2e9, math.NaN(), -1e-300, 0}[r%7]
	case 3:
		return []float64{0, -365.5, 19000, math.NaN()}[r%4]
	case 4:
		return []string{"Tromsø", "Ålesund", "", "Bodø og Salten"}[r%4]
	case 5:
		return []string{"k", "m", "x", ""}[r%4]
	case 6:
		return strings.Repeat("å", r%128) + strings.Repeat("z", 255-2*(r%128))
	case 7:
		if r%5 == 4 {
			return strings.Repeat("x", 256)
		}
		return strings.Repeat("æ", r%128) + "|"
	}
	if r%10 == 1 {
		return strings.Repeat("é", 16383) + "!" // 32767 bytes
	}
	return strings.Repeat("Ærø|", (r*997)%5462)
}

// externalCell is writerCell for the files ReadStat and haven read:
// ReadStat 1.1.8 (and haven, built on it) keeps at most 32766 bytes of a
// string, one short of SPSS's widest, so that value loses its last byte.
func externalCell(r, c int) any {
	x := writerCell(r, c)
	if s, ok := x.(string); ok && len(s) == maxStringWidth {
		return s[:maxStringWidth-1]
	}
	return x
}

// checkWriterFile reads a file of writerVars back and compares the
// dictionary and every value with what was written, cell's values.
func checkWriterFile(t *testing.T, path string, rows int, wantRows int64, cell func(r, c int) any) {
	t.Helper()
	for _, keep := range []bool{false, true} {
		r, b := readAll(t, path, Options{KeepUserMissing: keep})
		if r.File.Rows != wantRows || r.File.Encoding != "UTF-8" || r.File.Label != "Levekår 2026" || r.File.Weight != "" {
			t.Errorf("file info %+v", r.File)
		}
		if len(r.Variables) != len(writerVars) {
			t.Fatalf("%d variables, want %d", len(r.Variables), len(writerVars))
		}
		for j, want := range writerVars {
			got := r.Variables[j]
			if want.Format == "" {
				want.Format = map[labelled.Kind]string{labelled.Numeric: "F8.2", labelled.Date: "DATE11", labelled.String: "A" + strconv.Itoa(want.Width)}[want.Kind]
			}
			if want.Measure == MeasureUnknown {
				want.Measure = MeasureScale
				if want.Kind == labelled.String || len(want.ValueLabels) > 0 {
					want.Measure = MeasureNominal
				}
			}
			got.ShortName = ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("variable %d:\n got %+v\nwant %+v", j, got, want)
			}
		}
		if b.Len != rows {
			t.Fatalf("%d cases, want %d", b.Len, rows)
		}
		for i := 0; i < rows; i++ {
			for j, v := range writerVars {
				c := b.Columns[j]
				switch x := cell(i, j).(type) {
				case string:
					valid := keep || !v.Missing.hasString(x)
					if c.Strings[i] != x || c.Valid[i] != valid {
						t.Fatalf("case %d %s: %.40q valid %v, want %.40q valid %v", i, v.Name, c.Strings[i], c.Valid[i], x, valid)
					}
				case float64:
					valid := !math.IsNaN(x) && (keep || !v.Missing.hasNumber(x))
					if c.Valid[i] != valid || (valid && c.Floats[i] != x) {
						t.Fatalf("case %d %s: %v valid %v, want %v valid %v", i, v.Name, c.Floats[i], c.Valid[i], x, valid)
					}
				}
			}
		}
	}
}

// TestWriterRoundTrip writes writerVars in every compression, through an
// io.WriteSeeker (the case count is patched in) and a plain io.Writer
// (the count stays unknown, -1), and reads everything back.
func TestWriterRoundTrip(t *testing.T) {
	const rows = 40
	for _, comp := range []string{"", "none", "zlib"} {
		for _, seek := range []bool{true, false} {
			if comp == "zlib" && !seek {
				continue
			}
			var data []byte
			opts := WriterOptions{Label: "Levekår 2026", Compression: comp}
			if seek {
				var m labelledtest.MemFile
				writeCases(t, &m, writerVars, opts, rows, writerCell)
				data = m.B
			} else {
				var buf bytes.Buffer
				writeCases(t, &buf, writerVars, opts, rows, writerCell)
				data = buf.Bytes()
			}
			path := filepath.Join(t.TempDir(), "w.sav")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			want := int64(rows)
			if !seek {
				want = -1
			}
			t.Run(comp+map[bool]string{true: "/seeker", false: "/writer"}[seek], func(t *testing.T) { checkWriterFile(t, path, rows, want, writerCell) })
		}
	}
}

// TestWriterBytecode pins the compressed encoding of one case: numbers
// −99…151 as one command byte (value + 100), others as literals,
// system-missing as 255, blank string units as 254, the last block padded
// with zeros.
func TestWriterBytecode(t *testing.T) {
	vars := []Variable{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}, {Name: "e"}, {Name: "s", Kind: labelled.String, Width: 16}}
	values := []any{-99.0, 151.0, 152.0, math.NaN(), 0.5, "abc"}
	var buf bytes.Buffer
	writeCases(t, &buf, vars, WriterOptions{}, 1, func(r, c int) any { return values[c] })
	data := buf.Bytes()
	end := data[len(data)-8*4:]
	want := append([]byte{1, 251, 253, 255, 253, 253, 254, 0}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(152))...)
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(0.5))
	want = append(want, "abc     "...)
	if !bytes.Equal(end, want) {
		t.Errorf("data\n% x\nwant\n% x", end, want)
	}
}

// TestWriterErrors checks that what SPSS cannot store is refused with
// an error naming the variable.
func TestWriterErrors(t *testing.T) {
	str := func(name string, width int) Variable {
		return Variable{Name: name, Kind: labelled.String, Width: width}
	}
	for _, tt := range []struct {
		vars []Variable
		opts WriterOptions
		want string
	}{
		{[]Variable{{Name: ""}}, WriterOptions{}, "variable : empty name"},
		{[]Variable{{Name: strings.Repeat("ø", 33)}}, WriterOptions{}, "name of 66 bytes: SPSS allows 64"},
		{[]Variable{{Name: "1st"}}, WriterOptions{}, `variable 1st: name starts with '1'`},
		{[]Variable{{Name: "$sys"}}, WriterOptions{}, `variable $sys: name starts with '$'`},
		{[]Variable{{Name: "a b"}}, WriterOptions{}, `variable a b: name contains ' '`},
		{[]Variable{{Name: "end."}}, WriterOptions{}, "variable end.: name ends with a period"},
		{[]Variable{{Name: "with"}}, WriterOptions{}, "variable with: name is a reserved keyword"},
		{[]Variable{{Name: "Kjønn"}, {Name: "KJØNN"}}, WriterOptions{}, "variable KJØNN: duplicate name"},
		{[]Variable{str("s", 0)}, WriterOptions{}, "variable s: string width 0: want 1 to 32767"},
		{[]Variable{str("s", 32768)}, WriterOptions{}, "variable s: string width 32768"},
		{[]Variable{{Name: "x", Format: "A8"}}, WriterOptions{}, `variable x: format "A8": want a numeric SPSS format`},
		{[]Variable{{Name: "x", Format: "DATE11"}}, WriterOptions{}, "variable x: format DATE11 makes date values, the variable is numeric"},
		{[]Variable{{Name: "x", Format: "F80.2"}}, WriterOptions{}, "variable x: format F80.2: want a width of 1 to 40"},
		{[]Variable{{Name: "x", Missing: Missing{Values: []float64{1, 2, 3, 4}}}}, WriterOptions{}, "variable x: 4 discrete missing values"},
		{[]Variable{{Name: "x", Missing: Missing{Values: []float64{1, 2}, Ranges: []Range{{0, 1}}}}}, WriterOptions{}, "variable x: a missing range and 2 values"},
		{[]Variable{{Name: "s", Kind: labelled.String, Width: 9, Missing: Missing{Strings: []string{"a"}}}}, WriterOptions{}, "variable s: 1 missing strings"},
		{[]Variable{{Name: "x", ValueLabels: []labelled.ValueLabel{{Missing: 'a', Label: "refused"}}}}, WriterOptions{}, "variable x: value label \"refused\" for the tagged missing value .a"},
		{[]Variable{{Name: "x", ValueLabels: []labelled.ValueLabel{{String: "a", Label: "A"}}}}, WriterOptions{}, "variable x: value label \"A\" for the string \"a\" of a numeric variable"},
		{[]Variable{str("s", 2)}, WriterOptions{Weight: "s"}, "weight variable s is a string"},
		{[]Variable{{Name: "x"}}, WriterOptions{Weight: "w"}, "weight variable w is not among the variables"},
		{[]Variable{{Name: "x"}}, WriterOptions{Compression: "zlib"}, "zlib compression needs an io.WriteSeeker"},
		{[]Variable{{Name: "x"}}, WriterOptions{Compression: "lz4"}, `compression "lz4"`},
	} {
		_, err := NewWriter(&bytes.Buffer{}, "bad.sav", tt.vars, tt.opts)
		if err == nil || !strings.HasPrefix(err.Error(), "write bad.sav: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want an error saying %q", err, tt.want)
		}
	}

	w, err := NewWriter(&bytes.Buffer{}, "bad.sav", []Variable{{Name: "x"}, str("city", 4)}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := w.NewBatch(2)
	b.Len = 2
	b.Columns[1].Strings[0], b.Columns[1].Strings[1] = "Oslo", "Bergen"
	b.Columns[1].Valid[0], b.Columns[1].Valid[1] = true, true
	first := w.Write(b)
	labelledtest.CheckMessage(t, first, "write bad.sav: case 2, variable city: a value of 6 bytes does not fit the width of 4")
	if err := w.Write(b); err != first {
		t.Errorf("second Write: %v, want the first error again", err)
	}
	if err := w.Close(); err != first {
		t.Errorf("Close: %v, want the first error again", err)
	}
}

// TestCreate writes through Create, which opens and closes the file,
// and checks that an invalid dictionary leaves no file behind.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.sav")
	w, err := Create(path, []Variable{{Name: "x"}}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := w.NewBatch(1)
	b.Len, b.Columns[0].Floats[0], b.Columns[0].Valid[0] = 1, 7.5, true
	if err := errors.Join(w.Write(b), w.Close()); err != nil {
		t.Fatal(err)
	}
	r, got := readAll(t, path, Options{})
	if r.File.Rows != 1 || got.Len != 1 || got.Columns[0].Floats[0] != 7.5 {
		t.Errorf("read back %+v, %v", r.File, got.Columns[0].Floats)
	}
	bad := filepath.Join(dir, "bad.sav")
	if _, err := Create(bad, []Variable{{Name: "1"}}, WriterOptions{}); err == nil {
		t.Error("Create accepted the variable name 1")
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create left %s behind: %v", bad, err)
	}
}

// TestWriterRewritesFixtures reads every SPSS file of the shared corpus,
// writes it again with the Writer (zlib for .zsav) and checks that the
// copy reads back the same: dictionary and every value with user-missing
// values kept.
func TestWriterRewritesFixtures(t *testing.T) {
	ds, files := labelledtest.Corpus(t, 10, corpus...)
	for _, f := range files {
		rel, _ := filepath.Rel(ds, f)
		t.Run(rel, func(t *testing.T) {
			r, b := readAll(t, f, Options{KeepUserMissing: true})
			opts := WriterOptions{Label: r.File.Label, Weight: r.File.Weight}
			if r.File.Compression == "zlib" {
				opts.Compression = "zlib"
			}
			var m labelledtest.MemFile
			w, err := NewWriter(&m, "copy.sav", r.Variables, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(w.Write(b), w.Close()); err != nil {
				t.Fatal(err)
			}
			r2, err := NewReader(bytes.NewReader(m.B), int64(len(m.B)), "copy.sav", Options{KeepUserMissing: true})
			if err != nil {
				t.Fatal(err)
			}
			b2 := labelledtest.ReadAll(t, r2)
			if r2.File.Label != r.File.Label || r2.File.Weight != r.File.Weight || r2.File.Rows != int64(b.Len) {
				t.Errorf("file info %+v, read %+v", r2.File, r.File)
			}
			for j, v := range r.Variables {
				got := r2.Variables[j]
				v.ShortName, got.ShortName = "", ""
				if v.Measure == MeasureUnknown {
					v.Measure = got.Measure
				}
				if !reflect.DeepEqual(got, v) {
					t.Errorf("variable %d:\n got %+v\nwant %+v", j, got, v)
				}
			}
			sameValues(t, r.Variables, b2, b)
		})
	}
}

// TestWriterReadstat has the readstat command read the writer's files
// in every compression and byte order (zlib in several blocks) and
// compares every value with the Go reader's.
func TestWriterReadstat(t *testing.T) {
	labelledtest.Readstat(t)
	for _, comp := range []string{"none", "bytecode", "zlib"} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			name := "w-" + comp + "-" + order.String() + map[bool]string{true: ".zsav", false: ".sav"}[comp == "zlib"]
			path := writeFile(t, name, writerVars, WriterOptions{Label: "Levekår 2026", Compression: comp, ByteOrder: order}, 60, externalCell)
			t.Run(name, func(t *testing.T) {
				checkWriterFile(t, path, 60, 60, externalCell)
				compareWithReadstat(t, path)
			})
		}
	}
}

// TestWriterHaven has R's haven read a file of the writer: every value
// with user-missing values as NA and kept, and the variable labels,
// value labels and user-missing declarations haven reports.
func TestWriterHaven(t *testing.T) {
	const rows = 30
	path := writeFile(t, "haven.sav", writerVars, WriterOptions{Label: "Levekår 2026"}, rows, externalCell)
	dir := labelledtest.Haven(t, filepath.Join("testdata", "reference", "haven_csv.R"), []string{path})
	for _, keep := range []bool{false, true} {
		r, b := readAll(t, path, Options{KeepUserMissing: keep})
		name := filepath.Join(dir, "1"+map[bool]string{false: ".user_na_false.csv", true: ".user_na_true.csv"}[keep])
		labelledtest.CompareTable(t, "haven", varNames(r), b, testcsv.Read(t, name), func(i, j int, cell string) bool {
			return sameAsHaven(r.Variables[j], b.Columns[j], i, cell)
		}, func(i, j int) string { return render(r.Variables[j], b.Columns[j], i, cellStyle{null: "NA"}) })
	}
	meta := labelledtest.HavenLabels(t, filepath.Join("testdata", "reference", "haven_labels.R"), path)
	want := [][]string{
		{"variable", "label", "labels", "na_values", "na_range"},
		{"id", "NA", "", "", ""},
		{"tillit", "Tillit til folk flest (0–10), æøå", "0=Ingen tillit;10=Full tillit;99=Vet ikke", "88;99", ""},
		{"inntekt", "Income", "", "-1", "1e+06;Inf"},
		{"fødd", "NA", "", "", ""},
		{"kommune", "Kommune", "Tromsø=TOS;Ålesund=AES", "", ""},
		{"kjønn", "NA", "k=kvinne", "x", ""},
		{"svar255", "NA", "", "", ""},
		{"svar256", "Open answer", "", "", ""},
		{"lang_tekst_med_et_navn_som_er_mye_lengre_enn_aatte_tegn", "NA", "", "", ""},
	}
	if !reflect.DeepEqual(meta, want) {
		t.Errorf("haven reads the dictionary as\n%q\nwant\n%q", meta, want)
	}
}

// sameValues compares got with want, the batches of vars read from two
// files: validity, and the values that are valid.
func sameValues(t *testing.T, vars []Variable, got, want *labelled.Batch) {
	t.Helper()
	if got.Len != want.Len {
		t.Fatalf("%d cases, want %d", got.Len, want.Len)
	}
	for j, v := range vars {
		g, w := got.Columns[j], want.Columns[j]
		for i := 0; i < want.Len; i++ {
			same := g.Valid[i] == w.Valid[i]
			switch {
			case !same || !w.Valid[i]:
			case v.Kind == labelled.String:
				same = g.Strings[i] == w.Strings[i]
			default:
				same = g.Floats[i] == w.Floats[i]
			}
			if !same {
				t.Fatalf("case %d %s: got %v, want %v", i+1, v.Name, render(v, g, i, cellStyle{null: "NA"}), render(v, w, i, cellStyle{null: "NA"}))
			}
		}
	}
}
