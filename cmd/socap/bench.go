package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/coverage"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
	"socap/pipeline/synth"
)

type benchOptions struct {
	rows     int
	coverage int
	seed     uint64
	steps    []string
	r        bool
	keep     string
	format   string
}

func newBenchCmd() *cobra.Command {
	opts := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time socap's pipeline and estimators on a synthetic survey of a chosen size",
		Long: `bench generates a synthetic survey (as socap synth, one wave, skipped items
blank) as CSV into a temporary directory and times each step on it:

  synth      writing the CSV
  ingest     loading it into a fresh store (the ingest stage of socap ingest)
  harmonize  harmonising it through the builtin:ilag codebook
  load       reading the CSV into columns and building the design (weights,
             strata = municipality, PSU = area, fpc), as estimate, glm and
             calibrate do before they compute (R's read.csv + svydesign)
  estimate   means of six items by municipality with Taylor SEs (socap estimate)
  glm        a survey-weighted logistic regression of employment on
             social-capital items and background (socap glm)
  rake       raking to the population margins synth writes (socap calibrate)
  run        socap run on its own synthetic survey of --rows respondents over
             two waves (Parquet), every module, the truth's 12 group sets:
             one row per stage (from the runs table) and one for the whole
             run; the peak memory is the process's, so time run alone
             (--steps run) to read it as the run's

Steps run in that order; a step runs the steps it reads from first (estimate,
glm and rake need synth and load; harmonize needs ingest) but only the
requested steps are reported. Each row gives the rows processed, wall and CPU
seconds (user + system, every thread) and the process's peak resident memory
so far.

With --r, when Rscript and R's survey package are installed, the same
estimate, glm and rake run in R on the same CSV (only svyby/svymean, svyglm
and rake are timed, not read.csv or svydesign), and the rows gain R's seconds
and the speedups (R / socap). The R script is bench.R in the data directory.

With --coverage N it instead runs the coverage study: N synthetic surveys of
--rows respondents (seeds --seed, --seed+1, …) through the pipeline, and
reports the share of published 95 % confidence intervals that contain the
population value truth.json holds, per indicator, for the programme's
difference-in-differences and for the employment AMEs (target: 93–97 %).`,
		Example: "  socap bench\n  socap bench --rows 200000 --steps estimate,glm --r\n  socap bench --keep bench-data --format json",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.rows, "rows", 1_000_000, "expected number of respondents (with --coverage: of each replication; default 3000 there)")
	f.IntVar(&opts.coverage, "coverage", 0, "run the coverage study over this many replications instead of timing")
	f.Uint64Var(&opts.seed, "seed", 1, "random seed of the synthetic survey")
	f.StringSliceVar(&opts.steps, "steps", stepNames(), "steps to time, comma separated")
	f.BoolVar(&opts.r, "r", false, "also time estimate, glm and rake in R (Rscript with the survey package)")
	f.StringVar(&opts.keep, "keep", "", "write the data into this directory and keep it (default: a temporary directory, removed)")
	addFormatFlag(cmd, &opts.format)
	return cmd
}

// The benchmark's workload: the synthetic sample's design (municipalities as
// strata, areas as PSUs with the number of areas as fpc; a single-PSU stratum,
// possible in small samples, is centred at the grand mean in socap and in R)
// and the analyses timed in socap and in R.
var (
	benchDesign = designFlags{weight: "weight", strata: "stratum", psu: []string{"psu"}, fpc: []string{"fpc"},
		lonely: string(survey.LonelyAdjust)}
	benchMeans   = []string{"trust_people", "trust_municipality", "friends", "meet_friends", "belonging", "qol"}
	benchBy      = "municipality"
	benchFormula = "employed ~ friends_nor + org_member + trust_people + meet_friends + confide + " +
		"factor(age_group) + factor(gender) + factor(education) + factor(background)"
)

// benchConfig is the project bench ingests: the one synthetic wave through the
// builtin codebook.
const benchConfig = `project: socap bench
store: socap.duckdb
codebook: builtin:ilag
sources:
  - {id: wave1, path: wave1.csv, wave: 1}
`

// benchStep is one timed step and the step whose output it reads.
type benchStep struct {
	name  string
	needs string
	run   func(b *bench, ctx context.Context) (rows int, detail string, err error)
}

