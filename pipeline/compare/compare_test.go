package compare_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"testing"

	"socap/indicators"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
)

// comparison is one row of the comparisons table.
type comparison struct {
	indicator, kind, group, reference, status string
	variable, verdict                         sql.NullString
	wave                                      int
	refWave                                   sql.NullInt64
	est, refEst, diff, se, lo, hi, df         sql.NullFloat64
}

func (c comparison) String() string {
	return fmt.Sprintf("%s %s wave %d %s %s−%s", c.indicator, c.kind, c.wave, c.variable.String, c.group, c.reference)
}

func readComparisons(t *testing.T, env *pipeline.Env) []comparison {
	t.Helper()
	rows, err := env.Store.DB().Query(`SELECT indicator, kind, "group", reference, status, variable, verdict, wave, reference_wave,
		estimate, reference_estimate, difference, se, ci_low, ci_high, df FROM comparisons
		ORDER BY indicator, kind, wave, variable, "group", reference`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []comparison
	for rows.Next() {
		var c comparison
		if err := rows.Scan(&c.indicator, &c.kind, &c.group, &c.reference, &c.status, &c.variable, &c.verdict, &c.wave, &c.refWave,
			&c.est, &c.refEst, &c.diff, &c.se, &c.lo, &c.hi, &c.df); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompareExample(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	if err := pipeline.Run(ctx, env, &score.Stage{}, &estimate.Stage{}, &compare.Stage{}); err != nil {
		t.Fatal(err)
	}
	got := readComparisons(t, env)
	kinds := map[string]int{}
	for _, c := range got {
		kinds[c.kind+" "+c.status]++
	}
	t.Logf("%d comparisons: %v", len(got), kinds)
	for _, k := range []string{"area published", "group published", "wave published", "area secondary"} {
		if kinds[k] == 0 {
			t.Errorf("no %s comparison", k)
		}
	}

	t.Run("verdict follows the interval, suppressed rows keep no number", func(t *testing.T) {
		for _, c := range got {
			if c.status != "published" {
				if c.diff.Valid || c.se.Valid || c.est.Valid || c.verdict.Valid {
					t.Errorf("%v: suppressed (%s) but has numbers or a verdict", c, c.status)
				}
				continue
			}
			want := compare.Verdict(c.lo.Float64, c.hi.Float64)
			if c.verdict.String != want || !(c.lo.Float64 <= c.diff.Float64 && c.diff.Float64 <= c.hi.Float64) {
				t.Errorf("%v: verdict %q for [%v, %v], want %q", c, c.verdict.String, c.lo.Float64, c.hi.Float64, want)
			}
			if math.Abs(c.est.Float64-c.refEst.Float64-c.diff.Float64) > 1e-9*math.Max(1, math.Abs(c.est.Float64)) {
				t.Errorf("%v: %v − %v ≠ %v", c, c.est.Float64, c.refEst.Float64, c.diff.Float64)
			}
		}
	})

	t.Run("a comparison using a suppressed estimate is suppressed", func(t *testing.T) {
		status := estimateStatus(t, env)
		checked := 0
		for _, c := range got {
			parts := [][3]string{}
			switch c.kind {
			case "area":
				parts = [][3]string{{strconv.Itoa(c.wave), c.variable.String, c.group}, {strconv.Itoa(c.wave), "all", "all"}}
			case "group":
				parts = [][3]string{{strconv.Itoa(c.wave), c.variable.String, c.group}, {strconv.Itoa(c.wave), c.variable.String, c.reference}}
			case "wave":
				set := c.variable.String
				if !c.variable.Valid {
					set = "all"
				}
				parts = [][3]string{{strconv.Itoa(c.wave), set, c.group}, {strconv.Itoa(int(c.refWave.Int64)), set, c.reference}}
			}
			suppressed := false
			for _, p := range parts {
				s, ok := status[c.indicator+"|"+p[0]+"|"+p[1]+"|"+p[2]]
				if !ok {
					t.Fatalf("%v: no estimate %v", c, p)
				}
				suppressed = suppressed || s != "published"
			}
			if suppressed != (c.status != "published") {
				t.Errorf("%v: status %s, parts suppressed: %v", c, c.status, suppressed)
			}
			checked++
		}
		if checked != len(got) {
			t.Errorf("checked %d of %d", checked, len(got))
		}
	})

	t.Run("SEs are the engine's contrasts", func(t *testing.T) {
		waves, outputs := loadExample(t, env)
		cfg := env.Config.Compare.WithDefaults(env.Codebook)
		checked := 0
		for i, c := range got {
			if c.status != "published" || i%3 != 0 {
				continue
			}
			o := outputs[c.indicator]
			var want survey.Contrast
			switch c.kind {
			case "area", "group":
				w := waves[c.wave]
				a := domainOf(t, w, c.variable.String, c.group)
				b := survey.Domain{Name: "all"}
				if c.kind == "group" {
					b = domainOf(t, w, c.variable.String, c.reference)
				}
				ds, err := w.Design.EstimateDomains(o.Request(), []survey.Domain{b, a})
				if err != nil {
					t.Fatal(err)
				}
				if want, err = ds.Difference(1, 0, cfg.Level); err != nil {
					t.Fatal(err)
				}
			case "wave":
				var parts [2]survey.Contrast
				for k, wv := range []int{c.wave, int(c.refWave.Int64)} {
					w := waves[wv]
					d := survey.Domain{Name: "all"}
					if c.variable.Valid {
						d = domainOf(t, w, c.variable.String, c.group)
					}
					ds, err := w.Design.EstimateDomains(o.Request(), []survey.Domain{d})
					if err != nil {
						t.Fatal(err)
					}
					if parts[k], err = ds.Contrast([]float64{1}, cfg.Level); err != nil {
						t.Fatal(err)
					}
				}
				var err error
				if want, err = survey.IndependentDifference(parts[0], parts[1], cfg.Level); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"difference", c.diff.Float64, want.Estimate}, {"se", c.se.Float64, want.SE}, {"ci_low", c.lo.Float64, want.CILow},
				{"ci_high", c.hi.Float64, want.CIHigh}, {"df", c.df.Float64, want.DF}} {
				if math.Abs(f.got-f.want) > 1e-9*math.Max(math.Abs(f.want), 1e-12) {
					t.Errorf("%v: %s %v, engine %v", c, f.name, f.got, f.want)
				}
			}
			if !(want.SE > 0) {
				t.Errorf("%v: SE %v", c, want.SE)
			}
			checked++
		}
		if checked < 50 {
			t.Errorf("checked only %d comparisons", checked)
		}
	})

	t.Run("rerun gives the same table", func(t *testing.T) {
		if err := pipeline.Run(ctx, env, &compare.Stage{}); err != nil {
			t.Fatal(err)
		}
		again := readComparisons(t, env)
		if len(again) != len(got) {
			t.Fatalf("%d rows, then %d", len(got), len(again))
		}
		for i := range got {
			if fmt.Sprintf("%+v", got[i]) != fmt.Sprintf("%+v", again[i]) {
				t.Errorf("row %d: %+v, then %+v", i, got[i], again[i])
			}
		}
	})
}

// estimateStatus is the estimates table's status keyed indicator|wave|set|group
// for the whole sample and one-variable sets.
func estimateStatus(t *testing.T, env *pipeline.Env) map[string]string {
	t.Helper()
	rows, err := env.Store.DB().Query(`SELECT indicator, wave, group_set,
		coalesce(CASE group_set WHEN 'municipality' THEN municipality WHEN 'background' THEN background END, 'all'), status
		FROM estimates WHERE group_set IN ('all', 'municipality', 'background')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ind, set, group, status string
		var wave int
		if err := rows.Scan(&ind, &wave, &set, &group, &status); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s|%d|%s|%s", ind, wave, set, group)] = status
	}
	return out
}

// loadExample loads the example's waves (keyed by wave) and outputs (by id)
// as the stage does.
func loadExample(t *testing.T, env *pipeline.Env) (map[int]design.Wave, map[string]indicators.Output) {
	t.Helper()
	outputs, columns, err := compare.Outputs(env)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := design.Load(context.Background(), env, columns, []string{"background", "municipality", "programme"})
	if err != nil {
		t.Fatal(err)
	}
	waves := map[int]design.Wave{}
	for _, w := range ws {
		waves[w.Wave] = w
	}
	byID := map[string]indicators.Output{}
	for _, o := range outputs {
		byID[o.ID] = o
	}
	return waves, byID
}

// domainOf is the rows of w with variable = value.
func domainOf(t *testing.T, w design.Wave, variable, value string) survey.Domain {
	t.Helper()
	codes, err := w.Frame.Strings(variable)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]bool, len(codes))
	for i, c := range codes {
		rows[i] = c == value
	}
	return survey.Domain{Name: value, Rows: rows}
}
