// Package compare is the compare stage: for every indicator, each area
// (municipality) against the whole sample, each configured group contrast
// (immigrants against the majority) and each later wave against the first,
// with design-based standard errors, into the table comparisons.
//
// Within a wave the two sides of a comparison are domains of one design and
// overlap (a municipality is part of the whole sample): their difference and
// its standard error come from survey.Design.EstimateDomains and
// DomainSet.Difference, R's svyby(~y, ~g, design, svymean, covmat = TRUE)
// followed by svycontrast, with the t interval on the design's degrees of
// freedom (confint(..., df = degf(design))). Waves are separate, independent
// samples (each has its own design, pipeline/design), so a change between
// waves has the variance of the later estimate plus that of the earlier one
// (SEs add in quadrature) and Welch–Satterthwaite degrees of freedom
// (survey.IndependentDifference).
//
// The verdict says where the interval of the difference lies: "higher" above
// 0, "lower" below 0, "similar" when it contains 0. A comparison that uses a
// suppressed estimate is suppressed too (disclose.Derived: otherwise
// "municipality − whole sample" gives the municipality back): the status of
// each cell comes from the estimates table, or, for a cell that table does
// not hold, from the primary rule on the cell's n (disclose.PrimaryReason).
// A suppressed comparison keeps no number and no verdict. A comparison with
// an empty side (an indicator about immigrants has no majority group) is not
// written.
//
// Table comparisons: run_id, indicator, kind (area|group|wave), wave,
// reference_wave (kind wave), variable, group, reference ("all" for the
// whole sample; for kind wave the group again, in the reference wave),
// estimate, reference_estimate, difference, se, ci_low, ci_high, df,
// verdict, status, reason.
package compare

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"socap/indicators"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
	"socap/pipeline/score"
	"socap/pipeline/store"
)

// Table is the name of the stage's output table.
const Table = "comparisons"

// All names the whole sample among groups.
const All = "all"

// Stage compares areas, groups and waves.
type Stage struct {
	// Rules of disclosure control for cells the estimates table does not
	// hold (when zero: socap.yaml's disclosure: section).
	Rules disclose.Rules

	rows, written int64
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "compare" }

// RowCounts implements pipeline.RowCounter: respondent rows read, comparisons written.
func (s *Stage) RowCounts() (in, out int64) { return s.rows, s.written }

// Row is one comparison.
type Row struct {
	Indicator     string
	Kind          string // area, group or wave
	Wave          int
	ReferenceWave int // kind wave only, else 0
	Variable      string
	Group         string
	Reference     string
	Estimate      float64
	RefEstimate   float64
	Diff          survey.Contrast
	Mark          disclose.Mark
}

// Verdict is "higher" when the interval [lo, hi] of a difference lies above
// 0, "lower" when below, "similar" when it contains 0, and "" when there is
// no interval.
func Verdict(lo, hi float64) string {
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi):
		return ""
	case lo > 0:
		return "higher"
	case hi < 0:
		return "lower"
	}
	return "similar"
}

// Outputs are the configured indicators' outputs and the score columns they
// read.
func Outputs(env *pipeline.Env) ([]indicators.Output, []string, error) {
	mods, _, err := score.Configured(env)
	if err != nil {
		return nil, nil, err
	}
	var outputs []indicators.Output
	var columns []string
	for _, m := range mods {
		for _, o := range m.Outputs() {
			outputs = append(outputs, o)
			columns = append(columns, o.Columns()...)
		}
	}
	return outputs, columns, nil
}

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	cfg := env.Config.Compare.WithDefaults(env.Codebook)
	rules := env.DisclosureRules(s.Rules)
	outputs, columns, err := Outputs(env)
	if err != nil {
		return err
	}
	var vars []string
	if cfg.Areas != "" {
		vars = append(vars, cfg.Areas)
	}
	for _, g := range cfg.Groups {
		vars = append(vars, g.Variable)
	}
	slices.Sort(vars)
	vars = slices.Compact(vars)
	waves, err := design.Load(ctx, env, columns, vars)
	if err != nil {
		return err
	}
	s.rows = 0
	for _, w := range waves {
		s.rows += int64(w.Frame.Rows())
	}
	marks, err := ReadMarks(ctx, env.Store, vars)
	if err != nil {
		return err
	}
	var rows []Row
	for _, o := range outputs {
		rs, err := compareOutput(o, waves, cfg, marks, rules)
		if err != nil {
			return fmt.Errorf("%s: %w", o.ID, err)
		}
		rows = append(rows, rs...)
	}
	if err := write(ctx, env, rows); err != nil {
		return err
	}
	s.written = int64(len(rows))
	suppressed := 0
	for _, r := range rows {
		if !r.Mark.Publishable() {
			suppressed++
		}
	}
	fmt.Fprintf(env.Log, "compare: %d comparisons of %d indicators in %d wave(s); %d suppressed\n", len(rows), len(outputs), len(waves), suppressed)
	return nil
}

