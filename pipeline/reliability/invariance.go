package reliability

import (
	"fmt"
	"math"
	"strings"

	"socap/indicators/scale"
	"socap/pipeline/disclose"
)

// modelRow is one row of the invariance table.
type modelRow struct {
	dimension string
	wave      int
	variable  string
	groups    []string
	items     []string
	model     string // "" when nothing was fitted
	step      int
	freed     string
	score     float64
	fit       scale.ModelFit
	verdict   string
	status    string
	reason    string
}

// invarianceRows fits scale.Invariance to the groups' Moments ms (values: each
// group's value of variable) and returns the table's rows: one per model, or
// one without a model when a group is too small or the engine refuses.
func invarianceRows(dim Dimension, wave int, variable string, ms []*scale.Moments, values [][]string, rules disclose.Rules) []modelRow {
	base := modelRow{dimension: dim.ID, wave: wave, variable: variable, items: dim.Names(), score: math.NaN(),
		status: disclose.Published.String()}
	for g, m := range ms {
		base.groups = append(base.groups, values[g][0])
		if reason := disclose.PrimaryReason(m.N(), 0, false, rules); reason != "" && base.reason == "" {
			base.status, base.reason = disclose.Primary.String(), fmt.Sprintf("group %s: %s", m.Group, reason)
		}
	}
	if base.reason != "" {
		return []modelRow{base}
	}
	res, err := scale.Invariance(ms, scale.InvarianceOptions{})
	if err != nil {
		base.status, base.reason = NotEstimable, err.Error()
		return []modelRow{base}
	}
	base.verdict = Verdict(res)
	var rows []modelRow
	for _, mf := range res.Models {
		r := base
		r.model, r.fit = mf.Model, mf
		rows = append(rows, r)
	}
	for i, st := range res.ItemsToFree {
		r := base
		r.model, r.fit, r.step = st.Result.Model, st.Result, i+1
		r.freed, r.score = freedName(st.ScoreTest), st.ChiSq
		rows = append(rows, r)
	}
	return rows
}

// freedName names a freed parameter as lavaan's group.partial does.
func freedName(t scale.ScoreTest) string {
	if t.Parameter == "loading" {
		return t.Item + "=~"
	}
	return t.Item + "~1"
}

// Verdict is the strongest invariance that holds by Chen's (2007) criteria
// (scale.Invariance): "scalar" when the metric and scalar models hold,
// "partial scalar" when the last partial scalar model of the search holds,
// "metric", "partial metric" likewise, otherwise "configural". When metric
// invariance fails, partial metric holds and the scalar model on top of it
// holds at once, scale.Invariance lists no partial scalar step, and the
// verdict says "partial metric".
func Verdict(res *scale.InvarianceResult) string {
	holds := func(m scale.ModelFit) bool { return m.Holds != nil && *m.Holds }
	metric, scalar := res.Models[1], res.Models[2]
	if holds(metric) && holds(scalar) {
		return "scalar"
	}
	last := map[string]scale.ModelFit{}
	for _, st := range res.ItemsToFree {
		last[st.Result.Model] = st.Result
	}
	if m, ok := last["partial scalar"]; ok && holds(m) {
		return "partial scalar"
	}
	if holds(metric) {
		return "metric"
	}
	if m, ok := last["partial metric"]; ok && holds(m) {
		return "partial metric"
	}
	return "configural"
}

// summary is the stage's line on env.Log.
func summary(dims []Dimension, waves int, rel []groupRow, inv []modelRow, variable string) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	var suppressed, failed int
	for _, r := range rel {
		switch r.stats.Status {
		case disclose.Primary.String():
			suppressed++
		case NotEstimable:
			failed++
		}
		if len(r.set) == 0 && !math.IsNaN(r.stats.Alpha) {
			lo, hi = math.Min(lo, r.stats.Alpha), math.Max(hi, r.stats.Alpha)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "reliability: %d dimensions × %d waves, %d groups (%d suppressed, %d not estimable)",
		len(dims), waves, len(rel), suppressed, failed)
	if lo <= hi {
		fmt.Fprintf(&b, "; alpha %.2f–%.2f overall", lo, hi)
	}
	if variable != "" {
		verdicts := map[string]int{}
		var order []string
		for _, r := range inv {
			if r.step != 0 || (r.model != "" && r.model != "configural") {
				continue // one row per dimension and wave
			}
			v := r.verdict
			if v == "" {
				v = r.status
			}
			if verdicts[v] == 0 {
				order = append(order, v)
			}
			verdicts[v]++
		}
		parts := make([]string, len(order))
		for i, v := range order {
			parts[i] = fmt.Sprintf("%s %d", v, verdicts[v])
		}
		fmt.Fprintf(&b, "; invariance across %s (dimension × wave): %s", variable, strings.Join(parts, ", "))
	}
	return b.String()
}
