package reliability_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"socap/indicators/scale"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/reliability"
	"socap/pipeline/score"
)

var update = flag.Bool("update", false, "rewrite testdata/reference/pipeline_reliability_data.csv (then run testdata/reference/pipeline_reliability.R)")

const refDir = "../../testdata/reference"

// TestReliabilityStage runs score and reliability on the built-in example.
func TestReliabilityStage(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	if err := pipeline.Run(ctx, env, &score.Stage{}, &reliability.Stage{}); err != nil {
		t.Fatal(err)
	}
	db := env.Store.DB()
	dims, inputs, err := reliability.Dimensions(env)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range dims {
		ids = append(ids, d.ID)
	}
	if want := []string{"structural", "relational", "cognitive"}; !slices.Equal(ids, want) {
		t.Fatalf("dimensions %v, want %v", ids, want)
	}
	waves, err := design.Load(ctx, env, slices.Concat(inputs, ids), []string{"municipality", "background"})
	if err != nil {
		t.Fatal(err)
	}
	if log := fmt.Sprint(env.Log); !strings.Contains(log, "reliability: 3 dimensions × 2 waves, ") || !strings.Contains(log, "invariance across background") {
		t.Errorf("no summary line in the log:\n%s", log)
	}

	t.Run("whole sample", func(t *testing.T) {
		for _, w := range waves {
			for _, d := range dims {
				items, err := d.ItemColumns(w.Frame, inputs)
				if err != nil {
					t.Fatal(err)
				}
				checkScored(t, w, d, items)
				a, err := scale.Alpha(d.Names(), items)
				if err != nil {
					t.Fatal(err)
				}
				if !(a.Raw > 0) { // e.g. an item reverse coded twice
					t.Errorf("wave %d %s: alpha %v: the items do not point the same way", w.Wave, d.ID, a.Raw)
				}
				ms, err := scale.Accumulate(d.Names(), items, w.Design.Weights(), nil, 1)
				if err != nil {
					t.Fatal(err)
				}
				wa, err := scale.WeightedAlphaOf(ms[0])
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]float64{"alpha": a.Raw, "alpha_std": a.Std, "alpha_weighted": wa, "n": float64(ms[0].Rows), "n_complete": float64(ms[0].N())}
				if o, err := scale.Omega(d.Names(), items); err != nil {
					t.Errorf("wave %d %s: omega: %v", w.Wave, d.ID, err)
				} else {
					want["omega"], want["cfi"], want["rmsea"] = o.Total, o.Fit.CFI, o.Fit.RMSEA
				}
				var got [7]sql.NullFloat64
				var status string
				err = db.QueryRowContext(ctx, `SELECT alpha, alpha_std, alpha_weighted, n, n_complete, omega, cfi, status
					FROM reliability WHERE group_set = 'all' AND wave = ? AND dimension = ?`, w.Wave, d.ID).
					Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &got[5], &got[6], &status)
				if err != nil {
					t.Fatal(err)
				}
				if status != "published" {
					t.Errorf("wave %d %s: status %s", w.Wave, d.ID, status)
				}
				for i, c := range []string{"alpha", "alpha_std", "alpha_weighted", "n", "n_complete", "omega", "cfi"} {
					if !got[i].Valid || math.Abs(got[i].Float64-want[c]) > 1e-12*math.Abs(want[c]) {
						t.Errorf("wave %d %s: %s %v, want %v", w.Wave, d.ID, c, got[i], want[c])
					}
				}
			}
		}
	})

	t.Run("suppressed", func(t *testing.T) {
		minN := env.Config.Disclosure.MinN
		var primary, published int
		for _, w := range waves {
			muni, _ := w.Frame.Strings("municipality")
			bg, _ := w.Frame.Strings("background")
			for _, d := range dims {
				items, err := d.ItemColumns(w.Frame, inputs)
				if err != nil {
					t.Fatal(err)
				}
				complete := map[[2]string]int{}
				for i := range muni {
					if muni[i] != "" && bg[i] != "" && !slices.ContainsFunc(items, func(x []float64) bool { return math.IsNaN(x[i]) }) {
						complete[[2]string{muni[i], bg[i]}]++
					}
				}
				rows, err := db.QueryContext(ctx, `SELECT municipality, background, n_complete, alpha, status, reason FROM reliability
					WHERE group_set = 'municipality+background' AND wave = ? AND dimension = ?`, w.Wave, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var m, b, status string
					var n sql.NullInt64
					var alpha sql.NullFloat64
					var reason sql.NullString
					if err := rows.Scan(&m, &b, &n, &alpha, &status, &reason); err != nil {
						t.Fatal(err)
					}
					c := complete[[2]string{m, b}]
					switch {
					case c < minN:
						primary++
						if status != "primary" || n.Valid || alpha.Valid || reason.String != disclose.PrimaryReason(c, 0, false, disclose.Rules{MinN: minN}) {
							t.Errorf("wave %d %s municipality %s background %s: %d complete: status %s, n %v, alpha %v, reason %q", w.Wave, d.ID, m, b, c, status, n, alpha, reason.String)
						}
					default:
						published++
						if status == "primary" || n.Int64 != int64(c) {
							t.Errorf("wave %d %s municipality %s background %s: %d complete: status %s, n %v", w.Wave, d.ID, m, b, c, status, n)
						}
					}
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
			}
		}
		if primary == 0 || published == 0 {
			t.Errorf("%d suppressed and %d shown groups of municipality × background; want some of each", primary, published)
		}
	})

	t.Run("rerun replaces", func(t *testing.T) {
		count := func() (n [2]int64) {
			for i, tb := range []string{reliability.Table, reliability.InvarianceTable} {
				var runs int64
				if err := db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT run_id), max(run_id) FROM `+tb).Scan(&n[i], &runs, new(int64)); err != nil {
					t.Fatal(err)
				}
				if runs != 1 {
					t.Errorf("%s: %d run ids", tb, runs)
				}
			}
			return n
		}
		before := count()
		for _, tb := range []string{reliability.Table, reliability.InvarianceTable} {
			if _, err := db.ExecContext(ctx, `CREATE TABLE before_`+tb+` AS SELECT * EXCLUDE (run_id) FROM `+tb); err != nil {
				t.Fatal(err)
			}
		}
		if err := pipeline.Run(ctx, env, &reliability.Stage{}); err != nil {
			t.Fatal(err)
		}
		if after := count(); after != before {
			t.Errorf("rows %v after re-running, %v before", after, before)
		}
		for _, tb := range []string{reliability.Table, reliability.InvarianceTable} {
			var differ int
			q := `SELECT count(*) FROM ((SELECT * EXCLUDE (run_id) FROM ` + tb + ` EXCEPT ALL SELECT * FROM before_` + tb + `)
				UNION ALL (SELECT * FROM before_` + tb + ` EXCEPT ALL SELECT * EXCLUDE (run_id) FROM ` + tb + `))`
			if err := db.QueryRowContext(ctx, q).Scan(&differ); err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				t.Errorf("%s: %d rows differ after re-running", tb, differ)
			}
		}
		var run int64
		if err := db.QueryRowContext(ctx, `SELECT min(run_id) FROM reliability`).Scan(&run); err != nil || run != env.RunID {
			t.Errorf("run_id %d, want %d (%v)", run, env.RunID, err)
		}
	})

	t.Run("R", func(t *testing.T) {
		if *update {
			exportWave1(t, waves[0], dims, inputs)
		}
		compareR(t, db)
	})
}

// checkScored checks that the items are those of the published score: where
// every item is answered, the score is the mean of their POMP values.
func checkScored(t *testing.T, w design.Wave, d reliability.Dimension, items [][]float64) {
	t.Helper()
	sc, err := w.Frame.Float(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := range sc {
		mean := 0.0
		for j, it := range d.Items {
			mean += 100 * (items[j][i] - it.Min) / (it.Max - it.Min) / float64(len(items))
		}
		if math.IsNaN(mean) {
			continue
		}
		checked++
		if math.Abs(mean-sc[i]) > 1e-9 {
			t.Fatalf("wave %d %s: respondent %d: score %v, items' POMP mean %v", w.Wave, d.ID, i+1, sc[i], mean)
		}
	}
	if checked == 0 {
		t.Errorf("wave %d %s: no respondent answers every item", w.Wave, d.ID)
	}
}
