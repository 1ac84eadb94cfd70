package spss

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"testing"

	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

var roundTripVars = []Variable{
	{Name: "age_in_years", Label: "Age", Missing: Missing{Values: []float64{-9, 999}}},
	{Name: "trust", Label: "Trust in people", Format: "F2.0", ValueLabels: []labelled.ValueLabel{{Value: 0, Label: "None"}, {Value: 10, Label: "Complete"}}},
	{Name: "city", Kind: labelled.String, Width: 20, Label: "Bergen / Tromsø"},
	{Name: "born", Kind: labelled.Date, Format: "DATE11"},
	{Name: "code", Kind: labelled.String, Width: 3},
}

func roundTripCell(r, c int) any {
	switch c {
	case 0:
		return []float64{34, -9, 999, 1e6 + 0.25, math.NaN()}[r%5]
	case 1:
		return float64(r % 11)
	case 2:
		return []string{"Tromsø", "", "Ålesund på vestlandet"[:20]}[r%3]
	case 3:
		return float64(r)
	}
	return []string{"abc", "x", ""}[r%3]
}

// writeRoundTrip writes rows cases of roundTripVars, weighted by trust,
// in byte order order with compression 0 (none), 1 (bytecode) or 2
// (zlib).
func writeRoundTrip(t testing.TB, order binary.ByteOrder, rows int, compression int32) []byte {
	var m labelledtest.MemFile
	opts := WriterOptions{Label: "socap test file", Weight: "trust", ByteOrder: order, Compression: []string{"none", "bytecode", "zlib"}[compression]}
	writeCases(t, &m, roundTripVars, opts, rows, roundTripCell)
	return m.B
}

// TestRoundTrip writes files with every compression in both byte orders
// and reads back the metadata and every value.
func TestRoundTrip(t *testing.T) {
	for _, comp := range []int32{0, 1, 2} {
		for _, keep := range []bool{false, true} {
			order := []binary.ByteOrder{binary.LittleEndian, binary.BigEndian}[comp%2]
			if keep {
				order = []binary.ByteOrder{binary.BigEndian, binary.LittleEndian}[comp%2]
			}
			data := writeRoundTrip(t, order, 23, comp)
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "rt.sav", Options{KeepUserMissing: keep})
			if err != nil {
				t.Fatalf("compression %d: %v", comp, err)
			}
			if got := r.File.Compression; got != []string{"none", "bytecode", "zlib"}[comp] {
				t.Errorf("compression %d reported as %q", comp, got)
			}
			if r.File.Rows != 23 || r.File.Label != "socap test file" || r.File.Encoding != "UTF-8" || r.File.Weight != "trust" {
				t.Errorf("file info %+v", r.File)
			}
			if len(r.Variables) != len(roundTripVars) {
				t.Fatalf("%d variables", len(r.Variables))
			}
			v := r.Variables
			if v[0].Name != "age_in_years" || v[0].ShortName != "V1" || v[0].Label != "Age" || v[0].Format != "F8.2" || len(v[0].Missing.Values) != 2 {
				t.Errorf("variable 0: %+v", v[0])
			}
			if v[1].Format != "F2.0" || len(v[1].ValueLabels) != 2 {
				t.Errorf("variable 1: %+v", v[1])
			}
			if v[2].Kind != labelled.String || v[2].Width != 20 || v[2].Format != "A20" || v[2].Label != "Bergen / Tromsø" {
				t.Errorf("variable 2: %+v", v[2])
			}
			if v[3].Kind != labelled.Date || v[3].Format != "DATE11" {
				t.Errorf("variable 3: %+v", v[3])
			}
			b := r.NewBatch(10)
			total := 0
			for {
				n, err := r.Next(b)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < n; i++ {
					row := total + i
					want := roundTripCell(row, 0).(float64)
					wantValid := !math.IsNaN(want) && (keep || (want != -9 && want != 999))
					if b.Columns[0].Valid[i] != wantValid || (wantValid && b.Columns[0].Floats[i] != want) {
						t.Errorf("compression %d row %d age: %v %v, want %v", comp, row, b.Columns[0].Floats[i], b.Columns[0].Valid[i], want)
					}
					if got := b.Columns[2].Strings[i]; got != roundTripCell(row, 2) {
						t.Errorf("compression %d row %d city %q", comp, row, got)
					}
					if got := b.Columns[3].Floats[i]; got != float64(row) {
						t.Errorf("compression %d row %d date %v, want %d days", comp, row, got, row)
					}
					if got := b.Columns[4].Strings[i]; got != roundTripCell(row, 4) {
						t.Errorf("compression %d row %d code %q", comp, row, got)
					}
				}
				total += n
			}
			if total != 23 {
				t.Errorf("compression %d: %d rows", comp, total)
			}
		}
	}
}

