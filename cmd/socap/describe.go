package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"socap/pipeline/ingest"
	"socap/pipeline/store"
)

// fileFlags override what ingest detects in a one-off input file (describe,
// convert).
type fileFlags struct {
	sheet, encoding, delimiter, decimal string
	quiet                               bool
	input                               inputFlags
}

func (f *fileFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.sheet, "sheet", "", "XLSX sheet to read (default: the first)")
	cmd.Flags().StringVar(&f.encoding, "encoding", "", "text encoding of a CSV file: utf-8, windows-1252 or latin-1 (default: detected)")
	cmd.Flags().StringVar(&f.delimiter, "delimiter", "", `CSV delimiter: ",", ";", "\t" or "|" (default: detected)`)
	cmd.Flags().StringVar(&f.decimal, "decimal", "", `decimal separator of a CSV file: "." or "," (default: detected)`)
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	f.input.add(cmd)
}

// scratchSource is the source id of a one-off file in its scratch store.
const scratchSource = "file"

// loadScratch loads the file at path into a new in-memory store. Its
// summary line and notes go to stderr; the caller closes the store.
func loadScratch(ctx context.Context, path string, flags fileFlags, stderr io.Writer) (*store.Store, *ingest.SourceInfo, error) {
	opts := ingest.FileOptions{Sheet: flags.sheet, Encoding: flags.encoding, Delimiter: flags.delimiter, Decimal: flags.decimal,
		KeepUserMissing: flags.input.keepUserMissing}
	if !flags.quiet && isTerminal(stderr) {
		opts.Progress = stderr
	}
	if err := checkInputExists(path); err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, ":memory:", store.Options{})
	if err != nil {
		return nil, nil, err
	}
	info, err := ingest.LoadFile(ctx, st, path, opts, scratchSource)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "%s\n", info.Summary())
	for _, n := range info.Notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	return st, info, nil
}

type describeOptions struct {
	file   fileFlags
	format string
	top    int
}

func newDescribeCmd() *cobra.Command {
	opts := describeOptions{}
	cmd := &cobra.Command{
		Use:   "describe FILE",
		Short: "List a file's variables: detected types, missing and distinct counts, ranges, labels",
		Long: `describe reads a .csv, .tsv, .parquet, .jsonl, .xlsx, .sav, .zsav or .dta file
the way ingest does and prints one line per variable: the detected type
(integer, number, date or text), the type in the file, its label, how many
values are present, missing and distinct, the minimum and maximum, declared
missing codes, value labels, and the most frequent values of categorical
variables (text, value-labelled, or numeric with at most 12 distinct values)
with their counts. A cell that is empty or NA (R's missing value) once spaces
are trimmed is missing, as estimate reads it. Records that could not be mapped
to the columns (ragged rows) are counted on stderr and left out of the figures.

The table is cut to the width of the terminal (or $COLUMNS, or 120 columns
when stdout is not a terminal): long labels and value lists end in "…".
JSON and CSV are complete.`,
		Example: "  socap describe wave1.csv\n  socap describe ess.sav --format json\n  socap describe svar.xlsx --sheet Svar",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.format); err != nil {
				return err
			}
			if opts.top < 0 {
				return usageErrorf("--top %d: want 0 or more", opts.top)
			}
			return runDescribe(cmd, args[0], opts)
		},
	}
	opts.file.add(cmd)
	addFormatFlag(cmd, &opts.format)
	cmd.Flags().IntVar(&opts.top, "top", 5, "most frequent values listed for each categorical variable (0: none)")
	return cmd
}

