package stata

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// FuzzWriterRoundTrip writes the variables and cases the input bytes make (numbers of
// every size in every storage type, missing values, strN and strL text up to 3000
// bytes, both byte orders) and reads the file back: the writer either refuses with an
// error or the reader gets exactly what was written (text up to its first NUL, as
// Stata reads it; float storage rounded to four bytes).
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add([]byte("\x02\x00\x10abc\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte("\x13\x81\xffFrøya, Tromsø og Bodø\x00\x7f\xf0\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &labelledtest.FuzzInput{Data: data}
		vars := make([]Variable, 1+int(in.Next())%4)
		opts := WriterOptions{}
		if in.Next()%2 == 1 {
			opts.ByteOrder = binary.BigEndian
		}
		kinds, widths := make([]labelled.Kind, len(vars)), make([]int, len(vars))
		for j := range vars {
			vars[j].Name = string(rune('a'+j)) + "v"
			switch b := in.Next(); b % 3 {
			case 1:
				vars[j].Kind, vars[j].Width = labelled.String, 1+int(b)*11%3000 // beyond 2045: strL
			case 2:
				vars[j].Storage = []string{"byte", "int", "long", "float", "double"}[int(b/3)%5]
			}
			kinds[j], widths[j] = vars[j].Kind, vars[j].Width
		}
		var file labelledtest.MemFile
		w, err := NewWriter(&file, "fuzz.dta", vars, opts)
		if err != nil {
			t.Fatalf("dictionary refused: %v", err)
		}
		n := 1 + int(in.Next())%20
		b := w.NewBatch(n)
		labelledtest.FillFuzzBatch(b, n, kinds, widths, in, func(s string) string { s, _, _ = strings.Cut(s, "\x00"); return s })
		if err := w.Write(b); err != nil {
			return // refused, with an error
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		r, err := NewReader(bytes.NewReader(file.B), int64(len(file.B)), "fuzz.dta", Options{})
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		got := r.NewBatch(n)
		if m, err := r.Next(got); m != n {
			t.Fatalf("read %d of %d cases: %v", m, n, err)
		}
		labelledtest.CompareFuzzBatch(t, b, got, n, kinds, func(j int, x float64) float64 {
			if vars[j].Storage == "float" {
				return float64(float32(x))
			}
			return x
		})
	})
}
