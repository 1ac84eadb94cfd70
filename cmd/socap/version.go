package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"socap/pipeline"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print socap's version",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "socap %s (%s, %s/%s)\n", pipeline.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
