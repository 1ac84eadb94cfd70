package main

import (
	"runtime/debug"
	"testing"

	"socap/pipeline"
)

// TestMemoryBudget: engine.memory_limit is split into DuckDB's limit (30 %)
// and Go's soft limit (45 %); without a limit neither is set.
func TestMemoryBudget(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })
	for _, c := range []struct {
		limit, duckdb string
		golimit       int64
	}{
		{"2GB", "600MB", 900_000_000},
		{"1GiB", "322MB", 483_183_820},
		{"", "", was},
	} {
		debug.SetMemoryLimit(was)
		got, err := applyMemoryBudget(&pipeline.Config{Engine: pipeline.Engine{MemoryLimit: c.limit}})
		if err != nil {
			t.Fatal(err)
		}
		if got != c.duckdb {
			t.Errorf("%q: DuckDB limit %q, want %q", c.limit, got, c.duckdb)
		}
		if g := debug.SetMemoryLimit(-1); g != c.golimit {
			t.Errorf("%q: Go limit %d, want %d", c.limit, g, c.golimit)
		}
	}
	if _, err := applyMemoryBudget(&pipeline.Config{Engine: pipeline.Engine{MemoryLimit: "lots"}}); err == nil {
		t.Error("memory_limit lots: no error")
	}
}
