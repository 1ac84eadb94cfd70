// Package golden compares test output with golden files and, when the test
// binary runs with -update, rewrites them instead. It follows the convention
// of Go's src/go/printer/printer_test.go:
//
//	go test ./pipeline/codebook/ -update
//
// Only test binaries that import this package know the -update flag, so pass
// it to those packages only.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Check compares got with the contents of the golden file at path. With
// -update it writes got to path (creating directories) and passes.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// CheckString is Check for text; it appends a final newline so golden files
// end like text files.
func CheckString(t testing.TB, path, got string) {
	t.Helper()
	Check(t, path, []byte(got+"\n"))
}
