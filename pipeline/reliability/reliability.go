// Package reliability is the reliability stage: for every dimension score
// (the outputs of the indicator modules that implement indicators.Scale —
// structural, relational, cognitive), every wave, every group set and every
// group, the reliability of the score's items; and per dimension and wave,
// their measurement invariance across background. It writes the store tables
// reliability and invariance in one transaction, rows keyed by run_id.
//
// # Items
//
// The items are those of the score as it is computed: Scale.ItemColumns of
// the harmonised respondents, clamped to their score bounds and reverse coded
// as the score reverses them (Max + Min − x), so the statistics describe the
// published score. Respondents are those of design.Load, per wave; a
// respondent with a missing value of a grouping variable is in no group of
// that set (as svyby forms domains).
//
// # Statistics (indicators/scale)
//
//	alpha           psych::alpha(x)$total$raw_alpha over the respondents answering
//	                at least one item (pairwise covariances):
//	                α = k/(k−1) · (1 − tr C / ΣC)
//	alpha_std       psych's std.alpha, α_s = k/(k−1) · (1 − k / ΣR), R = cov2cor(C)
//	alpha_weighted  the survey-weighted alpha of the complete cases, the same formula
//	                on C_w = Σ w_i (x_i − x̄_w)(x_i − x̄_w)ᵀ / Σ w_i, w the wave's design
//	                weights (after calibration, when the design calibrates)
//	omega           McDonald's omega total ω = (Σλ)² / ((Σλ)² + Σθ) of the one-factor
//	                model lavaan::cfa(f =~ x1 + … + xk, std.lv = TRUE) fitted by ML to
//	                the complete cases
//	cfi, rmsea      that model's fitMeasures; NULL when it has no degrees of freedom
//	                (three items: df = k(k+1)/2 − 2k = 0)
//
// # The reliability table
//
// One row per dimension × wave × group set × group (the whole sample first):
//
//	run_id BIGINT, dimension VARCHAR, wave INTEGER,
//	group_set VARCHAR        grouping variables joined by "+", "all" for the whole sample
//	<variable> VARCHAR       one per grouping variable of any set: the group's code,
//	                         NULL when the variable is not in the set
//	items VARCHAR            the items, comma separated, in codebook order
//	n BIGINT                 respondents answering at least one item (alpha's n)
//	n_complete BIGINT        respondents answering every item (omega's and the weighted
//	                         alpha's n)
//	alpha, alpha_std, alpha_weighted, omega, cfi, rmsea DOUBLE
//	status VARCHAR, reason VARCHAR
//
// status is "published"; "primary" when n_complete is below the disclosure
// minimum (socap.yaml's disclosure: min_n; every number of the row rests on
// at least n_complete respondents), with disclose.PrimaryReason as reason and
// no numbers, n included; or "not_estimable" when the engine refuses a
// statistic (too few respondents, an item without variance, a fit that does
// not converge or has a negative residual variance): reason is the engine's
// error ("statistic[, statistic]: error" per distinct error, joined by
// "; ") and the statistics it could compute are kept. Reliability is not additive across groups, so
// suppressing a small group does not call for secondary suppression.
//
// # The invariance table
//
// Per dimension and wave, scale.Invariance across the background variable
// (the variable of socap.yaml's first compare: groups: contrast, by default
// background), its groups in sorted order (lavaan's group.label): the
// configural, metric (equal loadings) and scalar (equal loadings and
// intercepts) one-factor models, each fitted by ML to the groups' complete
// cases as lavaan's cfa(…, group = , group.equal = …, std.lv = TRUE), and
// when metric or scalar invariance fails the partial models of the search
// for items to free (scale.InvarianceResult.ItemsToFree: the largest score
// test first, one item at a time). One row per model:
//
//	run_id BIGINT, dimension VARCHAR, wave INTEGER,
//	variable VARCHAR         the grouping variable
//	groups VARCHAR           its groups, comma separated
//	items VARCHAR            the items, comma separated
//	model VARCHAR            configural, metric, scalar, partial metric, partial scalar
//	step INTEGER             0 for the full models, 1, 2, … for the partial ones
//	freed VARCHAR            the parameter the step freed ("item=~" a loading,
//	                         "item~1" an intercept, as lavaan's group.partial)
//	score_chisq DOUBLE       its score test (lavTestScore) in the model before
//	free VARCHAR             every parameter free across groups, comma separated
//	n BIGINT                 complete cases fitted
//	chisq, df, pvalue, cfi, tli, rmsea, srmr DOUBLE
//	delta_chisq, delta_df, delta_pvalue DOUBLE   lavTestLRT against the model it is
//	                         nested in: metric and partial metric against configural,
//	                         scalar against metric, partial scalar against the
//	                         (partial) metric model
//	delta_cfi, delta_rmsea, delta_srmr DOUBLE    this model's index minus that one's
//	holds BOOLEAN            Chen (2007): ΔCFI ≥ −0.010 and ΔRMSEA ≤ 0.015, and
//	                         ΔSRMR ≤ 0.030 (metric) or ≤ 0.015 (scalar); NULL for
//	                         the configural model
//	verdict VARCHAR          the strongest invariance that holds for the dimension and
//	                         wave (the same on each of its rows): scalar (metric and
//	                         scalar hold), partial scalar, metric, partial metric or
//	                         configural
//	status VARCHAR, reason VARCHAR
//
// A group below the disclosure minimum makes the dimension and wave one row
// with status "primary", the reason naming the group, and no numbers; a fit
// the engine refuses, one row with status "not_estimable" and its error.
package reliability

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"socap/indicators"
	"socap/indicators/scale"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/score"
)

