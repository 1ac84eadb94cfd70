package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"socap/internal/shareddata"
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

	// Labels from an SPSS file, in the table format, wide enough for them.
	t.Setenv("COLUMNS", "300")
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

// TestDescribeNAAndTop checks that NA cells are missing (the column stays
// an integer, as estimate reads it) and the most frequent values of
// categorical columns with their counts, in JSON, CSV and the table.
func TestDescribeNAAndTop(t *testing.T) {
	csvPath := filepath.Join(t.TempDir(), "na.csv")
	os.WriteFile(csvPath, []byte("trust,kommune,id\n5,Oslo,1\nNA,NA,2\n7,Bergen,3\n5,Oslo,4\n NA ,Oslo,5\n8,Hitra,6\n"), 0o644)

	code, stdout, stderr := runCLI(t, "describe", csvPath, "--format", "json", "--top", "2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var vars []struct {
		Variable string
		Type     string
		Values   int
		Missing  int
		Min, Max string
		Top      []struct {
			Value, Label string
			Count        int
		}
	}
	if err := json.Unmarshal([]byte(stdout), &vars); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	trust, kommune := vars[0], vars[1]
	if trust.Type != "integer" || trust.Values != 4 || trust.Missing != 2 || trust.Min != "5" || trust.Max != "8" {
		t.Errorf("trust = %+v", trust)
	}
	if fmt.Sprint(trust.Top) != "[{5  2} {7  1}]" || fmt.Sprint(kommune.Top) != "[{Oslo  3} {Bergen  1}]" {
		t.Errorf("top: trust %v, kommune %v", trust.Top, kommune.Top)
	}
	if kommune.Type != "text" || kommune.Missing != 1 {
		t.Errorf("kommune = %+v", kommune)
	}
	if !strings.Contains(stdout, `"top": [
      {
        "count": 3,
        "label": "",
        "value": "Oslo"
      },`) {
		t.Errorf("JSON top:\n%s", stdout)
	}

	code, stdout, stderr = runCLI(t, "describe", csvPath, "--format", "csv", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "trust,integer,text,,4,2,3,5,8,,,5 (2); 7 (1); 8 (1)\n") ||
		!strings.Contains(stdout, "kommune,text,text,,5,1,3,,,,,Oslo (3); Bergen (1); Hitra (1)\n") {
		t.Errorf("CSV:\n%s", stdout)
	}

	// Labels with the values, in the table; --top 0 lists none.
	t.Setenv("COLUMNS", "300")
	code, stdout, _ = runCLI(t, "describe", "../../testdata/ingest/labelled.sav", "--quiet", "--top", "1")
	if code != exitOK || !strings.Contains(stdout, "1=Ingen tillit; 5=Full tillit; 99=Vet ikke  4 (1)\n") {
		t.Errorf("exit %d, table:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "describe", csvPath, "--format", "csv", "--quiet", "--top", "0")
	if code != exitOK || strings.Contains(stdout, "(") {
		t.Errorf("--top 0: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := runCLI(t, "describe", csvPath, "--top", "-1"); code != exitBadUse || !strings.Contains(stderr, "--top") {
		t.Errorf("--top -1: exit %d, %s", code, stderr)
	}
}

// TestDescribeWidth checks that no line of the table is wider than
// $COLUMNS (or 120 without it, stdout not being a terminal), that cut cells
// end in "…", and that JSON keeps them whole.
func TestDescribeWidth(t *testing.T) {
	long := strings.Repeat("word ", 4000) // a 20,000-character cell
	csvPath := filepath.Join(t.TempDir(), "wide.csv")
	var b strings.Builder
	b.WriteString("kode,tekst\n")
	for i := range 50 {
		fmt.Fprintf(&b, "%d,%s%d\n", i%3, long, i)
	}
	os.WriteFile(csvPath, []byte(b.String()), 0o644)
	for _, tc := range []struct {
		columns string
		width   int
	}{{"", 120}, {"100", 100}, {"200", 200}} {
		t.Setenv("COLUMNS", tc.columns)
		code, stdout, stderr := runCLI(t, "describe", csvPath, "--quiet")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		widest := 0
		for _, l := range lines {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		if len(lines) != 3 || widest > tc.width || widest < tc.width-10 || !strings.HasSuffix(lines[2], "word…") && !strings.HasSuffix(lines[2], "wor…") && !strings.HasSuffix(lines[2], "wo…") && !strings.HasSuffix(lines[2], "w…") && !strings.HasSuffix(lines[2], " …") ||
			!strings.Contains(lines[1], "0 (17); 1…") && !strings.Contains(lines[1], "0 (17); 1 (17); 2 (16)") {
			t.Errorf("COLUMNS=%q: %d lines, widest %d, want at most %d:\n%s", tc.columns, len(lines), widest, tc.width, stdout)
		}
	}
	code, stdout, _ := runCLI(t, "describe", csvPath, "--quiet", "--format", "json")
	if code != exitOK || !strings.Contains(stdout, `"value": "`+long+`0"`) {
		t.Errorf("JSON lacks the whole cell (exit %d)", code)
	}
	// The fixed columns of the ESS file fit as well, over its ~560 rows.
	if ess := shareddata.Dir(); ess != "" {
		t.Setenv("COLUMNS", "120")
		code, stdout, _ = runCLI(t, "describe", filepath.Join(ess, "ess9no", "ESS9NO.sav"), "--quiet")
		for _, l := range strings.Split(stdout, "\n") {
			if utf8.RuneCountInString(l) > 120 {
				t.Fatalf("exit %d, line of %d characters: %s", code, utf8.RuneCountInString(l), l)
			}
		}
	}
}

// TestDescribeESS checks ESS9NO.csv, where R wrote NA for missing values:
// ppltrst and agea are integers, their NAs counted as missing, as in
// ESS9NO.sav.
func TestDescribeESS(t *testing.T) {
	path := shareddata.Path(t, "ess9no/ESS9NO.csv")
	code, stdout, stderr := runCLI(t, "describe", path, "--format", "csv", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"\nppltrst,integer,text,,1401,5,11,0,10,,,8 (363); 7 (346); 5 (185); 6 (139); 9 (125)\n",
		"\nagea,integer,text,,1374,32,75,15,90,,,\n",
		"\ngndr,integer,text,,1406,0,2,1,2,,,1 (777); 2 (629)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("CSV lacks %q", want)
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
