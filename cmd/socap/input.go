package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline/dataerr"
	"socap/pipeline/ingest"
	"socap/pipeline/store"
)

// inputFile is a FILE argument loaded through the ingest stage into a
// scratch in-memory store, so that every command reads every format ingest
// reads (CSV/TSV in any encoding, Parquet, JSON lines, XLSX, SPSS, Stata)
// with the same detection and the same errors.
type inputFile struct {
	path string
	st   *store.Store
	info *ingest.SourceInfo
}

// inputSource is the source id of the scratch store's one table.
const inputSource = "input"

// inputFlags are the flags of every command that reads a FILE argument.
type inputFlags struct {
	keepUserMissing bool
}

func (f *inputFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.keepUserMissing, "keep-user-missing", false,
		"keep values an SPSS file declares user-missing (e.g. 77, 88, 99) as values, like haven's user_na = TRUE (default: missing)")
}

// fileOptions are the ingest options the flags ask for.
func (f inputFlags) fileOptions() ingest.FileOptions {
	return ingest.FileOptions{KeepUserMissing: f.keepUserMissing}
}

// openInput loads FILE as ingest does by default.
func openInput(ctx context.Context, path string) (*inputFile, error) {
	return openInputWith(ctx, path, inputFlags{})
}

// checkInputExists refuses a FILE argument that does not exist as bad input,
// in plain words ("ESS9NO.csvx: no such file").
func checkInputExists(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return &dataerr.DataError{File: path, Err: errors.New("no such file")}
	}
	return nil
}

// openInputWith loads FILE as flags ask.
func openInputWith(ctx context.Context, path string, flags inputFlags) (*inputFile, error) {
	if err := checkInputExists(path); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		return nil, err
	}
	info, err := ingest.LoadFile(ctx, st, path, flags.fileOptions(), inputSource)
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
	return &inputFile{path: path, st: st, info: info}, nil
}

func (f *inputFile) Close() error { return f.st.Close() }

