package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"socap/pipeline/codebook"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// Version is socap's version, recorded with every run; set at build time
// with -ldflags "-X socap/pipeline.Version=…".
var Version = "0.1.0-dev"

// Env is what a stage works with.
type Env struct {
	Store    *store.Store
	Config   *Config
	Codebook *codebook.Codebook
	// Log receives human-readable progress; io.Discard when quiet.
	Log io.Writer
	// Progress is true when a progress bar may be drawn on Log.
	Progress bool
	// Now is the clock (injected for deterministic tests).
	Now func() time.Time
	// RunID identifies the current run in the runs table; Run sets it, and
	// stages key their output rows by it.
	RunID int64
	// Producer is the producer of the engine's sums that socap run chose
	// (pipeline/load.Choose): "duckdb" has the estimate stage sum the store's
	// tables in DuckDB (pipeline/sqlsums); "" or "memory" reads the
	// respondents into memory, as every other stage does.
	Producer string
	// Shared holds what stages of one run share instead of reading it again
	// (the respondents as pipeline/design loaded them); Run empties it when
	// it starts, and a stage that rewrites what a value was built from
	// calls Shared.Clear.
	Shared Shared
}

// Shared is a map of values stages share within one run, safe for
// concurrent use. The zero value is empty and ready.
type Shared struct {
	mu sync.Mutex
	m  map[string]any
}

// Get returns the value stored under key.
func (s *Shared) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

// Put stores v under key.
func (s *Shared) Put(key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]any{}
	}
	s.m[key] = v
}

// Clear forgets every value.
func (s *Shared) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = nil
}

// Stage is one step of the flow. Run replaces the stage's own output inside
// one transaction, so re-running is safe.
type Stage interface {
	Name() string
	Run(ctx context.Context, env *Env) error
}

// RowCounter is implemented by stages that report rows read and written by
// their last Run, for the runs table.
type RowCounter interface {
	RowCounts() (in, out int64)
}

// Run executes the stages in order, recording each in the runs table. The
// first failure stops the run; its error is wrapped with the stage name.
func Run(ctx context.Context, env *Env, stages ...Stage) error {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Log == nil {
		env.Log = io.Discard
	}
	db := env.Store.DB()
	var runID int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(run_id), 0) + 1 FROM runs`).Scan(&runID); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	env.RunID = runID
	env.Shared.Clear()
	hash := ""
	if env.Config != nil {
		hash = env.Config.Hash
	}
	for i, st := range stages {
		started := env.Now()
		err := st.Run(ctx, env)
		status, msg := "ok", ""
		if err != nil {
			status, msg = "failed", err.Error()
		}
		var in, out any
		if rc, ok := st.(RowCounter); ok && err == nil {
			i, o := rc.RowCounts()
			in, out = i, o
		}
		_, recErr := db.ExecContext(context.WithoutCancel(ctx),
			`INSERT INTO runs (run_id, stage, version, config_hash, started_at, finished_at, rows_in, rows_out, status, error)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			runID, st.Name(), Version, hash, started.UTC(), env.Now().UTC(), in, out, status, nullIfEmpty(msg))
		if err != nil {
			return fmt.Errorf("%s: %w", st.Name(), err)
		}
		fmt.Fprintf(env.Log, "[%d/%d] %s done in %.1f s\n", i+1, len(stages), st.Name(), env.Now().Sub(started).Seconds())
		if recErr != nil {
			return fmt.Errorf("%s: record run: %w", st.Name(), recErr)
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// DisclosureRules are the rules of disclosure control a stage applies:
// override when set (tests), else socap.yaml's disclosure: section, with
// disclose.DefaultRules for what it leaves out.
func (e *Env) DisclosureRules(override disclose.Rules) disclose.Rules {
	if override != (disclose.Rules{}) {
		return override
	}
	if e.Config != nil {
		d := e.Config.Disclosure
		if r := (disclose.Rules{MinN: d.MinN, MinCount: d.MinCount, Protection: d.Protection}); r != (disclose.Rules{}) {
			return r
		}
	}
	return disclose.DefaultRules()
}
