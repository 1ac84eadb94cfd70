// Package evaluate is the evaluate stage: the programme's effect on every
// indicator as a difference in differences, into the table
// programme_effects.
//
// For each indicator θ, with P the programme municipalities and C the
// others (socap.yaml's programme: section),
//
//	DiD = (θ_P,follow-up − θ_P,baseline) − (θ_C,follow-up − θ_C,baseline)
//	    = (θ_P − θ_C)_follow-up − (θ_P − θ_C)_baseline.
//
// Within a wave P and C are domains of one design: their difference and its
// variance come from survey.Design.EstimateDomains and DomainSet.Difference
// (svyby(covmat = TRUE) + svycontrast), so strata, clusters, calibration and
// replicate weights all count. The waves are independent samples, each with
// its own design, so the variance of a change or of the DiD is the sum of
// the waves' variances (SEs add in quadrature), with Welch–Satterthwaite
// degrees of freedom (survey.IndependentDifference), and the t interval at
// compare.level.
//
// Panels: when respondent ids repeat between the baseline and the follow-up,
// the waves are not independent and adding variances would ignore the
// correlation of a person's two answers. The stage then stacks the two
// waves into one design whose ultimate clusters are the respondents
// (svydesign(ids = ~id, weights = ~w) over both waves, with each wave's
// analysis weights): a person answering twice is one cluster, so the
// covariance of the two waves' estimates enters the DiD's variance through
// the four domains (P, C) × (baseline, follow-up) of that design. The waves'
// own strata and PSUs do not enter then (with-replacement sampling of
// persons, as for repeated measures in Lumley 2010, sec. 3.5), and the log
// says how many respondents repeat.
//
// Disclosure: the four cells (P and C in each wave) are not among the
// estimates table's group sets, so each is marked by the primary rule on its
// n (and count with the attribute, for proportions); the DiD is published
// only when all four are (disclose.Derived). A suppressed row keeps no
// number and no verdict.
package evaluate

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"

	"socap/indicators"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// Table is the name of the stage's output table.
const Table = "programme_effects"

// Stage evaluates the programme.
type Stage struct {
	// Rules of disclosure control (when zero: socap.yaml's disclosure: section).
	Rules disclose.Rules

	rows, written int64
	// Repeated is the number of respondent ids found in both waves in the
	// last run (0: independent samples).
	Repeated int
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "evaluate" }

// RowCounts implements pipeline.RowCounter: respondent rows read, effects written.
func (s *Stage) RowCounts() (in, out int64) { return s.rows, s.written }

// Effect is one indicator's difference in differences.
type Effect struct {
	Indicator          string
	Baseline, FollowUp int
	// Estimates in the programme (P) and comparison (C) municipalities.
	PBase, PFollow, CBase, CFollow float64
	ChangeP, ChangeC               survey.Contrast
	DiD                            survey.Contrast
	Mark                           disclose.Mark
}

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	cfg := env.Config.Programme.WithDefaults(env.Codebook, env.Config.Waves())
	level := env.Config.Compare.WithDefaults(env.Codebook).Level
	rules := env.DisclosureRules(s.Rules)
	marker, text := cfg.Variable, []string{cfg.Variable}
	if len(cfg.Municipalities) > 0 {
		marker = env.Config.Compare.WithDefaults(env.Codebook).Areas
		text = []string{marker}
	}
	var effects []Effect
	s.rows, s.Repeated = 0, 0
	if marker != "" && cfg.Baseline != cfg.FollowUp {
		id := env.Codebook.IDVariable()
		if id == nil {
			return fmt.Errorf("codebook %s has no id variable", env.Codebook.Name)
		}
		outputs, columns, err := compare.Outputs(env)
		if err != nil {
			return err
		}
		waves, err := design.Load(ctx, env, columns, append(text, id.Name))
		if err != nil {
			return err
		}
		var two [2]*design.Wave
		for i := range waves {
			s.rows += int64(waves[i].Frame.Rows())
			switch waves[i].Wave {
			case cfg.Baseline:
				two[0] = &waves[i]
			case cfg.FollowUp:
				two[1] = &waves[i]
			}
		}
		if two[0] == nil || two[1] == nil {
			return fmt.Errorf("programme: baseline wave %d or follow-up wave %d has no respondents", cfg.Baseline, cfg.FollowUp)
		}
		ev, err := newEvaluation(two, marker, cfg.Municipalities, id.Name)
		if err != nil {
			return err
		}
		s.Repeated = ev.repeated
		if ev.repeated > 0 {
			fmt.Fprintf(env.Log, "evaluate: %d respondent ids answer in both waves: a panel, respondents as clusters across waves\n", ev.repeated)
		}
		for _, o := range outputs {
			e, err := ev.effect(o, level, rules)
			if err != nil {
				return fmt.Errorf("%s: %w", o.ID, err)
			}
			if e != nil {
				effects = append(effects, *e)
			}
		}
	}
	if err := write(ctx, env, effects); err != nil {
		return err
	}
	s.written = int64(len(effects))
	fmt.Fprintf(env.Log, "evaluate: %d programme effects (baseline wave %d, follow-up wave %d)\n", len(effects), cfg.Baseline, cfg.FollowUp)
	return nil
}

