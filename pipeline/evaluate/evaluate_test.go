package evaluate_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
	"socap/pipeline/synth"
)

type effect struct {
	indicator, status                         string
	verdict, reason                           sql.NullString
	pb, pf, cb, cf, chP, chC, did, se, lo, hi sql.NullFloat64
	df                                        sql.NullFloat64
}

func readEffects(t *testing.T, env *pipeline.Env) []effect {
	t.Helper()
	rows, err := env.Store.DB().Query(`SELECT indicator, status, verdict, reason, programme_baseline, programme_follow_up,
		comparison_baseline, comparison_follow_up, change_programme, change_comparison, did, se, ci_low, ci_high, df
		FROM programme_effects ORDER BY indicator`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []effect
	for rows.Next() {
		var e effect
		if err := rows.Scan(&e.indicator, &e.status, &e.verdict, &e.reason, &e.pb, &e.pf, &e.cb, &e.cf, &e.chP, &e.chC,
			&e.did, &e.se, &e.lo, &e.hi, &e.df); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvaluateExample(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	st := &evaluate.Stage{}
	if err := pipeline.Run(ctx, env, &score.Stage{}, &estimate.Stage{}, st); err != nil {
		t.Fatal(err)
	}
	got := readEffects(t, env)
	outputs, columns, err := compare.Outputs(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(outputs) || st.Repeated != 0 {
		t.Fatalf("%d effects for %d indicators, %d repeated ids; want one each, independent waves", len(got), len(outputs), st.Repeated)
	}

	t.Run("the DiD's interval covers the truth for most indicators", func(t *testing.T) {
		raw, err := os.ReadFile(env.Config.Resolve("data/truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		var truth synth.Truth
		if err := json.Unmarshal(raw, &truth); err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{}
		for _, e := range truth.Programme.IndicatorDiD {
			if len(e.By) == 0 {
				want[e.Variable] = e.Estimate
			}
		}
		covered, compared := 0, 0
		for _, e := range got {
			tr, ok := want[e.indicator]
			if !ok || e.status != "published" {
				continue
			}
			compared++
			in := e.lo.Float64 <= tr && tr <= e.hi.Float64
			if in {
				covered++
			}
			t.Logf("%s: DiD %.3f [%.3f, %.3f], truth %.3f, covered %v", e.indicator, e.did.Float64, e.lo.Float64, e.hi.Float64, tr, in)
		}
		if compared < len(outputs)/2 || float64(covered) < 0.75*float64(compared) {
			t.Errorf("the interval covers the truth for %d of %d indicators", covered, compared)
		}
	})

	t.Run("numbers are the engine's", func(t *testing.T) {
		ws, err := design.Load(ctx, env, columns, []string{"programme"})
		if err != nil {
			t.Fatal(err)
		}
		level := env.Config.Compare.WithDefaults(env.Codebook).Level
		byID := map[string]effect{}
		for _, e := range got {
			byID[e.indicator] = e
		}
		for _, o := range outputs {
			e, ok := byID[o.ID]
			if !ok {
				t.Fatalf("no effect of %s", o.ID)
			}
			if e.status != "published" {
				continue
			}
			// comparison first, then programme: the other order from the stage's
			var diffs, pChange [2]survey.Contrast
			for k, w := range ws {
				codes, err := w.Frame.Strings("programme")
				if err != nil {
					t.Fatal(err)
				}
				p, c := make([]bool, len(codes)), make([]bool, len(codes))
				for j, v := range codes {
					p[j], c[j] = v == "1.0" || v == "1", v == "0.0" || v == "0"
				}
				ds, err := w.Design.EstimateDomains(o.Request(), []survey.Domain{{Name: "c", Rows: c}, {Name: "p", Rows: p}})
				if err != nil {
					t.Fatal(err)
				}
				if diffs[k], err = ds.Difference(1, 0, level); err != nil {
					t.Fatal(err)
				}
				if pChange[k], err = ds.Contrast([]float64{0, 1}, level); err != nil {
					t.Fatal(err)
				}
			}
			did, _ := survey.IndependentDifference(diffs[1], diffs[0], level)
			chP, _ := survey.IndependentDifference(pChange[1], pChange[0], level)
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"did", e.did.Float64, did.Estimate}, {"se", e.se.Float64, did.SE}, {"ci_low", e.lo.Float64, did.CILow},
				{"ci_high", e.hi.Float64, did.CIHigh}, {"df", e.df.Float64, did.DF}, {"change_programme", e.chP.Float64, chP.Estimate},
				{"did from the estimates", e.did.Float64, (e.pf.Float64 - e.pb.Float64) - (e.cf.Float64 - e.cb.Float64)}} {
				if math.Abs(f.got-f.want) > 1e-9*math.Max(math.Abs(f.want), 1e-9) {
					t.Errorf("%s %s: %v, engine %v", o.ID, f.name, f.got, f.want)
				}
			}
			if v := compare.Verdict(e.lo.Float64, e.hi.Float64); e.verdict.String != v || !(e.se.Float64 > 0) {
				t.Errorf("%s: verdict %q, se %v; want %q", o.ID, e.verdict.String, e.se.Float64, v)
			}
		}
	})

	t.Run("rerun gives the same table", func(t *testing.T) {
		if err := pipeline.Run(ctx, env, &evaluate.Stage{}); err != nil {
			t.Fatal(err)
		}
		if a, b := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", readEffects(t, env)); a != b {
			t.Errorf("rerun differs:\n%s\n%s", a, b)
		}
	})

	t.Run("suppressed cells suppress the effect", func(t *testing.T) {
		strict := disclose.Rules{MinN: 10000, MinCount: 3, Protection: 0.2} // more than a wave has
		if err := pipeline.Run(ctx, env, &evaluate.Stage{Rules: strict}); err != nil {
			t.Fatal(err)
		}
		for _, e := range readEffects(t, env) {
			if e.status != "secondary" || e.reason.String == "" || e.did.Valid || e.se.Valid || e.pb.Valid || e.verdict.Valid {
				t.Errorf("%s: %+v, want suppressed without numbers", e.indicator, e)
			}
		}
	})
}
