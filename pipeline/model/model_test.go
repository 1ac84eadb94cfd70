package model

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
	"socap/pipeline/synth"
)

var update = flag.Bool("update", false, "rewrite testdata/reference/pipeline_model_data.csv (then run testdata/reference/pipeline_model.R)")

const refDir = "../../testdata/reference"

// effectRow is a row of marginal_effects.
type effectRow struct {
	wave                             int
	model, variable, term, by, group string
	level                            sql.NullString
	estimate, se, low, high          sql.NullFloat64
	df                               float64
	n                                sql.NullInt64
	status, reason                   string
}

func effects(t *testing.T, db *sql.DB) []effectRow {
	t.Helper()
	rows, err := db.Query(`SELECT wave, model, variable, term, coalesce(by_variable, ''), by_group, level, estimate, se, ci_low, ci_high,
		df, n, status, coalesce(reason, '') FROM marginal_effects ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []effectRow
	for rows.Next() {
		var r effectRow
		if err := rows.Scan(&r.wave, &r.model, &r.variable, &r.term, &r.by, &r.group, &r.level, &r.estimate, &r.se, &r.low, &r.high,
			&r.df, &r.n, &r.status, &r.reason); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// values maps "model|kind|term|group" to estimate, se, ci_low, ci_high, df of
// wave 1's rows of the three tables (kind coef, test, ame, rate).
func values(t *testing.T, db *sql.DB) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	q := func(query string) {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var v [5]sql.NullFloat64
			if err := rows.Scan(&key, &v[0], &v[1], &v[2], &v[3], &v[4]); err != nil {
				t.Fatal(err)
			}
			x := make([]float64, 5)
			for i := range v {
				x[i] = math.NaN()
				if v[i].Valid {
					x[i] = v[i].Float64
				}
			}
			out[key] = x
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT model || '|coef|' || term || '|', estimate, se, ci_low, ci_high, p FROM coefficients WHERE wave = 1`)
	q(`SELECT model || '|test|' || test_term || '|', test_statistic, test_df, test_ddf, test_p, n FROM models WHERE wave = 1 AND test_term IS NOT NULL`)
	q(`SELECT model || '|n||', n, df_residual, NULL, NULL, NULL FROM models WHERE wave = 1`)
	q(`SELECT model || CASE WHEN model = 'rate' THEN '|rate|' || variable || '=' || level ELSE '|ame|' || term END || '|' || by_group,
		estimate, se, ci_low, ci_high, df FROM marginal_effects WHERE wave = 1`)
	return out
}

