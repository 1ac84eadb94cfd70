package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Every subcommand lives in its own file
// as newXCmd (flags into an options struct) + runX(opts).
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "socap",
		Short: "Measure social capital from survey data, with honest uncertainty",
		Long: `socap turns survey responses into social-capital indicators (structural,
relational, cognitive) per group and per crossing of groups, with design-based
standard errors, small-cell suppression and self-contained reports.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newVersionCmd(),
		newDemoCmd(),
		newInitCmd(),
		newIngestCmd(),
		newEstimateCmd(),
		newGLMCmd(),
		newCalibrateCmd(),
		newScaleCmd(),
		newSynthCmd(),
		newDescribeCmd(), newConvertCmd(),
		newBenchCmd(),
	)
	return root
}

// exactArgs is cobra.ExactArgs reporting a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
