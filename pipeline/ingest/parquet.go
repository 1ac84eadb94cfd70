package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"

	"socap/pipeline/dataerr"
	"socap/pipeline/store"
)

// prepareParquet hashes the file and reads its schema. A truncated or
// corrupt file fails here, before any transaction.
func (p *prepared) prepareParquet() error {
	path := p.info.Path
	sum, err := hashFile(path)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", path, err)
	}
	p.info.SHA256 = sum
	cols, err := parquetColumns(path)
	if err != nil {
		return err
	}
	if err := checkNames(path, columnNames(cols)); err != nil {
		return err
	}
	p.info.Columns = cols
	p.loader = &parquetLoader{progress: p.opts.Progress}
	return nil
}

// parquetColumns reads the schema of a Parquet file with an in-memory
// DuckDB.
func parquetColumns(path string) ([]Column, error) {
	mem, err := store.Open(context.Background(), ":memory:", store.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	rows, err := mem.DB().Query("DESCRIBE SELECT * FROM read_parquet(" + store.QuoteString(path) + ")")
	if err != nil {
		return nil, &dataerr.DataError{File: path, Err: fmt.Errorf("not a readable parquet file: %w", duckError(err))}
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", path, err)
		}
		cols = append(cols, Column{Name: name, Type: kindOfDuckType(typ), Format: typ})
	}
	return cols, rows.Err()
}

// kindOfDuckType classifies a DuckDB type: integer, number, date,
// timestamp, boolean or text.
func kindOfDuckType(t string) string {
	switch {
	case strings.HasSuffix(t, "INT") || t == "INTEGER" || t == "HUGEINT" || t == "UHUGEINT":
		return "integer"
	case t == "FLOAT" || t == "DOUBLE" || strings.HasPrefix(t, "DECIMAL"):
		return "number"
	case t == "DATE":
		return "date"
	case strings.HasPrefix(t, "TIMESTAMP"):
		return "timestamp"
	case t == "BOOLEAN":
		return "boolean"
	}
	return "text"
}

// textExpr renders column name of DuckDB type t as raw-table text: floats
// in shortest round-trip form with integral values as integers (3, not
// 3.0), timestamps in ISO 8601 with a 'T', everything else as DuckDB casts
// it (dates are ISO 8601 already).
func textExpr(name, t string) string {
	col := store.QuoteIdent(name)
	switch kindOfDuckType(t) {
	case "number":
		if strings.HasPrefix(t, "DECIMAL") {
			return "CAST(" + col + " AS VARCHAR)"
		}
		return fmt.Sprintf("CASE WHEN isfinite(%[1]s) AND %[1]s = trunc(%[1]s) AND abs(%[1]s) < 1e15 "+
			"THEN CAST(CAST(%[1]s AS BIGINT) AS VARCHAR) ELSE CAST(%[1]s AS VARCHAR) END", col)
	case "timestamp":
		return "replace(CAST(" + col + " AS VARCHAR), ' ', 'T')"
	case "text":
		if t == "VARCHAR" {
			return col
		}
	}
	return "CAST(" + col + " AS VARCHAR)"
}

// parquetLoader loads a Parquet file with DuckDB's read_parquet.
type parquetLoader struct {
	progress io.Writer
}

func (l *parquetLoader) load(ctx context.Context, c *store.Conn, info *SourceInfo) (int64, int64, error) {
	sel := make([]string, len(info.Columns))
	for i, col := range info.Columns {
		sel[i] = textExpr(col.Name, col.Format) + " AS " + store.QuoteIdent(col.Name)
	}
	query := fmt.Sprintf("CREATE TABLE %s AS SELECT %s, %s AS %s, %s AS %s, file_row_number + 1 AS %s, NULL::VARCHAR AS %s FROM read_parquet(%s, file_row_number = true)",
		store.QuoteIdent(info.Table), strings.Join(sel, ", "), store.QuoteString(info.ID), ColSource,
		store.QuoteString(info.SHA256), ColSHA256, ColRow, ColProblem, store.QuoteString(info.Path))
	stop := newProgressBar(l.progress, "load "+info.Table, unitNone, 0).spin()
	_, err := c.Exec(query)
	stop()
	if err != nil {
		return 0, 0, &dataerr.DataError{File: info.Path, Err: fmt.Errorf("read parquet: %w", duckError(err))}
	}
	var n int64
	err = c.QueryRow("SELECT count(*) FROM " + store.QuoteIdent(info.Table)).Scan(&n)
	return n, 0, err
}
