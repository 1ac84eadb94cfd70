package synth

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/xuri/excelize/v2"
)

// xlsxSheet is the name of the one worksheet of a respondent workbook.
const xlsxSheet = "respondents"

// XLSXWriter writes respondents to one worksheet through excelize's stream
// writer (rows go to a temporary file, not to memory): the id as text,
// codes and weights as numbers (weights to Excel's 15 significant digits),
// blanks as empty cells. A worksheet holds at most 1,048,576 rows including
// the header.
type XLSXWriter struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	w    io.Writer
	row  int
	vals []any
}

// NewXLSXWriter starts a workbook that Close writes to w.
func NewXLSXWriter(w io.Writer) (*XLSXWriter, error) {
	f := excelize.NewFile()
	// Fixed document dates keep the bytes a function of the seed.
	err := errors.Join(f.SetSheetName("Sheet1", xlsxSheet),
		f.SetDocProps(&excelize.DocProperties{Creator: "socap synth", Created: "2026-01-01T00:00:00Z", Modified: "2026-01-01T00:00:00Z"}))
	if err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(xlsxSheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	xw := &XLSXWriter{f: f, sw: sw, w: w, row: 1, vals: make([]any, NumColumns+1)}
	xw.vals[0] = IDColumn
	for j, c := range Columns {
		xw.vals[j+1] = c.Name
	}
	if err := sw.SetRow("A1", xw.vals); err != nil {
		f.Close()
		return nil, err
	}
	return xw, nil
}

// WriteRow writes one respondent.
func (xw *XLSXWriter) WriteRow(r *Row) error {
	if xw.row == excelize.TotalRows {
		return fmt.Errorf("xlsx: more than %d rows do not fit in a worksheet", excelize.TotalRows-1)
	}
	xw.row++
	xw.vals[0] = r.ID
	for j, v := range r.Values {
		switch {
		case math.IsNaN(v):
			xw.vals[j+1] = nil
		case Columns[j].Kind == Float64:
			xw.vals[j+1] = v
		default:
			xw.vals[j+1] = int64(v)
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, xw.row)
	if err != nil {
		return err
	}
	return xw.sw.SetRow(cell, xw.vals)
}

// Close writes the workbook to w and removes the temporary files.
func (xw *XLSXWriter) Close() error {
	err := xw.sw.Flush()
	if err == nil {
		err = xw.f.Write(xw.w)
	}
	return errors.Join(err, xw.f.Close())
}

// xlsxFile is an XLSXWriter over its own file.
type xlsxFile struct {
	*XLSXWriter
	f *os.File
}

func openXLSX(path string) (fileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	xw, err := NewXLSXWriter(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxFile{xw, f}, nil
}

func (x *xlsxFile) Close() error {
	return errors.Join(x.XLSXWriter.Close(), x.f.Close())
}