// evaluation holds the two waves and, per wave, the programme (domain 0) and
// comparison (domain 1) rows.
type evaluation struct {
	waves    [2]*design.Wave
	doms     [2][]survey.Domain
	repeated int
	panel    *survey.Design // the stacked design of a panel, nil otherwise
	ids      [2][]string
}

func newEvaluation(waves [2]*design.Wave, marker string, municipalities []int, idVar string) (*evaluation, error) {
	ev := &evaluation{waves: waves}
	// inP says whether a marker value is a programme (p) or comparison (c) one
	inP := func(code string) (p, c bool) {
		v, ok := compare.Code(code)
		if len(municipalities) > 0 {
			return ok && slices.Contains(municipalities, v), ok && !slices.Contains(municipalities, v)
		}
		return ok && v == 1, ok && v == 0
	}
	seen := map[string]bool{}
	for k, w := range waves {
		codes, err := w.Frame.Strings(marker)
		if err != nil {
			return nil, fmt.Errorf("programme: wave %d: %w", w.Wave, err)
		}
		p, c := make([]bool, len(codes)), make([]bool, len(codes))
		for i, code := range codes {
			p[i], c[i] = inP(code)
		}
		ev.doms[k] = []survey.Domain{{Name: "programme", Rows: p}, {Name: "comparison", Rows: c}}
		if ev.ids[k], err = w.Frame.Strings(idVar); err != nil {
			return nil, fmt.Errorf("programme: wave %d: %w", w.Wave, err)
		}
		for _, id := range ev.ids[k] {
			if k == 0 {
				seen[id] = true
			} else if seen[id] {
				ev.repeated++
			}
		}
	}
	return ev, nil
}

