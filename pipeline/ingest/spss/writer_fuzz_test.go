package spss

import (
	"bytes"
	"strings"
	"testing"

	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// FuzzWriterRoundTrip writes the variables and cases the input bytes make (numbers of
// every size, missing values, text of any width up to 600 bytes, every compression)
// and reads the file back: the writer either refuses with an error or the reader gets
// exactly what was written (text without trailing blanks or NULs, which are padding
// to readers).
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add([]byte("\x02\x00\x10abc\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte("\x13\x81\xffFrøya, Tromsø og Bodø\x00\x7f\xf0\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &labelledtest.FuzzInput{Data: data}
		vars := make([]Variable, 1+int(in.Next())%4)
		comp := []string{"bytecode", "none", "zlib"}[int(in.Next())%3]
		kinds, widths := make([]labelled.Kind, len(vars)), make([]int, len(vars))
		for j := range vars {
			vars[j].Name = string(rune('a'+j)) + "v"
			if b := in.Next(); b%2 == 1 {
				vars[j].Kind, vars[j].Width = labelled.String, 1+int(b)*3%600
			}
			kinds[j], widths[j] = vars[j].Kind, vars[j].Width
		}
		var file labelledtest.MemFile
		w, err := NewWriter(&file, "fuzz.sav", vars, WriterOptions{Compression: comp})
		if err != nil {
			t.Fatalf("dictionary refused: %v", err)
		}
		n := 1 + int(in.Next())%20
		b := w.NewBatch(n)
		labelledtest.FillFuzzBatch(b, n, kinds, widths, in, func(s string) string { return strings.TrimRight(s, " \x00") })
		if err := w.Write(b); err != nil {
			return // refused, with an error
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		r, err := NewReader(bytes.NewReader(file.B), int64(len(file.B)), "fuzz.sav", Options{})
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		got := r.NewBatch(n)
		if m, err := r.Next(got); m != n {
			t.Fatalf("read %d of %d cases: %v", m, n, err)
		}
		labelledtest.CompareFuzzBatch(t, b, got, n, kinds, func(_ int, x float64) float64 { return x })
	})
}
