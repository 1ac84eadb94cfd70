package spss

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

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
		if len(data) < 2 {
			return
		}
		nvars := 1 + int(data[0])%4
		comp := []string{"bytecode", "none", "zlib"}[int(data[1])%3]
		data = data[2:]
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		vars := make([]Variable, nvars)
		for j := range vars {
			vars[j].Name = string(rune('a'+j)) + "v"
			if b := next(); b%2 == 1 {
				vars[j].Kind = labelled.String
				vars[j].Width = 1 + int(b)*3%600
			}
		}
		var file labelledtest.MemFile
		w, err := NewWriter(&file, "fuzz.sav", vars, WriterOptions{Compression: comp})
		if err != nil {
			t.Fatalf("dictionary refused: %v", err)
		}
		n := 1 + int(next())%20
		b := w.NewBatch(n)
		for i := range n {
			for j, v := range vars {
				c := &b.Columns[j]
				c.Valid[i] = next()%5 != 0
				if v.Kind == labelled.String {
					k := int(next()) % (v.Width + 1)
					s := string(take(&data, k))
					for !utf8.ValidString(s) && len(s) > 0 { // whole characters only
						s = s[:len(s)-1]
					}
					s = strings.TrimRight(s, " \x00") // padding, which the reader removes
					c.Strings[i] = s
					continue
				}
				c.Floats[i] = math.Float64frombits(uint64(next())<<56 | uint64(next())<<48 | uint64(next())<<8 | uint64(next()))
			}
		}
		b.Len = n
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
		if m, err := r.Next(got); m != n || (err != nil && m == 0) {
			t.Fatalf("read %d of %d cases: %v", m, n, err)
		}
		for i := range n {
			for j, v := range vars {
				c, g := &b.Columns[j], &got.Columns[j]
				if v.Kind == labelled.String {
					want := ""
					if c.Valid[i] {
						want = c.Strings[i]
					}
					if g.Strings[i] != want {
						t.Fatalf("case %d, %s: %q, wrote %q", i+1, v.Name, g.Strings[i], want)
					}
					continue
				}
				x := c.Floats[i]
				missing := !c.Valid[i] || math.IsNaN(x)
				if g.Valid[i] == missing || (!missing && g.Floats[i] != x) {
					t.Fatalf("case %d, %s: %v (valid %v), wrote %v (valid %v)", i+1, v.Name, g.Floats[i], g.Valid[i], x, !missing)
				}
			}
		}
	})
}

// take removes and returns up to k bytes from the front of *data.
func take(data *[]byte, k int) []byte {
	k = min(k, len(*data))
	out := (*data)[:k]
	*data = (*data)[k:]
	return out
}
