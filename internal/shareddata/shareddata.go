// Package shareddata finds the real datasets made by others, kept in
// ../shared/datasets beside the checkout and never copied into it. Tests
// that need them skip, saying why, when they are absent.
package shareddata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the absolute path of ../shared/datasets beside the repository root,
// or "" when it does not exist.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// file is <repo>/internal/shareddata/shareddata.go.
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "datasets")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

// Path returns the path of a file under the shared datasets (e.g.
// "api/apistrat.csv"), skipping t when it is absent.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir := Dir()
	if dir == "" {
		t.Skip("shared datasets not found at ../shared/datasets beside the checkout; they are never copied into it")
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared dataset %s is absent: %v", rel, err)
	}
	return p
}