func TestModelStage(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	db := env.Store.DB()
	if err := pipeline.Run(ctx, env, &score.Stage{}, &Stage{}); err != nil {
		t.Fatal(err)
	}
	first := effects(t, db)
	m := env.Config.Models.WithDefaults(env.Codebook)

	t.Run("tables", func(t *testing.T) {
		var models, coefs, tests int
		if err := db.QueryRow(`SELECT count(DISTINCT (wave, model)), count(*) FILTER (test_term IS NOT NULL) FROM models WHERE status = 'ok' AND converged`).Scan(&models, &tests); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM coefficients`).Scan(&coefs); err != nil {
			t.Fatal(err)
		}
		// 2 waves × (adjusted, heterogeneity, dimensions_employed, dimensions_qol);
		// tests: 2 exposures + 2 × 3 scores per wave
		if models != 8 || tests != 16 || coefs == 0 {
			t.Errorf("models %d (want 8), tests %d (want 16), coefficients %d", models, tests, coefs)
		}
		for _, e := range first {
			if e.status != "published" || !e.estimate.Valid || !(e.low.Float64 < e.estimate.Float64 && e.estimate.Float64 < e.high.Float64) {
				t.Errorf("%+v: want a published estimate inside its interval", e)
			}
		}
	})

	t.Run("engine", func(t *testing.T) {
		// the heterogeneity model of wave 1 and a rate, fitted here with the engine
		waves, err := design.Load(ctx, env, []string{"employed", "friends_nor", "org_member", "education", "years_norway", "age", "gender", "country_group", "background"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f := waves[0].Frame
		bg, _ := f.Float("background")
		keep := make([]bool, len(bg))
		for i, b := range bg {
			keep[i] = b == 2
		}
		pop, err := waves[0].Design.Subset(keep, "background = 2")
		if err != nil {
			t.Fatal(err)
		}
		form := "employed ~ friends_nor + factor(org_member) + factor(education) + years_norway + age + factor(gender) + factor(country_group) + friends_nor:factor(country_group) + factor(org_member):factor(country_group)"
		cc := slices.Clone(keep)
		for _, c := range []string{"employed", "friends_nor", "org_member", "education", "years_norway", "age", "gender", "country_group"} {
			x, _ := f.Float(c)
			for i := range cc {
				cc[i] = cc[i] && !math.IsNaN(x[i])
			}
		}
		d, err := pop.Subset(cc, "complete")
		if err != nil {
			t.Fatal(err)
		}
		g, err := d.GLM(form, survey.GLMOptions{Family: survey.Binomial})
		if err != nil {
			t.Fatal(err)
		}
		ames, err := g.Margins([]string{"friends_nor", "org_member"}, "country_group")
		if err != nil {
			t.Fatal(err)
		}
		wt, err := g.WaldTest("factor(org_member):factor(country_group)")
		if err != nil {
			t.Fatal(err)
		}
		got := values(t, db)
		want := map[string][]float64{
			"heterogeneity|test|factor(org_member):factor(country_group)|": {wt.F, float64(wt.DF), wt.DDF, wt.P},
			"heterogeneity|n||": {float64(g.N), g.DFResidual},
		}
		for _, c := range g.Coef {
			want["heterogeneity|coef|"+c.Term+"|"] = []float64{c.Estimate, c.SE, c.CILow, c.CIHigh, c.P}
		}
		for _, e := range ames {
			grp := "all"
			if e.By != nil {
				grp = e.By["country_group"]
			}
			want["heterogeneity|ame|"+e.Term+"|"+grp] = []float64{e.Estimate, e.SE, e.CILow, e.CIHigh, e.DF}
		}
		recs, err := pop.Estimate([]survey.Request{{Statistic: survey.Prop, Variable: "employed"}}, survey.Options{By: []string{"org_member"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			want["rate|rate|org_member="+r.By["org_member"]+"|all"] = []float64{100 * r.Estimate, 100 * r.SE, 100 * r.CILow, 100 * r.CIHigh, r.DF}
		}
		if len(want) < 20 {
			t.Fatalf("only %d values to compare", len(want))
		}
		for k, w := range want {
			g, ok := got[k]
			if !ok {
				t.Errorf("%s: not in the tables", k)
				continue
			}
			// the rates' domains hold the same rows in another order (the
			// stage's indicator is missing outside the population)
			tol := 0.0
			if strings.HasPrefix(k, "rate|") {
				tol = 1e-12
			}
			for i := range w {
				if !(math.Abs(g[i]-w[i]) <= tol*math.Abs(w[i])) {
					t.Errorf("%s[%d]: table %v, engine %v", k, i, g[i], w[i])
				}
			}
		}
	})

	t.Run("R", func(t *testing.T) {
		if *update {
			exportWave1(t, ctx, env, m)
		}
		ref := readReference(t)
		got := values(t, db)
		worst, worstKey := 0.0, ""
		for k, w := range ref {
			g, ok := got[k]
			if !ok {
				t.Errorf("%s: in R's values, not in the tables", k)
				continue
			}
			for i := range w {
				if math.IsNaN(w[i]) {
					continue
				}
				d := math.Abs(g[i]-w[i]) / math.Max(math.Abs(w[i]), 1e-300)
				if math.Abs(w[i]) < 1e-12 {
					d = math.Abs(g[i] - w[i])
				}
				if d > worst {
					worst, worstKey = d, fmt.Sprintf("%s[%d]", k, i)
				}
				if !(d <= 1e-8) {
					t.Errorf("%s[%d]: socap %.17g, R %.17g (relative difference %.2g)", k, i, g[i], w[i], d)
				}
			}
		}
		for k := range got {
			if _, ok := ref[k]; !ok {
				t.Errorf("%s: in the tables, not in R's values", k)
			}
		}
		t.Logf("%d values against R; largest relative difference %.2g (%s)", len(ref), worst, worstKey)
	})

	t.Run("truth", func(t *testing.T) {
		b, err := os.ReadFile(env.Config.Resolve("data/truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		var truth synth.Truth
		if err := json.Unmarshal(b, &truth); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(truth.Models, func(m synth.Model) bool { return m.Name == "employment_immigrants" })
		if i < 0 {
			t.Fatal("truth.json has no employment_immigrants model")
		}
		covered, total := 0, 0
		for _, te := range truth.Models[i].MarginalEffects {
			grp, ok := te.By["country_group"]
			if te.Population != "" || !ok {
				continue
			}
			j := slices.IndexFunc(first, func(e effectRow) bool {
				return e.model == Heterogeneity && e.wave == te.Wave && e.variable == te.Term && e.group == grp
			})
			if j < 0 {
				t.Errorf("no estimate of the AME of %s in wave %d, country group %s", te.Term, te.Wave, grp)
				continue
			}
			e := first[j]
			truePP := 100 * te.Estimate
			in := e.low.Float64 <= truePP && truePP <= e.high.Float64
			t.Logf("wave %d %s country_group %s: true %.2f, estimate %.2f [%.2f, %.2f] %v", te.Wave, te.Term, grp, truePP, e.estimate.Float64, e.low.Float64, e.high.Float64, in)
			total++
			if in {
				covered++
			}
		}
		t.Logf("%d of %d true AMEs per origin group inside their 95 %% CIs", covered, total)
		if total != 8 || covered < total-1 {
			t.Errorf("%d of %d true AMEs covered; want 8 effects, at most one missed", covered, total)
		}
	})

	t.Run("rerun replaces", func(t *testing.T) {
		if err := pipeline.Run(ctx, env, &Stage{}); err != nil {
			t.Fatal(err)
		}
		if again := effects(t, db); !slices.Equal(again, first) {
			t.Errorf("re-running changed marginal_effects: %d rows, was %d", len(again), len(first))
		}
		for _, table := range []string{ModelsTable, CoefficientsTable, EffectsTable} {
			var runs int
			var id int64
			if err := db.QueryRow(`SELECT count(DISTINCT run_id), max(run_id) FROM `+table).Scan(&runs, &id); err != nil {
				t.Fatal(err)
			}
			if runs != 1 || id != env.RunID {
				t.Errorf("%s: %d runs, run_id %d; want only run %d", table, runs, id, env.RunID)
			}
		}
	})

	t.Run("small groups suppressed", func(t *testing.T) {
		defer func(d pipeline.Disclosure) { env.Config.Disclosure = d }(env.Config.Disclosure)
		// groups have 108–348 respondents, the whole population 572–617
		env.Config.Disclosure.MinN = 300
		if err := pipeline.Run(ctx, env, &Stage{}); err != nil {
			t.Fatal(err)
		}
		var suppressed, published int
		for _, e := range effects(t, db) {
			j := slices.IndexFunc(first, func(f effectRow) bool {
				return f.wave == e.wave && f.model == e.model && f.variable == e.variable && f.term == e.term && f.group == e.group && f.level == e.level
			})
			small := first[j].n.Int64 < 300
			switch {
			case small && (e.status != "primary" || e.reason != "primary: n < 300" || e.estimate.Valid || e.se.Valid || e.low.Valid || e.high.Valid || e.n.Valid):
				t.Errorf("%+v: n %d, want suppressed without numbers", e, first[j].n.Int64)
			case !small && (e.status != "published" || e.estimate != first[j].estimate):
				t.Errorf("%+v: n %d, want published as before", e, first[j].n.Int64)
			}
			if small {
				suppressed++
			} else {
				published++
			}
		}
		if suppressed == 0 || published == 0 {
			t.Errorf("%d suppressed, %d published: want both", suppressed, published)
		}
	})

	t.Run("failed fit recorded", func(t *testing.T) {
		defer func(m pipeline.Models) { env.Config.Models = m }(env.Config.Models)
		// background is 2 throughout the population: collinear with the intercept
		env.Config.Models.Controls = []string{"factor(education)", "background"}
		if err := pipeline.Run(ctx, env, &Stage{}); err != nil {
			t.Fatal(err)
		}
		var failed, ok, coefs, rates int
		if err := db.QueryRow(`SELECT count(*) FILTER (status = 'failed' AND NOT converged AND reason LIKE '%collinear%' AND n IS NULL),
			count(*) FILTER (status = 'ok') FROM models`).Scan(&failed, &ok); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM coefficients`).Scan(&coefs); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM marginal_effects WHERE model = 'rate' AND status = 'published'`).Scan(&rates); err != nil {
			t.Fatal(err)
		}
		if failed != 8 || ok != 0 || coefs != 0 || rates != 24 {
			t.Errorf("failed %d (want 8), ok %d, coefficients %d (want 0), rates %d (want 24)", failed, ok, coefs, rates)
		}
	})
}

// refColumns are the columns of wave 1 the R script reads.
var refColumns = []string{"stratum", "psu", "weight", "background", "employed", "friends_nor", "org_member", "education",
	"years_norway", "age", "gender", "country_group", "structural", "relational", "cognitive", "qol"}

// exportWave1 writes wave 1's respondents (every row: the design needs them)
// for pipeline_model.R.
func exportWave1(t *testing.T, ctx context.Context, env *pipeline.Env, m pipeline.Models) {
	waves, err := design.Load(ctx, env, refColumns[3:], nil)
	if err != nil {
		t.Fatal(err)
	}
	f := waves[0].Frame
	out, err := os.Create(filepath.Join(refDir, "pipeline_model_data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := csv.NewWriter(out)
	cols := make([][]string, len(refColumns))
	for j, c := range refColumns {
		if cols[j], err = f.Strings(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(refColumns); err != nil {
		t.Fatal(err)
	}
	for i := range f.Rows() {
		rec := make([]string, len(cols))
		for j := range cols {
			rec[j] = cols[j][i]
			if rec[j] == "" {
				rec[j] = "NA"
			}
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote wave 1 (%d rows); now run Rscript testdata/reference/pipeline_model.R (models: %+v)", f.Rows(), m)
}

// readReference reads pipeline_model.csv: key, estimate, se, ci_low, ci_high,
// df (or p), "NA" for none.
func readReference(t *testing.T) map[string][]float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refDir, "pipeline_model.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, r := range recs[1:] {
		v := make([]float64, len(r)-1)
		for i, s := range r[1:] {
			v[i] = math.NaN()
			if s != "NA" {
				if v[i], err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatalf("%s: %v", r[0], err)
				}
			}
		}
		out[r[0]] = v
	}
	return out
}
