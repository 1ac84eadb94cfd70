// Package mentoring is the mentoring stage: did mentored immigrants get jobs
// matching their qualifications? Into the table mentor_effects, per wave:
//
//   - the share with a job matching their qualifications (job_match) among
//     employed immigrants (background 2, employed 1) without and with a
//     mentor (mentor 0/1): survey.Prop of job_match by mentor on the wave's
//     design restricted to that population (svyby(~job_match, ~mentor,
//     subset(design, …), svymean)), with the engine's CI;
//   - the adjusted difference: the average marginal effect of factor(mentor)
//     (level 1 against 0) in the design-based logistic regression
//     job_match ~ factor(mentor) + factor(education) + years_norway + age +
//     factor(gender) + factor(country_group) on the complete cases of that
//     population (svyglm(family = quasibinomial) and the AME of
//     marginaleffects/Stata's margins, dydx on a factor: the mean over
//     respondents of P̂(y | mentor 1) − P̂(y | mentor 0)), with its
//     design-based SE; stored as a difference of proportions (the engine's
//     percentage points / 100), on the scale of the shares.
//
// A codebook without the mentor or job_match question (the builtin ess one)
// gets an empty table and a line in the log saying why.
//
// Disclosure: each share is marked by the primary rule (disclose.PrimaryReason
// with socap.yaml's disclosure: rules) on its n and on the counts with and
// without a matching job; the AME is published only when both shares are
// (disclose.Derived). A suppressed row keeps no number.
package mentoring

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// Table is the stage's output table.
const Table = "mentor_effects"

// Formula is the adjusted model.
const Formula = "job_match ~ factor(mentor) + factor(education) + years_norway + age + factor(gender) + factor(country_group)"

// immigrant is the background code of immigrants in the ilag codebook.
const immigrant = 2

// Stage writes mentor_effects.
type Stage struct {
	// Rules of disclosure control (when zero: socap.yaml's disclosure: section).
	Rules disclose.Rules
	rows  int64
	out   []Row
}

// Row is one row of mentor_effects: a share (Mentor 0 or 1) or the AME
// (Mentor −1).
type Row struct {
	Wave   int
	Kind   string // "share" or "ame"
	Mentor int
	// Estimate, SE, CI and DF as the engine gives them; N the respondents.
	Estimate, SE, CILow, CIHigh, DF float64
	N                               int
	Mark                            disclose.Mark
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "mentoring" }

// RowCounts implements pipeline.RowCounter.
func (s *Stage) RowCounts() (in, out int64) { return s.rows, int64(len(s.out)) }

// Rows are the rows the last run wrote.
func (s *Stage) Rows() []Row { return s.out }

var columns = []string{"job_match", "mentor", "employed", "background", "education", "years_norway", "age", "gender", "country_group"}

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	rules := env.DisclosureRules(s.Rules)
	s.rows, s.out = 0, nil
	if missing := missingVariables(env); len(missing) > 0 {
		fmt.Fprintf(env.Log, "mentoring: skipped, codebook %s has no variable %s\n", env.Codebook.Name, strings.Join(missing, ", "))
		return write(ctx, env, nil)
	}
	waves, err := design.Load(ctx, env, columns, nil)
	if err != nil {
		return err
	}
	for _, w := range waves {
		s.rows += int64(w.Frame.Rows())
		rows, err := wave(w, rules)
		if err != nil {
			return fmt.Errorf("wave %d: %w", w.Wave, err)
		}
		s.out = append(s.out, rows...)
	}
	if err := write(ctx, env, s.out); err != nil {
		return err
	}
	fmt.Fprintf(env.Log, "mentoring: %d rows (job match by mentor among employed immigrants)\n", len(s.out))
	return nil
}

// missingVariables are the columns the codebook does not define.
func missingVariables(env *pipeline.Env) []string {
	var missing []string
	for _, c := range columns {
		if env.Codebook.Variable(c) == nil {
			missing = append(missing, c)
		}
	}
	return missing
}

