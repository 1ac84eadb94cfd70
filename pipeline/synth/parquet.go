package synth

import (
	"bufio"
	"errors"
	"io"
	"math"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetRowGroup is the number of rows buffered before a row group is
// written: memory stays bounded however many rows are written.
const parquetRowGroup = 64 * 1024

// ParquetWriter writes respondents as Parquet (snappy-compressed), one row
// group per parquetRowGroup rows: the id as UTF-8, codes as nullable INT32,
// PSU ids as INT64 and the weight as DOUBLE; blanks are nulls.
type ParquetWriter struct {
	fw *pqarrow.FileWriter
	b  *array.RecordBuilder
	n  int
}

// ParquetSchema is the Arrow schema of the respondent files.
func ParquetSchema() *arrow.Schema {
	fields := []arrow.Field{{Name: IDColumn, Type: arrow.BinaryTypes.String}}
	for _, c := range Columns {
		var t arrow.DataType = arrow.PrimitiveTypes.Int32
		switch c.Kind {
		case Int64:
			t = arrow.PrimitiveTypes.Int64
		case Float64:
			t = arrow.PrimitiveTypes.Float64
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: t, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// NewParquetWriter starts a Parquet file on w; Close finishes it.
func NewParquetWriter(w io.Writer) (*ParquetWriter, error) {
	schema := ParquetSchema()
	// Codes compress well as dictionaries; ids, PSUs and weights are
	// (nearly) unique, so a dictionary would only cost time.
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(parquetRowGroup),
		parquet.WithDictionaryFor(IDColumn, false), parquet.WithDictionaryFor("psu", false), parquet.WithDictionaryFor("weight", false))
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	return &ParquetWriter{fw: fw, b: array.NewRecordBuilder(memory.DefaultAllocator, schema)}, nil
}

// WriteRow buffers one respondent and writes a row group when full.
func (pw *ParquetWriter) WriteRow(r *Row) error {
	pw.b.Field(0).(*array.StringBuilder).Append(r.ID)
	for j, v := range r.Values {
		fb := pw.b.Field(j + 1)
		if math.IsNaN(v) {
			fb.AppendNull()
			continue
		}
		switch b := fb.(type) {
		case *array.Int32Builder:
			b.Append(int32(v))
		case *array.Int64Builder:
			b.Append(int64(v))
		case *array.Float64Builder:
			b.Append(v)
		}
	}
	if pw.n++; pw.n == parquetRowGroup {
		return pw.flush()
	}
	return nil
}

func (pw *ParquetWriter) flush() error {
	if pw.n == 0 {
		return nil
	}
	rec := pw.b.NewRecordBatch()
	defer rec.Release()
	pw.n = 0
	return pw.fw.Write(rec)
}

// Close writes the buffered rows and the footer. It closes w if w is an
// io.Closer.
func (pw *ParquetWriter) Close() error {
	err := pw.flush()
	pw.b.Release()
	return errors.Join(err, pw.fw.Close())
}

// parquetFile is a ParquetWriter over a buffered file.
type parquetFile struct {
	*ParquetWriter
	bw *bufio.Writer
	f  *os.File
}

func openParquet(path string) (fileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	pw, err := NewParquetWriter(bw)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &parquetFile{pw, bw, f}, nil
}

func (p *parquetFile) Close() error {
	return errors.Join(p.ParquetWriter.Close(), p.bw.Flush(), p.f.Close())
}
