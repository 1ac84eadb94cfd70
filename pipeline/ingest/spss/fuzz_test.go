package spss

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

// FuzzSPSS feeds arbitrary bytes to the reader: it must return an error
// naming the file or read to the end, never panic or hang, and never hand
// out more cases than the data can hold. Seeds are the shared SPSS
// fixtures (when present) and files from the test writer; crashers found
// are kept in testdata/fuzz/FuzzSPSS.
func FuzzSPSS(f *testing.F) {
	for _, comp := range []int32{0, 1, 2} {
		f.Add(writeRoundTrip(f, binary.LittleEndian, 3, comp))
	}
	f.Add(writeRoundTrip(f, binary.BigEndian, 3, 1))
	if ds := sharedDatasets(); ds != "" {
		for _, pat := range []string{"readstat/*/*.sav", "readstat/*/*.zsav"} {
			m, _ := filepath.Glob(filepath.Join(ds, pat))
			for _, p := range m {
				if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
					f.Add(data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, keep := range []bool{false, true} {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.sav", Options{KeepUserMissing: keep})
			if err != nil {
				if !strings.Contains(err.Error(), "fuzz.sav") {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			b := r.NewBatch(64)
			var rows int64
			for {
				n, err := r.Next(b)
				rows += int64(n)
				if rows > r.maxRows {
					t.Fatalf("%d rows from a file that can hold %d", rows, r.maxRows)
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					var fe *labelled.FormatError
					if !errors.As(err, &fe) || fe.File != "fuzz.sav" {
						t.Fatalf("data error without place: %v", err)
					}
					break
				}
			}
		}
	})
}

// sharedDatasets is datasets without a testing.TB: "" when absent.
func sharedDatasets() string {
	dir, _ := filepath.Abs(".")
	for dir != filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			ds := filepath.Join(dir, "..", "shared", "datasets")
			if _, err := os.Stat(ds); err == nil {
				return ds
			}
			return ""
		}
		dir = filepath.Dir(dir)
	}
	return ""
}
