package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// suppressedSymbol is Statistics Norway's symbol for a number not shown for
// reasons of confidentiality.
const suppressedSymbol = ":"

// maxSheetName is the longest sheet name Excel allows, in characters.
const maxSheetName = 31

// indicatorText is an indicator's label and unit in the report language.
type indicatorText struct{ label, unit string }

// workbook is what writeXLSX needs beyond the table.
type workbook struct {
	lang string
	// indicators label the indicator sheets, by id.
	indicators map[string]indicatorText
}

// sheet is one data sheet: the indicator it holds (empty for a sheet of
// the whole table), its name and the rows of the table it holds.
type sheet struct {
	id, name string
	rows     []int
}

// sheets splits t into one sheet per indicator, in the order the rows
// have them, when t has an indicator column and rows; else one sheet
// named after the table. Names are made safe for Excel and unique beside
// the about sheet.
func sheets(t *table, aboutName string) []sheet {
	ind := -1
	for j, c := range t.cols {
		if c.name == "indicator" && c.kind == textKind {
			ind = j
		}
	}
	var out []sheet
	index := map[string]int{}
	for i, row := range t.rows {
		if ind < 0 {
			break
		}
		id, _ := row[ind].(string)
		k, ok := index[id]
		if !ok {
			k = len(out)
			index[id] = k
			out = append(out, sheet{id: id, name: id})
		}
		out[k].rows = append(out[k].rows, i)
	}
	if len(out) == 0 {
		all := make([]int, len(t.rows))
		for i := range all {
			all[i] = i
		}
		out = []sheet{{name: t.name, rows: all}}
	}
	taken := map[string]bool{strings.ToLower(aboutName): true}
	for k := range out {
		out[k].name = sheetName(out[k].name, taken)
	}
	return out
}

// sheetName makes name a valid Excel sheet name not yet taken (compared
// case-insensitively, as Excel does): characters Excel refuses become
// "_", the name is cut to 31 characters and, when taken, ends in ~2, ~3 ….
func sheetName(name string, taken map[string]bool) string {
	name = strings.Trim(strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name), "'")
	if name == "" {
		name = "_"
	}
	base := cut(name, maxSheetName)
	name = base
	for n := 2; taken[strings.ToLower(name)]; n++ {
		suffix := "~" + strconv.Itoa(n)
		name = cut(base, maxSheetName-utf8.RuneCountInString(suffix)) + suffix
	}
	taken[strings.ToLower(name)] = true
	return name
}

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// writeXLSX writes t as a workbook: first a sheet explaining the columns,
// the ":" symbol and the indicators, then the data sheets, each with a
// header row in the report language, numbers as numbers and ":" for the
// numbers a suppressed row withholds.
func writeXLSX(path string, t *table, wb workbook) error {
	return replaceFile(path, func(tmp string) error {
		f := excelize.NewFile()
		err := fillWorkbook(f, t, wb)
		var buf bytes.Buffer
		if err == nil {
			_, err = f.WriteTo(&buf)
		}
		if err = errors.Join(err, f.Close()); err != nil {
			return err
		}
		return writeTo(tmp, func(w io.Writer) error { return sortedZip(w, buf.Bytes()) })
	})
}

// sortedZip copies the zip archive b to w with its entries in name order:
// excelize writes them in an order that varies from run to run, and the
// same tables should make the same file.
func sortedZip(w io.Writer, b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	zw := zip.NewWriter(w)
	for _, f := range files {
		if err := zw.Copy(f); err != nil {
			return err
		}
	}
	return zw.Close()
}

// fillWorkbook writes the sheets of writeXLSX into f.
func fillWorkbook(f *excelize.File, t *table, wb workbook) error {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	right, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "right"}})
	if err != nil {
		return err
	}
	aboutName := text.aboutSheet.In(wb.lang)
	if err := f.SetSheetName("Sheet1", aboutName); err != nil {
		return err
	}
	data := sheets(t, aboutName)
	if err := writeAbout(f, aboutName, t, data, wb, bold); err != nil {
		return err
	}
	for _, sh := range data {
		if _, err := f.NewSheet(sh.name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(sh.name)
		if err != nil {
			return err
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := sw.SetColWidth(1, len(t.cols), 14); err != nil {
			return err
		}
		header := make([]any, len(t.cols))
		for j, c := range t.cols {
			header[j] = excelize.Cell{StyleID: bold, Value: c.head}
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		for k, i := range sh.rows {
			cells := make([]any, len(t.cols))
			for j, c := range t.cols {
				if c.withheld && t.suppressed[i] {
					cells[j] = excelize.Cell{StyleID: right, Value: suppressedSymbol}
				} else {
					cells[j] = cellValue(t.rows[i][j])
				}
			}
			if err := sw.SetRow(cellName(1, k+2), cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return nil // the about sheet, the first, is the active one
}

// writeAbout writes the sheet explaining the table's columns, the ":"
// symbol and, when the data sheets are indicators, each indicator.
func writeAbout(f *excelize.File, name string, t *table, data []sheet, wb workbook, bold int) error {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 2, 28); err != nil {
		return err
	}
	if err := sw.SetColWidth(3, 3, 100); err != nil {
		return err
	}
	lang := wb.lang
	heading := func(vals ...string) []any {
		out := make([]any, len(vals))
		for j, v := range vals {
			out[j] = excelize.Cell{StyleID: bold, Value: v}
		}
		return out
	}
	rows := [][]any{
		heading("socap: " + t.name),
		nil,
		heading(text.column.In(lang), text.name.In(lang), text.description.In(lang)),
	}
	for _, c := range t.cols {
		rows = append(rows, []any{c.head, c.name, c.about})
	}
	rows = append(rows, nil, heading(text.symbol.In(lang), "", text.description.In(lang)),
		[]any{suppressedSymbol, "", text.symbolText.In(lang)})
	var inds [][]any
	for _, sh := range data {
		if it, ok := wb.indicators[sh.id]; ok && sh.id != "" {
			inds = append(inds, []any{sh.name, it.unit, it.label})
		}
	}
	if len(inds) > 0 {
		rows = append(rows, nil, heading(text.indicators.In(lang), text.unit.In(lang), ""))
		rows = append(rows, inds...)
	}
	for i, r := range rows {
		if err := sw.SetRow(cellName(1, i+1), r); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// cellValue is a value as a workbook cell: numbers as numbers (infinities
// as text, NaN as an empty cell).
func cellValue(v any) any {
	if x, ok := v.(float64); ok && (math.IsInf(x, 0) || math.IsNaN(x)) {
		if s := formatFloat(x); s != "" {
			return s
		}
		return nil
	}
	return v
}

// cellName is the A1-style name of a cell (col and row from 1).
func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row) // cannot fail for col, row ≥ 1
	return name
}
