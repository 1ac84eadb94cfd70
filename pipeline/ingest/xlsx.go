package ingest

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"socap/pipeline/dataerr"
)

// xlsxReader streams one sheet of a workbook. The first non-empty row is
// the header (trailing empty header cells are dropped); empty rows are
// skipped. Cells come as Excel displays them, except that dates use ISO 8601
// (yyyy-mm-dd) and numbers in the General format are written in full.
type xlsxReader struct {
	path string
	f    *excelize.File
	rows *excelize.Rows
	cols []Column
	row  int64
}

func openXLSX(path, sheet string) (*xlsxReader, error) {
	f, err := excelize.OpenFile(path, excelize.Options{
		ShortDatePattern: "yyyy-mm-dd",
		LongDatePattern:  "yyyy-mm-dd",
		LongTimePattern:  "hh:mm:ss",
	})
	if err != nil {
		return nil, &dataerr.DataError{File: path, Err: fmt.Errorf("not a readable xlsx workbook: %w", err)}
	}
	r := &xlsxReader{path: path, f: f}
	if err := r.open(sheet); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *xlsxReader) open(sheet string) error {
	sheets := r.f.GetSheetList()
	if len(sheets) == 0 {
		return dataerr.New(r.path, 0, "", "workbook has no sheets")
	}
	if sheet == "" {
		sheet = sheets[0]
	} else if idx, _ := r.f.GetSheetIndex(sheet); idx < 0 {
		return dataerr.New(r.path, 0, "", "no sheet %q (sheets: %s)", sheet, strings.Join(sheets, ", "))
	}
	rows, err := r.f.Rows(sheet)
	if err != nil {
		return &dataerr.DataError{File: r.path, Err: fmt.Errorf("sheet %s: %w", sheet, err)}
	}
	r.rows = rows
	header, err := r.next()
	if err == io.EOF {
		return dataerr.New(r.path, 0, "", "sheet %q is empty: no header and no data", sheet)
	}
	if err != nil {
		return err
	}
	for len(header) > 0 && strings.TrimSpace(header[len(header)-1]) == "" {
		header = header[:len(header)-1]
	}
	r.cols = textColumns(header)
	return nil
}

// next returns the cells of the next row with any non-empty cell.
func (r *xlsxReader) next() ([]string, error) {
	for r.rows.Next() {
		cells, err := r.rows.Columns()
		if err != nil {
			return nil, &dataerr.DataError{File: r.path, Row: r.row + 1, Err: err}
		}
		for _, c := range cells {
			if c != "" {
				return cells, nil
			}
		}
	}
	if err := r.rows.Error(); err != nil {
		return nil, &dataerr.DataError{File: r.path, Row: r.row + 1, Err: err}
	}
	return nil, io.EOF
}

func (r *xlsxReader) Columns() []Column { return r.cols }

func (r *xlsxReader) Read(values []driver.Value) (string, error) {
	cells, err := r.next()
	if err != nil {
		return "", err
	}
	r.row++
	for i, c := range cells {
		if i < len(values) && c != "" {
			values[i] = c
		}
	}
	// Trailing empty cells are not fields.
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	if n > len(values) {
		return fmt.Sprintf("ragged row: %d fields, header has %d", n, len(values)), nil
	}
	return "", nil
}

func (r *xlsxReader) Close() error {
	if r.rows != nil {
		r.rows.Close()
	}
	return r.f.Close()
}
