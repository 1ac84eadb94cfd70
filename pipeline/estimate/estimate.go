// Package estimate is the estimate stage: every indicator of the scores
// table, per wave and group set, estimated with the design-based engine
// (indicators/survey) and marked by disclosure control (pipeline/disclose)
// before it lands in the estimates table.
//
// The design of each wave is socap.yaml's design: (pipeline/design; by
// default the codebook's design variables as svydesign(ids = ~psu, strata
// = ~stratum, weights = ~weight, nest = TRUE): PSUs within strata sampled
// with replacement, a stratum with a single PSU centred at the grand mean
// (lonely_psu "adjust")). Means of 0–100 scores and of 0–10 answers are svymean,
// shares of 0/1 values svyciprop (logit intervals), the children's
// participation svyratio. Each estimate is made overall and for every
// group of every group set, domains as svyby forms them.
//
// The estimates table has one row per indicator × wave × group set ×
// group: run_id, indicator, wave, group_set (variables joined by "+", "all" for
// the whole sample), one VARCHAR column per grouping variable (NULL when
// not in the set), statistic, estimate, se, ci_low, ci_high, df, deff, cv,
// n, sum_weights, flags, and the disclosure status and reason. A
// suppressed cell keeps no number: estimate, se, the interval, deff, cv,
// n and sum_weights are NULL and n_shown says "under 10".
//
// With env.Producer "duckdb" (socap run --producer duckdb, or data over
// engine.memory_limit) the respondents stay in the store: each wave's design
// and the sums behind every estimate come from GROUP BY queries over each
// wave's respondents joined with the scores, copied once into a scratch
// table of the store (pipeline/sqlsums over design.Tables), as do the counts of respondents with an attribute that disclosure control
// needs, with the same numbers as in memory. A design that calibrates falls
// back to memory, and the log says why.
package estimate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"socap/indicators"
	"socap/indicators/core"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/load"
	"socap/pipeline/score"
	"socap/pipeline/sqlsums"
	"socap/pipeline/store"
)

// Table is the name of the stage's output table.
const Table = "estimates"

// Stage estimates the indicators of the scores table.
type Stage struct {
	// GroupSets to estimate (socap.yaml's, Config.GroupSets, when nil).
	GroupSets [][]string
	// Rules of disclosure control (when zero: socap.yaml's disclosure:
	// section, whose defaults are disclose.DefaultRules).
	Rules disclose.Rules

	rows   int64
	report disclose.Report
	// tables and marked are the last run's disclosure input and output, for Audit.
	tables []disclose.Table
	marked [][]disclose.Mark
}

// Audit attacks the last run's published cells as an intruder would
// (disclose.Audit: linear programming over each table's additive
// relations) and returns what can be learnt of every sensitive cell.
func (s *Stage) Audit() ([]disclose.Exposure, error) {
	return disclose.Audit(s.tables, s.marked, s.report.Rules)
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "estimate" }

// RowCounts implements pipeline.RowCounter: score rows read, estimate rows written.
func (s *Stage) RowCounts() (in, out int64) { return s.rows, int64(s.report.Totals.Cells) }

// Report is the disclosure summary of the last run.
func (s *Stage) Report() disclose.Report { return s.report }