// effect is o's DiD; nil when a domain is empty (an indicator about a group
// the programme or comparison municipalities lack).
func (ev *evaluation) effect(o indicators.Output, level float64, rules disclose.Rules) (*Effect, error) {
	e := &Effect{Indicator: o.ID, Baseline: ev.waves[0].Wave, FollowUp: ev.waves[1].Wave}
	var sets [2]*survey.DomainSet
	var parts []disclose.Part
	for k, w := range ev.waves {
		ds, err := w.Design.EstimateDomains(o.Request(), ev.doms[k])
		if err != nil {
			return nil, fmt.Errorf("wave %d: %w", w.Wave, err)
		}
		if ds.N[0] == 0 || ds.N[1] == 0 {
			return nil, nil
		}
		sets[k] = ds
		counts := compare.CountOnes(w.Frame, o.Statistic.Column, ev.doms[k])
		for j, d := range ev.doms[k] {
			parts = append(parts, disclose.Part{Label: fmt.Sprintf("%s wave %d", d.Name, w.Wave),
				Mark: compare.Primary(int(ds.N[j]), counts[j], o.Statistic.Kind == indicators.Proportion, rules)})
		}
	}
	e.PBase, e.CBase, e.PFollow, e.CFollow = sets[0].Estimate[0], sets[0].Estimate[1], sets[1].Estimate[0], sets[1].Estimate[1]
	e.Mark = disclose.Derived(parts...)
	var err error
	if ev.repeated > 0 {
		err = ev.panelEffect(o, e, level)
	} else {
		err = independentEffect(sets, e, level)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// independentEffect fills the changes and the DiD from independent waves.
func independentEffect(sets [2]*survey.DomainSet, e *Effect, level float64) error {
	var dom [2][2]survey.Contrast // wave × (P, C)
	var diff [2]survey.Contrast
	for k, ds := range sets {
		for j := range 2 {
			c := []float64{0, 0}
			c[j] = 1
			var err error
			if dom[k][j], err = ds.Contrast(c, level); err != nil {
				return err
			}
		}
		var err error
		if diff[k], err = ds.Difference(0, 1, level); err != nil {
			return err
		}
	}
	var err error
	if e.ChangeP, err = survey.IndependentDifference(dom[1][0], dom[0][0], level); err != nil {
		return err
	}
	if e.ChangeC, err = survey.IndependentDifference(dom[1][1], dom[0][1], level); err != nil {
		return err
	}
	e.DiD, err = survey.IndependentDifference(diff[1], diff[0], level)
	return err
}

// panelEffect fills the changes and the DiD from the stacked design of both
// waves with respondents as clusters: domains P and C at baseline (0, 1) and
// at follow-up (2, 3).
func (ev *evaluation) panelEffect(o indicators.Output, e *Effect, level float64) error {
	if ev.panel == nil {
		d, err := ev.stack()
		if err != nil {
			return err
		}
		ev.panel = d
	}
	n0 := ev.waves[0].Frame.Rows()
	var doms []survey.Domain
	for k := range ev.waves {
		for _, d := range ev.doms[k] {
			rows := make([]bool, ev.panel.Rows())
			copy(rows[k*n0:], d.Rows)
			doms = append(doms, survey.Domain{Name: d.Name, Rows: rows})
		}
	}
	ds, err := ev.panel.EstimateDomains(o.Request(), doms)
	if err != nil {
		return fmt.Errorf("panel: %w", err)
	}
	for _, c := range []struct {
		dst *survey.Contrast
		w   []float64
	}{{&e.ChangeP, []float64{-1, 0, 1, 0}}, {&e.ChangeC, []float64{0, -1, 0, 1}}, {&e.DiD, []float64{-1, 1, 1, -1}}} {
		if *c.dst, err = ds.Contrast(c.w, level); err != nil {
			return fmt.Errorf("panel: %w", err)
		}
	}
	return nil
}

// stack is the design of both waves' rows, baseline first, with every score
// column, each wave's analysis weights and the respondent id as the cluster.
func (ev *evaluation) stack() (*survey.Design, error) {
	f := survey.NewFrame()
	var w, id []float64
	ids := map[string]float64{}
	for k, wv := range ev.waves {
		w = append(w, wv.Design.Weights()...)
		for _, s := range ev.ids[k] {
			if _, ok := ids[s]; !ok {
				ids[s] = float64(len(ids))
			}
			id = append(id, ids[s])
		}
	}
	for _, c := range ev.waves[0].Frame.Names() {
		if !ev.waves[0].Frame.IsNumeric(c) || !ev.waves[1].Frame.IsNumeric(c) {
			continue
		}
		a, err := ev.waves[0].Frame.Float(c)
		if err != nil {
			return nil, err
		}
		b, err := ev.waves[1].Frame.Float(c)
		if err != nil {
			return nil, err
		}
		if err := f.AddFloat(c, slices.Concat(a, b)); err != nil {
			return nil, err
		}
	}
	for name, v := range map[string][]float64{".w": w, ".id": id} {
		if err := f.AddFloat(name, v); err != nil {
			return nil, err
		}
	}
	d, err := survey.NewDesign(f, survey.Spec{Weights: ".w", Clusters: []string{".id"}})
	if err != nil {
		return nil, fmt.Errorf("panel design: %w", err)
	}
	return d, nil
}

func write(ctx context.Context, env *pipeline.Env, effects []Effect) error {
	defs := []string{"run_id BIGINT", "indicator VARCHAR", "baseline INTEGER", "follow_up INTEGER",
		"programme_baseline DOUBLE", "programme_follow_up DOUBLE", "comparison_baseline DOUBLE", "comparison_follow_up DOUBLE",
		"change_programme DOUBLE", "change_comparison DOUBLE", "did DOUBLE", "se DOUBLE", "ci_low DOUBLE", "ci_high DOUBLE",
		"df DOUBLE", "verdict VARCHAR", "status VARCHAR", "reason VARCHAR"}
	rows := make([][]driver.Value, len(effects))
	for i, e := range effects {
		m, d := e.Mark, e.DiD
		num := func(x float64) driver.Value { return store.Float(m.Shown(x)) }
		verdict := store.Text(compare.Verdict(d.CILow, d.CIHigh))
		if !m.Publishable() {
			verdict = nil
		}
		rows[i] = []driver.Value{env.RunID, e.Indicator, int32(e.Baseline), int32(e.FollowUp),
			num(e.PBase), num(e.PFollow), num(e.CBase), num(e.CFollow), num(e.ChangeP.Estimate), num(e.ChangeC.Estimate),
			num(d.Estimate), num(d.SE), num(d.CILow), num(d.CIHigh), num(d.DF), verdict, m.Status.String(), store.Text(m.Reason)}
	}
	return env.Store.Replace(ctx, store.Table{Name: Table, Columns: defs, Rows: store.RowsOf(rows)})
}