// benchSteps are the steps in the order they run; a step needs an earlier one.
var benchSteps = []benchStep{
	{"synth", "", (*bench).synth},
	{"ingest", "synth", (*bench).ingest},
	{"harmonize", "ingest", (*bench).harmonize},
	{"load", "synth", (*bench).load},
	{"estimate", "load", (*bench).estimate},
	{"glm", "load", (*bench).glm},
	{"rake", "load", (*bench).rake},
	{"run", "", (*bench).run},
}

// rSteps are the steps that --r times in R too.
var rSteps = []string{"estimate", "glm", "rake"}

// stepNames are the names of benchSteps, in run order.
func stepNames() []string {
	names := make([]string, len(benchSteps))
	for k, s := range benchSteps {
		names[k] = s.name
	}
	return names
}

// plan returns the steps to run (the requested ones and what they need, in
// run order) and which of them to report.
func plan(requested []string) ([]benchStep, map[string]bool, error) {
	report := map[string]bool{}
	for _, name := range trimAll(requested) {
		if !slices.Contains(stepNames(), name) {
			return nil, nil, usageErrorf("--steps: unknown step %q; known steps: %s", name, strings.Join(stepNames(), ", "))
		}
		report[name] = true
	}
	if len(report) == 0 {
		return nil, nil, usageErrorf("--steps: name at least one of %s", strings.Join(stepNames(), ", "))
	}
	need := maps.Clone(report)
	for k := len(benchSteps) - 1; k >= 0; k-- {
		if s := benchSteps[k]; need[s.name] && s.needs != "" {
			need[s.needs] = true
		}
	}
	var run []benchStep
	for _, s := range benchSteps {
		if need[s.name] {
			run = append(run, s)
		}
	}
	return run, report, nil
}

// benchResult is one reported step.
type benchResult struct {
	step        string
	rows        int
	wall, cpu   float64 // seconds
	peakMiB     float64
	detail      string
	rWall, rCPU float64 // R's seconds; 0 when not timed
	stage       bool    // a stage of the run step
}

func runBench(cmd *cobra.Command, opts benchOptions) error {
	if err := checkFormat(opts.format); err != nil {
		return err
	}
	if opts.coverage > 0 {
		return runCoverage(cmd, opts)
	}
	steps, report, err := plan(opts.steps)
	if err != nil {
		return err
	}
	b := &bench{sample: synth.Options{Respondents: opts.rows, Waves: 1, Seed: opts.seed, BlankMissing: true}}
	if err := b.sample.Check(); err != nil {
		return usageErrorf("--rows: %w", err)
	}
	log := cmd.ErrOrStderr()
	if b.dir, err = benchDir(opts.keep); err != nil {
		return err
	}
	defer b.close(opts.keep == "")
	var results []benchResult
	for _, s := range steps {
		fmt.Fprintf(log, "bench: %s\n", s.name)
		res, err := measure(func() (int, string, error) { return s.run(b, cmd.Context()) })
		if err != nil {
			return fmt.Errorf("bench %s: %w", s.name, err)
		}
		if report[s.name] {
			res.step = s.name
			results = append(results, b.stageResults...)
			results = append(results, res)
		}
		b.stageResults = nil
	}
	withR := opts.r && b.timeR(cmd.Context(), results, log)
	if opts.keep != "" {
		fmt.Fprintf(log, "bench: data kept in %s\n", b.dir)
	}
	return writeBench(cmd.OutOrStdout(), opts.format, results, withR)
}

// benchDir is keep (created if needed) or a new temporary directory.
func benchDir(keep string) (string, error) {
	if keep == "" {
		return os.MkdirTemp("", "socap-bench-")
	}
	return keep, os.MkdirAll(keep, 0o755)
}

// measure runs one step and records its wall and CPU time and the peak
// memory after it.
func measure(step func() (int, string, error)) (benchResult, error) {
	cpu0, _, err := rusage()
	if err != nil {
		return benchResult{}, err
	}
	start := time.Now()
	rows, detail, err := step()
	if err != nil {
		return benchResult{}, err
	}
	wall := time.Since(start).Seconds()
	cpu, peak, err := rusage()
	return benchResult{rows: rows, wall: wall, cpu: cpu - cpu0, peakMiB: peak, detail: detail}, err
}

// bench is the state the steps pass on: the data directory, the synthetic
// files, the project store and the loaded design.
type bench struct {
	sample  synth.Options
	dir     string
	files   *synth.Files
	project *project
	design  *survey.Design
	// stageResults are the run step's stages, reported before it.
	stageResults []benchResult
}

