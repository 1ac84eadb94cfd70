package ingest

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"socap/pipeline/store"
)

func TestLoadParquetWritesText(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "")
	path := filepath.Join(t.TempDir(), "typed.parquet")
	_, err := st.DB().Exec(`COPY (SELECT * FROM (VALUES
		(1, 3.0::DOUBLE, 0.1::DOUBLE, 1e20::DOUBLE, DATE '2024-03-01', TIMESTAMP '2024-03-01 10:30:00', 'Tromsø', true, 2.50::DECIMAL(5,2)),
		(NULL, -2.5::DOUBLE, 'nan'::DOUBLE, NULL, NULL, NULL, NULL, false, NULL))
		t(i, d, tenth, big, day, ts, s, b, dec)) TO ` + store.QuoteString(path) + ` (FORMAT parquet)`)
	if err != nil {
		t.Fatal(err)
	}
	info, err := LoadFile(ctx, st, path, FileOptions{}, "pq")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"1", "3", "0.1", "1e+20", "2024-03-01", "2024-03-01T10:30:00", "Tromsø", "true", "2.50", "1", "∅"},
		{"∅", "-2.5", "nan", "∅", "∅", "∅", "∅", "false", "∅", "2", "∅"},
	}
	if got := rawRows(t, st, info.Table); !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	// Record numbers follow the file across many row groups.
	big := filepath.Join(t.TempDir(), "big.parquet")
	if _, err := st.DB().Exec(`COPY (SELECT range AS id FROM range(300000)) TO ` + store.QuoteString(big) + ` (FORMAT parquet, ROW_GROUP_SIZE 10000)`); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(ctx, st, big, FileOptions{}, "big"); err != nil {
		t.Fatal(err)
	}
	var n, wrong int64
	if err := st.DB().QueryRow(`SELECT count(*), count(*) FILTER (WHERE CAST(id AS BIGINT) + 1 <> _row) FROM raw_big`).Scan(&n, &wrong); err != nil {
		t.Fatal(err)
	}
	if n != 300000 || wrong != 0 {
		t.Errorf("big parquet: %d rows, %d with the wrong _row", n, wrong)
	}
	var types []string
	for _, c := range info.Columns {
		types = append(types, c.Type)
	}
	wantTypes := []string{"integer", "number", "number", "number", "date", "timestamp", "text", "boolean", "number"}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("types = %q, want %q", types, wantTypes)
	}
}

func TestLoadXLSX(t *testing.T) {
	f := excelize.NewFile()
	if _, err := f.NewSheet("Svar"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"id", "kommune", "score", "dato", nil},
		{1, "Frøya", 3.5, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{4, "Tromsø", 0.25, time.Date(2024, 3, 2, 14, 30, 0, 0, time.UTC)},
		{},
		{2, "Åfjord", 4},
		{3, "Hitra", 2, nil, "extra"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Svar", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	// A percentage format: the stored number lands, not "25%".
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Svar", "C3", "C3", pct); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "svar.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, "")
	if _, err := LoadFile(context.Background(), st, path, FileOptions{}, "x"); err == nil {
		t.Error("the empty first sheet loaded without error")
	}
	info, err := LoadFile(context.Background(), st, path, FileOptions{Sheet: "Svar"}, "x")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"1", "Frøya", "3.5", "2024-03-01", "1", "∅"},
		{"4", "Tromsø", "0.25", "2024-03-02T14:30:00", "2", "∅"},
		{"2", "Åfjord", "4", "∅", "3", "∅"},
		{"3", "Hitra", "2", "∅", "4", "ragged row: 5 fields, header has 4"},
	}
	if got := rawRows(t, st, info.Table); !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if info.Sheet != "Svar" || info.ProblemRows != 1 {
		t.Errorf("sheet %q, problem rows %d; want Svar, 1", info.Sheet, info.ProblemRows)
	}
	if _, err := LoadFile(context.Background(), st, path, FileOptions{Sheet: "Nope"}, "x"); err == nil ||
		err.Error() != path+`: no sheet "Nope" (sheets: Sheet1, Svar)` {
		t.Errorf("missing sheet: %v", err)
	}
}
