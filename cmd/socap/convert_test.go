package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConvertRoundTrips(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "svar.csv")
	os.WriteFile(in, []byte("id;score;dato;kommune\n1;3,5;2024-03-01;Frøya\n2;;2024-01-15;\"Tromsø; nord\"\n"), 0o644)
	wantCSV := "id,score,dato,kommune\n1,3.5,2024-03-01,Frøya\n2,,2024-01-15,Tromsø; nord\n"

	// CSV → Parquet → XLSX → CSV keeps names, values and types.
	steps := []string{in, filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.xlsx"), filepath.Join(dir, "c.csv")}
	for i := 1; i < len(steps); i++ {
		code, _, stderr := runCLI(t, "convert", steps[i-1], steps[i], "--quiet")
		if code != exitOK {
			t.Fatalf("convert %s %s: exit %d: %s", steps[i-1], steps[i], code, stderr)
		}
		if !strings.Contains(stderr, "wrote 2 rows of 4 columns to "+steps[i]) {
			t.Errorf("stderr: %s", stderr)
		}
	}
	got, err := os.ReadFile(steps[3])
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantCSV {
		t.Errorf("after the round trip:\n%s\nwant:\n%s", got, wantCSV)
	}
	// The XLSX holds typed cells: describe finds the same types.
	code, stdout, stderr := runCLI(t, "describe", steps[2], "--format", "csv")
	if code != exitOK {
		t.Fatalf("describe: %s", stderr)
	}
	for _, want := range []string{"id,integer,", "score,number,", "dato,date,", "kommune,text,"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("describe of the xlsx lacks %q:\n%s", want, stdout)
		}
	}
}

func TestConvertRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{[]string{"convert", "../../testdata/bad/ingest/ragged.csv", filepath.Join(dir, "r.parquet")}, exitBadUse,
			"ragged.csv: row 2: ragged row: 2 fields, header has 3 (2 records do not fit the header; fix them to convert)"},
		{[]string{"convert", "../../testdata/bad/ingest/bom.csv", filepath.Join(dir, "out.txt")}, exitBadUse, "want a .parquet, .csv or .xlsx file"},
		{[]string{"convert", "../../testdata/bad/ingest/bom.csv", "../../testdata/bad/ingest/bom.csv"}, exitBadUse, "same file"},
		{[]string{"convert", "../../testdata/bad/ingest/corrupt.xlsx", filepath.Join(dir, "x.csv")}, exitBadUse, "not a readable xlsx workbook"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.want || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.want, tc.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r.parquet")); err == nil {
		t.Error("a refused conversion wrote its output")
	}
}
