package main

import (
	"context"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline/ingest"
	"socap/pipeline/load"
	"socap/pipeline/store"
)

// inputFile is a FILE argument loaded through the ingest stage into a scratch
// in-memory store (pipeline/load.Open), so that every command reads every
// format ingest reads with the same detection and the same errors.
type inputFile struct {
	*load.Table
	st   *store.Store
	info *ingest.SourceInfo
}

// inputFlags are the flags of every command that reads a FILE argument.
type inputFlags struct {
	keepUserMissing bool
}

func (f *inputFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.keepUserMissing, "keep-user-missing", false,
		"keep values an SPSS file declares user-missing (e.g. 77, 88, 99) as values, like haven's user_na = TRUE (default: missing)")
}

// fileOptions are the ingest options the flags ask for.
func (f inputFlags) fileOptions() ingest.FileOptions {
	return ingest.FileOptions{KeepUserMissing: f.keepUserMissing}
}

// openInput loads FILE as ingest does by default.
func openInput(ctx context.Context, path string) (*inputFile, error) {
	return openInputWith(ctx, path, inputFlags{})
}

// checkInputExists refuses a FILE argument that does not exist as bad input.
func checkInputExists(path string) error { return load.CheckExists(path) }

// openInputWith loads FILE as flags ask.
func openInputWith(ctx context.Context, path string, flags inputFlags) (*inputFile, error) {
	t, err := load.Open(ctx, path, flags.fileOptions())
	if err != nil {
		return nil, err
	}
	return &inputFile{Table: t, st: t.Store(), info: t.Info()}, nil
}

// frame reads the named columns (every column when names is nil) into a
// survey.Frame (load.Table.Frame).
func (f *inputFile) frame(ctx context.Context, names []string) (*survey.Frame, error) {
	return f.Frame(ctx, names)
}

// writeWithColumns writes the file's columns and the extra numeric columns to
// the CSV file out (load.Table.WriteWithColumns).
func (f *inputFile) writeWithColumns(ctx context.Context, out string, names []string, cols [][]float64) error {
	return f.WriteWithColumns(ctx, out, names, cols)
}

// loadFrame reads the named columns of FILE (every column when columns is
// nil) into a survey.Frame, through openInputWith and frame.
func loadFrame(ctx context.Context, path string, columns []string, flags inputFlags) (*survey.Frame, error) {
	frame, _, err := loadLabelledFrame(ctx, path, columns, flags)
	return frame, err
}

// loadLabelledFrame is loadFrame with the value labels the file carries.
func loadLabelledFrame(ctx context.Context, path string, columns []string, flags inputFlags) (*survey.Frame, fileLabels, error) {
	in, err := openInputWith(ctx, path, flags)
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	frame, err := in.frame(ctx, columns)
	if err != nil {
		return nil, nil, err
	}
	return frame, in.fileLabels(), nil
}

// fileLabels are the file's value labels, values named as the frame names them.
func (f *inputFile) fileLabels() fileLabels {
	vl := fileLabels{}
	for _, c := range f.info.Columns {
		for _, l := range c.ValueLabels {
			if vl[c.Name] == nil {
				vl[c.Name] = map[string]string{}
			}
			vl[c.Name][frameValue(l.Value)] = l.Label
		}
	}
	return vl
}
