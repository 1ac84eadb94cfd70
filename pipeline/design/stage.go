package design

import (
	"context"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"socap/pipeline"
	"socap/pipeline/store"
)

// Table is the design stage's output: one row per wave describing its design,
// for the methods appendix.
const Table = "designs"

// Stage builds and checks every wave's design (and calibrates it when asked)
// before any estimate is made, so that a design error stops the run here,
// naming the wave and the variable, and records each design in the designs
// table: run_id, wave, kind, weight, strata, psu, fpc, lonely_psu, rows,
// strata_count, psu_count, df, sum_weights, replicates, calibration,
// iterations, g_min, g_max.
type Stage struct {
	waves int
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "design" }

// RowCounts implements pipeline.RowCounter: waves checked and rows written.
func (s *Stage) RowCounts() (in, out int64) { return int64(s.waves), int64(s.waves) }

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	waves, err := Load(ctx, env, nil, nil)
	if err != nil {
		return err
	}
	s.waves = len(waves)
	rows := make([][]driver.Value, len(waves))
	for i, w := range waves {
		rows[i] = summaryRow(env.RunID, w)
	}
	err = env.Store.Replace(ctx, store.Table{Name: Table, Columns: []string{`run_id BIGINT, wave INTEGER, kind VARCHAR,
		weight VARCHAR, strata VARCHAR, psu VARCHAR, fpc VARCHAR, lonely_psu VARCHAR, "rows" BIGINT, strata_count BIGINT,
		psu_count BIGINT, df DOUBLE, sum_weights DOUBLE, replicates VARCHAR, calibration VARCHAR, iterations BIGINT,
		g_min DOUBLE, g_max DOUBLE`}, Rows: store.RowsOf(rows)})
	if err != nil {
		return err
	}
	for _, w := range waves {
		sum := w.Design.Summary()
		line := fmt.Sprintf("design: wave %d: %d respondents, %d strata, %d PSUs, df %g", w.Wave, sum.Rows, sum.NumStrata, sum.NumPSU, sum.DF)
		if c := w.Calibration; c != nil {
			line += fmt.Sprintf("; calibrated (%s, %d iterations, g %.3f–%.3f)", c.Method, c.Iterations, c.GMin, c.GMax)
		}
		fmt.Fprintln(env.Log, line)
	}
	return nil
}

func summaryRow(runID int64, w Wave) []driver.Value {
	s := w.Design.Summary()
	sumW := 0.0
	for _, x := range w.Design.Weights() {
		sumW += x
	}
	var reps, cal, iter, gmin, gmax driver.Value
	if r := s.Replicates; r != nil {
		reps = fmt.Sprintf("%s × %d", r.Type, r.Count)
	}
	if c := w.Calibration; c != nil {
		cal, iter, gmin, gmax = string(c.Method), int64(c.Iterations), c.GMin, c.GMax
	}
	return []driver.Value{runID, int32(w.Wave), s.Kind, s.Weights, s.Strata, strings.Join(s.Clusters, "+"), strings.Join(s.FPC, "+"),
		s.LonelyPSU, int64(s.Rows), int64(s.NumStrata), int64(s.NumPSU), s.DF, sumW, reps, cal, iter, gmin, gmax}
}

// matching lists the columns whose names the regular expression matches.
func matching(cols []string, pattern string) ([]string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("design: replicates: columns %q: %w", pattern, err)
	}
	out := slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return !re.MatchString(c) })
	if len(out) == 0 {
		return nil, fmt.Errorf("design: replicates: no column of respondents matches %q", pattern)
	}
	return out, nil
}
