package stata

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"socap/pipeline/ingest/internal/labelledtest"
)

// FuzzStata feeds arbitrary bytes to the reader: it must return an error
// naming the file or read to the end, never panic or hang, and never hand
// out more observations than the header announces (which the reader
// checked against the file size). Seeds are the shared Stata fixtures
// (when present) and files of every format from the test writer;
// crashers found are kept in testdata/fuzz/FuzzStata.
func FuzzStata(f *testing.F) {
	for _, version := range formats {
		f.Add(sampleDta(version, binary.LittleEndian))
	}
	f.Add(sampleDta(118, binary.BigEndian))
	labelledtest.AddSeeds(f, "readstat/*/*.dta")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.dta", Options{})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.dta") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if r.File.Rows < 0 || (r.File.Rows > 0 && r.File.Rows*int64(r.rowLen) > int64(len(data))) {
			t.Fatalf("%d observations of %d bytes in a %d-byte file", r.File.Rows, r.rowLen, len(data))
		}
		labelledtest.CheckRead(t, r, "fuzz.dta", r.File.Rows)
	})
}
