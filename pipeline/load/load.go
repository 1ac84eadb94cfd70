// Package load reads a data file's columns as socap's commands do, for either producer
// of the engine's sums: into a survey.Frame in memory (Table.Frame), or as typed SQL
// expressions over the rows where they lie (Table.Expr, for pipeline/sqlsums). Both
// read a cell by one rule: a cell that is empty or NA once trimmed is missing, and a
// text column whose every other cell reads as a number (with the file's decimal
// separator) is numeric; a column the file itself types as a number is numeric.
package load

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"socap/indicators/survey"
	"socap/pipeline/dataerr"
	"socap/pipeline/ingest"
	"socap/pipeline/store"
)

// Table is a file's rows in DuckDB: a table the ingest stage loaded the file into (Open)
// or the file read in place (OpenInPlace). Its relation has the column _row, the
// rows' order in the file (1, 2, …).
type Table struct {
	path    string
	st      *store.Store
	owned   bool   // the store is the table's own and closes with it
	from    string // SQL relation with _row
	cols    []column
	decimal string
	info    *ingest.SourceInfo // nil for a file read in place
	rows    int64              // −1 until counted
	numeric map[string]bool    // typing, once per column
	csv     string             // a CSV read in place: its read_csv relation (see stage)
	staged  string             // the staged Parquet file of a CSV read in place, "" before
	removal *staging           // the staged file, removed when the table is unreachable
	stage   map[string]int     // staged column → k (see stageColumns)
	full    map[string]bool    // staged with its whole text, _t<k>
	pure    map[string]bool    // text whose every cell is no number: _x<k> is its text
	stored  bool               // a relation of the store (InStore): text is missing only when NULL or ""
}

type column struct {
	name   string
	number bool // the file types it as a number
}

// source is the source id of the scratch store's one table.
const source = "input"

// CheckExists refuses a FILE argument that does not exist, in plain words
// ("ESS9NO.csvx: no such file").
func CheckExists(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return &dataerr.DataError{File: path, Err: errors.New("no such file")}
	}
	return nil
}

// Open loads path through the ingest stage into a scratch in-memory store, so that
// every format ingest reads (CSV/TSV in any encoding, Parquet, JSON lines, XLSX, SPSS,
// Stata) is read with the same detection and the same errors. A file with problem rows
// is refused, naming the first.
func Open(ctx context.Context, path string, opts ingest.FileOptions) (*Table, error) {
	if err := CheckExists(path); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		return nil, err
	}
	info, err := ingest.LoadFile(ctx, st, path, opts, source)
	if err != nil {
		st.Close()
		return nil, err
	}
	if info.ProblemRows > 0 {
		var row int64
		var problem string
		err := st.DB().QueryRowContext(ctx, `SELECT _row, _problem FROM `+store.QuoteIdent(info.Table)+
			` WHERE _problem IS NOT NULL ORDER BY _row LIMIT 1`).Scan(&row, &problem)
		st.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, &dataerr.DataError{File: path, Row: row, Err: fmt.Errorf("%s (%d such rows); fix the file or load it with socap ingest, which keeps them in rejects", problem, info.ProblemRows)}
	}
	t := &Table{path: path, st: st, owned: true, from: store.QuoteIdent(info.Table), decimal: info.Decimal, info: info, rows: info.Rows, numeric: map[string]bool{}}
	for _, c := range info.Columns {
		t.cols = append(t.cols, column{name: c.Name})
	}
	return t, nil
}

// InPlace reports whether OpenInPlace reads path: CSV and Parquet files, globs of them
// (registry/year=*/*.parquet) and folders of Parquet files.
func InPlace(path string) bool {
	_, err := relation(path)
	return err == nil
}

// relation is the DuckDB table function reading path in place.
func relation(path string) (string, error) {
	rel, _, _, err := relationOf(path)
	return rel, err
}

// relationOf is relation, the glob it reads and whether the files are CSV.
func relationOf(path string) (rel, glob string, csv bool, err error) {
	lower := strings.ToLower(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path, lower = filepath.Join(path, "**", "*.parquet"), ".parquet"
	}
	q := store.QuoteString(path)
	switch {
	case strings.HasSuffix(lower, ".parquet"):
		return "read_parquet(" + q + ", hive_partitioning = true, union_by_name = true)", path, false, nil
	case strings.HasSuffix(lower, ".csv"), strings.HasSuffix(lower, ".tsv"):
		return "read_csv(" + q + ", all_varchar = true, header = true)", path, true, nil
	}
	return "", "", false, fmt.Errorf("%s: only CSV and Parquet files (or folders and globs of Parquet files) are read in place", path)
}

