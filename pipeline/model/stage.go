package model

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// The store tables the stage writes, each row keyed by run_id and wave.
const (
	// ModelsTable: one row per model and wave and Wald test (one row with
	// no test for a model without): run_id, wave, model, formula, family,
	// population, n, df_residual, iterations, deviance, converged, status
	// (ok or failed), reason, test_term, test_statistic (F), test_df,
	// test_ddf, test_p.
	ModelsTable = "models"
	// CoefficientsTable: run_id, wave, model, term (as R names it),
	// estimate, se, t, p, ci_low, ci_high.
	CoefficientsTable = "coefficients"
	// EffectsTable: run_id, wave, model (Rate for the rates), variable
	// (the exposure or score; a rate's indicator), term (the AME's term, a
	// rate's outcome), level (a factor's level, a rate's indicator value),
	// unit, by_variable (NULL overall), by_group ("all" overall), estimate,
	// se, ci_low, ci_high, df, n, n_shown, status, reason; a suppressed row
	// has no estimate, se, interval or n.
	EffectsTable = "marginal_effects"
)

// Stage is the model stage (see the package doc). The zero value is ready.
// A model that cannot be fitted in a wave (separation, collinear
// predictors, no convergence) is recorded in the models table with status
// failed and the engine's error as reason, without coefficients or AMEs, and
// the run goes on; a missing column, a bad formula in socap.yaml or a store
// error stops it. Each model and its tests get a line on env.Log.
type Stage struct {
	in, out int64
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "model" }

// RowCounts implements pipeline.RowCounter: respondents in the models'
// population over the waves, and rows written to the three tables.
func (s *Stage) RowCounts() (in, out int64) { return s.in, s.out }

// wave is one wave's results.
type wave struct {
	wave   int
	fits   []fitted
	rates  []rate
	rowsIn int
}

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	s.in, s.out = 0, 0
	m := env.Config.Models.WithDefaults(env.Codebook)
	rules := env.DisclosureRules(disclose.Rules{})
	if err := rules.Check(); err != nil {
		return err
	}
	var results []wave
	if m.Outcome == "" {
		fmt.Fprintln(env.Log, "model: no outcome (models.outcome, or employed in the codebook): no models")
	} else {
		var err error
		if results, err = s.fitAll(ctx, env, m); err != nil {
			return err
		}
	}
	return s.write(ctx, env, m, results, rules)
}

// fitAll fits every model to every wave.
func (s *Stage) fitAll(ctx context.Context, env *pipeline.Env, m pipeline.Models) ([]wave, error) {
	have, err := available(ctx, env)
	if err != nil {
		return nil, err
	}
	sp := specs(m, env.Codebook, have)
	cols, err := columns(sp, m)
	if err != nil {
		return nil, err
	}
	waves, err := design.Load(ctx, env, cols, nil)
	if err != nil {
		return nil, err
	}
	var out []wave
	for _, w := range waves {
		res, err := fitWave(w, env, m, sp)
		if err != nil {
			return nil, fmt.Errorf("wave %d: %w", w.Wave, err)
		}
		s.in += int64(res.rowsIn)
		for _, f := range res.fits {
			line := fmt.Sprintf("model: wave %d: %s: ", w.Wave, f.spec.name)
			if f.err != nil {
				line += "failed: " + f.err.Error()
			} else {
				line += fmt.Sprintf("n %d, %d iterations", f.glm.N, f.glm.Iterations)
				for _, t := range f.tests {
					line += fmt.Sprintf("; %s F = %.3g on %d and %g df, p = %.3g", strings.Join(t.Terms, "+"), t.F, t.DF, t.DDF, t.P)
				}
			}
			fmt.Fprintln(env.Log, line)
		}
		out = append(out, res)
	}
	return out, nil
}

// fitWave restricts a wave to the population and fits the models and rates.
func fitWave(w design.Wave, env *pipeline.Env, m pipeline.Models, sp []spec) (wave, error) {
	res := wave{wave: w.Wave}
	pop := w.Design
	if len(m.Population) > 0 {
		keep, err := inPopulation(w.Frame, m.Population)
		if err != nil {
			return res, err
		}
		if pop, err = pop.Subset(keep, population(m.Population)); err != nil {
			return res, fmt.Errorf("population %s: %w", population(m.Population), err)
		}
	}
	res.rowsIn = pop.WeightedRows()
	for _, s := range sp {
		f, err := fit(pop, w.Frame, s)
		if err != nil {
			return res, fmt.Errorf("model %s: %w", s.name, err)
		}
		res.fits = append(res.fits, f)
	}
	var err error
	res.rates, err = rates(pop, w.Frame, env.Codebook, m)
	return res, err
}

