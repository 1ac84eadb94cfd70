package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/export"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
	"socap/pipeline/mentoring"
	"socap/pipeline/model"
	"socap/pipeline/reliability"
	"socap/pipeline/report"
	"socap/pipeline/score"
)

type runOptions struct {
	config   string
	quiet    bool
	producer producerFlags
}

func newRunCmd() *cobra.Command {
	opts := runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the pipeline: ingest → harmonise → design → score → reliability → estimate → compare → model → evaluate → mentoring → export → report",
		Long: `run takes the project of socap.yaml from its files to disclosure-controlled,
design-based estimates of every indicator (with the reliability and
measurement invariance of the three dimension scores) for every wave and group set, the
comparisons (each municipality against the whole sample, immigrants against
the majority, follow-up against baseline), the network–employment models, the
programme's difference-in-differences, and exports:
<output>/estimates.csv|.parquet|.xlsx, the same for comparisons, models and
programme effects, and the respondents' scores as scores.parquet and scores.sav
(SPSS, with labels), and the reports in <output>/report/ (one per
municipality, one for the whole sample, a researcher's report, and an
index page, whose path it prints). Suppressed cells keep their status and reason and no
number. Each stage prints a progress line on stderr; the summary goes to
stdout.`,
		Example: "  socap run -c socap.yaml",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPipeline(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.config, "config", "c", defaultConfig, "project file")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "no progress on stderr")
	opts.producer.addRun(cmd)
	return cmd
}

func runPipeline(cmd *cobra.Command, opts runOptions) error {
	ctx := cmd.Context()
	p, err := openProject(ctx, opts.config, cmd.ErrOrStderr(), opts.quiet)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.env.Config.CheckAnalysis(p.env.Codebook); err != nil {
		return usageError{err}
	}
	if err := opts.producer.chooseRun(cmd, p.env, opts.quiet); err != nil {
		return err
	}
	s := newRunStages()
	if err := pipeline.Run(ctx, p.env, s.all...); err != nil {
		return err
	}
	t := s.estimate.Report().Totals
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d indicator values, %d estimates, %d suppressed by disclosure control (%d primary, %d secondary; %.1f %% of cells, %.1f %% of the weighted population)\nwrote %s\n",
		len(s.score.Columns()), t.Cells, t.Suppressed, t.Primary, t.Secondary, 100*t.CellShare, 100*t.PopulationShare, strings.Join(s.export.Files(), "\n      "))
	if err == nil {
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d reports; open %s\n", len(s.report.Files()), s.report.Index())
	}
	return err
}

// runStages are the stages of socap run, in order, with the ones whose
// results the summary reads.
type runStages struct {
	score    *score.Stage
	estimate *estimate.Stage
	export   *export.Stage
	report   *report.Stage
	all      []pipeline.Stage
}

func newRunStages() runStages {
	s := runStages{score: &score.Stage{}, estimate: &estimate.Stage{}, export: &export.Stage{}, report: &report.Stage{}}
	s.all = []pipeline.Stage{&ingest.Stage{}, &harmonize.Stage{}, &design.Stage{}, s.score, &reliability.Stage{}, s.estimate,
		&compare.Stage{}, &model.Stage{}, &evaluate.Stage{}, &mentoring.Stage{}, s.export, s.report}
	return s
}