// cell is one estimate before disclosure.
type cell struct {
	output indicators.Output
	wave   int
	set    []string
	rec    survey.Record
	nAttr  int
}

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	rules := env.DisclosureRules(s.Rules)
	s.rows = 0
	mods, _, err := score.Configured(env)
	if err != nil {
		return err
	}
	var outputs []indicators.Output
	var columns, props []string
	for _, m := range mods {
		outputs = append(outputs, m.Outputs()...)
		for _, o := range m.Outputs() {
			columns = append(columns, o.Columns()...)
			if o.Statistic.Kind == indicators.Proportion && !slices.Contains(props, o.Statistic.Column) {
				props = append(props, o.Statistic.Column)
			}
		}
	}
	sets, groupVars := s.groupSets(env)
	waves, drop, err := s.waves(ctx, env, columns, groupVars)
	if err != nil {
		return err
	}
	defer drop()
	var reqs []survey.Request // each once: outputs may share one
	for _, o := range outputs {
		if r := o.Request(); !slices.ContainsFunc(reqs, func(q survey.Request) bool { return requestKey(q) == requestKey(r) }) {
			reqs = append(reqs, r)
		}
	}
	var cells []cell
	for _, w := range waves {
		s.rows += w.rows
		recs := make([]map[string][]survey.Record, len(sets)) // set → request → records
		attr := make([]map[string]map[string]int, len(sets))  // set → column → group → count
		for k, set := range sets {
			all, err := w.estimate(reqs, set)
			if err != nil {
				return fmt.Errorf("wave %d: by %s: %w", w.wave, setName(set), err)
			}
			recs[k] = map[string][]survey.Record{}
			for _, r := range all {
				key := recordKey(r.Statistic, r.Variable)
				recs[k][key] = append(recs[k][key], r)
			}
			if attr[k], err = w.ones(props, set); err != nil {
				return fmt.Errorf("wave %d: attribute counts by %s: %w", w.wave, setName(set), err)
			}
		}
		for _, o := range outputs {
			for k, set := range sets {
				var ones map[string]int
				if o.Statistic.Kind == indicators.Proportion {
					ones = attr[k][o.Statistic.Column]
				}
				for _, r := range recs[k][requestKey(o.Request())] {
					cells = append(cells, cell{output: o, wave: w.wave, set: set, rec: r, nAttr: ones[groupKey(set, r.By)]})
				}
			}
		}
	}
	marks, report, err := s.disclose(cells, rules)
	if err != nil {
		return err
	}
	s.report = report
	if err := write(ctx, env, groupVars, cells, marks, rules); err != nil {
		return err
	}
	if report.Unprotected > 0 {
		fmt.Fprintf(env.Log, "estimate: warning: %d suppressed cell(s) could not be fully protected against subtraction: %s\n",
			report.Unprotected, strings.Join(report.UnprotectedCells, "; "))
	}
	fmt.Fprintf(env.Log, "estimate: %d estimates of %d indicators in %d wave(s) and %d group sets; %d suppressed (%d primary, %d secondary)\n",
		report.Totals.Cells, len(outputs), len(waves), len(sets), report.Totals.Suppressed, report.Totals.Primary, report.Totals.Secondary)
	return nil
}

// recordKey identifies the request of a record by its statistic and
// variable ("num/den" for a ratio), as requestKey names a request.
func recordKey(st survey.Statistic, variable string) string { return string(st) + "\x00" + variable }

func requestKey(r survey.Request) string {
	if r.Statistic == survey.Ratio {
		return recordKey(r.Statistic, r.Variable+"/"+r.Denominator)
	}
	return recordKey(r.Statistic, r.Variable)
}

// wave is one wave's estimates as either producer makes them.
type wave struct {
	wave int
	rows int64
	// estimate makes the records of reqs overall (set nil) or by set, in
	// request order: with the duckdb producer one GROUP BY sums every request.
	estimate func(reqs []survey.Request, set []string) ([]survey.Record, error)
	// ones counts, per column and group of set (keyed by groupKey), the rows
	// whose column is 1: the respondents with the attribute, which
	// disclosure control needs.
	ones func(columns, set []string) (map[string]map[string]int, error)
}

// waves are the waves' designs over the respondents, and what removes
// what they leave in the store: with env.Producer "duckdb" tables of the
// store summed in DuckDB (design.Tables, pipeline/sqlsums), so that only
// sums enter Go — unless the design calibrates, whose weights only the
// in-memory design has, which the log says; otherwise the frames
// design.Load reads into memory.
func (s *Stage) waves(ctx context.Context, env *pipeline.Env, columns, groupVars []string) ([]wave, func(), error) {
	if env.Producer == "duckdb" {
		tables, err := design.Tables(ctx, env, columns, groupVars)
		if err == nil {
			drop := func() {
				for _, t := range tables {
					if err := t.Drop(context.WithoutCancel(ctx)); err != nil {
						fmt.Fprintf(env.Log, "estimate: warning: %v\n", err)
					}
				}
			}
			waves, err := inStore(ctx, tables, columns, groupVars)
			if err != nil {
				drop()
				return nil, nil, err
			}
			return waves, drop, nil
		}
		if !errors.Is(err, design.ErrCalibrated) {
			return nil, nil, err
		}
		fmt.Fprintf(env.Log, "estimate: producer duckdb: %v; the estimates are made in memory\n", err)
	}
	loaded, err := design.Load(ctx, env, columns, groupVars)
	if err != nil {
		return nil, nil, err
	}
	out := make([]wave, len(loaded))
	for k, w := range loaded {
		out[k] = wave{wave: w.Wave, rows: int64(w.Frame.Rows()),
			estimate: func(reqs []survey.Request, set []string) ([]survey.Record, error) {
				return w.Design.Estimate(reqs, survey.Options{By: set})
			},
			ones: func(columns, set []string) (map[string]map[string]int, error) {
				out := map[string]map[string]int{}
				for _, c := range columns {
					out[c] = countOnes(w.Frame, c, set)
				}
				return out, nil
			}}
	}
	return out, func() {}, nil
}