// side is one domain of a wave's domain set: what it is and where its
// disclosure status comes from.
type side struct {
	variable, group string // "" and All for the whole sample
	count           int    // respondents with the attribute (proportions)
}

// waveSet is one wave's estimates of one output in every domain compared.
type waveSet struct {
	wave  int
	ds    *survey.DomainSet
	sides []side
	areas map[string]int // area code → index
}

func compareOutput(o indicators.Output, waves []design.Wave, cfg pipeline.Compare, marks Marks, rules disclose.Rules) ([]Row, error) {
	level := cfg.Level
	var rows []Row
	var sets []waveSet
	for _, w := range waves {
		ws, err := estimateWave(o, w, cfg)
		if err != nil {
			return nil, fmt.Errorf("wave %d: %w", w.Wave, err)
		}
		sets = append(sets, ws)
		mark := func(k int) disclose.Part { return ws.part(o, k, marks, rules) }
		add := func(kind string, a, b int, variable, group, ref string) error {
			c, err := ws.ds.Difference(a, b, level)
			if errors.Is(err, survey.ErrEmptyDomain) {
				return nil
			}
			if err != nil {
				return err
			}
			rows = append(rows, Row{Indicator: o.ID, Kind: kind, Wave: w.Wave, Variable: variable, Group: group, Reference: ref,
				Estimate: ws.ds.Estimate[a], RefEstimate: ws.ds.Estimate[b], Diff: c, Mark: disclose.Derived(mark(a), mark(b))})
			return nil
		}
		for _, code := range sortedKeys(ws.areas) {
			if err := add("area", ws.areas[code], 0, cfg.Areas, code, All); err != nil {
				return nil, fmt.Errorf("wave %d: area %s: %w", w.Wave, code, err)
			}
		}
		for gi, g := range cfg.Groups {
			a, b := 1+len(ws.areas)+2*gi, 2+len(ws.areas)+2*gi
			if err := add("group", a, b, g.Variable, ws.sides[a].group, ws.sides[b].group); err != nil {
				return nil, fmt.Errorf("wave %d: %s %d against %d: %w", w.Wave, g.Variable, g.Group, g.Reference, err)
			}
		}
	}
	if cfg.Waves == nil || !*cfg.Waves || len(sets) < 2 {
		return rows, nil
	}
	first := sets[0]
	for _, later := range sets[1:] {
		pairs := [][2]int{{0, 0}}
		for _, code := range sortedKeys(later.areas) {
			if k, ok := first.areas[code]; ok {
				pairs = append(pairs, [2]int{later.areas[code], k})
			}
		}
		for _, p := range pairs {
			a, b := later.domain(p[0], level), first.domain(p[1], level)
			if a == nil || b == nil {
				continue
			}
			c, err := survey.IndependentDifference(*a, *b, level)
			if err != nil {
				return nil, err
			}
			sd := later.sides[p[0]]
			rows = append(rows, Row{Indicator: o.ID, Kind: "wave", Wave: later.wave, ReferenceWave: first.wave,
				Variable: sd.variable, Group: sd.group, Reference: sd.group,
				Estimate: a.Estimate, RefEstimate: b.Estimate, Diff: c,
				Mark: disclose.Derived(later.part(o, p[0], marks, rules), first.part(o, p[1], marks, rules))})
		}
	}
	return rows, nil
}