// The tables the stage writes.
const (
	Table           = "reliability"
	InvarianceTable = "invariance"
)

// NotEstimable is the status of a group or model the engine cannot fit.
const NotEstimable = "not_estimable"

// Stage computes the reliability and invariance tables.
type Stage struct {
	// GroupSets to report (socap.yaml's, Config.GroupSets, when nil).
	GroupSets [][]string

	rows, out int64
}

var (
	_ pipeline.Stage      = (*Stage)(nil)
	_ pipeline.RowCounter = (*Stage)(nil)
)

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "reliability" }

// RowCounts implements pipeline.RowCounter: respondent rows read, reliability
// and invariance rows written.
func (s *Stage) RowCounts() (in, out int64) { return s.rows, s.out }

// Dimension is one composite score: its module and output id, and its items.
type Dimension struct {
	Scale indicators.Scale
	ID    string
	Items []scale.Item
}

// Names are the dimension's item names, in order.
func (d Dimension) Names() []string {
	out := make([]string, len(d.Items))
	for j, it := range d.Items {
		out[j] = it.Name
	}
	return out
}

// Dimensions are the composite scores among the project's indicators
// (score.Configured), in module order, and the harmonised variables their
// ItemColumns read, sorted.
func Dimensions(env *pipeline.Env) ([]Dimension, []string, error) {
	inds, _, err := score.Configured(env)
	if err != nil {
		return nil, nil, err
	}
	var dims []Dimension
	var inputs []string
	for _, ind := range inds {
		sc, ok := ind.(indicators.Scale)
		if !ok {
			continue
		}
		for _, o := range ind.Outputs() {
			if items := sc.Items(o.ID); items != nil {
				dims = append(dims, Dimension{Scale: sc, ID: o.ID, Items: items})
				inputs = append(inputs, ind.Inputs()...)
			}
		}
	}
	slices.Sort(inputs)
	return dims, slices.Compact(inputs), nil
}

// ItemColumns are the dimension's items of a wave as the score enters them
// (Scale.ItemColumns of the frame's numeric columns inputs).
func (d Dimension) ItemColumns(f *survey.Frame, inputs []string) ([][]float64, error) {
	cols := make(map[string][]float64, len(inputs))
	for _, in := range inputs {
		c, err := f.Float(in)
		if err != nil {
			return nil, err
		}
		cols[in] = c
	}
	items, err := d.Scale.ItemColumns(d.ID, cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.ID, err)
	}
	return items, nil
}

