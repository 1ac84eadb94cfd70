package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeepUserMissingFlag: labelled.sav declares tillit's 99 user-missing.
// By default it is missing (haven's read_sav); --keep-user-missing keeps it
// (user_na = TRUE) in describe, convert, estimate and glm.
func TestKeepUserMissingFlag(t *testing.T) {
	const sav = "../../testdata/ingest/labelled.sav"
	out := filepath.Join(t.TempDir(), "l.csv")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"estimate", sav, "--mean", "tillit", "--format", "csv"}, "\ntillit,mean,,,,4,"},
		{[]string{"estimate", sav, "--mean", "tillit", "--format", "csv", "--keep-user-missing"}, "\ntillit,mean,,,,51.5,"},
		{[]string{"glm", sav, "--formula", "tillit ~ 1", "--format", "csv"}, "(Intercept),,,4,"},
		{[]string{"glm", sav, "--formula", "tillit ~ 1", "--format", "csv", "--keep-user-missing"}, "(Intercept),,,51.5"},
		{[]string{"describe", sav, "-q", "--format", "csv"}, "tillit,integer,numeric,Tillit til kommunen,1,2,1,4,4,99,"},
		{[]string{"describe", sav, "-q", "--format", "csv", "--keep-user-missing"}, "tillit,integer,numeric,Tillit til kommunen,2,1,2,4,99,99,"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != exitOK || !strings.Contains(stdout, tc.want) {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr: %s\nwant %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	for _, keep := range []bool{false, true} {
		args := []string{"convert", sav, out}
		want := "2,Tromsø,,1.25"
		if keep {
			args, want = append(args, "--keep-user-missing"), "2,Tromsø,99,1.25"
		}
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		data, _ := os.ReadFile(out)
		if !strings.Contains(string(data), want) {
			t.Errorf("%v wrote:\n%s\nwant a line %q", args, data, want)
		}
	}
}
