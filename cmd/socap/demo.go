package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"socap/pipeline/example"
)

type demoOptions struct {
	dir   string
	quiet bool
}

func newDemoCmd() *cobra.Command {
	opts := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on the built-in example; writes ./socap-demo/",
		Long: `demo writes the built-in example project (two waves of a synthetic I LAG
survey in thirteen Norwegian municipalities, with a few deliberately bad rows
and cells) into --dir and runs the pipeline on it, printing how every input
row was accounted for, which problems were found, and how many indicator
estimates were written to <dir>/out/estimates.csv and suppressed.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, opts)
		},
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "socap-demo", "directory to write the example project into")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "no progress on stderr")
	return cmd
}

func runDemo(cmd *cobra.Command, opts demoOptions) error {
	proj, err := example.Write(opts.dir)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Example project written to %s\n\nRow accounting (raw = respondents + rejected rows):\n", opts.dir)
	if err := runIngest(cmd, ingestOptions{config: proj.Config, format: formatTable, quiet: opts.quiet}); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nDeliberate problems in the example data (%d):\n", len(proj.Problems))
	t := &table{Columns: []string{"source", "row", "column", "value", "level", "problem"}}
	for _, p := range proj.Problems {
		t.add(p.Source, p.Row, p.Column, p.Value, p.Level, p.What)
	}
	if err := t.write(out, formatTable); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nIndicators (score, estimate per wave and group, disclosure control):\n")
	return runPipeline(cmd, runOptions{config: proj.Config, quiet: opts.quiet})
}