// InvarianceVariable is the variable invariance is tested across: that of
// socap.yaml's first compare: groups: contrast (by default background, when
// the codebook has it); "" when there is none.
func InvarianceVariable(env *pipeline.Env) string {
	if g := env.Config.Compare.WithDefaults(env.Codebook).Groups; len(g) > 0 {
		return g[0].Variable
	}
	return ""
}

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	if env.Codebook == nil || env.Config == nil {
		return fmt.Errorf("needs a codebook and a configuration")
	}
	rules := env.DisclosureRules(disclose.Rules{})
	dims, inputs, err := Dimensions(env)
	if err != nil {
		return err
	}
	sets := s.GroupSets
	if sets == nil {
		sets = env.Config.GroupSets(env.Codebook)
	}
	var groupVars []string
	for _, set := range sets {
		groupVars = append(groupVars, set...)
	}
	slices.Sort(groupVars)
	groupVars = slices.Compact(groupVars)
	invVar := InvarianceVariable(env)
	text := slices.Clone(groupVars)
	if invVar != "" && !slices.Contains(text, invVar) {
		text = append(text, invVar)
	}
	s.rows = 0
	var rel []groupRow
	var inv []modelRow
	waves := -1
	if env.Producer == "duckdb" {
		rel, inv, waves, err = s.batched(ctx, env, dims, inputs, text, sets, invVar, rules)
		if errors.Is(err, design.ErrCalibrated) || errors.Is(err, errNoWeightColumn) {
			if env.Log != nil {
				fmt.Fprintf(env.Log, "reliability: producer duckdb: %v; this stage reads the respondents into memory\n", err)
			}
			s.rows, rel, inv, waves = 0, nil, nil, -1
		} else if err != nil {
			return err
		}
	}
	if waves < 0 {
		if rel, inv, waves, err = s.inMemory(ctx, env, dims, inputs, text, sets, invVar, rules); err != nil {
			return err
		}
	}
	estimateAll(rel, rules)
	if err := write(ctx, env, groupVars, rel, inv); err != nil {
		return err
	}
	s.out = int64(len(rel) + len(inv))
	if env.Log != nil {
		fmt.Fprintln(env.Log, summary(dims, waves, rel, inv, invVar))
	}
	return nil
}

// inMemory computes the reliability groups and invariance models of every wave
// from the respondents as design.Load reads them, and the number of waves.
func (s *Stage) inMemory(ctx context.Context, env *pipeline.Env, dims []Dimension, inputs, text []string, sets [][]string, invVar string, rules disclose.Rules) ([]groupRow, []modelRow, int, error) {
	waves, err := design.Load(ctx, env, inputs, text)
	if err != nil {
		return nil, nil, 0, err
	}
	var rel []groupRow
	var inv []modelRow
	for _, w := range waves {
		s.rows += int64(w.Frame.Rows())
		for _, dim := range dims {
			items, err := dim.ItemColumns(w.Frame, inputs)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("wave %d: %w", w.Wave, err)
			}
			weights := w.Design.Weights()
			for _, set := range sets {
				ms, values, err := accumulate(w.Frame, dim, items, weights, set)
				if err != nil {
					return nil, nil, 0, fmt.Errorf("wave %d: %s by %s: %w", w.Wave, dim.ID, setName(set), err)
				}
				for g, m := range ms {
					rel = append(rel, groupRow{dimension: dim.ID, wave: w.Wave, set: set, values: values[g], items: dim.Names(), moments: m})
				}
			}
			if invVar == "" {
				continue
			}
			ms, values, err := accumulate(w.Frame, dim, items, nil, []string{invVar})
			if err != nil {
				return nil, nil, 0, fmt.Errorf("wave %d: %s invariance across %s: %w", w.Wave, dim.ID, invVar, err)
			}
			inv = append(inv, invarianceRows(dim, w.Wave, invVar, ms, values, rules)...)
		}
	}
	return rel, inv, len(waves), nil
}

// accumulate gathers the Moments of every group of set (scale.Accumulate),
// each named COL=VALUE[,…] ("all" for the whole sample), and the groups'
// values of the set's variables. Groups are in the sorted order of their
// codes (survey.Frame.Codes, variable by variable).
func accumulate(f *survey.Frame, dim Dimension, items [][]float64, weights []float64, set []string) ([]*scale.Moments, [][]string, error) {
	codes, values, err := groupCodes(f, set)
	if err != nil {
		return nil, nil, err
	}
	ms, err := scale.Accumulate(dim.Names(), items, weights, codes, len(values))
	if err != nil {
		return nil, nil, err
	}
	for g, m := range ms {
		m.Group = groupLabel(set, values[g])
	}
	return ms, values, nil
}

