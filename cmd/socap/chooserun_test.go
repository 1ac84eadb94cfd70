package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/pipeline"
)

// TestChooseRun checks what socap run's choice of producer hands the stages
// (Env.Producer) and says on stderr: duckdb, asked or over the memory limit,
// names the estimate stage as the one that sums in DuckDB — unless the design
// calibrates, when it says the estimate stage reads the respondents into
// memory too; memory says nothing with --quiet.
func TestChooseRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wave1.csv"), []byte("id,weight\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		calibrate bool
		quiet     bool
		producer  string
		stderr    []string // each in stderr, or stderr empty when nil
	}{
		{"duckdb asked", []string{"--producer", "duckdb"}, false, true, "duckdb", []string{
			"socap: producer duckdb: as --producer asks; the estimate stage sums in DuckDB",
			"the design, score, reliability, compare, model, evaluate and mentoring stages still read the respondents into memory"}},
		{"duckdb over the limit", []string{"--memory-limit", "1B"}, false, true, "duckdb", []string{
			"socap: producer duckdb: about", "over the limit of", "the estimate stage sums in DuckDB"}},
		{"duckdb, calibrated", []string{"--producer", "duckdb"}, true, true, "duckdb", []string{
			"design: calibrate computes the calibrated weights in memory",
			"so the estimate stage, like the design, score, reliability, compare, model, evaluate and mentoring stages, reads the respondents into memory"}},
		{"memory, quiet", []string{"--producer", "memory"}, false, true, "memory", nil},
		{"memory", []string{"--producer", "memory"}, false, false, "memory", []string{"socap: producer memory: as --producer asks"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := newRunCmd()
			var stderr bytes.Buffer
			cmd.SetErr(&stderr)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			cfg := &pipeline.Config{Dir: dir, Sources: []pipeline.Source{{ID: "wave1", Path: "wave1.csv", Wave: 1}}}
			if tc.calibrate {
				cfg.Design.Calibrate = &pipeline.Calibrate{Margins: "margins.csv", Method: "rake"}
			}
			env := &pipeline.Env{Config: cfg}
			var opts producerFlags
			opts.producer, _ = cmd.Flags().GetString("producer")
			opts.memoryLimit, _ = cmd.Flags().GetString("memory-limit")
			if err := opts.chooseRun(cmd, env, tc.quiet); err != nil {
				t.Fatal(err)
			}
			if env.Producer != tc.producer {
				t.Errorf("Env.Producer %q, want %q", env.Producer, tc.producer)
			}
			got := stderr.String()
			if tc.stderr == nil && got != "" {
				t.Errorf("stderr %q, want nothing", got)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(got, want) {
					t.Errorf("stderr %q lacks %q", got, want)
				}
			}
		})
	}
}
