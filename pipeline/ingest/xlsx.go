package ingest

import (
	"database/sql/driver"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"socap/pipeline/dataerr"
)

// xlsxReader streams one sheet of a workbook. The first non-empty row is
// the header (trailing empty header cells are dropped); empty rows are
// skipped. Text cells come as they are; numeric cells as the number stored
// (shortest round-trip form, whatever the display format: 0.5 for "50 %"),
// except cells with a date or time format, which become ISO 8601.
//
// The sheet is read twice in step, raw and as displayed: a numeric cell
// whose displayed text is not a number is the only kind whose style needs
// looking up, to tell a date from a currency or percentage.
type xlsxReader struct {
	path       string
	f          *excelize.File
	sheet      string
	raw, shown *excelize.Rows
	sheetRow   int // 1-based row of the sheet the iterators are at
	date1904   bool
	dateStyle  map[int]bool
	cols       []Column
	row        int64
}

func openXLSX(path, sheet string) (*xlsxReader, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, &dataerr.DataError{File: path, Err: fmt.Errorf("not a readable xlsx workbook: %w", err)}
	}
	r := &xlsxReader{path: path, f: f, dateStyle: map[int]bool{}}
	if err := r.open(sheet); err != nil {
		r.Close()
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
	r.sheet = sheet
	if props, err := r.f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		r.date1904 = *props.Date1904
	}
	var err error
	if r.raw, err = r.f.Rows(sheet); err == nil {
		r.shown, err = r.f.Rows(sheet)
	}
	if err != nil {
		return &dataerr.DataError{File: r.path, Err: fmt.Errorf("sheet %s: %w", sheet, err)}
	}
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
	for r.raw.Next() && r.shown.Next() {
		r.sheetRow++
		raw, err := r.raw.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, r.rowError(err)
		}
		shown, err := r.shown.Columns()
		if err != nil {
			return nil, r.rowError(err)
		}
		empty := true
		for i, c := range raw {
			if c == "" {
				continue
			}
			empty = false
			if i < len(shown) {
				if raw[i], err = r.cellText(i, c, shown[i]); err != nil {
					return nil, r.rowError(err)
				}
			}
		}
		if !empty {
			return raw, nil
		}
	}
	if err := r.raw.Error(); err != nil {
		return nil, r.rowError(err)
	}
	return nil, io.EOF
}

func (r *xlsxReader) rowError(err error) error {
	return &dataerr.DataError{File: r.path, Row: r.row + 1, Err: fmt.Errorf("sheet %s, row %d: %w", r.sheet, r.sheetRow, err)}
}

// cellText is the raw-table text of the cell in column i (0-based) of the
// current row, given its stored and displayed values.
func (r *xlsxReader) cellText(i int, raw, shown string) (string, error) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || raw == shown {
		return raw, nil
	}
	if _, err := strconv.ParseFloat(shown, 64); err == nil {
		return formatNumber(v), nil
	}
	cell, err := excelize.CoordinatesToCellName(i+1, r.sheetRow)
	if err != nil {
		return "", err
	}
	style, err := r.f.GetCellStyle(r.sheet, cell)
	if err != nil {
		return "", err
	}
	isDate, ok := r.dateStyle[style]
	if !ok {
		isDate = r.isDateStyle(style)
		r.dateStyle[style] = isDate
	}
	if !isDate {
		return formatNumber(v), nil
	}
	t, err := excelize.ExcelDateToTime(v, r.date1904)
	if err != nil {
		return formatNumber(v), nil
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02"), nil
	}
	return t.Format("2006-01-02T15:04:05"), nil
}

// isDateStyle reports whether style idx has a date or time number format:
// a built-in one (ECMA-376 Part 1, 18.8.30: ids 14–22, 27–36, 45–47 and
// 50–58) or a custom code with date or time letters outside quoted text,
// brackets and escapes.
func (r *xlsxReader) isDateStyle(idx int) bool {
	s, err := r.f.GetStyle(idx)
	if err != nil {
		return false
	}
	if s.CustomNumFmt == nil {
		id := s.NumFmt
		return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58)
	}
	code := *s.CustomNumFmt
	inQuote, inBracket := false, false
	for k := 0; k < len(code); k++ {
		switch c := code[k]; {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			inBracket = true
		case c == ']':
			inBracket = false
		case inBracket:
		case c == '\\' || c == '_' || c == '*':
			k++
		case strings.IndexByte("ymdhsYMDHS", c) >= 0:
			return true
		}
	}
	return false
}

// formatNumber writes v in shortest round-trip form, integral values
// below 1e15 as integers (3, not 3e+00), others as strconv's 'g' with the
// shortest precision.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
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
	for _, rows := range []*excelize.Rows{r.raw, r.shown} {
		if rows != nil {
			rows.Close()
		}
	}
	return r.f.Close()
}
