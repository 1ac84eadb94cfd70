package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "svar.csv")
	os.WriteFile(csvPath, []byte("id;score;kommune\n1;3,5;Frøya\n2;;Tromsø\n3;4;Åfjord\n"), 0o644)

	code, stdout, stderr := runCLI(t, "describe", csvPath, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var vars []map[string]any
	if err := json.Unmarshal([]byte(stdout), &vars); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(vars) != 3 {
		t.Fatalf("%d variables, want 3: %s", len(vars), stdout)
	}
	score := vars[1]
	if score["variable"] != "score" || score["type"] != "number" || score["min"] != "3.5" || score["max"] != "4" ||
		score["missing"] != 1.0 || score["values"] != 2.0 {
		t.Errorf("score = %v", score)
	}
	if !strings.Contains(stderr, `3 rows from `+csvPath+` (csv, utf-8, delimiter ";", decimal ',')`) {
		t.Errorf("stderr: %s", stderr)
	}

	// Labels from an SPSS file, in the table format.
	code, stdout, stderr = runCLI(t, "describe", "../../testdata/ingest/labelled.sav", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Tillit til kommunen", "1=Ingen tillit; 5=Full tillit; 99=Vet ikke", "2024-03-01"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
}

func TestDescribeBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{[]string{"describe", "../../testdata/bad/ingest/duplicate_header.csv"}, exitBadUse, `duplicate column name "q1" at positions 2 and 4`},
		{[]string{"describe", "../../testdata/bad/ingest/truncated.parquet"}, exitBadUse, "not a readable parquet file"},
		{[]string{"describe", "no-such-file.csv"}, exitBadUse, "no-such-file.csv: no such file"},
		{[]string{"describe", "a.csv", "--format", "yaml"}, exitBadUse, "--format"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.want || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.want, tc.msg)
		}
	}
}
