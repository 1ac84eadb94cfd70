package store

import (
	"database/sql/driver"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Bulk data crosses between Go and DuckDB as temporary uncompressed Parquet
// files in os.TempDir() (removed when done; a process killed meanwhile leaves
// one behind). duckdb-go hands over one value per call, through cgo, in both
// directions (about 120 ns a value: a 500k × 100 SPSS file took 9 s to
// append), and its Arrow interface needs a build tag socap does without;
// Parquet is written and read column by column on both sides.

// tempParquet returns the path of a new, empty temporary file for a Parquet
// file.
func tempParquet(kind string) (string, error) {
	f, err := os.CreateTemp("", "socap-"+kind+"-*.parquet")
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// parquetBatchRows is the number of rows gathered before they are written.
const parquetBatchRows = 64 * 1024

// parquetAppender gathers rows for a table into Arrow builders of the
// table's column types (arrowType) and writes them to a Parquet file.
type parquetAppender struct {
	table string
	path  string
	file  *os.File
	w     *pqarrow.FileWriter
	b     *array.RecordBuilder
	n     int
}

func newParquetAppender(c *Conn, table string) (*parquetAppender, error) {
	rows, err := c.Query("SELECT * FROM " + QuoteIdent(table) + " LIMIT 0")
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		fields[i] = arrow.Field{Name: t.Name(), Type: arrowType(t.DatabaseTypeName()), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	path, err := tempParquet("append")
	if err != nil {
		return nil, err
	}
	pa := &parquetAppender{table: table, path: path}
	if pa.file, err = os.Create(path); err != nil {
		pa.discard()
		return nil, err
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Uncompressed),
		parquet.WithDictionaryDefault(false), parquet.WithStats(false), // cost more than they save for a file read once
		parquet.WithMaxRowGroupLength(parquetBatchRows))
	if pa.w, err = pqarrow.NewFileWriter(schema, pa.file, props, pqarrow.DefaultWriterProps()); err != nil {
		pa.discard()
		return nil, err
	}
	pa.b = array.NewRecordBuilder(memory.DefaultAllocator, schema)
	return pa, nil
}

// appendRow adds one row, writing the gathered rows every parquetBatchRows.
func (pa *parquetAppender) appendRow(values ...driver.Value) error {
	if len(values) != len(pa.b.Fields()) {
		return fmt.Errorf("%d values for the %d columns of %s", len(values), len(pa.b.Fields()), pa.table)
	}
	for i, v := range values {
		if err := appendValue(pa.b.Field(i), v); err != nil {
			return fmt.Errorf("%s column %d: %w", pa.table, i+1, err)
		}
	}
	if pa.n++; pa.n == parquetBatchRows {
		return pa.flush()
	}
	return nil
}

func (pa *parquetAppender) flush() error {
	rec := pa.b.NewRecordBatch()
	defer rec.Release()
	pa.n = 0
	return pa.w.Write(rec)
}

// insert writes the remaining rows, closes the file and inserts it into the
// table.
func (pa *parquetAppender) insert(c *Conn) error {
	if pa.n > 0 {
		if err := pa.flush(); err != nil {
			return err
		}
	}
	err := pa.w.Close() // closes the file too
	pa.w, pa.file = nil, nil
	if err != nil {
		return err
	}
	_, err = c.Exec("INSERT INTO " + QuoteIdent(pa.table) + " SELECT * FROM read_parquet(" + QuoteString(pa.path) + ")")
	return err
}

// discard releases the builders and removes the file.
func (pa *parquetAppender) discard() {
	if pa.b != nil {
		pa.b.Release()
	}
	if pa.w != nil {
		_ = pa.w.Close()
	} else if pa.file != nil {
		_ = pa.file.Close()
	}
	_ = os.Remove(pa.path)
}

// appendValue appends v (nil for NULL) to an Arrow builder of arrowType's:
// string to text, int, int32 or int64 to integer, float64 to floating-point
// and bool to boolean columns.
func appendValue(b array.Builder, v driver.Value) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	ok := false
	switch b := b.(type) {
	case *array.StringBuilder:
		ok = put[string](b, v)
	case *array.Int64Builder:
		var i int64
		if i, ok = asInt64(v); ok {
			b.Append(i)
		}
	case *array.Float64Builder:
		ok = put[float64](b, v)
	case *array.BooleanBuilder:
		ok = put[bool](b, v)
	}
	if !ok {
		return fmt.Errorf("a %T value for a %s column", v, b.Type())
	}
	return nil
}

// put appends v to b when v is a T.
func put[T any](b interface{ Append(T) }, v driver.Value) bool {
	x, ok := v.(T)
	if ok {
		b.Append(x)
	}
	return ok
}

func asInt64(v driver.Value) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	}
	return 0, false
}