// close closes the store and, when remove is set, deletes the data directory.
func (b *bench) close(remove bool) {
	if b.project != nil {
		b.project.Close()
	}
	if remove {
		os.RemoveAll(b.dir)
	}
}

// synth writes the survey as CSV (synth.WriteDir, as socap synth does).
func (b *bench) synth(_ context.Context) (int, string, error) {
	truth, files, err := synth.WriteDir(b.sample, b.dir, synth.FormatCSV)
	if err != nil {
		return 0, "", err
	}
	b.files = files
	st, err := os.Stat(files.Waves[0])
	if err != nil {
		return 0, "", err
	}
	return truth.Achieved[0], fmt.Sprintf("%s, %.3g MiB", filepath.Base(files.Waves[0]), float64(st.Size())/(1<<20)), nil
}

// ingest writes socap.yaml, opens the project's store (removing one a kept
// directory holds from an earlier run) and runs the ingest stage.
func (b *bench) ingest(ctx context.Context) (int, string, error) {
	config := filepath.Join(b.dir, "socap.yaml")
	if err := os.WriteFile(config, []byte(benchConfig), 0o644); err != nil {
		return 0, "", err
	}
	for _, old := range []string{"socap.duckdb", "socap.duckdb.wal"} {
		if err := os.Remove(filepath.Join(b.dir, old)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, "", err
		}
	}
	p, err := openProject(ctx, config, nil, true)
	if err != nil {
		return 0, "", err
	}
	b.project = p
	stage := &ingest.Stage{}
	if err := pipeline.Run(ctx, p.env, stage); err != nil {
		return 0, "", err
	}
	_, out := stage.RowCounts()
	return int(out), "raw table in socap.duckdb", nil
}

// harmonize runs the harmonise stage on the ingested source.
func (b *bench) harmonize(ctx context.Context) (int, string, error) {
	stage := &harmonize.Stage{}
	if err := pipeline.Run(ctx, b.project.env, stage); err != nil {
		return 0, "", err
	}
	in, out := stage.RowCounts()
	return int(in), fmt.Sprintf("%d respondents, %d rows rejected", out, in-out), nil
}

// load reads every column of the CSV and builds the design, as estimate, glm
// and calibrate do.
func (b *bench) load(ctx context.Context) (int, string, error) {
	path := b.files.Waves[0]
	frame, err := loadFrame(ctx, path, nil, inputFlags{})
	if err != nil {
		return 0, "", err
	}
	spec, err := benchDesign.spec()
	if err != nil {
		return 0, "", err
	}
	if b.design, err = benchDesign.build(path, frame, spec); err != nil {
		return 0, "", err
	}
	s := b.design.Summary()
	return frame.Rows(), fmt.Sprintf("%d columns, %d strata, %d PSUs", len(frame.Names()), s.NumStrata, s.NumPSU), nil
}

// estimate computes the means of benchMeans by municipality with Taylor SEs.
func (b *bench) estimate(_ context.Context) (int, string, error) {
	var reqs []survey.Request
	for _, v := range benchMeans {
		reqs = append(reqs, survey.Request{Statistic: survey.Mean, Variable: v})
	}
	recs, err := b.design.Estimate(reqs, survey.Options{By: []string{benchBy}})
	if err != nil {
		return 0, "", err
	}
	return b.design.Rows(), fmt.Sprintf("%d means by %s: %d estimates", len(benchMeans), benchBy, len(recs)), nil
}

// glm fits benchFormula, quasibinomial, with sandwich SEs.
func (b *bench) glm(_ context.Context) (int, string, error) {
	fit, err := b.design.GLM(benchFormula, survey.GLMOptions{Family: survey.Quasibinomial})
	if err != nil {
		return 0, "", err
	}
	return b.design.Rows(), fmt.Sprintf("%d coefficients, %d complete rows, %d iterations", len(fit.Coef), fit.N, fit.Iterations), nil
}

// rake rakes the design's weights to margins.csv (every margin synth writes).
func (b *bench) rake(_ context.Context) (int, string, error) {
	margins, err := readMargins(b.files.Margins)
	if err != nil {
		return 0, "", err
	}
	_, rep, err := b.design.Calibrate(survey.CalOptions{Method: survey.Rake, Margins: margins})
	if err != nil {
		return 0, "", err
	}
	return b.design.Rows(), fmt.Sprintf("%d margin levels, %d sweeps", len(margins), rep.Iterations), nil
}

