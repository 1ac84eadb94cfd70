package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// Output formats shared by every command with tabular output.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

// addFormatFlag registers --format table|json|csv on cmd.
func addFormatFlag(cmd *cobra.Command, dest *string) {
	cmd.Flags().StringVar(dest, "format", formatTable, "output format: table, json or csv")
}

func checkFormat(format string) error {
	switch format {
	case formatTable, formatJSON, formatCSV:
		return nil
	}
	return usageErrorf("--format %q: want table, json or csv", format)
}

// table is tabular output: a header and rows of cells. JSON renders it as an
// array of objects keyed by column, with Values (when set) giving the typed
// value of each cell.
type table struct {
	Columns []string
	Rows    [][]string
	Values  [][]any
}

func (t *table) add(typed ...any) {
	cells := make([]string, len(typed))
	for i, v := range typed {
		cells[i] = cellText(v)
	}
	t.Rows = append(t.Rows, cells)
	t.Values = append(t.Values, typed)
}

// cellText is a value as the aligned table shows it: numbers to six significant
// digits, without an exponent from 1e5 up to 1e15 (a total of 1914130, not
// 1.91413e+06), whole numbers in full.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return tableNumber(v)
	case *float64:
		if v == nil {
			return ""
		}
		return tableNumber(*v)
	default:
		return fmt.Sprint(v)
	}
}

func tableNumber(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "NA"
	case math.IsInf(v, 0):
		return csvText(v)
	case a >= 1e5 && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// csvText is a value as CSV carries it: numbers at full precision (the shortest
// text that reads back as the same float64, as JSON writes them), NA for a missing
// number.
func csvText(v any) string {
	switch v := v.(type) {
	case float64:
		switch {
		case math.IsNaN(v):
			return "NA"
		case math.IsInf(v, 0):
			return strings.TrimPrefix(strconv.FormatFloat(v, 'g', -1, 64), "+") // Inf, -Inf as R writes them
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case *float64:
		if v == nil {
			return ""
		}
		return csvText(*v)
	}
	return cellText(v)
}

// write renders t in format (table, json or csv).
func (t *table) write(w io.Writer, format string) error {
	switch format {
	case formatJSON:
		objs := make([]map[string]any, len(t.Rows))
		for i := range t.Rows {
			obj := make(map[string]any, len(t.Columns))
			for j, c := range t.Columns {
				obj[c] = t.Values[i][j]
			}
			objs[i] = obj
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(objs)
	case formatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Columns); err != nil {
			return err
		}
		for _, typed := range t.Values {
			cells := make([]string, len(typed))
			for j, v := range typed {
				cells[j] = csvText(v)
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		return t.writeAligned(w)
	}
}

// writeAligned writes an aligned text table: numbers right-aligned, text
// left-aligned, columns two spaces apart.
func (t *table) writeAligned(w io.Writer) error {
	widths := make([]int, len(t.Columns))
	for j, c := range t.Columns {
		widths[j] = utf8.RuneCountInString(c)
	}
	for _, r := range t.Rows {
		for j, cell := range r {
			widths[j] = max(widths[j], utf8.RuneCountInString(cell))
		}
	}
	line := func(cells []string, typed []any) string {
		var sb strings.Builder
		for j, cell := range cells {
			pad := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(cell))
			if j > 0 {
				sb.WriteString("  ")
			}
			if typed != nil && isNumber(typed[j]) {
				sb.WriteString(pad + cell)
			} else {
				sb.WriteString(cell + pad)
			}
		}
		return strings.TrimRight(sb.String(), " ") + "\n"
	}
	var header []any // headers align like their column's first value
	if len(t.Values) > 0 {
		header = t.Values[0]
	}
	if _, err := io.WriteString(w, line(t.Columns, header)); err != nil {
		return err
	}
	for i, r := range t.Rows {
		if _, err := io.WriteString(w, line(r, t.Values[i])); err != nil {
			return err
		}
	}
	return nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int32, int64, uint64, float64, *float64:
		return true
	}
	return false
}