// groupCodes codes each respondent's group of set, −1 when a variable of the
// set is missing, and returns each group's values (one group, with no
// values, for the empty set).
func groupCodes(f *survey.Frame, set []string) ([]int32, [][]string, error) {
	if len(set) == 0 {
		return make([]int32, f.Rows()), [][]string{nil}, nil
	}
	per := make([][]int32, len(set))
	labels := make([][]string, len(set))
	for j, v := range set {
		var err error
		if per[j], labels[j], err = f.Codes(v); err != nil {
			return nil, nil, err
		}
	}
	// a group's key is its codes in mixed radix, which sorts as the codes do
	key := make([]int64, f.Rows())
	for i := range key {
		for j := range set {
			c := per[j][i]
			if c < 0 {
				key[i] = -1
				break
			}
			key[i] = key[i]*int64(len(labels[j])) + int64(c)
		}
	}
	distinct := slices.Clone(key)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	if len(distinct) > 0 && distinct[0] < 0 {
		distinct = distinct[1:]
	}
	index := make(map[int64]int32, len(distinct))
	values := make([][]string, len(distinct))
	for g, k := range distinct {
		index[k] = int32(g)
		vals := make([]string, len(set))
		for j := len(set) - 1; j >= 0; j-- {
			r := int64(len(labels[j]))
			vals[j] = labels[j][k%r]
			k /= r
		}
		values[g] = vals
	}
	codes := make([]int32, len(key))
	for i, k := range key {
		codes[i] = -1
		if k >= 0 {
			codes[i] = index[k]
		}
	}
	return codes, values, nil
}

// groupLabel names a group as COL=VALUE, joined by ","; "all" for the whole
// sample.
func groupLabel(set, values []string) string {
	if len(set) == 0 {
		return "all"
	}
	parts := make([]string, len(set))
	for j, v := range set {
		parts[j] = v + "=" + values[j]
	}
	return strings.Join(parts, ",")
}

// setName names a group set as the estimates table does: variables joined by
// "+", "all" for the whole sample.
func setName(set []string) string {
	if len(set) == 0 {
		return "all"
	}
	return strings.Join(set, "+")
}

// Stats are one group's reliability (package doc); NaN where there is no
// number.
type Stats struct {
	N, NComplete                                      int
	Alpha, AlphaStd, AlphaWeighted, Omega, CFI, RMSEA float64
	Status, Reason                                    string
}

// Estimate is the reliability of one group's Moments under the disclosure
// rules: suppressed below rules.MinN complete cases, otherwise every statistic
// the engine can compute, and not_estimable with the engine's errors when it
// refuses one.
func Estimate(m *scale.Moments, rules disclose.Rules) Stats {
	nan := math.NaN()
	st := Stats{N: m.Rows, NComplete: m.N(), Alpha: nan, AlphaStd: nan, AlphaWeighted: nan, Omega: nan, CFI: nan, RMSEA: nan,
		Status: disclose.Published.String()}
	if reason := disclose.PrimaryReason(m.N(), 0, false, rules); reason != "" {
		st.Status, st.Reason = disclose.Primary.String(), reason
		return st
	}
	var failed refusals
	if a, err := scale.AlphaOf(m); err != nil {
		failed.add("alpha", err)
	} else {
		st.Alpha, st.AlphaStd = a.Raw, a.Std
	}
	if a, err := scale.WeightedAlphaOf(m); err != nil {
		failed.add("weighted alpha", err)
	} else {
		st.AlphaWeighted = a
	}
	if o, err := scale.OmegaOf(m); err != nil {
		failed.add("omega", err)
	} else {
		st.Omega = o.Total
		if o.Fit.DF > 0 {
			st.CFI, st.RMSEA = o.Fit.CFI, o.Fit.RMSEA
		}
	}
	if reason := failed.String(); reason != "" {
		st.Status, st.Reason = NotEstimable, reason
	}
	return st
}

// refusals are the engine's errors by statistic, in order; statistics refused
// for the same reason (an item without variance) share it.
type refusals struct{ stats, errs []string }

func (r *refusals) add(stat string, err error) {
	if i := slices.Index(r.errs, err.Error()); i >= 0 {
		r.stats[i] += ", " + stat
		return
	}
	r.stats, r.errs = append(r.stats, stat), append(r.errs, err.Error())
}

// String is "stat[, stat]: error" per distinct error, joined by "; ".
func (r *refusals) String() string {
	parts := make([]string, len(r.stats))
	for i := range r.stats {
		parts[i] = r.stats[i] + ": " + r.errs[i]
	}
	return strings.Join(parts, "; ")
}

// estimateAll fills every row's stats from its moments (Estimate), the
// groups shared among GOMAXPROCS workers; each row's result is its own, so
// the output does not depend on the scheduling.
func estimateAll(rel []groupRow, rules disclose.Rules) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rel[i].stats = Estimate(rel[i].moments, rules)
				rel[i].moments = nil
			}
		}()
	}
	for i := range rel {
		next <- i
	}
	close(next)
	wg.Wait()
}

// groupRow is one row of the reliability table.
type groupRow struct {
	dimension string
	wave      int
	set       []string
	values    []string
	items     []string
	moments   *scale.Moments // until estimateAll has made stats of it
	stats     Stats
}
