package synth

import (
	"bufio"
	"io"
	"math"
	"strconv"
)

// CSVWriter writes respondents as comma-separated values with a header:
// codes as integers, the weight at full precision (shortest representation
// that round-trips), blanks as empty fields.
type CSVWriter struct {
	w   *bufio.Writer
	buf []byte
}

// NewCSVWriter writes the header to w and returns the writer; call Flush
// when done.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	cw := &CSVWriter{w: bufio.NewWriterSize(w, 1<<16)}
	cw.buf = append(cw.buf, IDColumn...)
	for _, c := range Columns {
		cw.buf = append(append(cw.buf, ','), c.Name...)
	}
	cw.buf = append(cw.buf, '\n')
	_, err := cw.w.Write(cw.buf)
	return cw, err
}

// WriteRow writes one respondent.
func (cw *CSVWriter) WriteRow(r *Row) error {
	b := append(cw.buf[:0], r.ID...)
	for j, v := range r.Values {
		b = append(b, ',')
		switch {
		case math.IsNaN(v):
		case Columns[j].Kind == Float64:
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		default:
			b = strconv.AppendInt(b, int64(v), 10)
		}
	}
	cw.buf = append(b, '\n')
	_, err := cw.w.Write(cw.buf)
	return err
}

// Flush writes any buffered data.
func (cw *CSVWriter) Flush() error { return cw.w.Flush() }