// timeR runs the estimate, glm and rake of results in R on the same CSV
// (benchR) and fills their R seconds. It reports whether R ran; when Rscript
// is missing it says so on log, and R's own messages (a missing survey
// run is socap run on a two-wave synthetic survey of its own (Parquet, the
// truth's 12 group sets), in a subdirectory; its stages' times come from the
// runs table.
func (b *bench) run(ctx context.Context) (int, string, error) {
	dir := filepath.Join(b.dir, "run")
	sample := b.sample
	sample.Waves, sample.BlankMissing = 2, false
	truth, files, err := synth.WriteDir(sample, dir, synth.FormatParquet)
	if err != nil {
		return 0, "", err
	}
	config := filepath.Join(dir, "socap.yaml")
	if err := os.WriteFile(config, []byte(coverage.ProjectFile(truth, files)), 0o644); err != nil {
		return 0, "", err
	}
	p, err := openProject(ctx, config, nil, true)
	if err != nil {
		return 0, "", err
	}
	defer p.Close()
	s := newRunStages()
	if err := pipeline.Run(ctx, p.env, s.all...); err != nil {
		return 0, "", err
	}
	rows, err := p.env.Store.DB().QueryContext(ctx, `SELECT stage, epoch(finished_at) - epoch(started_at), rows_in, rows_out
		FROM runs WHERE run_id = ? ORDER BY started_at, stage`, p.env.RunID)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var stage string
		var secs float64
		var in, out *int64
		if err := rows.Scan(&stage, &secs, &in, &out); err != nil {
			return 0, "", err
		}
		r := benchResult{step: "run/" + stage, wall: secs, stage: true, detail: "stage of socap run"}
		if in != nil && out != nil {
			r.rows, r.detail = int(*in), fmt.Sprintf("%d in, %d out", *in, *out)
		}
		b.stageResults = append(b.stageResults, r)
	}
	t := s.estimate.Report().Totals
	n := 0
	for _, a := range truth.Achieved {
		n += a
	}
	return n, fmt.Sprintf("2 waves, %d estimates (%d suppressed), %d files", t.Cells, t.Suppressed, len(s.export.Files())), rows.Err()
}

// runCoverage runs the coverage study (pipeline/coverage.Study) and prints
// the share of intervals covering the truth.
func runCoverage(cmd *cobra.Command, opts benchOptions) error {
	rows := opts.rows
	if !cmd.Flags().Changed("rows") {
		rows = 3000
	}
	sample := synth.Options{Respondents: rows, Waves: 2, Seed: opts.seed}
	if err := sample.Check(); err != nil {
		return usageErrorf("--rows: %w", err)
	}
	dir, err := benchDir(opts.keep)
	if err != nil {
		return err
	}
	if opts.keep == "" {
		defer os.RemoveAll(dir)
	}
	log := cmd.ErrOrStderr()
	start := time.Now()
	res, err := coverage.Study(cmd.Context(), dir, coverage.Options{Survey: sample, Models: true}, opts.coverage, func(done int, sofar *coverage.Result) {
		all := sofar.AllCells()
		fmt.Fprintf(log, "bench: coverage: %d of %d replications, %.1f %% of %d intervals so far (%.0f s)\n",
			done, opts.coverage, 100*all.Share(), all.Checked, time.Since(start).Seconds())
	})
	if err != nil {
		return err
	}
	t := &table{Columns: []string{"intervals", "checked", "covered", "share"}}
	add := func(name string, c coverage.Count) { t.add(name, c.Checked, c.Covered, c.Share()) }
	for _, id := range slices.Sorted(maps.Keys(res.Cells)) {
		add(id, *res.Cells[id])
	}
	add("all cells", res.AllCells())
	add("difference-in-differences", res.DiD)
	add("employment AMEs by origin", res.AMEs)
	fmt.Fprintf(cmd.OutOrStdout(), "Coverage of 95 %% confidence intervals over %d replications of %d respondents (2 waves):\n", opts.coverage, rows)
	return t.write(cmd.OutOrStdout(), opts.format)
}

