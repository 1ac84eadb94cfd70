package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"socap/pipeline"
	"socap/pipeline/report"
)

type reportOptions struct {
	config       string
	municipality string
	lang         string
	quiet        bool
}

func newReportCmd() *cobra.Command {
	opts := reportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the HTML reports: one per municipality, the whole sample, and the researcher report",
		Long: `report writes self-contained HTML reports from the store that socap run
filled, into <output>/report/: index.html, one page per municipality (a
barometer of every indicator against the whole sample, a sentence per
indicator, charts with their data as tables, CSV and PNG downloads), one for
the whole sample, and researcher.html (every table, the models and the
methods). Numbers that disclosure control withheld show ":" with the reason.
The files work offline and print on A4. The path of the index is printed.`,
		Example: "  socap report\n  socap report -c socap.yaml --municipality Frøya --lang en",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReport(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.config, "config", "c", defaultConfig, "project file")
	cmd.Flags().StringVar(&opts.municipality, "municipality", "", "only this municipality's page (name or code), besides the index, whole sample and researcher report")
	cmd.Flags().StringVar(&opts.lang, "lang", "", "language of the reports: nb or en (default: socap.yaml's language)")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "no progress on stderr")
	return cmd
}

func runReport(cmd *cobra.Command, opts reportOptions) error {
	if opts.lang != "" && opts.lang != "nb" && opts.lang != "en" {
		return usageErrorf("--lang %q: want nb or en", opts.lang)
	}
	ctx := cmd.Context()
	p, err := openProject(ctx, opts.config, cmd.ErrOrStderr(), opts.quiet)
	if err != nil {
		return err
	}
	defer p.Close()
	st := &report.Stage{Area: opts.municipality, Lang: opts.lang}
	if err := pipeline.Run(ctx, p.env, st); err != nil {
		if errors.Is(err, report.ErrNoArea) {
			return usageError{err}
		}
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %d reports\n%s\n", len(st.Files()), st.Index())
	return err
}
