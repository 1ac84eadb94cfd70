// Command socap turns survey responses into social-capital indicators:
// ingest, harmonise, estimate with design-based uncertainty, report.
// See README.md for every subcommand.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"socap/pipeline/dataerr"
	"socap/pipeline/yamlschema"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitBadUse  = 2 // bad usage or bad input
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and maps its error to an exit code. It is the
// only place where errors become exit codes.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "socap: %v\n", err)
	return exitCode(err)
}

// usageError marks a bad command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	var ue usageError
	var ye *yamlschema.Error
	switch {
	case errors.As(err, &ue), errors.As(err, &ye), dataerr.Is(err):
		return exitBadUse
	default:
		return exitFailure
	}
}
