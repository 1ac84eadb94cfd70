package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// project is an opened socap.yaml: its config, codebook and store.
type project struct {
	env *pipeline.Env
}

// openProject loads configPath, its codebook and opens its store. Log
// receives progress (nil or quiet → discarded).
func openProject(ctx context.Context, configPath string, log io.Writer, quiet bool) (*project, error) {
	cfg, err := pipeline.LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.Resolve(cfg.Store), store.Options{Threads: cfg.Engine.Threads, MemoryLimit: cfg.Engine.MemoryLimit})
	if err != nil {
		return nil, err
	}
	if quiet || log == nil {
		log = io.Discard
	}
	return &project{env: &pipeline.Env{
		Store:    st,
		Config:   cfg,
		Codebook: cb,
		Log:      log,
		Progress: !quiet && isTerminal(log),
	}}, nil
}

func (p *project) Close() error { return p.env.Store.Close() }

// isTerminal reports whether w is an interactive terminal (progress bars are
// drawn only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// defaultConfig is socap.yaml in the working directory.
var defaultConfig = filepath.Join(".", "socap.yaml")