// wave is one wave's two shares and the AME.
func wave(w design.Wave, rules disclose.Rules) ([]Row, error) {
	col := map[string][]float64{}
	for _, c := range columns {
		x, err := w.Frame.Float(c)
		if err != nil {
			return nil, err
		}
		col[c] = x
	}
	pop := make([]bool, w.Frame.Rows())
	complete := make([]bool, len(pop))
	var n, yes [2]int
	for i := range pop {
		m, y := col["mentor"][i], col["job_match"][i]
		pop[i] = col["background"][i] == immigrant && col["employed"][i] == 1 && (m == 0 || m == 1) && !math.IsNaN(y)
		if !pop[i] {
			continue
		}
		n[int(m)]++
		if y == 1 {
			yes[int(m)]++
		}
		complete[i] = true
		for _, c := range columns {
			complete[i] = complete[i] && !math.IsNaN(col[c][i])
		}
	}
	var rows []Row
	var parts []disclose.Part
	for m := range 2 {
		r := Row{Wave: w.Wave, Kind: "share", Mentor: m, N: n[m]}
		if reason := disclose.PrimaryReason(n[m], yes[m], true, rules); reason != "" {
			r.Mark = disclose.Mark{Status: disclose.Primary, Reason: reason}
		}
		parts = append(parts, disclose.Part{Label: fmt.Sprintf("mentor %d wave %d", m, w.Wave), Mark: r.Mark})
		rows = append(rows, r)
	}
	if n[0] == 0 || n[1] == 0 {
		return rows, nil
	}
	d, err := w.Design.Subset(pop, "employed immigrants with job_match and mentor")
	if err != nil {
		return nil, err
	}
	recs, err := d.Estimate([]survey.Request{{Statistic: survey.Prop, Variable: "job_match"}}, survey.Options{By: []string{"mentor"}})
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		m, ok := compare.Code(rec.By["mentor"])
		if !ok || m < 0 || m > 1 {
			continue
		}
		r := &rows[m]
		r.Estimate, r.SE, r.CILow, r.CIHigh, r.DF = rec.Estimate, rec.SE, rec.CILow, rec.CIHigh, rec.DF
	}
	ame := Row{Wave: w.Wave, Kind: "ame", Mentor: -1, Mark: disclose.Derived(parts...)}
	dc, err := w.Design.Subset(complete, "complete cases of "+Formula)
	if err != nil {
		return nil, err
	}
	g, err := dc.GLM(Formula, survey.GLMOptions{Family: survey.Binomial})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Formula, err)
	}
	effects, err := g.Margins([]string{"mentor"}, "")
	if err != nil {
		return nil, err
	}
	for _, e := range effects { // one: factor(mentor)1, in percentage points
		ame.Estimate, ame.SE, ame.CILow, ame.CIHigh = e.Estimate/100, e.SE/100, e.CILow/100, e.CIHigh/100
		ame.DF = e.DF
	}
	for _, c := range complete {
		if c {
			ame.N++
		}
	}
	return append(rows, ame), nil
}

func write(ctx context.Context, env *pipeline.Env, rows []Row) error {
	defs := []string{"run_id BIGINT", "wave INTEGER", "kind VARCHAR", "mentor INTEGER", "estimate DOUBLE", "se DOUBLE",
		"ci_low DOUBLE", "ci_high DOUBLE", "df DOUBLE", "n DOUBLE", "status VARCHAR", "reason VARCHAR"}
	out := make([][]driver.Value, len(rows))
	for i, r := range rows {
		num := func(x float64) driver.Value { return store.Float(r.Mark.Shown(x)) }
		var mentor driver.Value
		if r.Mentor >= 0 {
			mentor = int32(r.Mentor)
		}
		out[i] = []driver.Value{env.RunID, int32(r.Wave), r.Kind, mentor, num(r.Estimate), num(r.SE), num(r.CILow), num(r.CIHigh),
			num(r.DF), num(float64(r.N)), r.Mark.Status.String(), store.Text(r.Mark.Reason)}
	}
	return env.Store.Replace(ctx, store.Table{Name: Table, Columns: defs, Rows: store.RowsOf(out)})
}
