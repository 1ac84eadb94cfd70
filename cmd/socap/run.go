package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"socap/pipeline"
	"socap/pipeline/estimate"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
	"socap/pipeline/score"
)

type runOptions struct {
	config string
	quiet  bool
}

func newRunCmd() *cobra.Command {
	opts := runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the pipeline: ingest → harmonise → score → estimate (with disclosure control) → export",
		Long: `run takes the project of socap.yaml from its files to disclosure-controlled,
design-based estimates of every indicator for every wave and group set, and
writes them to <output>/estimates.csv. Suppressed cells keep their status and
reason and no number. (Comparisons, models, the programme evaluation and the
reports are not built yet.)`,
		Example: "  socap run -c socap.yaml",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPipeline(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.config, "config", "c", defaultConfig, "project file")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "no progress on stderr")
	return cmd
}

func runPipeline(cmd *cobra.Command, opts runOptions) error {
	ctx := cmd.Context()
	p, err := openProject(ctx, opts.config, cmd.ErrOrStderr(), opts.quiet)
	if err != nil {
		return err
	}
	defer p.Close()
	est := &estimate.Stage{}
	if err := pipeline.Run(ctx, p.env, &ingest.Stage{}, &harmonize.Stage{}, &score.Stage{}, est); err != nil {
		return err
	}
	path, err := estimate.ExportCSV(ctx, p.env.Store, p.env.Config.Resolve(p.env.Config.Output))
	if err != nil {
		return err
	}
	t := est.Report().Totals
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d estimates, %d suppressed by disclosure control (%d primary, %d secondary; %.1f %% of cells, %.1f %% of the weighted population)\nwrote %s\n",
		t.Cells, t.Suppressed, t.Primary, t.Secondary, 100*t.CellShare, 100*t.PopulationShare, path)
	return err
}
