package stata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/pipeline/ingest/internal/labelled"
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
	if ds := sharedDatasets(); ds != "" {
		m, _ := filepath.Glob(filepath.Join(ds, "readstat/*/*.dta"))
		for _, p := range m {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
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
		b := r.NewBatch(64)
		var rows int64
		for {
			n, err := r.Next(b)
			rows += int64(n)
			if rows > r.File.Rows {
				t.Fatalf("%d rows, header says %d", rows, r.File.Rows)
			}
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var fe *labelled.FormatError
				if !errors.As(err, &fe) || fe.File != "fuzz.dta" {
					t.Fatalf("data error without place: %v", err)
				}
				return
			}
		}
	})
}
