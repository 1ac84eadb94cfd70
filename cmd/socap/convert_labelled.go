package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"socap/pipeline/ingest/labelled"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"socap/pipeline/ingest"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/ingest/stata"
	"socap/pipeline/store"
)

// labelledColumn is one variable of an SPSS or Stata file convert writes:
// its kind, its width (strings: the longest value in bytes, at least 1) and
// what the input file said of it.
type labelledColumn struct {
	ingest.Summary
	kind  labelled.Kind
	width int
}

// labelledColumns gives each column of summaries its kind (integers and
// numbers numeric, dates dates, anything else text) and, for text, its
// width.
func labelledColumns(ctx context.Context, st *store.Store, info *ingest.SourceInfo, summaries []ingest.Summary) ([]labelledColumn, error) {
	cols := make([]labelledColumn, len(summaries))
	var widths []string
	for j, s := range summaries {
		cols[j] = labelledColumn{Summary: s, kind: labelled.String}
		switch s.Detected {
		case ingest.TypeInteger, ingest.TypeNumber, ingest.TypeEmpty:
			cols[j].kind = labelled.Numeric
		case ingest.TypeDate:
			cols[j].kind = labelled.Date
		default:
			widths = append(widths, "coalesce(max(strlen("+store.QuoteIdent(s.Name)+")), 0)")
		}
	}
	if len(widths) == 0 {
		return cols, nil
	}
	got := make([]int64, len(widths))
	dest := make([]any, len(widths))
	for k := range got {
		dest[k] = &got[k]
	}
	q := "SELECT " + strings.Join(widths, ", ") + " FROM " + store.QuoteIdent(info.Table)
	if err := st.DB().QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, err
	}
	k := 0
	for j := range cols {
		if cols[j].kind == labelled.String {
			cols[j].width = max(int(got[k]), cols[j].labelWidth(), 1)
			k++
		}
	}
	return cols, nil
}

// labelWidth is the longest labelled or user-missing value of a text
// column, in bytes: the variable must hold them too.
func (c labelledColumn) labelWidth() int {
	w := 0
	for _, vl := range c.ValueLabels {
		w = max(w, len(vl.Value))
	}
	for _, s := range ingest.ParseSPSSMissing(c.MissingCodes, true).Strings {
		w = max(w, len(s))
	}
	return w
}

// valueLabels are a column's value labels as the writers take them: numeric
// codes for numeric columns (codes that are not numbers are left out), text
// for text ones.
func (c labelledColumn) valueLabels() []labelled.ValueLabel {
	var out []labelled.ValueLabel
	for _, vl := range c.ValueLabels {
		if c.kind == labelled.String {
			out = append(out, labelled.ValueLabel{String: vl.Value, Label: vl.Label})
			continue
		}
		if x, err := strconv.ParseFloat(vl.Value, 64); err == nil && c.kind == labelled.Numeric {
			out = append(out, labelled.ValueLabel{Value: x, Label: vl.Label})
		}
	}
	return out
}

// labelledWriter is an spss.Writer or a stata.Writer.
type labelledWriter interface {
	NewBatch(capacity int) *labelled.Batch
	Write(b *labelled.Batch) error
	Close() error
}

// createLabelled creates out (.sav, .zsav or .dta) for cols, carrying the
// variable labels, value labels and (SPSS) user-missing declarations the
// input had. Stata labels whole numbers only: other labels are left out,
// counted on notes.
func createLabelled(out, ext string, cols []labelledColumn, notes io.Writer) (labelledWriter, error) {
	if ext == ".dta" {
		vars := make([]stata.Variable, len(cols))
		for j, c := range cols {
			vars[j] = stata.Variable{Name: c.Name, Label: c.Label, Kind: c.kind, Width: c.width}
			left := 0
			for _, vl := range c.valueLabels() {
				if c.kind != labelled.Numeric || vl.Value != math.Trunc(vl.Value) || math.Abs(vl.Value) > 1<<31-1 {
					left++
					continue
				}
				vars[j].ValueLabels = append(vars[j].ValueLabels, vl)
			}
			if left > 0 {
				fmt.Fprintf(notes, "socap: note: %s: %d value labels left out (Stata labels whole numbers only, not text or fractions)\n", c.Name, left)
			}
		}
		return stata.Create(out, vars, stata.WriterOptions{})
	}
	vars := make([]spss.Variable, len(cols))
	for j, c := range cols {
		vars[j] = spss.Variable{Name: c.Name, Label: c.Label, Kind: c.kind, Width: c.width,
			ValueLabels: c.valueLabels(), Missing: ingest.ParseSPSSMissing(c.MissingCodes, c.kind == labelled.String)}
	}
	opts := spss.WriterOptions{}
	if ext == ".zsav" {
		opts.Compression = "zlib"
	}
	return spss.Create(out, vars, opts)
}

// writeLabelled writes the result of query (TypedSelect's columns, in
// cols' order) to out through an SPSS or Stata writer, a batch of Arrow
// rows at a time.
func writeLabelled(ctx context.Context, st *store.Store, query, out, ext string, cols []labelledColumn, notes io.Writer) error {
	w, err := createLabelled(out, ext, cols, notes)
	if err != nil {
		return err
	}
	var b *labelled.Batch
	err = st.QueryArrow(ctx, 0, func(rec arrow.RecordBatch) error {
		n := int(rec.NumRows())
		if b == nil || b.Cap() < n {
			b = w.NewBatch(n)
		}
		for j := range cols {
			if err := fillColumn(&b.Columns[j], rec.Column(j), n); err != nil {
				return fmt.Errorf("column %s: %w", cols[j].Name, err)
			}
		}
		b.Len = n
		return w.Write(b)
	}, query)
	return errors.Join(err, w.Close())
}

// fillColumn copies n values of an Arrow column into a batch column.
func fillColumn(c *labelled.Column, a arrow.Array, n int) error {
	for i := range n {
		c.Valid[i] = a.IsValid(i)
	}
	switch a := a.(type) {
	case *array.String:
		if c.Strings == nil { // a column with no values, written as numeric
			if a.NullN() != n {
				return errors.New("text in a numeric column")
			}
			return nil
		}
		for i := range n {
			c.Strings[i] = a.Value(i)
		}
	case *array.Int64:
		for i := range n {
			c.Floats[i] = float64(a.Value(i))
		}
	case *array.Float64:
		copy(c.Floats[:n], a.Float64Values())
	case *array.Date32:
		for i := range n {
			c.Floats[i] = float64(a.Value(i)) // days since 1970-01-01, as the writers take dates
		}
	default:
		return fmt.Errorf("unexpected %s", a.DataType())
	}
	return nil
}
