package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"socap/pipeline"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
)

type ingestOptions struct {
	config string
	format string
	quiet  bool
}

func newIngestCmd() *cobra.Command {
	opts := ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load the sources of socap.yaml and harmonise them through the codebook",
		Long: `ingest loads every source file named in socap.yaml into the store (a file
already loaded with the same content is skipped; a changed file replaces its
rows), then harmonises the raw rows through the codebook into respondents
and rejects, and prints the row accounting: for each source, raw rows =
respondents + rejected rows.`,
		Example: "  socap ingest -c socap.yaml\n  socap ingest --format json",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(opts.format); err != nil {
				return err
			}
			return runIngest(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.config, "config", "c", defaultConfig, "project file")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "no progress on stderr")
	addFormatFlag(cmd, &opts.format)
	return cmd
}

func runIngest(cmd *cobra.Command, opts ingestOptions) error {
	ctx := cmd.Context()
	p, err := openProject(ctx, opts.config, cmd.ErrOrStderr(), opts.quiet)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := pipeline.Run(ctx, p.env, &ingest.Stage{}, &harmonize.Stage{}); err != nil {
		return err
	}
	counts, err := harmonize.Accounting(ctx, p.env.Store)
	if err != nil {
		return err
	}
	return writeAccounting(cmd.OutOrStdout(), opts.format, counts)
}

// writeAccounting prints the per-source row accounting; it fails when a
// source does not balance, which would be a bug.
func writeAccounting(w io.Writer, format string, counts []harmonize.Count) error {
	t := &table{Columns: []string{"source", "raw", "respondents", "rejected_rows", "rejected_cells", "balanced"}}
	var unbalanced []string
	for _, c := range counts {
		t.add(c.Source, c.Raw, c.Respondents, c.RejectedRows, c.RejectedCells, c.Balanced())
		if !c.Balanced() {
			unbalanced = append(unbalanced, c.Source)
		}
	}
	if err := t.write(w, format); err != nil {
		return err
	}
	if len(unbalanced) > 0 {
		return fmt.Errorf("row accounting does not balance for %v", unbalanced)
	}
	return nil
}
