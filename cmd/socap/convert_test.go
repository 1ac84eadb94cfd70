package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"socap/internal/shareddata"
	"socap/pipeline/ingest"
	"socap/pipeline/store"
	"strings"
	"testing"
)

func TestConvertRoundTrips(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "svar.csv")
	os.WriteFile(in, []byte("id;score;dato;kommune\n1;3,5;2024-03-01;Frøya\n2;;2024-01-15;\"Tromsø; nord\"\n"), 0o644)
	wantCSV := "id,score,dato,kommune\n1,3.5,2024-03-01,Frøya\n2,,2024-01-15,Tromsø; nord\n"

	// CSV → Parquet → XLSX → SPSS → zlib SPSS → Stata → CSV keeps names, values and types.
	steps := []string{in, filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.xlsx"), filepath.Join(dir, "c.sav"),
		filepath.Join(dir, "d.zsav"), filepath.Join(dir, "e.dta"), filepath.Join(dir, "f.csv")}
	for i := 1; i < len(steps); i++ {
		code, _, stderr := runCLI(t, "convert", steps[i-1], steps[i], "--quiet")
		if code != exitOK {
			t.Fatalf("convert %s %s: exit %d: %s", steps[i-1], steps[i], code, stderr)
		}
		if !strings.Contains(stderr, "wrote 2 rows of 4 columns to "+steps[i]) {
			t.Errorf("stderr: %s", stderr)
		}
	}
	got, err := os.ReadFile(steps[len(steps)-1])
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
		{[]string{"convert", "../../testdata/bad/ingest/bom.csv", filepath.Join(dir, "out.txt")}, exitBadUse, "want a .parquet, .csv, .xlsx, .sav, .zsav or .dta file"},
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

// TestConvertKeepsLabels converts ESS9NO.sav to .sav and .dta and reads both back:
// every value is the same, and the .sav keeps every variable label, value label and
// user-missing declaration; the .dta keeps what Stata can hold (variable labels of
// 80 characters, value labels of whole numbers) and says how many labels it left out.
func TestConvertKeepsLabels(t *testing.T) {
	in := shareddata.Path(t, "ess9no/ESS9NO.sav")
	ctx := context.Background()
	orig, err := openInput(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	want := rawCells(t, orig)
	for _, ext := range []string{".sav", ".dta"} {
		out := filepath.Join(t.TempDir(), "ess"+ext)
		code, _, stderr := runCLI(t, "convert", in, out, "--quiet")
		if code != exitOK {
			t.Fatalf("convert to %s: exit %d: %s", ext, code, stderr)
		}
		back, err := openInput(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		defer back.Close()
		if got := rawCells(t, back); !slices.Equal(got, want) {
			t.Fatalf("%s: the values differ (%d and %d cells)", ext, len(got), len(want))
		}
		labels := 0
		for j, c := range back.info.Columns {
			o := orig.info.Columns[j]
			if r := []rune(o.Label); ext == ".dta" && len(r) > 80 {
				o.Label = string(r[:80]) // Stata keeps 80 characters
			}
			if c.Name != o.Name || c.Label != o.Label {
				t.Fatalf("%s: column %d is %q (%q), want %q (%q)", ext, j, c.Name, c.Label, o.Name, o.Label)
			}
			labels += len(c.ValueLabels)
			if ext == ".sav" && (c.MissingCodes != o.MissingCodes || !sameLabels(c.ValueLabels, o.ValueLabels)) {
				t.Fatalf("%s: %s has missing %q and value labels %v, want %q and %v", ext, c.Name, c.MissingCodes, c.ValueLabels, o.MissingCodes, o.ValueLabels)
			}
		}
		if labels == 0 {
			t.Errorf("%s: no value labels", ext)
		}
		if ext == ".dta" && !strings.Contains(stderr, "region: 306 value labels left out") {
			t.Errorf("no note on the labels Stata cannot hold: %s", stderr)
		}
	}
}

// sameLabels reports whether a and b hold the same value labels, in any order
// (SPSS keeps text labels in a record of their own, written sorted).
func sameLabels(a, b []ingest.ValueLabel) bool {
	sorted := func(v []ingest.ValueLabel) []ingest.ValueLabel {
		v = slices.Clone(v)
		slices.SortFunc(v, func(x, y ingest.ValueLabel) int {
			return strings.Compare(x.Value+"\x00"+x.Label, y.Value+"\x00"+y.Label)
		})
		return v
	}
	return slices.Equal(sorted(a), sorted(b))
}

// rawCells returns every cell of a loaded file's raw table, row by row.
func rawCells(t *testing.T, in *inputFile) []string {
	t.Helper()
	var names []string
	for _, c := range in.info.Columns {
		names = append(names, "coalesce("+store.QuoteIdent(c.Name)+", '<NA>')")
	}
	rows, err := in.st.DB().Query("SELECT concat_ws('|', " + strings.Join(names, ", ") + ") FROM " + store.QuoteIdent(in.info.Table) + " ORDER BY _row")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
