package spss

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"socap/pipeline/ingest/internal/labelledtest"
)

// FuzzSPSS feeds arbitrary bytes to the reader: it must return an error
// naming the file or read to the end, never panic or hang, and never hand
// out more cases than the data can hold. Seeds are the shared SPSS
// fixtures (when present) and files from the Writer; crashers found
// are kept in testdata/fuzz/FuzzSPSS.
func FuzzSPSS(f *testing.F) {
	for _, comp := range []int32{0, 1, 2} {
		f.Add(writeRoundTrip(f, binary.LittleEndian, 3, comp))
	}
	f.Add(writeRoundTrip(f, binary.BigEndian, 3, 1))
	labelledtest.AddSeeds(f, "readstat/*/*.sav", "readstat/*/*.zsav")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, keep := range []bool{false, true} {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.sav", Options{KeepUserMissing: keep})
			if err != nil {
				if !strings.Contains(err.Error(), "fuzz.sav") {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			labelledtest.CheckRead(t, r, "fuzz.sav", r.maxRows)
		}
	})
}