// domain is domain k's estimate as a contrast (its SE on the design df), nil
// when the domain is empty.
func (ws *waveSet) domain(k int, level float64) *survey.Contrast {
	c := make([]float64, len(ws.ds.Estimate))
	c[k] = 1
	e, err := ws.ds.Contrast(c, level)
	if err != nil {
		return nil
	}
	return &e
}

// estimateWave estimates o in the whole sample (domain 0), every area, and
// both sides of every group contrast, in one domain set.
func estimateWave(o indicators.Output, w design.Wave, cfg pipeline.Compare) (waveSet, error) {
	ws := waveSet{wave: w.Wave, areas: map[string]int{}}
	doms := []survey.Domain{{Name: All}}
	ws.sides = []side{{group: All}}
	if cfg.Areas != "" {
		areas, err := w.Design.GroupDomains(cfg.Areas)
		if err != nil {
			return ws, err
		}
		for _, a := range areas {
			ws.areas[a.Name] = len(doms)
			doms = append(doms, a)
			ws.sides = append(ws.sides, side{variable: cfg.Areas, group: a.Name})
		}
	}
	for _, g := range cfg.Groups {
		codes, err := w.Frame.Strings(g.Variable)
		if err != nil {
			return ws, err
		}
		for _, code := range []int{g.Group, g.Reference} {
			rows := make([]bool, len(codes))
			for i, c := range codes {
				v, ok := Code(c)
				rows[i] = ok && v == code
			}
			name := strconv.Itoa(code)
			doms = append(doms, survey.Domain{Name: g.Variable + "=" + name, Rows: rows})
			ws.sides = append(ws.sides, side{variable: g.Variable, group: name})
		}
	}
	ds, err := w.Design.EstimateDomains(o.Request(), doms)
	if err != nil {
		return ws, err
	}
	ws.ds = ds
	if o.Statistic.Kind == indicators.Proportion {
		counts := CountOnes(w.Frame, o.Statistic.Column, doms)
		for k := range ws.sides {
			ws.sides[k].count = counts[k]
		}
	}
	return ws, nil
}

// Code is the integer code a group value holds as text ("2", or "2.0" from a
// numeric column); false when it holds none (missing, or not a whole number).
func Code(s string) (int, bool) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
		return 0, false
	}
	return int(x), true
}

// CountOnes counts, per domain, the rows whose column is 1: the respondents
// with the attribute, which the primary rule for proportions needs.
func CountOnes(f *survey.Frame, column string, doms []survey.Domain) []int {
	out := make([]int, len(doms))
	y, err := f.Float(column)
	if err != nil {
		return out
	}
	for k, d := range doms {
		for i, v := range y {
			if v == 1 && (d.Rows == nil || d.Rows[i]) {
				out[k]++
			}
		}
	}
	return out
}

// part is domain k's disclosure part: its mark in the estimates table, or the
// primary rule on its n.
func (ws *waveSet) part(o indicators.Output, k int, marks Marks, rules disclose.Rules) disclose.Part {
	sd := ws.sides[k]
	label := fmt.Sprintf("%s wave %d", sd.group, ws.wave)
	if sd.variable != "" {
		label = fmt.Sprintf("%s %s wave %d", sd.variable, sd.group, ws.wave)
	}
	if m, ok := marks.Find(o.ID, ws.wave, sd.variable, sd.group); ok {
		return disclose.Part{Label: label, Mark: m}
	}
	return disclose.Part{Label: label, Mark: Primary(int(ws.ds.N[k]), sd.count, o.Statistic.Kind == indicators.Proportion, rules)}
}

// Primary is the mark of the primary rule for a cell of n respondents, count
// of them with the attribute (proportions).
func Primary(n, count int, proportion bool, rules disclose.Rules) disclose.Mark {
	if r := disclose.PrimaryReason(n, count, proportion, rules); r != "" {
		return disclose.Mark{Status: disclose.Primary, Reason: r}
	}
	return disclose.Mark{}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// in domain order (GroupDomains sorts numerically when all codes are numbers)
	slices.SortFunc(keys, func(a, b string) int { return m[a] - m[b] })
	return keys
}

// Marks are the disclosure marks of the estimates table's cells of the whole
// sample and of one-variable group sets.
type Marks map[string]disclose.Mark

