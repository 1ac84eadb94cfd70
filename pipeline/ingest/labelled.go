package ingest

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"socap/pipeline/dataerr"
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

// valueKind is how a column's values are turned into text.
type valueKind uint8

const (
	kindNumber valueKind = iota
	kindString
	kindDate
	kindDateTime
	kindDuration
)

// batchSize is the number of cases read per batch.
const batchSize = 16 << 10

// batchReader adapts a columnar reader to Reader.
type batchReader struct {
	path  string
	cols  []Column
	kinds []valueKind
	// next reads the next batch and returns its length (0, io.EOF at the
	// end; on an error the cases read before it, and the error).
	next func() (int, error)
	// column returns column j of the current batch.
	column func(j int) (floats []float64, strings []string, valid []bool)
	close  func() error

	n, i    int   // cases in the batch, next case
	pending error // error to return once the batch is used up
	row     int64 // cases returned
}

func (b *batchReader) Columns() []Column { return b.cols }

func (b *batchReader) Read(values []driver.Value) (string, error) {
	for b.i == b.n {
		if b.pending != nil {
			return "", b.pending
		}
		n, err := b.next()
		b.n, b.i = n, 0
		if errors.Is(err, io.EOF) && n == 0 {
			return "", io.EOF
		}
		if err != nil {
			b.pending = &dataerr.DataError{File: b.path, Row: b.row + int64(n) + 1, Err: err}
		}
	}
	for j, kind := range b.kinds {
		floats, strs, valid := b.column(j)
		if !valid[b.i] {
			continue
		}
		if kind == kindString {
			if s := strs[b.i]; s != "" {
				values[j] = s
			}
			continue
		}
		values[j] = valueText(kind, floats[b.i])
	}
	b.i++
	b.row++
	return "", nil
}

func (b *batchReader) Close() error { return b.close() }

// valueText writes a numeric value of kind as raw-table text. Dates are
// days and timestamps seconds since 1970-01-01, durations seconds.
func valueText(kind valueKind, v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return formatNumber(v)
	}
	switch kind {
	case kindDate:
		days := math.Floor(v)
		if days == v {
			return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
		}
		return valueText(kindDateTime, v*86400)
	case kindDateTime:
		sec := math.Floor(v)
		t := time.Unix(int64(sec), int64(math.Round((v-sec)*1e9))).UTC()
		return t.Format("2006-01-02T15:04:05.999999999")
	case kindDuration:
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
	b := &batchReader{path: path, close: r.Close}
	for _, v := range r.Variables {
		col := Column{Name: v.Name, Label: v.Label, Type: v.Kind.String(), Format: v.Format, MissingCodes: spssMissing(v.Missing)}
		if v.Measure != spss.MeasureUnknown {
			col.Measure = v.Measure.String()
		}
		for _, l := range v.ValueLabels {
			value := l.String
			if v.Kind != spss.String {
				value = formatNumber(l.Value)
			}
			col.ValueLabels = append(col.ValueLabels, ValueLabel{Value: value, Label: l.Label})
		}
		b.cols = append(b.cols, col)
		b.kinds = append(b.kinds, spssKind(v.Kind))
	}
	batch := r.NewBatch(batchSize)
	b.next = func() (int, error) { return r.Next(batch) }
	b.column = func(j int) ([]float64, []string, []bool) {
		c := &batch.Columns[j]
		return c.Floats, c.Strings, c.Valid
	}
	return b, nil
}

func spssKind(k spss.Kind) valueKind {
	switch k {
	case spss.String:
		return kindString
	case spss.Date:
		return kindDate
	case spss.DateTime:
		return kindDateTime
	case spss.Time:
		return kindDuration
	}
	return kindNumber
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
	b := &batchReader{path: path, close: r.Close}
	for _, v := range r.Variables {
		col := Column{Name: v.Name, Label: v.Label, Type: v.Kind.String(), Format: v.Format}
		for _, l := range v.ValueLabels {
			value := formatNumber(l.Value)
			if l.Missing == '.' {
				value = "."
			} else if l.Missing != 0 {
				value = "." + string(l.Missing)
			}
			col.ValueLabels = append(col.ValueLabels, ValueLabel{Value: value, Label: l.Label})
		}
		b.cols = append(b.cols, col)
		b.kinds = append(b.kinds, stataKind(v.Kind))
	}
	batch := r.NewBatch(batchSize)
	b.next = func() (int, error) { return r.Next(batch) }
	b.column = func(j int) ([]float64, []string, []bool) {
		c := &batch.Columns[j]
		return c.Floats, c.Strings, c.Valid
	}
	return b, nil
}

func stataKind(k stata.Kind) valueKind {
	switch k {
	case stata.String:
		return kindString
	case stata.Date:
		return kindDate
	case stata.DateTime:
		return kindDateTime
	case stata.Time:
		return kindDuration
	}
	return kindNumber
}
