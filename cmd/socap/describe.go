package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

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
missing codes, and value labels. Records that could not be mapped to the
columns (ragged rows) are counted on stderr and left out of the figures.`,
		Example: "  socap describe wave1.csv\n  socap describe ess.sav --format json\n  socap describe svar.xlsx --sheet Svar",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.format); err != nil {
				return err
			}
			return runDescribe(cmd, args[0], opts)
		},
	}
	opts.file.add(cmd)
	addFormatFlag(cmd, &opts.format)
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
	t := &table{Columns: []string{"variable", "type", "file_type", "label", "values", "missing", "distinct", "min", "max", "missing_codes", "value_labels"}}
	for _, s := range summaries {
		t.add(s.Name, s.Detected, s.Type, s.Label, s.Values, s.Missing, s.Distinct, s.Min, s.Max, s.MissingCodes, valueLabels(s.ValueLabels))
	}
	if opts.format == formatJSON {
		// Labels as a list of {value, label} rather than one string.
		for i, s := range summaries {
			labels := make([]map[string]string, len(s.ValueLabels))
			for j, l := range s.ValueLabels {
				labels[j] = map[string]string{"value": l.Value, "label": l.Label}
			}
			t.Values[i][len(t.Columns)-1] = labels
		}
	}
	return t.write(cmd.OutOrStdout(), opts.format)
}

// valueLabels writes labels as "1=Low; 5=High".
func valueLabels(labels []ingest.ValueLabel) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = l.Value + "=" + l.Label
	}
	return strings.Join(parts, "; ")
}