func markKey(indicator string, wave int, variable, group string) string {
	return strings.Join([]string{indicator, strconv.Itoa(wave), variable, group}, "\x00")
}

// Find returns the mark of indicator's cell in wave for variable = group
// (variable "" for the whole sample).
func (m Marks) Find(indicator string, wave int, variable, group string) (disclose.Mark, bool) {
	mk, ok := m[markKey(indicator, wave, variable, group)]
	return mk, ok
}

// ReadMarks reads the status and reason of the estimates table's cells of
// the whole sample and of the group sets made of one of vars; an absent
// estimates table gives no marks.
func ReadMarks(ctx context.Context, st *store.Store, vars []string) (Marks, error) {
	m := Marks{}
	var have int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'estimates'`).Scan(&have); err != nil {
		return nil, fmt.Errorf("read estimates: %w", err)
	}
	if have == 0 {
		return m, nil
	}
	var present []string
	if err := query(ctx, st, `SELECT DISTINCT group_set FROM estimates`, nil, func(r scanner) error {
		var set string
		err := r.Scan(&set)
		present = append(present, set)
		return err
	}); err != nil {
		return nil, err
	}
	for _, v := range slices.Concat([]string{""}, vars) {
		set, sel := All, "'"+All+"'"
		if v != "" {
			set, sel = v, store.QuoteIdent(v)
		}
		if !slices.Contains(present, set) {
			continue
		}
		q := `SELECT indicator, wave, ` + sel + `, status, coalesce(reason, '') FROM estimates WHERE group_set = ?`
		err := query(ctx, st, q, []any{set}, func(r scanner) error {
			var ind, group, status, reason string
			var wave int
			if err := r.Scan(&ind, &wave, &group, &status, &reason); err != nil {
				return err
			}
			mk := disclose.Mark{Reason: reason}
			switch status {
			case "published":
			case "primary":
				mk.Status = disclose.Primary
			case "secondary":
				mk.Status = disclose.Secondary
			default:
				return fmt.Errorf("%s wave %d: status %q", ind, wave, status)
			}
			m[markKey(ind, wave, v, group)] = mk
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("group set %s: %w", set, err)
		}
	}
	return m, nil
}

type scanner interface{ Scan(dest ...any) error }

// query runs q and calls row for each result row.
func query(ctx context.Context, st *store.Store, q string, args []any, row func(scanner) error) error {
	rows, err := st.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read estimates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return fmt.Errorf("read estimates: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read estimates: %w", err)
	}
	return nil
}

func write(ctx context.Context, env *pipeline.Env, rows []Row) error {
	defs := []string{"run_id BIGINT", "indicator VARCHAR", "kind VARCHAR", "wave INTEGER", "reference_wave INTEGER",
		"variable VARCHAR", store.QuoteIdent("group") + " VARCHAR", "reference VARCHAR", "estimate DOUBLE", "reference_estimate DOUBLE",
		"difference DOUBLE", "se DOUBLE", "ci_low DOUBLE", "ci_high DOUBLE", "df DOUBLE", "verdict VARCHAR",
		"status VARCHAR", "reason VARCHAR"}
	vals := make([][]driver.Value, len(rows))
	for i, r := range rows {
		var refWave driver.Value
		if r.ReferenceWave != 0 {
			refWave = int32(r.ReferenceWave)
		}
		m, c := r.Mark, r.Diff
		verdict := store.Text(Verdict(c.CILow, c.CIHigh))
		if !m.Publishable() {
			verdict = nil
		}
		num := func(x float64) driver.Value { return store.Float(m.Shown(x)) }
		vals[i] = []driver.Value{env.RunID, r.Indicator, r.Kind, int32(r.Wave), refWave, store.Text(r.Variable), r.Group, r.Reference,
			num(r.Estimate), num(r.RefEstimate), num(c.Estimate), num(c.SE), num(c.CILow), num(c.CIHigh),
			num(c.DF), verdict, m.Status.String(), store.Text(m.Reason)}
	}
	return env.Store.Replace(ctx, store.Table{Name: Table, Columns: defs, Rows: store.RowsOf(vals)})
}
