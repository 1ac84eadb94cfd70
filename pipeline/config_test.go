package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/internal/golden"
	"socap/pipeline/yamlschema"
)

func TestParseConfigDefaults(t *testing.T) {
	data := []byte("project: p\ncodebook: builtin:demo\nsources:\n  - {id: w1, path: data/w1.csv, wave: 1, decimal: \",\"}\n")
	c, err := ParseConfig(filepath.Join("proj", "socap.yaml"), data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "socap.duckdb" || c.Output != "out" || c.Language != "nb" || c.Dir != "proj" || len(c.Hash) != 64 {
		t.Errorf("defaults: store %q output %q language %q dir %q hash %q", c.Store, c.Output, c.Language, c.Dir, c.Hash)
	}
	want := Source{ID: "w1", Path: "data/w1.csv", Wave: 1, Decimal: ","}
	if len(c.Sources) != 1 || c.Sources[0] != want {
		t.Errorf("sources = %+v, want [%+v]", c.Sources, want)
	}
}

func TestResolve(t *testing.T) {
	c := &Config{Dir: "proj"}
	abs, _ := filepath.Abs("x.csv")
	tests := []struct{ in, want string }{
		{"data/w1.csv", filepath.Join("proj", "data", "w1.csv")},
		{abs, abs},
		{"builtin:demo", "builtin:demo"},
		{":memory:", ":memory:"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := c.Resolve(tt.in); got != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestBadConfigs checks the message for every file in testdata/bad/config
// against its golden file; each must be a positioned *yamlschema.Error.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("../testdata/bad/config/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseConfig(name, data)
			if err == nil {
				t.Fatal("ParseConfig accepted a bad config")
			}
			var ye *yamlschema.Error
			if !errors.As(err, &ye) || ye.Problems[0].Line == 0 {
				t.Errorf("error %v is not a positioned *yamlschema.Error", err)
			}
			golden.CheckString(t, strings.TrimSuffix(f, ".yaml")+".golden", err.Error())
		})
	}
}

func TestDisclosureConfig(t *testing.T) {
	base := "project: p\ncodebook: builtin:demo\nsources:\n  - {id: w1, path: w1.csv, wave: 1}\n"
	c, err := ParseConfig("socap.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Disclosure{MinN: 10, MinCount: 3, Protection: 0.20}); c.Disclosure != want {
		t.Errorf("default disclosure = %+v, want %+v", c.Disclosure, want)
	}
	c, err = ParseConfig("socap.yaml", []byte(base+"disclosure: {min_n: 20, protection: 0.3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Disclosure{MinN: 20, MinCount: 3, Protection: 0.3}); c.Disclosure != want {
		t.Errorf("disclosure = %+v, want %+v", c.Disclosure, want)
	}
	for _, bad := range []string{"{min_n: 0}", "{min_count: -1}", "{protection: 1.5}", "{protection: 0}", "{min_n: 5.5}", "{minn: 5}"} {
		if _, err := ParseConfig("socap.yaml", []byte(base+"disclosure: "+bad+"\n")); err == nil {
			t.Errorf("disclosure: %s accepted", bad)
		}
	}
}
