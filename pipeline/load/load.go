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
	"slices"
	"strings"

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
	lower := strings.ToLower(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path, lower = filepath.Join(path, "**", "*.parquet"), ".parquet"
	}
	q := store.QuoteString(path)
	switch {
	case strings.HasSuffix(lower, ".parquet"):
		return "read_parquet(" + q + ", hive_partitioning = true, union_by_name = true)", nil
	case strings.HasSuffix(lower, ".csv"), strings.HasSuffix(lower, ".tsv"):
		return "read_csv(" + q + ", all_varchar = true, header = true)", nil
	}
	return "", fmt.Errorf("%s: only CSV and Parquet files (or folders and globs of Parquet files) are read in place", path)
}

// OpenInPlace reads path (see InPlace) where it lies, through st: nothing is loaded
// until a query asks. The rows are numbered in the order DuckDB reads them (files in
// name order, rows in file order).
func OpenInPlace(ctx context.Context, st *store.Store, path string) (*Table, error) {
	rel, err := relation(path)
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(path, "*?[") {
		if err := CheckExists(path); err != nil {
			return nil, err
		}
	}
	rows, err := st.DB().QueryContext(ctx, "DESCRIBE SELECT * FROM "+rel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rows.Close()
	t := &Table{path: path, st: st, decimal: ".", rows: -1, numeric: map[string]bool{},
		from: "(SELECT row_number() OVER () AS _row, * FROM " + rel + ")"}
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

// numberType reports whether a DuckDB type is numeric.
func numberType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL")
}

// Close releases the scratch store of a Table from Open.
func (t *Table) Close() error {
	if t.owned {
		return t.st.Close()
	}
	return nil
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

// Expr is the SQL of column c as socap reads it: a DOUBLE when numeric, else VARCHAR;
// NULL when missing.
func (t *Table) Expr(c string, numeric bool) string {
	if t.number(c) {
		return "CAST(" + store.QuoteIdent(c) + " AS DOUBLE)"
	}
	if numeric {
		return "TRY_CAST(" + t.numberOf(c) + " AS DOUBLE)"
	}
	return t.textOf(c)
}

func (t *Table) number(c string) bool {
	i := slices.IndexFunc(t.cols, func(x column) bool { return x.name == c })
	return i >= 0 && t.cols[i].number
}

// textOf is the SQL for column c's text, NULL when empty or "NA".
func (t *Table) textOf(c string) string {
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
	var cols []string
	for _, name := range names {
		if !slices.Contains(cols, name) {
			cols = append(cols, name)
		}
	}
	fr := survey.NewFrame()
	if len(cols) == 0 {
		return fr, nil
	}
	numeric, err := t.Numeric(ctx, cols)
	if err != nil {
		return nil, err
	}
	exprs := make([]string, len(cols))
	for k, c := range cols {
		exprs[k] = t.Expr(c, numeric[k]) + " AS " + store.QuoteIdent(c)
	}
	nums := make([][]float64, len(cols))
	texts := make([][]string, len(cols))
	err = t.st.QueryArrow(ctx, 0, func(rec arrow.RecordBatch) error {
		for k := range cols {
			switch a := rec.Column(k).(type) {
			case *array.Float64:
				for i := range a.Len() {
					x := math.NaN()
					if a.IsValid(i) {
						x = a.Value(i)
					}
					nums[k] = append(nums[k], x)
				}
			case *array.String:
				for i := range a.Len() {
					texts[k] = append(texts[k], a.Value(i)) // "" when null
				}
			default:
				return fmt.Errorf("column %s: unexpected %s", cols[k], a.DataType())
			}
		}
		return nil
	}, `SELECT `+strings.Join(exprs, ", ")+` FROM `+t.from+` ORDER BY _row`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.path, err)
	}
	n, err := t.Rows(ctx)
	if err != nil {
		return nil, err
	}
	for k, c := range cols {
		if numeric[k] {
			err = fr.AddFloat(c, orEmpty(nums[k], n, math.NaN()))
		} else {
			err = fr.AddString(c, orEmpty(texts[k], n, ""))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", t.path, c, err)
		}
	}
	return fr, nil
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