// parquetRow is the SQL of the row number (1, 2, … over the files in the order
// DuckDB lists them) of Parquet files read in place: the virtual columns
// file_row_number plus the rows of the files before (from their footers), so that
// no window over the rows is needed and scans stay parallel.
func parquetRow(ctx context.Context, st *store.Store, glob string) (string, error) {
	rows, err := st.DB().QueryContext(ctx, "SELECT num_rows FROM parquet_file_metadata("+store.QuoteString(glob)+")")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var offsets []string
	var n int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return "", err
		}
		offsets = append(offsets, fmt.Sprint(n))
		n += k
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(offsets) <= 1 {
		return "file_row_number + 1", nil
	}
	return "file_row_number + 1 + list_extract([" + strings.Join(offsets, ", ") + "], file_index::INTEGER + 1)", nil
}

// OpenInPlace reads path (see InPlace) where it lies, through st: nothing is loaded
// until a query asks. The rows are numbered in the order DuckDB reads them (files in
// name order, rows in file order).
//
// A CSV file is staged: the first Numeric call copies the columns it types, as numbers
// and as text (see stageColumns), into a temporary Parquet file in one pass over the
// CSV, and every later query reads that file (Close removes it). Typing,
// units, domains and sums then cost one parse of the CSV, not one each.
func OpenInPlace(ctx context.Context, st *store.Store, path string) (*Table, error) {
	rel, glob, csv, err := relationOf(path)
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(path, "*?[") {
		if err := CheckExists(path); err != nil {
			return nil, err
		}
	}
	rowExpr := "row_number() OVER ()"
	if !csv {
		if rowExpr, err = parquetRow(ctx, st, glob); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	rows, err := st.DB().QueryContext(ctx, "DESCRIBE SELECT * FROM "+rel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rows.Close()
	t := &Table{path: path, st: st, decimal: ".", rows: -1, numeric: map[string]bool{},
		from: "(SELECT " + rowExpr + " AS _row, * FROM " + rel + ")"}
	if csv {
		t.csv, t.stage, t.full, t.pure = rel, map[string]int{}, map[string]bool{}, map[string]bool{}
		if !strings.ContainsAny(path, "*?[") {
			// "1,5" is a number in a file with decimal commas, as ingest reads it
			if _, t.decimal, err = ingest.CSVDialect(path); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	for rows.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t.cols = append(t.cols, column{name: name, number: numberType(typ)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// InStore is a relation of st as a Table, for pipeline/sqlsums over the store's own
// tables: from is its SQL, with the column _row numbering the rows 1, 2, …, and the
// columns numeric (DOUBLE) and text (VARCHAR), typed as given rather than by their
// values, so that a text code such as 0301 stays text, as pipeline/design reads it
// into memory. Its text is as stored: missing when NULL or "" (not trimmed, "NA" a
// value), as in a survey.Frame. name names the rows in errors.
func InStore(st *store.Store, name, from string, numeric, text []string) *Table {
	t := &Table{path: name, st: st, from: from, decimal: ".", rows: -1, numeric: map[string]bool{}, stored: true}
	for _, c := range numeric {
		t.cols = append(t.cols, column{name: c, number: true})
	}
	for _, c := range text {
		t.cols = append(t.cols, column{name: c})
		t.numeric[c] = false
	}
	return t
}

// numberType reports whether a DuckDB type is numeric.
func numberType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL")
}

// Close releases the scratch store of a Table from Open and the staged file of a CSV
// read in place.
func (t *Table) Close() error {
	if t.staged != "" {
		t.removal.remove()
		t.staged = ""
	}
	if t.owned {
		return t.st.Close()
	}
	return nil
}

// staging is the path of a staged file, which a table that was not closed leaves to
// the garbage collector to remove.
type staging struct {
	mu   sync.Mutex
	path string
}

func (s *staging) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path != "" {
		os.Remove(s.path)
		s.path = ""
	}
}

// stageColumns (re)writes the staged Parquet file of a CSV read in place so that it
// holds cols (those the file has) besides the columns staged before, which keep their
// k, and the whole text of the columns full names. Per column k, with r its cell and
// x = nullif(nullif(trim(r), ”), 'NA') as socap reads a cell:
//
//	_c<k> = TRY_CAST(r AS DOUBLE)                (= TRY_CAST(x AS DOUBLE): the cast trims blanks;
//	                                              r with its decimal commas made points in a
//	                                              file that has them, see ingest.CSVDialect)
//	_n<k> = nullif(_c<k>, NaN)                   (a "nan" cell is missing, as NaN in a Frame)
//	_x<k> = CASE WHEN _c<k> IS NULL THEN x END   (the cells that are text, not numbers)
//	_t<k> = x                                    (only for full: text columns with number-like cells)
//
// so that count(_x<k>) = 0 types a column numeric without a second pass, and a text
// column costs its text only when some cell of it looks like a number. Rows are in
// file order (COPY keeps insertion order), so that _row is file_row_number + 1.
func (t *Table) stageColumns(ctx context.Context, cols, full []string) error {
	names := t.Names()
	all := make([]string, len(t.stage)) // by k
	for c, k := range t.stage {
		all[k] = c
	}
	grow := false
	for _, c := range cols {
		if slices.Contains(names, c) && !slices.Contains(all, c) {
			all, grow = append(all, c), true
		}
	}
	for _, c := range full {
		if !t.full[c] {
			t.full[c], grow = true, true
		}
	}
	if !grow {
		return nil
	}
	f, err := os.CreateTemp("", "socap-stage-*.parquet")
	if err != nil {
		return err
	}
	out := f.Name()
	f.Close()
	var inner, outer []string
	for k, c := range all {
		text := fmt.Sprintf("nullif(nullif(trim(_r%d), ''), 'NA')", k)
		number := store.QuoteIdent(c)
		if t.decimal == "," {
			number = "replace(" + number + ", ',', '.')"
		}
		inner = append(inner, fmt.Sprintf("TRY_CAST(%s AS DOUBLE) AS _c%d, %s AS _r%d", number, k, store.QuoteIdent(c), k))
		outer = append(outer, fmt.Sprintf("nullif(_c%d, %s) AS _n%d, CASE WHEN _c%d IS NULL THEN %s END AS _x%d", k, nan, k, k, text, k))
		if t.full[c] {
			outer = append(outer, fmt.Sprintf("%s AS _t%d", text, k))
		}
	}
	q := "COPY (SELECT " + strings.Join(outer, ", ") + " FROM (SELECT " + strings.Join(inner, ", ") + " FROM " + t.csv + ")) TO " +
		store.QuoteString(out) + " (FORMAT parquet)"
	if _, err := t.st.DB().ExecContext(ctx, q); err != nil {
		os.Remove(out)
		return fmt.Errorf("%s: %w", t.path, err)
	}
	if t.staged != "" {
		os.Remove(t.staged)
	}
	t.staged = out
	if t.removal == nil {
		t.removal = &staging{}
		runtime.AddCleanup(t, func(s *staging) { s.remove() }, t.removal)
	}
	t.removal.path = out
	for k, c := range all {
		t.stage[c] = k
	}
	t.from = "(SELECT file_row_number + 1 AS _row, * FROM read_parquet(" + store.QuoteString(out) + "))"
	return nil
}

// numericStaged is Numeric for a CSV read in place: the columns are staged, typed by
// count(_x<k>) = 0, and a text column with number-like cells is staged again with its
// whole text.
func (t *Table) numericStaged(ctx context.Context, cols []string) ([]bool, error) {
	if err := t.stageColumns(ctx, cols, nil); err != nil {
		return nil, err
	}
	var todo, counts []string
	for _, c := range cols {
		k, ok := t.stage[c]
		if _, typed := t.numeric[c]; ok && !typed && !slices.Contains(todo, c) {
			todo = append(todo, c)
			counts = append(counts, fmt.Sprintf("count(_x%d), count(_n%d)", k, k))
		}
	}
	if len(todo) > 0 {
		n := make([]int64, 2*len(todo))
		dest := make([]any, len(n))
		for k := range n {
			dest[k] = &n[k]
		}
		if err := t.st.DB().QueryRowContext(ctx, "SELECT "+strings.Join(counts, ", ")+" FROM "+t.from).Scan(dest...); err != nil {
			return nil, fmt.Errorf("%s: %w", t.path, err)
		}
		var mixed []string
		for j, c := range todo {
			t.numeric[c] = n[2*j] == 0
			t.pure[c] = n[2*j] > 0 && n[2*j+1] == 0
			if n[2*j] > 0 && n[2*j+1] > 0 {
				mixed = append(mixed, c)
			}
		}
		if err := t.stageColumns(ctx, nil, mixed); err != nil {
			return nil, err
		}
	}
	out := make([]bool, len(cols))
	for k, c := range cols {
		v, ok := t.numeric[c]
		if !ok {
			return nil, fmt.Errorf("%s: no column %q", t.path, c)
		}
		out[k] = v
	}
	return out, nil
}

// Path is the file the table reads.
func (t *Table) Path() string { return t.path }

// Store is the database holding or reading the rows.
func (t *Table) Store() *store.Store { return t.st }

// From is the SQL relation of the rows, with the column _row.
func (t *Table) From() string { return t.from }

// Info describes the file as ingest loaded it (nil for a file read in place).
func (t *Table) Info() *ingest.SourceInfo { return t.info }

// Names are the named columns in file order (a column without a name, R's row names,
// is left out).
func (t *Table) Names() []string {
	var out []string
	for _, c := range t.cols {
		if strings.TrimSpace(c.name) != "" && c.name != "_row" {
			out = append(out, c.name)
		}
	}
	return out
}

// Rows counts the rows.
func (t *Table) Rows(ctx context.Context) (int64, error) {
	if t.rows < 0 {
		if err := t.st.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+t.from).Scan(&t.rows); err != nil {
			return 0, fmt.Errorf("%s: %w", t.path, err)
		}
	}
	return t.rows, nil
}

// Groups counts, for by-variables, what the engine's domains make of them
// (as survey.Frame.Codes codes them, a missing value in no group): the rows, the
// rows with no value of some variable of by (in no group), and each variable's
// distinct values. One query over the rows.
func (t *Table) Groups(ctx context.Context, by []string) (rows, noGroup int64, levels []int64, err error) {
	numeric, err := t.Numeric(ctx, by)
	if err != nil {
		return 0, 0, nil, err
	}
	sel := []string{"count(*)", "count(*) FILTER (WHERE false"}
	for k, c := range by {
		sel[1] += " OR " + t.Expr(c, numeric[k]) + " IS NULL"
		sel = append(sel, "count(DISTINCT "+t.Expr(c, numeric[k])+")")
	}
	sel[1] += ")"
	levels = make([]int64, len(by))
	dest := []any{&rows, &noGroup}
	for k := range levels {
		dest = append(dest, &levels[k])
	}
	if err := t.st.DB().QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+t.from).Scan(dest...); err != nil {
		return 0, 0, nil, fmt.Errorf("%s: %w", t.path, err)
	}
	return rows, noGroup, levels, nil
}

// nan is DuckDB's NaN, which equals itself (nullif(x, nan) is NULL for NaN).
const nan = "CAST('nan' AS DOUBLE)"

// Expr is the SQL of column c as socap reads it: a DOUBLE when numeric, else VARCHAR;
// NULL when missing, a NaN too (the engine reads NaN in a Frame as missing).
//
// For a CSV read in place Expr needs c typed by Numeric first (which stages it); an
// untyped column after staging is an SQL error naming it.
func (t *Table) Expr(c string, numeric bool) string {
	if t.staged != "" {
		k, ok := t.stage[c]
		switch {
		case !ok:
			return "error(" + store.QuoteString(fmt.Sprintf("column %q was not typed (load.Table.Numeric) before use", c)) + ")"
		case numeric:
			return fmt.Sprintf("_n%d", k)
		case t.full[c]:
			return fmt.Sprintf("_t%d", k)
		case t.pure[c]:
			return fmt.Sprintf("_x%d", k)
		}
		return "error(" + store.QuoteString(fmt.Sprintf("column %q is numeric: its text was not staged", c)) + ")"
	}
	if t.number(c) {
		return "nullif(CAST(" + store.QuoteIdent(c) + " AS DOUBLE), " + nan + ")"
	}
	if numeric {
		return "nullif(TRY_CAST(" + t.numberOf(c) + " AS DOUBLE), " + nan + ")"
	}
	return t.textOf(c)
}

func (t *Table) number(c string) bool {
	i := slices.IndexFunc(t.cols, func(x column) bool { return x.name == c })
	return i >= 0 && t.cols[i].number
}

// textOf is the SQL for column c's text, NULL when empty or "NA" (only when empty in
// a relation of the store).
func (t *Table) textOf(c string) string {
	if t.stored {
		return "nullif(" + store.QuoteIdent(c) + ", '')"
	}
	return "nullif(nullif(trim(" + store.QuoteIdent(c) + "), ''), 'NA')"
}

// numberOf is textOf with the file's decimal comma made a point.
func (t *Table) numberOf(c string) string {
	if t.decimal == "," {
		return "replace(" + t.textOf(c) + ", ',', '.')"
	}
	return t.textOf(c)
}

// Numeric reports, for each column, whether every value that is not missing reads as
// a number; one query types the columns not typed before (none for columns the file
// types).
func (t *Table) Numeric(ctx context.Context, cols []string) ([]bool, error) {
	if t.csv != "" {
		return t.numericStaged(ctx, cols)
	}
	var todo, counts []string
	for _, c := range cols {
		if _, ok := t.numeric[c]; ok || slices.Contains(todo, c) {
			continue
		}
		if t.number(c) {
			t.numeric[c] = true
			continue
		}
		todo = append(todo, c)
		counts = append(counts, "count("+t.textOf(c)+") - count(TRY_CAST("+t.numberOf(c)+" AS DOUBLE))")
	}
	if len(todo) > 0 {
		bad := make([]int64, len(todo))
		dest := make([]any, len(todo))
		for k := range bad {
			dest[k] = &bad[k]
		}
		q := `SELECT ` + strings.Join(counts, ", ") + ` FROM ` + t.from
		if err := t.st.DB().QueryRowContext(ctx, q).Scan(dest...); err != nil {
			return nil, fmt.Errorf("%s: %w", t.path, err)
		}
		for k, c := range todo {
			t.numeric[c] = bad[k] == 0
		}
	}
	out := make([]bool, len(cols))
	for k, c := range cols {
		out[k] = t.numeric[c]
	}
	return out, nil
}

// Frame reads the named columns (every column when names is nil) into a survey.Frame,
// typed by Numeric, in file order of the rows. When a name is not in the file every
// column is read, so that the engine's error lists the closest of them.
func (t *Table) Frame(ctx context.Context, names []string) (*survey.Frame, error) {
	all := t.Names()
	for _, name := range names {
		if !slices.Contains(all, name) {
			names = nil // the engine's error suggests the closest of all columns
			break
		}
	}
	if names == nil {
		names = all
	}
	cols := distinct(names)
	if len(cols) == 0 {
		return survey.NewFrame(), nil
	}
	numeric, err := t.Numeric(ctx, cols)
	if err != nil {
		return nil, err
	}
	var nums [][]float64
	var texts [][]string
	err = t.scan(ctx, cols, numeric, 0, func(n [][]float64, s [][]string) error {
		if nums == nil {
			nums, texts = n, s
			return nil
		}
		for k := range cols {
			nums[k], texts[k] = append(nums[k], n[k]...), append(texts[k], s[k]...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n, err := t.Rows(ctx)
	if err != nil {
		return nil, err
	}
	return t.frameOf(cols, numeric, nums, texts, n)
}

// Batches is Frame a batch of rows at a time: fn gets the columns names of batchRows
// rows (the last batch fewer), in row order, as a Frame typed as Frame types them;
// no batch when there are no rows. Memory is one batch's, whatever the rows.
func (t *Table) Batches(ctx context.Context, names []string, batchRows int, fn func(*survey.Frame) error) error {
	cols := distinct(names)
	numeric, err := t.Numeric(ctx, cols)
	if err != nil {
		return err
	}
	return t.scan(ctx, cols, numeric, batchRows, func(nums [][]float64, texts [][]string) error {
		fr, err := t.frameOf(cols, numeric, nums, texts, 0)
		if err != nil {
			return err
		}
		return fn(fr)
	})
}

// scan reads the columns cols (typed numeric) in row order, batchRows at a time (0:
// store.DefaultBatchRows), giving fn each batch's numbers (NaN missing) and texts
// ("" missing) by column.
func (t *Table) scan(ctx context.Context, cols []string, numeric []bool, batchRows int, fn func(nums [][]float64, texts [][]string) error) error {
	exprs := make([]string, len(cols))
	for k, c := range cols {
		exprs[k] = t.Expr(c, numeric[k]) + " AS " + store.QuoteIdent(c)
	}
	err := t.st.QueryArrow(ctx, batchRows, func(rec arrow.RecordBatch) error {
		nums := make([][]float64, len(cols))
		texts := make([][]string, len(cols))
		for k := range cols {
			switch a := rec.Column(k).(type) {
			case *array.Float64:
				nums[k] = make([]float64, a.Len())
				for i := range a.Len() {
					nums[k][i] = math.NaN()
					if a.IsValid(i) {
						nums[k][i] = a.Value(i)
					}
				}
			case *array.String:
				texts[k] = make([]string, a.Len())
				for i := range a.Len() {
					texts[k][i] = a.Value(i) // "" when null
				}
			default:
				return fmt.Errorf("column %s: unexpected %s", cols[k], a.DataType())
			}
		}
		return fn(nums, texts)
	}, `SELECT `+strings.Join(exprs, ", ")+` FROM `+t.from+` ORDER BY _row`)
	if err != nil {
		return fmt.Errorf("%s: %w", t.path, err)
	}
	return nil
}

// frameOf makes the Frame of columns read by scan; a column without values (no rows
// were read) gets n missing values.
func (t *Table) frameOf(cols []string, numeric []bool, nums [][]float64, texts [][]string, n int64) (*survey.Frame, error) {
	fr := survey.NewFrame()
	for k, c := range cols {
		var err error
		if numeric[k] {
			err = fr.AddFloat(c, orEmpty(at(nums, k), n, math.NaN()))
		} else {
			err = fr.AddString(c, orEmpty(at(texts, k), n, ""))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", t.path, c, err)
		}
	}
	return fr, nil
}

// distinct is names without repeats, in order.
func distinct(names []string) []string {
	var out []string
	for _, name := range names {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// at is v[k], nil when v is.
func at[T any](v [][]T, k int) []T {
	if v == nil {
		return nil
	}
	return v[k]
}

// orEmpty is v, or n copies of missing when no rows were read.
func orEmpty[T any](v []T, n int64, missing T) []T {
	if v == nil {
		v = make([]T, n)
		for i := range v {
			v[i] = missing
		}
	}
	return v
}

// WriteWithColumns writes the file's columns, as their text in the file, in file
// order, followed by the extra numeric columns (cols[k][i] is row i of column
// names[k], rows in frame order), to the CSV file out.
func (t *Table) WriteWithColumns(ctx context.Context, out string, names []string, cols [][]float64) error {
	const added = "_added"
	if t.csv != "" {
		return fmt.Errorf("write %s: %s is read in place; open it with Open to write it with columns", out, t.path)
	}
	n, err := t.Rows(ctx)
	if err != nil {
		return err
	}
	defs := []string{"_row BIGINT"}
	var selects []string
	for _, c := range t.cols {
		selects = append(selects, "r."+store.QuoteIdent(c.name))
	}
	for _, n := range names {
		defs = append(defs, store.QuoteIdent(n)+" DOUBLE")
		selects = append(selects, "a."+store.QuoteIdent(n))
	}
	return t.st.WithConn(ctx, func(c *store.Conn) error {
		if _, err := c.Exec("CREATE TEMP TABLE " + added + " (" + strings.Join(defs, ", ") + ")"); err != nil {
			return err
		}
		err := c.Append(added, func(add func(...driver.Value) error) error {
			row := make([]driver.Value, len(cols)+1)
			for i := range n {
				row[0] = i + 1 // frame row i is the file's record i+1 (_row)
				for k, col := range cols {
					row[k+1] = col[i]
				}
				if err := add(row...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		_, err = c.Exec(fmt.Sprintf(`COPY (SELECT %s FROM %s r JOIN %s a USING (_row) ORDER BY _row) TO %s (FORMAT csv, HEADER)`,
			strings.Join(selects, ", "), t.from, added, store.QuoteString(out)))
		if err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		_, err = c.Exec("DROP TABLE " + added)
		return err
	})
}
