package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, format := range []string{"parquet", "sav", "dta"} {
		code, stdout, stderr := runCLI(t, "synth", "--respondents", "300", "--waves", "1", "--seed", "4", "--format", format, "--out", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, name := range []string{"wave1." + format, "truth.json", "margins.csv"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Error(err)
			}
			if !strings.Contains(stdout, name) {
				t.Errorf("stdout does not name %s:\n%s", name, stdout)
			}
		}
	}
	code, stdout, stderr := runCLI(t, "synth", "--respondents", "2000", "--waves", "1", "--national", "--out", dir)
	if code != exitOK {
		t.Fatalf("--national: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "in 357 municipalities") {
		t.Errorf("--national: stdout does not say 357 municipalities:\n%s", stdout)
	}
	for _, args := range [][]string{
		{"synth", "--format", "por"},
		{"synth", "--waves", "3"},
		{"synth", "--respondents", "10"},
		{"synth", "extra"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitBadUse {
			t.Errorf("%v: exit %d, want %d; stderr: %s", args, code, exitBadUse, stderr)
		}
	}
}