// frame reads the named columns (every column when names is nil) into a
// survey.Frame. A column whose every non-missing value is a number (with the
// file's decimal separator) becomes numeric, any other categorical; empty
// cells and "NA" are missing. When a name is not in the file every column is
// read, so that the engine's error lists the closest of them; a column
// without a name (R's row names) is skipped. One query finds the numeric columns and one reads them
// all, typed, in file order.
func (f *inputFile) frame(ctx context.Context, names []string) (*survey.Frame, error) {
	have := map[string]bool{}
	var all []string
	for _, c := range f.info.Columns {
		if strings.TrimSpace(c.Name) != "" {
			have[c.Name] = true
			all = append(all, c.Name)
		}
	}
	for _, name := range names {
		if !have[name] {
			names = nil // the engine's error suggests the closest of all columns
			break
		}
	}
	if names == nil {
		names = all
	}
	var cols []string
	for _, name := range names {
		if have[name] && !slices.Contains(cols, name) {
			cols = append(cols, name)
		}
	}
	fr := survey.NewFrame()
	if len(cols) == 0 {
		return fr, nil
	}
	numeric, err := f.numericColumns(ctx, cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	exprs := make([]string, len(cols))
	for k, c := range cols {
		exprs[k] = f.textOf(c)
		if numeric[k] {
			exprs[k] = "TRY_CAST(" + f.numberOf(c) + " AS DOUBLE)"
		}
		exprs[k] += " AS " + store.QuoteIdent(c)
	}
	nums := make([][]float64, len(cols))
	texts := make([][]string, len(cols))
	err = f.st.QueryArrow(ctx, 0, func(rec arrow.RecordBatch) error {
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
	}, `SELECT `+strings.Join(exprs, ", ")+` FROM `+store.QuoteIdent(f.info.Table)+` ORDER BY _row`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	for k, c := range cols {
		if numeric[k] {
			err = fr.AddFloat(c, orEmpty(nums[k], f.info.Rows, math.NaN()))
		} else {
			err = fr.AddString(c, orEmpty(texts[k], f.info.Rows, ""))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", f.path, c, err)
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

// textOf is the SQL for column c's text, NULL when empty or "NA".
func (f *inputFile) textOf(c string) string {
	return "nullif(nullif(trim(" + store.QuoteIdent(c) + "), ''), 'NA')"
}

// numberOf is textOf with the file's decimal comma made a point.
func (f *inputFile) numberOf(c string) string {
	if f.info.Decimal == "," {
		return "replace(" + f.textOf(c) + ", ',', '.')"
	}
	return f.textOf(c)
}

// numericColumns reports, for each column, whether every value that is not
// missing reads as a number.
func (f *inputFile) numericColumns(ctx context.Context, cols []string) ([]bool, error) {
	var counts []string
	for _, c := range cols {
		counts = append(counts, "count("+f.textOf(c)+") - count(TRY_CAST("+f.numberOf(c)+" AS DOUBLE))")
	}
	bad := make([]int64, len(cols))
	dest := make([]any, len(cols))
	for k := range bad {
		dest[k] = &bad[k]
	}
	q := `SELECT ` + strings.Join(counts, ", ") + ` FROM ` + store.QuoteIdent(f.info.Table)
	if err := f.st.DB().QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, err
	}
	numeric := make([]bool, len(cols))
	for k, n := range bad {
		numeric[k] = n == 0
	}
	return numeric, nil
}

// loadFrame reads the named columns of FILE (every column when columns is
// nil) into a survey.Frame, through openInputWith and frame.
func loadFrame(ctx context.Context, path string, columns []string, flags inputFlags) (*survey.Frame, error) {
	frame, _, err := loadLabelledFrame(ctx, path, columns, flags)
	return frame, err
}

// loadLabelledFrame is loadFrame with the value labels the file carries.
func loadLabelledFrame(ctx context.Context, path string, columns []string, flags inputFlags) (*survey.Frame, fileLabels, error) {
	in, err := openInputWith(ctx, path, flags)
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	frame, err := in.frame(ctx, columns)
	if err != nil {
		return nil, nil, err
	}
	return frame, in.fileLabels(), nil
}

// fileLabels are the file's value labels, values named as the frame names them.
func (f *inputFile) fileLabels() fileLabels {
	vl := fileLabels{}
	for _, c := range f.info.Columns {
		for _, l := range c.ValueLabels {
			if vl[c.Name] == nil {
				vl[c.Name] = map[string]string{}
			}
			vl[c.Name][frameValue(l.Value)] = l.Label
		}
	}
	return vl
}

// writeWithColumns writes the file's columns, as their text in the file, in
// file order, followed by the extra numeric columns (cols[k][i] is row i of
// column names[k], rows in frame order), to the CSV file out.
func (f *inputFile) writeWithColumns(ctx context.Context, out string, names []string, cols [][]float64) error {
	const added = "_added"
	defs := []string{"_row BIGINT"}
	var selects []string
	for _, c := range f.info.Columns {
		selects = append(selects, "r."+store.QuoteIdent(c.Name))
	}
	for _, n := range names {
		defs = append(defs, store.QuoteIdent(n)+" DOUBLE")
		selects = append(selects, "a."+store.QuoteIdent(n))
	}
	return f.st.WithConn(ctx, func(c *store.Conn) error {
		if _, err := c.Exec("CREATE TEMP TABLE " + added + " (" + strings.Join(defs, ", ") + ")"); err != nil {
			return err
		}
		err := c.Append(added, func(add func(...driver.Value) error) error {
			row := make([]driver.Value, len(cols)+1)
			for i := range f.info.Rows {
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
			strings.Join(selects, ", "), store.QuoteIdent(f.info.Table), added, store.QuoteString(out)))
		if err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		_, err = c.Exec("DROP TABLE " + added)
		return err
	})
}
