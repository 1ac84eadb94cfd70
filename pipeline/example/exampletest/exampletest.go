// Package exampletest builds, for tests of the stages after harmonise, a store
// holding the built-in example ingested and harmonised.
package exampletest

import (
	"context"
	"strings"
	"testing"
	"time"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/example"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
	"socap/pipeline/store"
)

// Env writes the example project into a temporary directory, opens an
// in-memory store and runs ingest and harmonize on it. Log collects the
// stages' progress; the clock is fixed.
func Env(t *testing.T) *pipeline.Env {
	t.Helper()
	ctx := context.Background()
	proj, err := example.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(proj.Config)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &pipeline.Env{Store: st, Config: cfg, Codebook: cb, Log: &strings.Builder{}, Now: func() time.Time { return time.Unix(0, 0) }}
	if err := pipeline.Run(ctx, env, &ingest.Stage{}, &harmonize.Stage{}); err != nil {
		t.Fatal(err)
	}
	return env
}
