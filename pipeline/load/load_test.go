package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"socap/indicators/survey"
	"socap/pipeline/ingest"
	"socap/pipeline/store"
)

// TestInPlaceCSV checks that a CSV read in place is typed as the ingested file is
// (numbers, blanks, NA, text, text with number-like cells), that its staged columns
// give the same values and row numbers as the file, and that typing more columns
// later keeps the expressions handed out before valid; for a file with commas and
// for one with semicolons and decimal commas (as Norwegian spreadsheets save them).
func TestInPlaceCSV(t *testing.T) {
	comma := "id,num,blank,text,mix,later\n" +
		"a, 1.5,,x,1,10\n" +
		"b,NA,,y,2,20\n" +
		"c,2e3,,NA,x3,30\n" +
		"d,,NA,z,1.0,40\n"
	decimalComma := strings.NewReplacer(".", ",", ",", ";").Replace(comma)
	for name, data := range map[string]string{"comma": comma, "decimal comma": decimalComma} {
		t.Run(name, func(t *testing.T) { checkInPlaceCSV(t, data) })
	}
}

func checkInPlaceCSV(t *testing.T, data string) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	place, err := OpenInPlace(ctx, st, path)
	if err != nil {
		t.Fatal(err)
	}
	defer place.Close()
	in, err := Open(ctx, path, ingest.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cols := []string{"id", "num", "blank", "text", "mix"}
	want, err := in.Numeric(ctx, cols)
	if err != nil {
		t.Fatal(err)
	}
	got, err := place.Numeric(ctx, cols)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(want) != "[false true true false false]" {
		t.Fatalf("typing: in place %v, ingested %v, want [false true true false false]", got, want)
	}
	if place.staged == "" {
		t.Fatal("the CSV was not staged")
	}
	values := func(tab *Table, cols []string, numeric []bool) string {
		var sel []string
		for k, c := range cols {
			sel = append(sel, "CAST("+tab.Expr(c, numeric[k])+" AS VARCHAR)")
		}
		rows, err := tab.Store().DB().QueryContext(ctx, "SELECT _row, "+strings.Join(sel, ", ")+" FROM "+tab.From()+" ORDER BY _row")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			v := make([]any, len(cols)+1)
			p := make([]any, len(v))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, v...)
		}
		return b.String()
	}
	before := place.Expr("num", true)
	if g, w := values(place, cols, got), values(in, cols, want); g != w {
		t.Errorf("values in place:\n%s\ningested:\n%s", g, w)
	}
	// typing a further column stages it beside the others
	if _, err := place.Numeric(ctx, []string{"later"}); err != nil {
		t.Fatal(err)
	}
	if place.Expr("num", true) != before {
		t.Errorf("num was %s, is %s after staging more", before, place.Expr("num", true))
	}
	if g, w := values(place, []string{"num", "later"}, []bool{true, true}), values(in, []string{"num", "later"}, []bool{true, true}); g != w {
		t.Errorf("after staging more, in place:\n%s\ningested:\n%s", g, w)
	}
	if !strings.Contains(place.Expr("unknown", true), "error(") {
		t.Errorf("an untyped column gives %s, want an SQL error", place.Expr("unknown", true))
	}
	staged := place.staged
	place.Close()
	if _, err := os.Stat(staged); !os.IsNotExist(err) {
		t.Errorf("staged file %s left after Close: %v", staged, err)
	}
}

// TestInPlaceParquetRows checks that the row numbers of a hive-partitioned folder of
// Parquet files, computed from the files' footers, are the rows' order in the scan
// (what row_number() OVER () gives), 1…n.
func TestInPlaceParquetRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := fmt.Sprintf(`COPY (SELECT i, i %% 7 AS g, (i * 37) %% 101 AS y FROM range(5000) r(i)) TO %s (FORMAT parquet, PARTITION_BY (g))`, store.QuoteString(dir))
	if _, err := st.DB().ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
	tab, err := OpenInPlace(ctx, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	var n, bad, distinct, lo, hi int64
	q = `SELECT count(*), count(*) FILTER (WHERE _row <> rn), count(DISTINCT _row), min(_row), max(_row) FROM
		(SELECT _row, row_number() OVER () AS rn FROM ` + tab.From() + `)`
	if err := st.DB().QueryRowContext(ctx, q).Scan(&n, &bad, &distinct, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if n != 5000 || bad != 0 || distinct != n || lo != 1 || hi != n {
		t.Errorf("%d rows, %d numbered out of scan order, %d distinct numbers in %d..%d; want 5000, 0, 5000, 1..5000", n, bad, distinct, lo, hi)
	}
}

// TestStagedFileCollected checks that the staged file of a table nobody closed is
// removed once the table is garbage.
func TestStagedFileCollected(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,x\n2,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	staged := func() string {
		tab, err := OpenInPlace(ctx, st, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tab.Numeric(ctx, []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		return tab.staged
	}()
	if _, err := os.Stat(staged); err != nil {
		t.Fatalf("staged file: %v", err)
	}
	for range 100 {
		runtime.GC()
		if _, err := os.Stat(staged); os.IsNotExist(err) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("staged file %s left after its table became garbage", staged)
}

// TestBatches reads a CSV in place 3 rows at a time: the batches, end to end, are
// the columns Frame reads at once, typed alike, and the last batch is short.
func TestBatches(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "in.csv")
	data := "id,x,g\n"
	for i := range 9 {
		data += fmt.Sprintf("r%d,%d.5,%c\n", i, i, 'a'+rune(i%3))
	}
	data += "r9,NA,\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tab, err := OpenInPlace(ctx, st, path)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	cols := []string{"x", "g", "id", "x"}
	whole, err := tab.Frame(ctx, cols)
	if err != nil {
		t.Fatal(err)
	}
	var x []float64
	var g, id []string
	var sizes []int
	err = tab.Batches(ctx, cols, 3, func(f *survey.Frame) error {
		sizes = append(sizes, f.Rows())
		if !f.IsNumeric("x") || f.IsNumeric("g") {
			t.Errorf("batch typed x numeric %v, g numeric %v", f.IsNumeric("x"), f.IsNumeric("g"))
		}
		bx, _ := f.Float("x")
		bg, _ := f.Strings("g")
		bid, _ := f.Strings("id")
		x, g, id = append(x, bx...), append(g, bg...), append(id, bid...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wx, _ := whole.Float("x")
	wg, _ := whole.Strings("g")
	wid, _ := whole.Strings("id")
	if fmt.Sprint(sizes) != "[3 3 3 1]" {
		t.Errorf("batch sizes %v, want [3 3 3 1]", sizes)
	}
	if fmt.Sprint(x) != fmt.Sprint(wx) || fmt.Sprint(g) != fmt.Sprint(wg) || fmt.Sprint(id) != fmt.Sprint(wid) || len(x) != 10 {
		t.Errorf("batches x %v g %q id %v\nframe   x %v g %q id %v", x, g, id, wx, wg, wid)
	}
}
