package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"socap/pipeline/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedNow is the clock of every test load.
func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawRows reads a raw table as text in file order: the file's columns then
// _row and _problem ("" for NULL is shown as "∅").
func rawRows(t testing.TB, st *store.Store, table string) [][]string {
	t.Helper()
	rows, err := st.DB().Query("SELECT * EXCLUDE (_source, _sha256) FROM " + store.QuoteIdent(table) + " ORDER BY _row")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(cols))
		for i, v := range vals {
			rec[i] = "∅"
			if v.Valid {
				rec[i] = v.String
			}
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadCSV(t *testing.T) {
	latin1 := []byte("kommune;innbyggere\nFr\xf8ya;5 300\nTroms\xf8;77 000\n\xc5fjord;3 200\n")
	tests := []struct {
		name                     string
		file                     string
		data                     []byte
		opts                     FileOptions
		fast                     bool
		delim, decimal, encoding string
		columns                  []string
		rows                     [][]string
	}{
		{
			name: "comma", file: "a.csv", data: []byte("id,name\n1,Frøya\n2,\n"),
			fast: true, delim: ",", decimal: ".", encoding: "utf-8",
			columns: []string{"id", "name"},
			rows:    [][]string{{"1", "Frøya", "1", "∅"}, {"2", "∅", "2", "∅"}},
		},
		{
			name: "semicolon with decimal commas", file: "a.csv", data: []byte("id;score;kommune\n1;3,5;Tromsø\n2;4,25;Åfjord\n"),
			fast: true, delim: ";", decimal: ",", encoding: "utf-8",
			columns: []string{"id", "score", "kommune"},
			rows:    [][]string{{"1", "3,5", "Tromsø", "1", "∅"}, {"2", "4,25", "Åfjord", "2", "∅"}},
		},
		{
			name: "tab", file: "a.txt", data: []byte("a\tb\tc\n1\t2\t3\n"),
			fast: true, delim: "\t", decimal: ".", encoding: "utf-8",
			columns: []string{"a", "b", "c"},
			rows:    [][]string{{"1", "2", "3", "1", "∅"}},
		},
		{
			name: "pipe", file: "a.csv", data: []byte("a|b\n1,5|x\n"),
			fast: true, delim: "|", decimal: ",", encoding: "utf-8",
			columns: []string{"a", "b"},
			rows:    [][]string{{"1,5", "x", "1", "∅"}},
		},
		{
			name: "tsv extension fixes tab", file: "a.tsv", data: []byte("a,b\tc\nx,y\t3\n"),
			fast: true, delim: "\t", decimal: ".", encoding: "utf-8",
			columns: []string{"a,b", "c"},
			rows:    [][]string{{"x,y", "3", "1", "∅"}},
		},
		{
			name: "bom and crlf", file: "a.csv", data: []byte("\xef\xbb\xbfid,kommune\r\n1,Åfjord\r\n"),
			fast: true, delim: ",", decimal: ".", encoding: "utf-8-bom",
			columns: []string{"id", "kommune"},
			rows:    [][]string{{"1", "Åfjord", "1", "∅"}},
		},
		{
			name: "quoted newlines, quotes and blank lines", file: "a.csv",
			data: []byte("id,comment\n\n1,\"line one\nline two\"\n2,\"she said \"\"hei\"\"\"\n\n3,\"a,b\"\n"),
			fast: true, delim: ",", decimal: ".", encoding: "utf-8",
			columns: []string{"id", "comment"},
			rows: [][]string{
				{"1", "line one\nline two", "1", "∅"},
				{"2", `she said "hei"`, "2", "∅"},
				{"3", "a,b", "3", "∅"},
			},
		},
		{
			name: "latin-1 detected", file: "a.csv", data: latin1,
			fast: true, delim: ";", decimal: ".", encoding: "windows-1252",
			columns: []string{"kommune", "innbyggere"},
			rows: [][]string{
				{"Frøya", "5 300", "1", "∅"}, {"Tromsø", "77 000", "2", "∅"}, {"Åfjord", "3 200", "3", "∅"},
			},
		},
		{
			name: "ragged rows land with a problem", file: "a.csv", data: []byte("a,b,c\n1,2,3\n4,5\n6,7,8,9\n"),
			delim: ",", decimal: ".", encoding: "utf-8",
			columns: []string{"a", "b", "c"},
			rows: [][]string{
				{"1", "2", "3", "1", "∅"},
				{"4", "5", "∅", "2", "ragged row: 2 fields, header has 3"},
				{"6", "7", "8", "3", "ragged row: 4 fields, header has 3"},
			},
		},
		{
			name: "spaces and quoted empties", file: "a.csv", data: []byte("id, navn \n1, Frøya \n2,\"\"\n"),
			fast: true, delim: ",", decimal: ".", encoding: "utf-8",
			columns: []string{"id", " navn "},
			rows:    [][]string{{"1", " Frøya ", "1", "∅"}, {"2", "∅", "2", "∅"}},
		},
		{
			name: "trailing delimiters are not fields", file: "a.csv", data: []byte("a,b\n1,2,\n3,4,,\n5,6,7\n"),
			delim: ",", decimal: ".", encoding: "utf-8",
			columns: []string{"a", "b"},
			rows: [][]string{
				{"1", "2", "1", "∅"}, {"3", "4", "2", "∅"}, {"5", "6", "3", "ragged row: 3 fields, header has 2"},
			},
		},
		{
			name: "stray quote goes the Go way", file: "a.csv", data: []byte("a,b\n1,5\"x\n"),
			delim: ",", decimal: ".", encoding: "utf-8",
			columns: []string{"a", "b"},
			rows:    [][]string{{"1", "5\"x", "1", "∅"}},
		},
		{
			name: "options override detection", file: "a.csv", data: []byte("a;b\n1,5;2\n"),
			opts:  FileOptions{Delimiter: ",", Decimal: ".", Encoding: "latin-1"},
			delim: ",", decimal: ".", encoding: "latin-1",
			columns: []string{"a;b"},
			rows:    [][]string{{"1", "1", "ragged row: 2 fields, header has 1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := writeFile(t, tc.file, tc.data)
			p, err := prepare(ctx, path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, isFast := p.loader.(*duckCSVLoader); isFast != tc.fast {
				t.Errorf("read_csv path = %v, want %v", isFast, tc.fast)
			}
			st := openStore(t, "")
			info, err := p.load(ctx, st, "s1")
			if err != nil {
				t.Fatal(err)
			}
			if info.Delimiter != tc.delim || info.Decimal != tc.decimal || info.Encoding != tc.encoding {
				t.Errorf("dialect = %q %q %q, want %q %q %q", info.Delimiter, info.Decimal, info.Encoding, tc.delim, tc.decimal, tc.encoding)
			}
			cols, err := Columns(ctx, st, "s1")
			if err != nil {
				t.Fatal(err)
			}
			if got := columnNames(cols); !reflect.DeepEqual(got, tc.columns) {
				t.Errorf("columns = %q, want %q", got, tc.columns)
			}
			if got := rawRows(t, st, "raw_s1"); !reflect.DeepEqual(got, tc.rows) {
				t.Errorf("rows:\n got %q\nwant %q", got, tc.rows)
			}
			var n int64
			var dec string
			if err := st.DB().QueryRow(`SELECT row_count, decimal_sep FROM sources WHERE source_id = 's1'`).Scan(&n, &dec); err != nil {
				t.Fatal(err)
			}
			if n != int64(len(tc.rows)) || dec != tc.decimal {
				t.Errorf("sources row_count, decimal_sep = %d %q, want %d %q", n, dec, len(tc.rows), tc.decimal)
			}
		})
	}
}

func TestScanCSVChunkBoundaries(t *testing.T) {
	// Records and UTF-8 sequences straddle the 1 MiB read chunks.
	var b strings.Builder
	b.WriteString("id,text\n")
	n := 0
	for b.Len() < 3<<20 {
		n++
		b.WriteString(strings.Repeat("ø", n%7) + ",\"å\n" + strings.Repeat("x", n%13) + "\"\n")
	}
	data := []byte("\xef\xbb\xbf" + b.String())
	var numbered bytes.Buffer
	s, err := scanCSV(context.Background(), bytes.NewReader(data), ',', nil, &numbered)
	if err != nil {
		t.Fatal(err)
	}
	if !s.validUTF8 || !s.bom || s.records != int64(n) || s.ragged != 0 || s.irregular || s.headerFields != 2 {
		t.Errorf("scan = %+v, want %d valid records of 2 fields", s, n)
	}
	// The numbered copy has each record's number in front, and the text.
	records, err := csv.NewReader(&numbered).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != n+1 || strings.Join(records[0], ",") != "_row,id,text" {
		t.Fatalf("numbered copy: %d records, header %q", len(records), records[0])
	}
	for i, rec := range records[1:] {
		if rec[0] != strconv.Itoa(i+1) || !strings.HasPrefix(rec[2], "å\n") {
			t.Fatalf("numbered record %d = %q", i+1, rec)
		}
	}
	// One invalid byte far from the start is found.
	bad := []byte(b.String())
	bad[2<<20+5] = 0xff
	if s, err = scanCSV(context.Background(), bytes.NewReader(bad), ',', nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s.validUTF8 {
		t.Error("invalid byte at 2 MiB not found")
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		sample string
		want   byte
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a;b;c\n1,5;2,5;3\n", ';'},
		{"a\tb\n1\t2\n", '\t'},
		{"a|b\n1|2\n", '|'},
		{"single\n1\n", ','},
		{"\"x;y\",b\n1,2\n", ','},
	}
	for _, tc := range tests {
		if got := detectDelimiter([]byte(tc.sample)); got != tc.want {
			t.Errorf("detectDelimiter(%q) = %q, want %q", tc.sample, got, tc.want)
		}
	}
}

func TestReadCSVFailureFallsBackToGo(t *testing.T) {
	ctx := context.Background()
	path := writeFile(t, "a.csv", []byte("id,kommune\n1,Frøya\n2,Hitra\n"))
	p, err := prepare(ctx, path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := p.loader.(*duckCSVLoader)
	if !ok {
		t.Fatalf("loader %T, want read_csv", p.loader)
	}
	// Spoil the numbered copy so that strict read_csv refuses it.
	if err := os.WriteFile(d.numbered, []byte("_row,id,kommune\n1,1,Frøya,extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, "")
	info, err := p.load(ctx, st, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"1", "Frøya", "1", "∅"}, {"2", "Hitra", "2", "∅"}}
	if got := rawRows(t, st, "raw_s"); !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if len(info.Notes) != 1 || !strings.HasPrefix(info.Notes[0], "read_csv could not load the file (") {
		t.Errorf("notes = %q", info.Notes)
	}
	if _, err := os.Stat(d.numbered); !os.IsNotExist(err) {
		t.Errorf("numbered copy left behind: %v", err)
	}
}

// TestLoadPathsAgree loads one file through read_csv and through the Go
// reader: the raw tables must be identical.
func TestLoadPathsAgree(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.csv")
	genCSV(t, path, 5000, 12, false)
	st := openStore(t, "")
	fast, err := prepare(ctx, path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fast.loader.(*duckCSVLoader); !ok {
		t.Fatalf("loader %T, want read_csv", fast.loader)
	}
	if _, err := fast.load(ctx, st, "fast"); err != nil {
		t.Fatal(err)
	}
	slow, err := prepare(ctx, path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slow.loader = slow.loader.(*duckCSVLoader).fallback
	if _, err := slow.load(ctx, st, "slow"); err != nil {
		t.Fatal(err)
	}
	var n, diff int64
	err = st.DB().QueryRow(`SELECT (SELECT count(*) FROM raw_slow),
		(SELECT count(*) FROM ((SELECT * EXCLUDE (_source) FROM raw_fast EXCEPT ALL SELECT * EXCLUDE (_source) FROM raw_slow)
		UNION ALL (SELECT * EXCLUDE (_source) FROM raw_slow EXCEPT ALL SELECT * EXCLUDE (_source) FROM raw_fast)))`).Scan(&n, &diff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5000 || diff != 0 {
		t.Errorf("Go path loaded %d rows; %d rows differ between the paths", n, diff)
	}
	// The load's settings are reset after it.
	var compression, order string
	if err := st.DB().QueryRow(`SELECT current_setting('force_compression'), current_setting('preserve_insertion_order')::VARCHAR`).
		Scan(&compression, &order); err != nil {
		t.Fatal(err)
	}
	if compression != "auto" || order != "true" {
		t.Errorf("after a load: force_compression %s, preserve_insertion_order %s", compression, order)
	}
}