// inStore builds each wave's design on its table of the store
// (sqlsums.Design: one GROUP BY into the table of units) and estimates
// from sums that DuckDB groups by unit and domain.
func inStore(ctx context.Context, tables []design.InStore, columns, groupVars []string) ([]wave, error) {
	out := make([]wave, len(tables))
	for k, tw := range tables {
		t := tw.Table
		if err := sqlsums.Prepare(ctx, t, tw.Spec, slices.Concat(columns, groupVars)); err != nil {
			return nil, err
		}
		d, src, err := sqlsums.Design(ctx, t, tw.Spec)
		if err != nil {
			return nil, fmt.Errorf("wave %d: %w", tw.Wave, err)
		}
		n, err := t.Rows(ctx)
		if err != nil {
			return nil, err
		}
		out[k] = wave{wave: tw.Wave, rows: n,
			estimate: func(reqs []survey.Request, set []string) ([]survey.Record, error) {
				return d.EstimateRows(reqs, survey.Options{By: set}, src)
			},
			ones: func(columns, set []string) (map[string]map[string]int, error) {
				return countOnesSQL(ctx, t, columns, set)
			}}
	}
	return out, nil
}

// groupSets are the sets to estimate and every grouping variable they use,
// sorted.
func (s *Stage) groupSets(env *pipeline.Env) ([][]string, []string) {
	sets := s.GroupSets
	if sets == nil {
		sets = env.Config.GroupSets(env.Codebook)
	}
	var vars []string
	for _, set := range sets {
		vars = append(vars, set...)
	}
	slices.Sort(vars)
	return sets, slices.Compact(vars)
}

// countOnes counts, per group of set (keyed by groupKey), the rows whose
// column is 1 (see wave.ones). One pass over the rows.
func countOnes(frame *survey.Frame, column string, set []string) map[string]int {
	y, err := frame.Float(column)
	if err != nil {
		return nil
	}
	texts := make([][]string, len(set))
	for j, v := range set {
		if texts[j], err = frame.Strings(v); err != nil {
			return nil
		}
	}
	counts := map[string]int{}
	by := make(map[string]string, len(set))
	for i := range y {
		if y[i] != 1 {
			continue
		}
		for j, v := range set {
			by[v] = texts[j][i]
		}
		counts[groupKey(set, by)]++
	}
	return counts
}

// countOnesSQL is countOnes for every column at once, by one GROUP BY over
// t's rows; the by-values are text, as t types the group variables.
func countOnesSQL(ctx context.Context, t *load.Table, columns, set []string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	if len(columns) == 0 {
		return out, nil
	}
	var sel []string
	for _, v := range set {
		sel = append(sel, t.Expr(v, false))
	}
	for _, c := range columns {
		sel = append(sel, "count(*) FILTER (WHERE "+t.Expr(c, true)+" = 1)")
		out[c] = map[string]int{}
	}
	rows, err := t.Store().DB().QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+t.From()+" GROUP BY ALL")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Path(), err)
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(set))
	counts := make([]int, len(columns))
	dest := make([]any, 0, len(set)+len(columns))
	for j := range vals {
		dest = append(dest, &vals[j])
	}
	for j := range counts {
		dest = append(dest, &counts[j])
	}
	by := make(map[string]string, len(set))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Path(), err)
		}
		for j, v := range set {
			by[v] = vals[j].String
		}
		key := groupKey(set, by)
		for j, c := range columns {
			if counts[j] > 0 {
				out[c][key] += counts[j]
			}
		}
	}
	return out, rows.Err()
}

// groupKey identifies a group of set by its values.
func groupKey(set []string, by map[string]string) string {
	parts := make([]string, len(set))
	for j, v := range set {
		parts[j] = by[v]
	}
	return strings.Join(parts, "\x00")
}

