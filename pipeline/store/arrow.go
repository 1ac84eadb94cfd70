package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// socap reads query results as Arrow record batches without duckdb-go's
// `duckdb_arrow` build tag, so that `go test ./...` and `go build ./...` need
// no tags anywhere: rows are scanned through database/sql and appended to
// Arrow builders, one batch at a time.

// DefaultBatchRows is the number of rows per record batch.
const DefaultBatchRows = 64 * 1024

// QueryArrow runs query and calls fn with each record batch (at most
// batchRows rows; DefaultBatchRows when ≤ 0). The record is released after
// fn returns; fn must Retain it to keep it.
func (s *Store) QueryArrow(ctx context.Context, batchRows int, fn func(arrow.RecordBatch) error, query string, args ...any) error {
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		fields[i] = arrow.Field{Name: t.Name(), Type: arrowType(t.DatabaseTypeName()), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()

	dest := make([]any, len(types))
	for i, f := range fields {
		dest[i] = scanTarget(f.Type)
	}
	n := 0
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		n = 0
		return fn(rec)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i := range fields {
			appendValue(b.Field(i), dest[i])
		}
		n++
		if n == batchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n > 0 {
		return flush()
	}
	return nil
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

func scanTarget(t arrow.DataType) any {
	switch t.ID() {
	case arrow.BOOL:
		return new(sql.NullBool)
	case arrow.INT64:
		return new(sql.NullInt64)
	case arrow.FLOAT64:
		return new(sql.NullFloat64)
	case arrow.DATE32, arrow.TIMESTAMP:
		return new(sql.NullTime)
	default:
		return new(sql.NullString)
	}
}

func appendValue(b array.Builder, v any) {
	switch v := v.(type) {
	case *sql.NullBool:
		appendOrNull(b, v.Valid, func() { b.(*array.BooleanBuilder).Append(v.Bool) })
	case *sql.NullInt64:
		appendOrNull(b, v.Valid, func() { b.(*array.Int64Builder).Append(v.Int64) })
	case *sql.NullFloat64:
		appendOrNull(b, v.Valid, func() { b.(*array.Float64Builder).Append(v.Float64) })
	case *sql.NullTime:
		appendOrNull(b, v.Valid, func() {
			switch tb := b.(type) {
			case *array.Date32Builder:
				tb.Append(arrow.Date32FromTime(v.Time))
			case *array.TimestampBuilder:
				tb.Append(arrow.Timestamp(v.Time.UTC().Sub(time.Unix(0, 0).UTC()).Microseconds()))
			}
		})
	case *sql.NullString:
		appendOrNull(b, v.Valid, func() { b.(*array.StringBuilder).Append(v.String) })
	default:
		panic(fmt.Sprintf("store: no Arrow builder for %T", v))
	}
}

func appendOrNull(b array.Builder, valid bool, appendFn func()) {
	if valid {
		appendFn()
	} else {
		b.AppendNull()
	}
}