// TestTruncated cuts files at every length: each prefix must fail with a
// FormatError that places the problem inside the prefix.
func TestTruncated(t *testing.T) {
	for _, comp := range []int32{0, 1, 2} {
		data := writeRoundTrip(t, binary.LittleEndian, 7, comp)
		for n := 0; n < len(data); n++ {
			what := fmt.Sprintf("compression %d, %d of %d bytes", comp, n, len(data))
			labelledtest.CheckCut(t, what, readErr(data[:n], "cut.sav"), "cut.sav", n, ErrFormat)
		}
	}
}

// readErr reads a whole file and returns the first error (nil at io.EOF).
func readErr(data []byte, name string) error {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), name, Options{})
	if err != nil {
		return err
	}
	return labelledtest.FirstError(r, 4)
}

// TestErrorMessages pins the wording of errors: file, offset, what was
// expected, and the cause.
func TestErrorMessages(t *testing.T) {
	good := writeRoundTrip(t, binary.LittleEndian, 2, 1)
	for _, tt := range []struct {
		data []byte
		want string
	}{
		{[]byte("PK\x03\x04 not a system file"), `read bad.sav: offset 0: expected "$FL2" or "$FL3" signature: invalid system file: found "PK\x03\x04"`},
		{good[:100], "read bad.sav: offset 0: expected file header record (176 bytes): unexpected EOF"},
		{good[:len(good)-3], "read bad.sav: offset " + strconv.Itoa(len(good)-8) + ": expected 8-byte literal: unexpected EOF"},
	} {
		labelledtest.CheckMessage(t, readErr(tt.data, "bad.sav"), tt.want)
	}
}

// TestErrorIsSticky checks that Next keeps returning its first error.
func TestErrorIsSticky(t *testing.T) {
	data := writeRoundTrip(t, binary.LittleEndian, 20, 1)
	data = data[:len(data)-20]
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "cut.sav", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := r.NewBatch(100)
	n, first := r.Next(b)
	if first == nil || n == 0 || n >= 20 {
		t.Fatalf("first Next: %d rows, %v", n, first)
	}
	labelledtest.CheckSticky(t, r, b, first)
}

// TestLyingHeaders patches counts in a valid file to values the file
// cannot hold: each must be refused before anything of that size is
// allocated.
func TestLyingHeaders(t *testing.T) {
	le := binary.LittleEndian
	for _, lie := range []labelledtest.Lie{
		{Name: "case count", Want: "expected a case count the file can hold", Patch: func(b []byte, at func([]byte) int) {
			le.PutUint32(b[80:], 1<<31-1)
			i := at([]byte{7, 0, 0, 0, 16, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0}) // the extended case count
			le.PutUint64(b[i+24:], 1<<31-1)
		}},
		{Name: "long names record size", Want: "expected extension record 13 of at most", Patch: func(b []byte, at func([]byte) int) {
			i := at([]byte{7, 0, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0})
			le.PutUint32(b[i+12:], 1<<31-1)
		}},
		{Name: "value label count", Want: "expected value label count", Patch: func(b []byte, at func([]byte) int) {
			i := at([]byte{3, 0, 0, 0, 2, 0, 0, 0}) // record 3 of trust's two labels
			le.PutUint32(b[i+4:], 1<<30)
		}},
	} {
		for _, comp := range []int32{0, 1, 2} {
			what := fmt.Sprintf("%s, compression %d", lie.Name, comp)
			if err := labelledtest.CheckLie(t, what, lie, writeRoundTrip(t, le, 5, comp), "lie.sav", readErr); !errors.Is(err, ErrFormat) {
				t.Errorf("%s: %v does not wrap ErrFormat", what, err)
			}
		}
	}
}
