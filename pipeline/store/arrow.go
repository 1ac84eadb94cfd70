package store

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Query results come back as Arrow record batches through a temporary
// Parquet file (see parquet.go).

// DefaultBatchRows is the number of rows per record batch.
const DefaultBatchRows = 64 * 1024

// QueryArrow runs query and calls fn with each record batch (at most
// batchRows rows; DefaultBatchRows when ≤ 0), in the query's row order. Column
// types are arrowType's. The record is released after fn returns; fn must
// Retain it to keep it. The temporary file is removed before QueryArrow
// returns (a process killed meanwhile leaves it in os.TempDir()).
func (s *Store) QueryArrow(ctx context.Context, batchRows int, fn func(arrow.RecordBatch) error, query string) error {
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	casts, err := s.arrowCasts(ctx, query)
	if err != nil {
		return err
	}
	path, err := tempParquet("query")
	if err != nil {
		return err
	}
	defer os.Remove(path)
	copySQL := fmt.Sprintf("COPY (SELECT %s FROM (%s) q) TO %s (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE %d)",
		strings.Join(casts, ", "), query, QuoteString(path), batchRows)
	if _, err := s.db.ExecContext(ctx, copySQL); err != nil {
		return err
	}
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batchRows)}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(rr.RecordBatch()); err != nil {
			return err
		}
	}
	return rr.Err()
}

// arrowCasts returns, for each column of query's result, the expression that
// casts it to the DuckDB type of its Arrow type.
func (s *Store) arrowCasts(ctx context.Context, query string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT * FROM ("+query+") q LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	casts := make([]string, len(types))
	for i, t := range types {
		col := "q." + QuoteIdent(t.Name())
		casts[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", col, duckType(arrowType(t.DatabaseTypeName())), QuoteIdent(t.Name()))
	}
	return casts, rows.Err()
}

// arrowType maps a DuckDB type name to the Arrow type socap uses for it.
func arrowType(dbType string) arrow.DataType {
	switch {
	case dbType == "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean
	case dbType == "TINYINT", dbType == "SMALLINT", dbType == "INTEGER", dbType == "BIGINT",
		dbType == "UTINYINT", dbType == "USMALLINT", dbType == "UINTEGER":
		return arrow.PrimitiveTypes.Int64
	case dbType == "FLOAT", dbType == "DOUBLE", strings.HasPrefix(dbType, "DECIMAL"), dbType == "HUGEINT", dbType == "UBIGINT":
		return arrow.PrimitiveTypes.Float64
	case dbType == "DATE":
		return arrow.FixedWidthTypes.Date32
	case strings.HasPrefix(dbType, "TIMESTAMP"):
		return arrow.FixedWidthTypes.Timestamp_us
	default:
		return arrow.BinaryTypes.String
	}
}

// duckType is the DuckDB type that Parquet carries to the Arrow type t.
func duckType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.DATE32:
		return "DATE"
	case arrow.TIMESTAMP:
		return "TIMESTAMP"
	default:
		return "VARCHAR"
	}
}