// setName names a group set as the exports do: variables joined by "+", "all"
// for the whole sample.
func setName(set []string) string {
	if len(set) == 0 {
		return "all"
	}
	return strings.Join(set, "+")
}

// disclose marks the cells: one disclosure table per indicator and wave.
func (s *Stage) disclose(cells []cell, rules disclose.Rules) ([]disclose.Mark, disclose.Report, error) {
	type key struct {
		id   string
		wave int
	}
	index := map[key]int{}
	var tables []disclose.Table
	var at [][2]int // cell → (table, position)
	for _, c := range cells {
		k := key{c.output.ID, c.wave}
		t, ok := index[k]
		if !ok {
			t = len(tables)
			index[k] = t
			kind, lo, hi := disclose.Mean, 0.0, 0.0
			switch c.output.Statistic.Kind {
			case indicators.Proportion:
				kind = disclose.Proportion
			case indicators.Mean:
				lo, hi = unitRange(c.output.Unit)
			}
			tables = append(tables, disclose.Table{Indicator: c.output.ID, Wave: strconv.Itoa(c.wave), Kind: kind, Min: lo, Max: hi})
		}
		vals := make([]string, len(c.set))
		for j, v := range c.set {
			vals[j] = c.rec.By[v]
		}
		at = append(at, [2]int{t, len(tables[t].Cells)})
		tables[t].Cells = append(tables[t].Cells, disclose.Cell{Vars: c.set, Values: vals, N: int(c.rec.N), NAttr: c.nAttr,
			Estimate: c.rec.Estimate, SumWeights: c.rec.SumWeights})
	}
	marked, report, err := disclose.Apply(tables, rules)
	if err != nil {
		return nil, report, err
	}
	s.tables, s.marked = tables, marked
	marks := make([]disclose.Mark, len(cells))
	for i, p := range at {
		marks[i] = marked[p[0]][p[1]]
	}
	return marks, report, nil
}

// unitRange is the range of a mean's values, which bounds what an attacker
// knows of a suppressed cell; 0, 0 (unbounded) for other units.
func unitRange(u indicators.Unit) (lo, hi float64) {
	switch u.ID {
	case core.POMP.ID:
		return 0, 100
	case core.ScaleTo10.ID:
		return 0, 10
	}
	return 0, 0
}

// write replaces the estimates table in one transaction.
func write(ctx context.Context, env *pipeline.Env, groupVars []string, cells []cell, marks []disclose.Mark, rules disclose.Rules) error {
	defs := []string{"run_id BIGINT", "indicator VARCHAR", "wave INTEGER", "group_set VARCHAR"}
	for _, v := range groupVars {
		defs = append(defs, store.QuoteIdent(v)+" VARCHAR")
	}
	defs = append(defs, "statistic VARCHAR", "estimate DOUBLE", "se DOUBLE", "ci_low DOUBLE", "ci_high DOUBLE", "df DOUBLE",
		"deff DOUBLE", "cv DOUBLE", "n BIGINT", "n_shown VARCHAR", "sum_weights DOUBLE", "flags VARCHAR", "status VARCHAR", "reason VARCHAR")
	return env.Store.Replace(ctx, store.Table{Name: Table, Columns: defs, Rows: func(add func(...driver.Value) error) error {
		for i, cl := range cells {
			if err := add(append([]driver.Value{env.RunID}, row(cl, marks[i], groupVars, rules)...)...); err != nil {
				return err
			}
		}
		return nil
	}})
}

// row is a cell's values in the table's column order; a suppressed cell keeps
// no number.
func row(c cell, m disclose.Mark, groupVars []string, rules disclose.Rules) []driver.Value {
	r := c.rec
	v := []driver.Value{c.output.ID, int32(c.wave), setName(c.set)}
	for _, g := range groupVars {
		if slices.Contains(c.set, g) {
			v = append(v, r.By[g])
		} else {
			v = append(v, nil)
		}
	}
	num := func(x float64) driver.Value { return store.Float(m.Shown(x)) }
	var n driver.Value = r.N
	if !m.Publishable() {
		n = nil
	}
	v = append(v, string(r.Statistic), num(r.Estimate), num(r.SE), num(r.CILow), num(r.CIHigh), r.DF,
		num(r.Deff), num(r.CV), n, disclose.ShowN(int(r.N), m, rules), num(r.SumWeights), strings.Join(r.Flags, " "),
		m.Status.String(), store.Text(m.Reason))
	return v
}
