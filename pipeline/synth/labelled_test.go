package synth

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"socap/internal/testcsv"
	"socap/pipeline/codebook"
	"socap/pipeline/ingest"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/ingest/stata"
	"socap/pipeline/store"
)

// TestLabelledFormatsMatchCSV writes the same survey as CSV, .sav and
// .dta and loads each wave of the labelled files with ingest.LoadFile
// (SPSS user-missing values kept, as the CSV writes them): every cell must
// equal the CSV's (numbers compared as numbers, blanks as NULL). A second
// write of the labelled files must give the same bytes.
func TestLabelledFormatsMatchCSV(t *testing.T) {
	opts := Options{Respondents: 400, Waves: 2, Seed: 3}
	dirs := map[string]string{}
	for _, format := range []string{FormatCSV, FormatSAV, FormatDTA, FormatSAV + "2", FormatDTA + "2"} {
		dirs[format] = filepath.Join(t.TempDir(), format)
		if _, _, err := WriteDir(opts, dirs[format], strings.TrimSuffix(format, "2")); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range []string{FormatSAV, FormatDTA} {
		a, errA := os.ReadFile(filepath.Join(dirs[format], "wave2."+format))
		b, errB := os.ReadFile(filepath.Join(dirs[format+"2"], "wave2."+format))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("two %s files of the same seed differ (%v, %v)", format, errA, errB)
		}
	}
	st, err := store.Open(context.Background(), "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for w := 1; w <= opts.Waves; w++ {
		wave := "wave" + strconv.Itoa(w)
		want := testcsv.Read(t, filepath.Join(dirs[FormatCSV], wave+".csv"))
		for _, format := range []string{FormatSAV, FormatDTA} {
			path := filepath.Join(dirs[format], wave+"."+format)
			info, err := ingest.LoadFile(context.Background(), st, path, ingest.FileOptions{KeepUserMissing: true}, format+strconv.Itoa(w))
			if err != nil {
				t.Fatal(err)
			}
			got := loadedCells(t, st, info.Table, want[0])
			if len(got) != len(want)-1 {
				t.Fatalf("%s: %d rows, the CSV has %d", path, len(got), len(want)-1)
			}
			for i, rec := range want[1:] {
				for j, cell := range rec {
					if !sameCell(got[i][j], cell) {
						t.Fatalf("%s row %d %s: %v, CSV %q", path, i+1, want[0][j], got[i][j], cell)
					}
				}
			}
		}
	}
}

// loadedCells reads the columns names of a raw table in row order.
func loadedCells(t *testing.T, st *store.Store, table string, names []string) [][]sql.NullString {
	t.Helper()
	cols := ""
	for j, n := range names {
		if j > 0 {
			cols += ", "
		}
		cols += "CAST(" + store.QuoteIdent(n) + " AS VARCHAR)"
	}
	rows, err := st.DB().Query("SELECT " + cols + " FROM " + store.QuoteIdent(table) + " ORDER BY " + ingest.ColRow)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]sql.NullString
	for rows.Next() {
		rec := make([]sql.NullString, len(names))
		dest := make([]any, len(names))
		for j := range rec {
			dest[j] = &rec[j]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameCell compares a loaded cell with a CSV cell: NULL with a blank,
// numbers by value, text exactly.
func sameCell(got sql.NullString, cell string) bool {
	if !got.Valid || cell == "" {
		return !got.Valid && cell == ""
	}
	g, err1 := strconv.ParseFloat(got.String, 64)
	c, err2 := strconv.ParseFloat(cell, 64)
	if err1 == nil && err2 == nil {
		return g == c
	}
	return got.String == cell
}

// TestLabelledMetadata checks that the .sav and .dta files carry the
// codebook's variable labels and value labels, and the .sav its missing
// codes as user-missing values and the weight.
func TestLabelledMetadata(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{FormatSAV, FormatDTA} {
		if _, _, err := WriteDir(Options{Respondents: 100, Waves: 1, Seed: 1}, filepath.Join(dir, format), format); err != nil {
			t.Fatal(err)
		}
	}
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	sr, err := spss.Open(filepath.Join(dir, FormatSAV, "wave1.sav"), spss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	dr, err := stata.Open(filepath.Join(dir, FormatDTA, "wave1.dta"), stata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Close()
	if sr.File.Weight != "weight" {
		t.Errorf("SPSS weight %q", sr.File.Weight)
	}
	labelled := 0
	for j, v := range cb.Variables {
		s, d := sr.Variables[j], dr.Variables[j]
		if s.Name != v.Name || d.Name != v.Name || s.Label != v.Label.In("nb") || d.Label != v.Label.In("nb") {
			t.Errorf("%s: SPSS %q %q, Stata %q %q", v.Name, s.Name, s.Label, d.Name, d.Label)
		}
		if len(s.ValueLabels) != len(v.Values) || len(d.ValueLabels) != len(v.Values) {
			t.Errorf("%s: %d value labels in SPSS, %d in Stata, codebook %d", v.Name, len(s.ValueLabels), len(d.ValueLabels), len(v.Values))
		}
		for k, val := range v.Values {
			if k < len(s.ValueLabels) && (strconv.FormatFloat(s.ValueLabels[k].Value, 'g', -1, 64) != string(val.Code) || s.ValueLabels[k].Label != val.NB) {
				t.Errorf("%s: value label %+v, codebook %+v", v.Name, s.ValueLabels[k], val)
			}
			labelled++
		}
		if len(s.Missing.Values) != len(v.Missing) {
			t.Errorf("%s: user-missing %v, codebook %v", v.Name, s.Missing.Values, v.Missing)
		}
	}
	if labelled == 0 {
		t.Error("the codebook labels no values")
	}
}
