package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"socap/pipeline/dataerr"
	"socap/pipeline/ingest"
	"socap/pipeline/store"
)

type convertOptions struct {
	file fileFlags
}

func newConvertCmd() *cobra.Command {
	opts := convertOptions{}
	cmd := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Convert a data file to .parquet, .csv, .xlsx, .sav, .zsav or .dta",
		Long: `convert reads IN (.csv, .tsv, .parquet, .jsonl, .xlsx, .sav, .zsav or .dta) the
way ingest does and writes OUT in the format of its extension: .parquet,
.csv (comma-separated UTF-8 with a header), .xlsx (one sheet), SPSS .sav
(bytecode compressed) or .zsav, or Stata .dta (format 118). Columns keep
their names and get the type describe detects: integer, number (a decimal
comma becomes a point), date, or text as in the file. From an SPSS or Stata
file, variable labels, value labels and SPSS user-missing declarations go
along (Stata labels whole numbers only; the others are counted on stderr).
A file with records that do not fit its header (ragged rows) is refused.`,
		Example: "  socap convert wave1.sav wave1.parquet\n  socap convert svar.csv svar.xlsx\n  socap convert ESS9NO.sav ess9no.dta",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConvert(cmd, args[0], args[1], opts)
		},
	}
	opts.file.add(cmd)
	return cmd
}

func runConvert(cmd *cobra.Command, in, out string, opts convertOptions) error {
	ext := strings.ToLower(filepath.Ext(out))
	switch ext {
	case ".parquet", ".csv", ".xlsx", ".sav", ".zsav", ".dta":
	default:
		return usageErrorf("convert: output %s: want a .parquet, .csv, .xlsx, .sav, .zsav or .dta file", out)
	}
	if absIn, absOut := absPath(in), absPath(out); absIn == absOut {
		return usageErrorf("convert: input and output are the same file %s", in)
	}
	ctx := cmd.Context()
	st, info, err := loadScratch(ctx, in, opts.file, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer st.Close()
	if info.ProblemRows > 0 {
		return firstProblem(ctx, st, info)
	}
	summaries, err := ingest.Describe(ctx, st, scratchSource)
	if err != nil {
		return err
	}
	query := "SELECT " + ingest.TypedSelect(summaries, info.Decimal) + " FROM " + store.QuoteIdent(info.Table) + " ORDER BY " + ingest.ColRow
	switch ext {
	case ".parquet":
		err = copyTo(ctx, st, query, out, "FORMAT parquet")
	case ".csv":
		err = copyTo(ctx, st, query, out, "FORMAT csv, HEADER true")
	case ".xlsx":
		err = writeXLSX(ctx, st, query, out)
	default:
		var cols []labelledColumn
		if cols, err = labelledColumns(ctx, st, info, summaries); err == nil {
			err = writeLabelled(ctx, st, query, out, ext, cols, cmd.ErrOrStderr())
		}
	}
	if err != nil {
		return fmt.Errorf("convert %s: %w", out, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d rows of %d columns to %s\n", info.Rows, len(summaries), out)
	return nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// firstProblem refuses a file with ragged records, naming the first.
func firstProblem(ctx context.Context, st *store.Store, info *ingest.SourceInfo) error {
	var row int64
	var problem string
	err := st.DB().QueryRowContext(ctx, "SELECT "+ingest.ColRow+", "+ingest.ColProblem+" FROM "+store.QuoteIdent(info.Table)+
		" WHERE "+ingest.ColProblem+" IS NOT NULL ORDER BY "+ingest.ColRow+" LIMIT 1").Scan(&row, &problem)
	if err != nil {
		return err
	}
	return dataerr.New(info.Path, row, "", "%s (%d records do not fit the header; fix them to convert)", problem, info.ProblemRows)
}

// copyTo writes the result of query to path with DuckDB's COPY.
func copyTo(ctx context.Context, st *store.Store, query, path, options string) error {
	_, err := st.DB().ExecContext(ctx, "COPY ("+query+") TO "+store.QuoteString(path)+" ("+options+")")
	return err
}

// xlsxMaxRows is the number of rows a worksheet holds, the header included.
const xlsxMaxRows = 1 << 20

// writeXLSX streams the result of query into a one-sheet workbook at path:
// numbers as numbers, dates as dates (yyyy-mm-dd), text as text.
func writeXLSX(ctx context.Context, st *store.Store, query, path string) error {
	rows, err := st.DB().QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	header := make([]any, len(names))
	for i, n := range names {
		header[i] = n
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	vals := make([]any, len(names))
	dest := make([]any, len(names))
	for i := range vals {
		dest[i] = &vals[i]
	}
	cells := make([]any, len(names))
	for r := 2; rows.Next(); r++ {
		if r > xlsxMaxRows {
			return fmt.Errorf("a worksheet holds at most %d data rows: write .parquet or .csv instead", xlsxMaxRows-1)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, v := range vals {
			if t, ok := v.(time.Time); ok {
				cells[i] = excelize.Cell{StyleID: dateStyle, Value: t}
			} else {
				cells[i] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

func ptr[T any](v T) *T { return &v }
