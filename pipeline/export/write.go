package export

import (
	"bufio"
	"context"
	"database/sql/driver"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"socap/pipeline/store"
)

// replaceFile writes a file through write, which is given a temporary
// path beside it, and renames it into place: a failed export leaves the
// previous file, never half a file. Errors name the file.
func replaceFile(path string, write func(tmp string) error) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := write(tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeTo creates the file at path for write, closing it afterwards.
func writeTo(path string, write func(w io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	return errors.Join(err, f.Close())
}

// formatFloat writes a number as the shortest text that reads back as the
// same float64; infinities as R writes them (Inf, -Inf), NaN as nothing.
func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return ""
	case math.IsInf(x, 1):
		return "Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// csvText is a value as CSV text: empty when missing.
func csvText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return formatFloat(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}

// writeCSV writes t as CSV: a header of column names, then the rows, numbers
// at full precision.
func writeCSV(path string, t *table) error {
	return replaceFile(path, func(tmp string) error {
		return writeTo(tmp, func(w io.Writer) error {
			cw := csv.NewWriter(w)
			rec := make([]string, len(t.cols))
			for j, c := range t.cols {
				rec[j] = c.name
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
			for _, row := range t.rows {
				for j, v := range row {
					rec[j] = csvText(v)
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
			cw.Flush()
			return cw.Error()
		})
	})
}

// writeParquet writes t as Parquet with DuckDB: the rows go into a
// temporary table of the columns' types, which is copied to the file.
func writeParquet(ctx context.Context, st *store.Store, path string, t *table) error {
	const tmpTable = "socap_export"
	defs := make([]string, len(t.cols))
	for j, c := range t.cols {
		defs[j] = store.QuoteIdent(c.name) + " " + c.kind.sqlType()
	}
	return replaceFile(path, func(tmp string) error {
		return st.WithConn(ctx, func(c *store.Conn) error {
			if _, err := c.Exec("CREATE OR REPLACE TEMP TABLE " + tmpTable + " (" + strings.Join(defs, ", ") + ")"); err != nil {
				return err
			}
			err := c.Append(tmpTable, func(add func(...driver.Value) error) error {
				vals := make([]driver.Value, len(t.cols))
				for _, row := range t.rows {
					for j, v := range row {
						vals[j] = v
					}
					if err := add(vals...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := copyParquet(c, "SELECT * FROM "+tmpTable, tmp); err != nil {
				return err
			}
			_, err = c.Exec("DROP TABLE " + tmpTable)
			return err
		})
	})
}

// copyParquet writes the result of query to a Parquet file.
func copyParquet(c *store.Conn, query, path string) error {
	_, err := c.Exec("COPY (" + query + ") TO " + store.QuoteString(path) + " (FORMAT parquet, COMPRESSION zstd)")
	return err
}
