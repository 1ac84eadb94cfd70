package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.golden")
	if err := os.WriteFile(path, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		got    string
		update bool
		fail   bool
	}{
		{"equal", path, "hello", false, false},
		{"different", path, "bye", false, true},
		{"missing file", filepath.Join(dir, "none.golden"), "hello", false, true},
		{"update writes", filepath.Join(dir, "sub", "new.golden"), "new", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(old bool) { *update = old }(*update)
			*update = tt.update
			r := &recorder{TB: t}
			CheckString(r, tt.path, tt.got)
			if r.failed != tt.fail {
				t.Fatalf("failed = %v, want %v", r.failed, tt.fail)
			}
			if tt.update {
				b, err := os.ReadFile(tt.path)
				if err != nil || string(b) != tt.got+"\n" {
					t.Fatalf("written %q, %v; want %q", b, err, tt.got+"\n")
				}
			}
		})
	}
}