// available reports whether the data has a column: a codebook variable or
// a column of the scores table.
func available(ctx context.Context, env *pipeline.Env) (func(string) bool, error) {
	scores := map[string]bool{}
	rows, err := env.Store.DB().QueryContext(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = 'scores'`)
	if err != nil {
		return nil, fmt.Errorf("columns of scores: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("columns of scores: %w", err)
		}
		scores[c] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of scores: %w", err)
	}
	return func(c string) bool { return scores[c] || env.Codebook.Variable(c) != nil }, nil
}

// write replaces the three tables in one transaction.
func (s *Stage) write(ctx context.Context, env *pipeline.Env, m pipeline.Models, results []wave, rules disclose.Rules) error {
	tables := []store.Table{
		{Name: ModelsTable, Columns: []string{`run_id BIGINT, wave INTEGER, model VARCHAR, formula VARCHAR, family VARCHAR, population VARCHAR,
			n BIGINT, df_residual DOUBLE, iterations BIGINT, deviance DOUBLE, converged BOOLEAN, status VARCHAR, reason VARCHAR,
			test_term VARCHAR, test_statistic DOUBLE, test_df INTEGER, test_ddf DOUBLE, test_p DOUBLE`},
			Rows: func(add func(...driver.Value) error) error {
				return modelRows(env.RunID, population(m.Population), results, add)
			}},
		{Name: CoefficientsTable, Columns: []string{`run_id BIGINT, wave INTEGER, model VARCHAR, term VARCHAR, estimate DOUBLE, se DOUBLE, t DOUBLE,
			p DOUBLE, ci_low DOUBLE, ci_high DOUBLE`},
			Rows: func(add func(...driver.Value) error) error { return coefficientRows(env.RunID, results, add) }},
		{Name: EffectsTable, Columns: []string{`run_id BIGINT, wave INTEGER, model VARCHAR, variable VARCHAR, term VARCHAR, level VARCHAR, unit VARCHAR,
			by_variable VARCHAR, by_group VARCHAR, estimate DOUBLE, se DOUBLE, ci_low DOUBLE, ci_high DOUBLE, df DOUBLE,
			n BIGINT, n_shown VARCHAR, status VARCHAR, reason VARCHAR`},
			Rows: func(add func(...driver.Value) error) error { return effectRows(env.RunID, results, rules, add) }},
	}
	for i := range tables {
		rows := tables[i].Rows
		tables[i].Rows = func(add func(...driver.Value) error) error {
			return rows(func(v ...driver.Value) error { s.out++; return add(v...) })
		}
	}
	return env.Store.Replace(ctx, tables...)
}

// modelRows adds the models table's rows.
func modelRows(runID int64, pop string, results []wave, add func(...driver.Value) error) error {
	for _, r := range results {
		for _, f := range r.fits {
			head := []driver.Value{runID, int32(r.wave), f.spec.name, f.spec.formula, string(f.spec.family), pop}
			if f.err != nil {
				row := append(head, nil, nil, nil, nil, false, "failed", f.err.Error(), nil, nil, nil, nil, nil)
				if err := add(row...); err != nil {
					return err
				}
				continue
			}
			g := f.glm
			head = append(head, int64(g.N), store.Float(g.DFResidual), int64(g.Iterations), store.Float(g.Deviance), true, "ok", nil)
			if len(f.tests) == 0 {
				if err := add(append(head, nil, nil, nil, nil, nil)...); err != nil {
					return err
				}
			}
			for _, t := range f.tests {
				row := append(head[:len(head):len(head)], strings.Join(t.Terms, " + "), store.Float(t.F), int32(t.DF), store.Float(t.DDF), store.Float(t.P))
				if err := add(row...); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// coefficientRows adds the coefficients table's rows.
func coefficientRows(runID int64, results []wave, add func(...driver.Value) error) error {
	for _, r := range results {
		for _, f := range r.fits {
			if f.err != nil {
				continue
			}
			for _, c := range f.glm.Coef {
				if err := add(runID, int32(r.wave), f.spec.name, c.Term, store.Float(c.Estimate), store.Float(c.SE), store.Float(c.T),
					store.Float(c.P), store.Float(c.CILow), store.Float(c.CIHigh)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// effect is one row of marginal_effects before disclosure.
type effect struct {
	model, variable, term, level, unit, by, group string
	estimate, se, low, high, df                   float64
	n                                             int
	mark                                          disclose.Mark
}

// effectRows adds the marginal_effects table's rows: the models' AMEs,
// then the rates.
func effectRows(runID int64, results []wave, rules disclose.Rules, add func(...driver.Value) error) error {
	for _, r := range results {
		var rows []effect
		for _, f := range r.fits {
			for _, e := range f.ames {
				row := effect{model: f.spec.name, variable: e.Variable, term: e.Term, level: e.Level, unit: e.Unit,
					group: "all", estimate: e.Estimate, se: e.SE, low: e.CILow, high: e.CIHigh, df: e.DF, n: e.N}
				for b, g := range e.By {
					row.by, row.group = b, g
				}
				row.mark = primary(disclose.PrimaryReason(e.N, 0, false, rules))
				rows = append(rows, row)
			}
		}
		for _, rt := range r.rates {
			e := rt.rec
			row := effect{model: Rate, variable: rt.name, term: e.Variable, level: e.By[rt.column], unit: "percent",
				by: rt.by, group: "all", estimate: 100 * e.Estimate, se: 100 * e.SE, low: 100 * e.CILow,
				high: 100 * e.CIHigh, df: e.DF, n: int(e.N)}
			if rt.by != "" {
				row.group = e.By[rt.by]
			}
			row.mark = primary(disclose.PrimaryReason(int(e.N), rt.withAttribute, true, rules))
			rows = append(rows, row)
		}
		for _, e := range rows {
			shown := func(x float64) driver.Value {
				if !e.mark.Publishable() {
					return nil
				}
				return store.Float(x)
			}
			var n driver.Value = int64(e.n)
			if !e.mark.Publishable() {
				n = nil
			}
			if err := add(runID, int32(r.wave), e.model, e.variable, e.term, store.Text(e.level), e.unit, store.Text(e.by),
				e.group, shown(e.estimate), shown(e.se), shown(e.low), shown(e.high), store.Float(e.df), n,
				disclose.ShowN(e.n, e.mark, rules), e.mark.Status.String(), store.Text(e.mark.Reason)); err != nil {
				return err
			}
		}
	}
	return nil
}

// primary is the mark of a primary rule's reason ("" publishable).
func primary(reason string) disclose.Mark {
	if reason == "" {
		return disclose.Mark{}
	}
	return disclose.Mark{Status: disclose.Primary, Reason: reason}
}
