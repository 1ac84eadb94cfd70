package synth

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/xuri/excelize/v2"
)

// tee writes every row to several writers.
type tee []RowWriter

func (t tee) WriteRow(r *Row) error {
	for _, w := range t {
		if err := w.WriteRow(r); err != nil {
			return err
		}
	}
	return nil
}

// TestFormatsAgree writes one wave as CSV, Parquet (twice) and XLSX (twice)
// from a single generation: each format must hold the same cells as the CSV
// (blanks as nulls or empty cells), and two writers of a format given the
// same rows must write the same bytes.
func TestFormatsAgree(t *testing.T) {
	var csvBuf, pq1, pq2, x1, x2 bytes.Buffer
	cw, err := NewCSVWriter(&csvBuf)
	if err != nil {
		t.Fatal(err)
	}
	var closers []interface{ Close() error }
	writers := tee{cw}
	for _, b := range []*bytes.Buffer{&pq1, &pq2} {
		pw, err := NewParquetWriter(b)
		if err != nil {
			t.Fatal(err)
		}
		writers, closers = append(writers, pw), append(closers, pw)
	}
	for _, b := range []*bytes.Buffer{&x1, &x2} {
		xw, err := NewXLSXWriter(b)
		if err != nil {
			t.Fatal(err)
		}
		writers, closers = append(writers, xw), append(closers, xw)
	}
	if _, err := Generate(Options{Respondents: 1500, Waves: 1, Seed: 5}, []RowWriter{writers}); err != nil {
		t.Fatal(err)
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, c := range closers {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	want, err := csv.NewReader(&csvBuf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pq1.Bytes(), pq2.Bytes()) {
		t.Error("two Parquet writers of the same rows differ")
	}
	if !bytes.Equal(x1.Bytes(), x2.Bytes()) {
		t.Error("two XLSX writers of the same rows differ")
	}
	compare(t, "parquet", want, parquetCells(t, pq1.Bytes()))
	// Excel keeps 15 significant digits of the weight.
	got := xlsxCells(t, x1.Bytes())
	for i := 1; i < min(len(got), len(want)); i++ {
		g, _ := strconv.ParseFloat(got[i][colWeight+1], 64)
		w, _ := strconv.ParseFloat(want[i][colWeight+1], 64)
		if math.Abs(g-w) <= 1e-14*w {
			got[i][colWeight+1] = want[i][colWeight+1]
		}
	}
	compare(t, "xlsx", want, got)
}

func compare(t *testing.T, format string, want, got [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, CSV has %d", format, len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("%s row %d:\n%v\nCSV:\n%v", format, i, got[i], want[i])
		}
	}
}

// parquetCells reads a Parquet file back into CSV-formatted cells.
func parquetCells(t *testing.T, data []byte) [][]string {
	t.Helper()
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	for i, f := range tbl.Schema().Fields() {
		w := ParquetSchema().Field(i)
		if f.Name != w.Name || !arrow.TypeEqual(f.Type, w.Type) || f.Nullable != w.Nullable {
			t.Fatalf("field %d: %v, want %v", i, f, w)
		}
	}
	var header []string
	for _, f := range tbl.Schema().Fields() {
		header = append(header, f.Name)
	}
	out := [][]string{header}
	tr := array.NewTableReader(tbl, 4096)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := range int(rec.NumRows()) {
			row := make([]string, rec.NumCols())
			for j, col := range rec.Columns() {
				if col.IsNull(i) {
					continue
				}
				switch a := col.(type) {
				case *array.String:
					row[j] = a.Value(i)
				case *array.Int32:
					row[j] = strconv.Itoa(int(a.Value(i)))
				case *array.Int64:
					row[j] = strconv.FormatInt(a.Value(i), 10)
				case *array.Float64:
					row[j] = strconv.FormatFloat(a.Value(i), 'g', -1, 64)
				default:
					t.Fatalf("column %d: unexpected %s", j, col.DataType())
				}
			}
			out = append(out, row)
		}
	}
	return out
}

// xlsxCells reads the worksheet back, codes re-formatted as the CSV writes
// them.
func xlsxCells(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(xlsxSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		for len(row) < NumColumns+1 {
			row = append(row, "")
		}
		if i > 0 {
			for j, cell := range row[1:] {
				if cell == "" {
					continue
				}
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil || math.IsNaN(v) {
					t.Fatalf("row %d column %s: %q", i, Columns[j].Name, cell)
				}
				if Columns[j].Kind != Float64 {
					row[j+1] = strconv.FormatInt(int64(v), 10)
				}
			}
		}
		rows[i] = row
	}
	return rows
}

// TestWriteDir writes every format into a directory and checks the files.
func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	truth, files, err := WriteDir(Options{Respondents: 400, Waves: 2, Seed: 3}, dir, FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"margins.csv", "truth.json", "wave1.csv", "wave2.csv"}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, wantFiles) {
		t.Errorf("files %v, want %v", names, wantFiles)
	}
	for w, path := range files.Waves {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Count(data, []byte("\n")) - 1; got != truth.Achieved[w] {
			t.Errorf("%s: %d rows, truth says %d", filepath.Base(path), got, truth.Achieved[w])
		}
	}
	margins, err := os.ReadFile(files.Margins)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(margins, []byte("variable,level,total\nmunicipality,1515,7000\n")) {
		t.Errorf("margins.csv starts %q", margins[:min(60, len(margins))])
	}
	if _, _, err := WriteDir(Options{Respondents: 400, Waves: 2}, dir, "por"); err == nil {
		t.Error("format por: no error")
	}
}