// package, warnings) go to log too.
func (b *bench) timeR(ctx context.Context, results []benchResult, log io.Writer) bool {
	var steps []string
	for _, r := range results {
		if slices.Contains(rSteps, r.step) {
			steps = append(steps, r.step)
		}
	}
	if len(steps) == 0 {
		fmt.Fprintf(log, "bench: --r times only %s; none was requested\n", strings.Join(rSteps, ", "))
		return false
	}
	if _, err := exec.LookPath("Rscript"); err != nil {
		fmt.Fprintln(log, "bench: Rscript not found on PATH; no R timings")
		return false
	}
	script := filepath.Join(b.dir, "bench.R")
	if err := os.WriteFile(script, []byte(benchR(b.files, steps)), 0o644); err != nil {
		fmt.Fprintf(log, "bench: no R timings: %v\n", err)
		return false
	}
	fmt.Fprintf(log, "bench: R %s\n", strings.Join(steps, ", "))
	rscript := exec.CommandContext(ctx, "Rscript", script)
	rscript.Stderr = log // R's errors and warnings
	out, err := rscript.Output()
	if err != nil {
		fmt.Fprintf(log, "bench: no R timings: Rscript %s: %v\n", script, err)
		return false
	}
	times := parseRTimes(out)
	for k, r := range results {
		if t, ok := times[r.step]; ok {
			results[k].rWall, results[k].rCPU = t[0], t[1]
		}
	}
	return true
}

// benchR is an R script that reads files' CSV, builds benchDesign with
// svydesign and prints "step elapsed cpu" for each of steps, timing only the
// estimation itself.
func benchR(files *synth.Files, steps []string) string {
	means := make([]string, len(benchMeans))
	for k, v := range benchMeans {
		means[k] = strconv.Quote(v)
	}
	return fmt.Sprintf(`suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
d <- read.csv(%[1]q)
des <- svydesign(ids = ~%[2]s, strata = ~%[3]s, weights = ~%[4]s, fpc = ~%[5]s, data = d)
m <- read.csv(%[6]q, colClasses = c("character", "character", "numeric"))
vars <- unique(m$variable)
population <- lapply(vars, function(v) setNames(m[m$variable == v, c("level", "total")], c(v, "Freq")))
sample <- lapply(vars, function(v) as.formula(paste0("~", v)))
timed <- function(step, expr) {
  t <- system.time(expr)
  cat(step, t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], "\n")
}
steps <- c(%[7]s)
if ("estimate" %%in%% steps) timed("estimate", for (v in c(%[8]s))
  svyby(as.formula(paste0("~", v)), ~%[9]s, des, svymean, na.rm = TRUE))
if ("glm" %%in%% steps) timed("glm", svyglm(%[10]s, des, family = quasibinomial()))
if ("rake" %%in%% steps) timed("rake", rake(des, sample, population, control = list(maxit = 100, epsilon = 1e-10)))
`, files.Waves[0], benchDesign.psu[0], benchDesign.strata, benchDesign.weight, benchDesign.fpc[0], files.Margins,
		`"`+strings.Join(steps, `", "`)+`"`, strings.Join(means, ", "), benchBy, benchFormula)
}

// parseRTimes reads benchR's "step elapsed cpu" lines.
func parseRTimes(out []byte) map[string][2]float64 {
	times := map[string][2]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || !slices.Contains(rSteps, f[0]) {
			continue
		}
		wall, err1 := strconv.ParseFloat(f[1], 64)
		cpu, err2 := strconv.ParseFloat(f[2], 64)
		if err1 == nil && err2 == nil {
			times[f[0]] = [2]float64{wall, cpu}
		}
	}
	return times
}

// writeBench prints one row per reported step; withR adds R's seconds and
// the speedups to the rows R timed.
func writeBench(w io.Writer, format string, results []benchResult, withR bool) error {
	cols := []string{"step", "rows", "wall_s", "cpu_s", "peak_mib"}
	if withR {
		cols = append(cols, "r_wall_s", "r_cpu_s", "speedup_wall", "speedup_cpu")
	}
	t := &table{Columns: append(cols, "detail")}
	for _, r := range results {
		row := []any{r.step, r.rows, r.wall, r.cpu, r.peakMiB}
		if r.stage {
			row[3], row[4] = nil, nil // a stage of run: only its wall time is recorded
		}
		if withR {
			row = append(row, rCells(r)...)
		}
		t.add(append(row, r.detail)...)
	}
	return t.write(w, format)
}

// rCells are R's wall and CPU seconds and the speedups R / socap, or empty
// cells when R did not time the step.
func rCells(r benchResult) []any {
	if r.rWall == 0 && r.rCPU == 0 {
		return []any{nil, nil, nil, nil}
	}
	return []any{r.rWall, r.rCPU, ratio(r.rWall, r.wall), ratio(r.rCPU, r.cpu)}
}

// ratio is a/b, or an empty cell when b is too small to measure.
func ratio(a, b float64) any {
	if b <= 0 {
		return nil
	}
	return a / b
}
