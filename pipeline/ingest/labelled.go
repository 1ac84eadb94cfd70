package ingest

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"socap/pipeline/dataerr"
	"socap/pipeline/ingest/labelled"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/ingest/stata"
)

// The SPSS and Stata readers deliver cases in columnar batches with typed
// values; batchReader turns them into Reader records of text. Values are
// written as the raw table wants them: numbers by formatNumber, dates as
// yyyy-mm-dd, timestamps as yyyy-mm-ddThh:mm:ss (fractional seconds when
// there are any), durations as hh:mm:ss. SPSS user-missing values are NULL,
// or stay as values with FileOptions.KeepUserMissing (haven's read_sav and
// its user_na = TRUE); their declaration goes to variables.missing either
// way. System-missing and Stata's . and .a–.z are NULL.

// batchSize is the number of cases read per batch.
const batchSize = 16 << 10

// batchReader adapts a columnar reader to Reader.
type batchReader struct {
	path  string
	cols  []Column
	kinds []labelled.Kind
	batch *labelled.Batch
	src   batchSource

	n, i    int   // cases in the batch, next case
	pending error // error to return once the batch is used up
	row     int64 // cases returned
}

// batchSource is a reader of labelled files: *spss.Reader or
// *stata.Reader.
type batchSource interface {
	NewBatch(capacity int) *labelled.Batch
	// Next reads the next batch and returns its length (0, io.EOF at the
	// end; on an error the cases read before it, and the error).
	Next(b *labelled.Batch) (int, error)
	Close() error
}

// newBatchReader reads src, the file at path, whose variables vars are
// described by describe.
func newBatchReader[V any](path string, src batchSource, vars []V, describe func(V) (Column, labelled.Kind)) *batchReader {
	b := &batchReader{path: path, src: src, batch: src.NewBatch(batchSize)}
	for _, v := range vars {
		col, kind := describe(v)
		b.cols = append(b.cols, col)
		b.kinds = append(b.kinds, kind)
	}
	return b
}

func (b *batchReader) Columns() []Column { return b.cols }

func (b *batchReader) Read(values []driver.Value) (string, error) {
	for b.i == b.n {
		if b.pending != nil {
			return "", b.pending
		}
		n, err := b.src.Next(b.batch)
		b.n, b.i = n, 0
		if errors.Is(err, io.EOF) && n == 0 {
			return "", io.EOF
		}
		if err != nil {
			b.pending = &dataerr.DataError{File: b.path, Row: b.row + int64(n) + 1, Err: err}
		}
	}
	for j, kind := range b.kinds {
		c := &b.batch.Columns[j]
		if !c.Valid[b.i] {
			continue
		}
		if kind == labelled.String {
			if s := c.Strings[b.i]; s != "" {
				values[j] = s
			}
			continue
		}
		values[j] = numberValue(kind, c.Floats[b.i])
	}
	b.i++
	b.row++
	return "", nil
}

func (b *batchReader) Close() error { return b.src.Close() }

// smallWholes holds the raw-table text of 0…1023, boxed once: survey codes are
// mostly such numbers, and formatting and boxing each costs two allocations.
var smallWholes = func() (t [1024]driver.Value) {
	for k := range t {
		t[k] = formatNumber(float64(k))
	}
	return t
}()

// numberValue is valueText as a driver.Value, from smallWholes when it can.
func numberValue(kind labelled.Kind, v float64) driver.Value {
	if kind == labelled.Numeric && v >= 0 && v < float64(len(smallWholes)) && v == math.Trunc(v) {
		return smallWholes[int(v)]
	}
	return valueText(kind, v)
}

// valueText writes a numeric value of kind as raw-table text. Dates are
// days and timestamps seconds since 1970-01-01, durations seconds.
func valueText(kind labelled.Kind, v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return formatNumber(v)
	}
	switch kind {
	case labelled.Date:
		days := math.Floor(v)
		if days == v {
			return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
		}
		return valueText(labelled.DateTime, v*86400)
	case labelled.DateTime:
		sec := math.Floor(v)
		t := time.Unix(int64(sec), int64(math.Round((v-sec)*1e9))).UTC()
		return t.Format("2006-01-02T15:04:05.999999999")
	case labelled.Time:
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		sec := int64(v)
		s := fmt.Sprintf("%s%02d:%02d:%02d", sign, sec/3600, sec/60%60, sec%60)
		if frac := v - float64(sec); frac > 0 {
			s += strings.TrimPrefix(formatNumber(frac), "0")
		}
		return s
	}
	return formatNumber(v)
}

