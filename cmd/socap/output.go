package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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

func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return fmt.Sprintf("%.6g", v)
	case *float64:
		if v == nil {
			return ""
		}
		return fmt.Sprintf("%.6g", *v)
	default:
		return fmt.Sprint(v)
	}
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
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t")+"\t")
		for _, r := range t.Rows {
			fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
		}
		return tw.Flush()
	}
}
