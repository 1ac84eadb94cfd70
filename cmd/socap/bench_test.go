package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// benchRow is one row of `socap bench --format json`.
type benchRow struct {
	Step    string   `json:"step"`
	Rows    int      `json:"rows"`
	Wall    float64  `json:"wall_s"`
	CPU     float64  `json:"cpu_s"`
	PeakMiB float64  `json:"peak_mib"`
	RWall   *float64 `json:"r_wall_s"`
}

// runBenchJSON runs bench with args and --format json and decodes its rows.
func runBenchJSON(t *testing.T, args ...string) ([]benchRow, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"bench", "--rows", "3000", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []benchRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	return rows, stderr
}

// checkMeasured checks what every row must hold, whatever the timings.
func checkMeasured(t *testing.T, r benchRow) {
	t.Helper()
	for name, v := range map[string]float64{"wall_s": r.Wall, "cpu_s": r.CPU} {
		if math.IsInf(v, 0) || math.IsNaN(v) || v < 0 {
			t.Errorf("%s: %s = %v, want finite and ≥ 0", r.Step, name, v)
		}
	}
	if r.PeakMiB <= 0 {
		t.Errorf("%s: peak_mib = %v, want > 0", r.Step, r.PeakMiB)
	}
	if r.Rows <= 0 {
		t.Errorf("%s: rows = %d, want > 0", r.Step, r.Rows)
	}
}

// TestBenchReportsEveryStep runs every step and checks the report's shape: the
// steps in run order, each over the rows synth wrote, with measured times and
// memory; and that the temporary data directory is removed.
func TestBenchReportsEveryStep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rows, _ := runBenchJSON(t)
	var steps, stages []string
	for _, r := range rows {
		if stage, ok := strings.CutPrefix(r.Step, "run/"); ok {
			stages = append(stages, stage)
			if !(r.Wall >= 0) {
				t.Errorf("%s: wall_s = %v", r.Step, r.Wall)
			}
			continue
		}
		steps = append(steps, r.Step)
		checkMeasured(t, r)
		if r.Step != "run" && r.Rows != rows[0].Rows { // run draws its own two-wave survey
			t.Errorf("%s: rows = %d, want synth's %d", r.Step, r.Rows, rows[0].Rows)
		}
	}
	if want := []string{"ingest", "harmonize", "design", "score", "reliability", "estimate", "compare", "model", "evaluate", "mentoring", "export", "report"}; !slices.Equal(stages, want) {
		t.Errorf("run's stages %v, want %v", stages, want)
	}
	if !slices.Equal(steps, stepNames()) {
		t.Errorf("steps %v, want %v", steps, stepNames())
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary data left behind: %v", left)
	}
}

// TestBenchRunsPrerequisites asks for glm alone: it runs synth and load first
// but reports glm only, and --keep keeps the data; ingesting twice into a
// kept directory starts from a fresh store each time.
func TestBenchRunsPrerequisites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kept")
	rows, stderr := runBenchJSON(t, "--steps", "glm", "--keep", dir)
	if len(rows) != 1 || rows[0].Step != "glm" {
		t.Fatalf("rows %+v, want glm only", rows)
	}
	checkMeasured(t, rows[0])
	for _, step := range []string{"synth", "load"} {
		if !strings.Contains(stderr, "bench: "+step+"\n") {
			t.Errorf("prerequisite %s did not run; stderr:\n%s", step, stderr)
		}
	}
	for _, name := range []string{"wave1.csv", "margins.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("--keep: %v", err)
		}
	}
	for range 2 {
		if rows, _ := runBenchJSON(t, "--steps", "ingest", "--keep", dir); rows[0].Rows <= 0 {
			t.Errorf("ingest into a kept directory: rows %+v, want a fresh load", rows)
		}
	}
}

// TestBenchWithoutRscript: --r without Rscript on PATH says so and reports
// without R columns.
func TestBenchWithoutRscript(t *testing.T) {
	t.Setenv("PATH", "")
	rows, stderr := runBenchJSON(t, "--steps", "estimate", "--r")
	if !strings.Contains(stderr, "Rscript not found") {
		t.Errorf("stderr does not say Rscript is missing:\n%s", stderr)
	}
	if len(rows) != 1 || rows[0].Step != "estimate" || rows[0].RWall != nil {
		t.Errorf("rows %+v, want estimate without R timings", rows)
	}
}

// TestBenchCoverage runs a two-replication coverage study: every indicator's
// row, shares between 0 and 1 and most intervals covering the truth.
func TestBenchCoverage(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "--coverage", "2", "--rows", "1500", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []struct {
		Intervals string  `json:"intervals"`
		Checked   int     `json:"checked"`
		Covered   int     `json:"covered"`
		Share     float64 `json:"share"`
	}
	_, js, _ := strings.Cut(stdout, "\n")
	if err := json.Unmarshal([]byte(js), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	found := map[string]bool{}
	for _, r := range rows {
		found[r.Intervals] = true
		if r.Covered > r.Checked || r.Checked > 0 && math.Abs(r.Share-float64(r.Covered)/float64(r.Checked)) > 1e-12 {
			t.Errorf("row %+v", r)
		}
		if r.Intervals == "all cells" && (r.Checked < 200 || r.Share < 0.85) {
			t.Errorf("all cells: %d of %d covered", r.Covered, r.Checked)
		}
	}
	for _, want := range []string{"structural", "cognitive", "employment", "all cells", "difference-in-differences"} {
		if !found[want] {
			t.Errorf("no %s row: %s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "2 of 2 replications") {
		t.Errorf("no progress on stderr: %s", stderr)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "synth,fit"}, `unknown step "fit"; known steps: ` + strings.Join(stepNames(), ", ")},
		{[]string{"--steps", ","}, "name at least one of"},
		{[]string{"--rows", "10"}, "--rows"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"extra"}, "accepts 0 arg"},
	} {
		code, _, stderr := runCLI(t, append([]string{"bench"}, tt.args...)...)
		if code != exitBadUse || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming %q", tt.args, code, stderr, exitBadUse, tt.want)
		}
	}
}