func runDescribe(cmd *cobra.Command, path string, opts describeOptions) error {
	ctx := cmd.Context()
	st, _, err := loadScratch(ctx, path, opts.file, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer st.Close()
	summaries, err := ingest.Describe(ctx, st, scratchSource)
	if err != nil {
		return err
	}
	if err := ingest.TopValues(ctx, st, scratchSource, summaries, opts.top); err != nil {
		return err
	}
	t := &table{Columns: []string{"variable", "type", "file_type", "label", "values", "missing", "distinct", "min", "max", "missing_codes", "value_labels", "top"}}
	for _, s := range summaries {
		t.add(s.Name, s.Detected, s.Type, s.Label, s.Values, s.Missing, s.Distinct, s.Min, s.Max, s.MissingCodes, valueLabels(s.ValueLabels), topValues(s.Top))
	}
	out := cmd.OutOrStdout()
	switch opts.format {
	case formatJSON:
		// Labels as a list of {value, label} and top values as a list of
		// {value, label, count} rather than one string.
		for i, s := range summaries {
			labels := make([]map[string]string, len(s.ValueLabels))
			for j, l := range s.ValueLabels {
				labels[j] = map[string]string{"value": l.Value, "label": l.Label}
			}
			top := make([]map[string]any, len(s.Top))
			for j, v := range s.Top {
				top[j] = map[string]any{"value": v.Value, "label": v.Label, "count": v.Count}
			}
			t.Values[i][len(t.Columns)-2] = labels
			t.Values[i][len(t.Columns)-1] = top
		}
	case formatTable:
		fitWidth(t, outputWidth(out), describeNarrowing)
	}
	return t.write(out, opts.format)
}

// topValues writes the most frequent values as "2=No (812); 1=Yes (594)",
// or "Oslo (12); Bergen (7)" without labels.
func topValues(top []ingest.TopValue) string {
	parts := make([]string, len(top))
	for i, v := range top {
		parts[i] = v.Value
		if v.Label != "" && v.Label != v.Value {
			parts[i] += "=" + v.Label
		}
		parts[i] += " (" + strconv.FormatInt(v.Count, 10) + ")"
	}
	return strings.Join(parts, "; ")
}

// defaultWidth is the width of a table written where the terminal's width
// is not known (a pipe or a file) and $COLUMNS is not set.
const defaultWidth = 120

// outputWidth is the width the table written to w must fit: $COLUMNS when
// it is a positive number, else the terminal's width, else defaultWidth.
func outputWidth(w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return defaultWidth
}

// fitWidth cuts the text cells of t (as writeAligned aligns them, two
// spaces apart) so that no line is wider than width, narrowing columns in
// the order of steps; a cut cell (or header) ends in "…". Line breaks and
// tabs in cells become spaces. Numbers are never cut: when they and the
// narrowest text columns are wider than width, lines are as narrow as that
// allows.
func fitWidth(t *table, width int, steps []narrowing) {
	n := len(t.Columns)
	widths := make([]int, n)
	text := make([]bool, n)
	at := map[string]int{}
	for j, c := range t.Columns {
		widths[j] = utf8.RuneCountInString(c)
		text[j] = true
		at[c] = j
	}
	flat := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")
	for i, r := range t.Rows {
		for j := range r {
			r[j] = flat.Replace(r[j])
			widths[j] = max(widths[j], utf8.RuneCountInString(r[j]))
			if isNumber(t.Values[i][j]) {
				text[j] = false
			}
		}
	}
	total := 2 * (n - 1)
	for _, w := range widths {
		total += w
	}
	for _, step := range steps {
		cols := step.columns
		if cols == nil { // every text column
			cols = t.Columns
		}
		for total > width {
			widest := -1
			for _, c := range cols {
				j, ok := at[c]
				if !ok || !text[j] {
					continue
				}
				floor := step.floor
				if floor == 0 {
					floor = utf8.RuneCountInString(t.Columns[j])
				}
				if widths[j] > max(floor, 2) && (widest < 0 || widths[j] > widths[widest]) {
					widest = j
				}
			}
			if widest < 0 {
				break
			}
			widths[widest]--
			total--
		}
	}
	for j, c := range t.Columns {
		t.Columns[j] = cut(c, widths[j])
	}
	for _, r := range t.Rows {
		for j := range r {
			r[j] = cut(r[j], widths[j])
		}
	}
}

// narrowing is a step of fitWidth: the widest of columns (nil: every text
// column) is narrowed, one character at a time, down to floor characters
// (0: its header's width), until the lines fit.
type narrowing struct {
	columns []string
	floor   int
}

// describeNarrowing is the order in which describe's table gives way: the
// long lists and labels first, evenly, then long minima and maxima, the
// value labels and missing
// codes, the variable label and lastly the top values, then the other text
// columns down to their headers.
var describeNarrowing = []narrowing{
	{[]string{"label", "missing_codes", "value_labels", "top"}, 24},
	{[]string{"min", "max"}, 12},
	{[]string{"missing_codes", "value_labels"}, 12},
	{[]string{"label"}, 12},
	{[]string{"missing_codes", "value_labels"}, 6},
	{[]string{"label"}, 6},
	{[]string{"top"}, 6},
	{nil, 0},
}

// cut is s in at most width characters, ending in "…" when shortened.
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	runes := []rune(s)
	return string(runes[:width-1]) + "…"
}

// valueLabels writes labels as "1=Low; 5=High".
func valueLabels(labels []ingest.ValueLabel) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = l.Value + "=" + l.Label
	}
	return strings.Join(parts, "; ")
}
