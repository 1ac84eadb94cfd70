package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"socap/pipeline/example"
)

func newInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init DIR",
		Short: "Scaffold a project: socap.yaml, codebook and example data",
		Long: `init writes a working project into DIR: socap.yaml, codebook.yaml (the
built-in ilag questionnaire, ready to edit) and two example survey waves in
DIR/data, with population margins and the true values they were drawn from.
DIR must not already hold a socap.yaml.`,
		Example: "  socap init myproject && cd myproject && socap ingest",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if _, err := os.Stat(dir + "/socap.yaml"); err == nil {
				return usageErrorf("init %s: a socap.yaml is already there; choose an empty directory", dir)
			}
			p, err := example.Write(dir)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\nnext: cd %s && socap ingest\n", p.Config, dir)
			return err
		},
	}
}