func openSPSS(path string, opts FileOptions) (*batchReader, error) {
	r, err := spss.Open(path, spss.Options{KeepUserMissing: opts.KeepUserMissing, Encoding: opts.Encoding})
	if err != nil {
		return nil, &dataerr.DataError{File: path, Err: fmt.Errorf("not a readable SPSS file: %w", err)}
	}
	return newBatchReader(path, r, r.Variables, func(v spss.Variable) (Column, labelled.Kind) {
		col := labelledColumn(v.Name, v.Label, v.Kind, v.Format, v.ValueLabels)
		col.MissingCodes = spssMissing(v.Missing)
		if v.Measure != spss.MeasureUnknown {
			col.Measure = v.Measure.String()
		}
		return col, v.Kind
	}), nil
}

// ParseSPSSMissing reads back what spssMissing wrote (Column.MissingCodes of
// an SPSS variable): text declarations for a text variable, else numbers
// and ranges ("LO..0", "97..99", "-1").
func ParseSPSSMissing(codes string, text bool) spss.Missing {
	var m spss.Missing
	if codes == "" {
		return m
	}
	for _, part := range strings.Split(codes, ", ") {
		if text {
			m.Strings = append(m.Strings, part)
			continue
		}
		if lo, hi, ok := strings.Cut(part, ".."); ok {
			r := spss.Range{Lo: math.Inf(-1), Hi: math.Inf(1)}
			if lo != "LO" {
				r.Lo, _ = strconv.ParseFloat(lo, 64)
			}
			if hi != "HI" {
				r.Hi, _ = strconv.ParseFloat(hi, 64)
			}
			m.Ranges = append(m.Ranges, r)
		} else if x, err := strconv.ParseFloat(part, 64); err == nil {
			m.Values = append(m.Values, x)
		}
	}
	return m
}

// spssMissing writes user-missing declarations as "v, lo..hi".
func spssMissing(m spss.Missing) string {
	var parts []string
	for _, r := range m.Ranges {
		lo, hi := "LO", "HI"
		if !math.IsInf(r.Lo, -1) {
			lo = formatNumber(r.Lo)
		}
		if !math.IsInf(r.Hi, 1) {
			hi = formatNumber(r.Hi)
		}
		parts = append(parts, lo+".."+hi)
	}
	for _, v := range m.Values {
		parts = append(parts, formatNumber(v))
	}
	parts = append(parts, m.Strings...)
	return strings.Join(parts, ", ")
}

func openStata(path string, opts FileOptions) (*batchReader, error) {
	r, err := stata.Open(path, stata.Options{Encoding: opts.Encoding})
	if err != nil {
		return nil, &dataerr.DataError{File: path, Err: fmt.Errorf("not a readable Stata file: %w", err)}
	}
	return newBatchReader(path, r, r.Variables, func(v stata.Variable) (Column, labelled.Kind) {
		return labelledColumn(v.Name, v.Label, v.Kind, v.Format, v.ValueLabels), v.Kind
	}), nil
}

// labelledColumn describes a variable of an SPSS or Stata file. Value
// labels name their value as the raw table writes it: numbers by
// formatNumber, strings as they are, and Stata's missing values as ".",
// ".a" to ".z".
func labelledColumn(name, label string, kind labelled.Kind, format string, labels []labelled.ValueLabel) Column {
	col := Column{Name: name, Label: label, Type: kind.String(), Format: format}
	for _, l := range labels {
		var value string
		switch {
		case kind == labelled.String:
			value = l.String
		case l.Missing == '.':
			value = "."
		case l.Missing != 0:
			value = "." + string(l.Missing)
		default:
			value = formatNumber(l.Value)
		}
		col.ValueLabels = append(col.ValueLabels, ValueLabel{Value: value, Label: l.Label})
	}
	return col
}
