package design

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/sqlsums"
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
	var waves []described
	var err error
	if env.Producer == "duckdb" {
		waves, err = describeInStore(ctx, env)
		if errors.Is(err, ErrCalibrated) || errors.Is(err, errWeightsInMemory) {
			fmt.Fprintf(env.Log, "design: producer duckdb: %v; this stage reads the design's columns into memory\n", err)
			waves = nil
		} else if err != nil {
			return err
		}
	}
	if waves == nil {
		if waves, err = describeLoaded(ctx, env); err != nil {
			return err
		}
	}
	s.waves = len(waves)
	rows := make([][]driver.Value, len(waves))
	for i, w := range waves {
		rows[i] = w.row(env.RunID)
	}
	err = env.Store.Replace(ctx, store.Table{Name: Table, Columns: []string{`run_id BIGINT, wave INTEGER, kind VARCHAR,
		weight VARCHAR, strata VARCHAR, psu VARCHAR, fpc VARCHAR, lonely_psu VARCHAR, "rows" BIGINT, strata_count BIGINT,
		psu_count BIGINT, df DOUBLE, sum_weights DOUBLE, replicates VARCHAR, calibration VARCHAR, iterations BIGINT,
		g_min DOUBLE, g_max DOUBLE`}, Rows: store.RowsOf(rows)})
	if err != nil {
		return err
	}
	for _, w := range waves {
		sum := w.summary
		line := fmt.Sprintf("design: wave %d: %d respondents, %d strata, %d PSUs, df %g", w.wave, sum.Rows, sum.NumStrata, sum.NumPSU, sum.DF)
		if c := w.calibration; c != nil {
			line += fmt.Sprintf("; calibrated (%s, %d iterations, g %.3f–%.3f)", c.Method, c.Iterations, c.GMin, c.GMax)
		}
		fmt.Fprintln(env.Log, line)
	}
	return nil
}

// described is what the designs table says of one wave's design.
type described struct {
	wave        int
	summary     survey.Summary
	sumWeights  float64
	calibration *survey.CalReport
}

// describeLoaded builds every wave's design from the respondents in memory (Load).
func describeLoaded(ctx context.Context, env *pipeline.Env) ([]described, error) {
	waves, err := Load(ctx, env, nil, nil)
	if err != nil {
		return nil, err
	}
	out := make([]described, len(waves))
	for i, w := range waves {
		sumW := 0.0
		for _, x := range w.Design.Weights() {
			sumW += x
		}
		out[i] = described{wave: w.Wave, summary: w.Design.Summary(), sumWeights: sumW, calibration: w.Calibration}
	}
	return out, nil
}

// errWeightsInMemory: a design without a weight column has its weights computed
// by the engine (from the fpc), which the store's tables do not hold.
var errWeightsInMemory = errors.New("the design's weights come from its fpc (no weight column), which the engine computes in memory")

// describeInStore builds every wave's design on its table of the store
// (sqlsums.Design: the checks and the table of units by one GROUP BY, so that
// only the units enter Go), the rows and the sum of the weights counted by
// DuckDB.
func describeInStore(ctx context.Context, env *pipeline.Env) ([]described, error) {
	tables, err := Tables(ctx, env, nil, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, t := range tables {
			t.Drop(context.WithoutCancel(ctx))
		}
	}()
	var out []described
	for _, tw := range tables {
		if tw.Spec.Weights == "" && len(tw.Spec.FPC) > 0 {
			return nil, errWeightsInMemory
		}
		d, _, err := sqlsums.Design(ctx, tw.Table, tw.Spec)
		if err != nil {
			return nil, fmt.Errorf("wave %d: %w", tw.Wave, err)
		}
		weight := "1"
		if tw.Spec.Weights != "" {
			weight = tw.Table.Expr(tw.Spec.Weights, true)
		}
		var rows int64
		var sumW float64
		q := "SELECT count(*), coalesce(fsum(" + weight + "), 0) FROM " + tw.Table.From()
		if err := env.Store.DB().QueryRowContext(ctx, q).Scan(&rows, &sumW); err != nil {
			return nil, fmt.Errorf("wave %d: %w", tw.Wave, err)
		}
		sum := d.Summary()
		sum.Rows = int(rows)
		out = append(out, described{wave: tw.Wave, summary: sum, sumWeights: sumW})
	}
	return out, nil
}

// row is the wave's row of the designs table.
func (w described) row(runID int64) []driver.Value {
	s := w.summary
	var reps, cal, iter, gmin, gmax driver.Value
	if r := s.Replicates; r != nil {
		reps = fmt.Sprintf("%s × %d", r.Type, r.Count)
	}
	if c := w.calibration; c != nil {
		cal, iter, gmin, gmax = string(c.Method), int64(c.Iterations), c.GMin, c.GMax
	}
	return []driver.Value{runID, int32(w.wave), s.Kind, s.Weights, s.Strata, strings.Join(s.Clusters, "+"), strings.Join(s.FPC, "+"),
		s.LonelyPSU, int64(s.Rows), int64(s.NumStrata), int64(s.NumPSU), s.DF, w.sumWeights, reps, cal, iter, gmin, gmax}
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
