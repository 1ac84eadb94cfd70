package report

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"socap/indicators"
	"socap/pipeline/compare"

	"socap/pipeline"
	"socap/pipeline/disclose"
)

// Versions of the charting software embedded in every report.
const (
	EChartsVersion   = "5.6.0"
	goEChartsVersion = "github.com/go-echarts/go-echarts/v2 v2.6.7"
)

// Researcher tables. A store table is shown with a head per column in the
// report language (columnLabels); run_id and the reason column are left
// out (a number not shown has its reason as a footnote), ci_low and
// ci_high are one interval column, a column empty in every row is left out
// and a text column with one value in every row is said once in the
// caption. A table with more columns than fit a landscape A4 page is split
// into parts that repeat its key columns.

// ciCol is the merged interval column (ci_low and ci_high).
const ciCol = "ci"

// derived columns a section adds to its rows.
const (
	groupCol      = "\x00group"      // the groups of a row, "Innvandrer · Mann"
	comparisonCol = "\x00comparison" // what a comparison compares
)

// maxColumns is the most columns a researcher table has before it is
// split; a researcher table of more than researchWhole rows may break
// between rows when printed (its cells may hold long text).
const (
	maxColumns    = 10
	researchWhole = 10
)

// spec says how to show a store table.
type spec struct {
	caption string
	// cols are the columns in order (nil: the table's own, see showColumns);
	// keys are repeated in every part of a split table.
	cols, keys []string
	// heads name derived columns.
	heads map[string]string
	max   int // maxColumns when 0
}

// researcherPage builds the researcher report: every table in full and the
// methods appendix.
func (b *builder) researcherPage(nav []link) (*page, error) {
	pg := &page{File: "researcher.html", Lang: b.loc.lang, Nav: nav, Class: "researcher",
		Title: b.project + " – " + b.loc.t("forskerrapport", "researcher report"), Subtitle: b.date}
	b.estimateSections(pg)
	pg.Sections = append(pg.Sections, b.comparisonSection(pg), b.reliabilitySection(pg),
		b.storeSection(pg, "models", b.loc.t("Modeller og heterogenitetstester (Wald F)", "Models and heterogeneity tests (Wald F)"), b.d.models, spec{keys: []string{"wave", "model", "test_term"}}))
	if err := b.coefficientSection(pg); err != nil {
		return nil, err
	}
	pg.Sections = append(pg.Sections,
		b.storeSection(pg, "effects", b.loc.t("Gjennomsnittlige marginale effekter og sysselsettingsrater", "Average marginal effects and employment rates"), b.d.effects,
			spec{keys: []string{"wave", "model", "variable", "level", "by_group"}}),
		b.programmeSection(pg),
		b.methodsSection(pg),
		b.accountingSection(),
	)
	return pg, nil
}

// estimateSections: one section per indicator, a table per group set with
// every wave.
func (b *builder) estimateSections(pg *page) {
	type key struct{ indicator, set string }
	byKey := map[key][]record{}
	sets := map[string][]string{}
	for _, r := range b.d.estimates.rows {
		k := key{r.str("indicator"), r.str("group_set")}
		if _, ok := byKey[k]; !ok {
			sets[k.indicator] = append(sets[k.indicator], k.set)
		}
		byKey[k] = append(byKey[k], r)
	}
	for _, o := range b.outputs {
		s := &section{ID: "est-" + o.ID, Title: o.Label.In(b.loc.lang),
			Paras: []string{fmt.Sprintf("%s: %s; %s: %s.", b.loc.t("Enhet", "Unit"), o.Unit.Label.In(b.loc.lang), b.loc.t("Populasjon", "Population"), o.Population.In(b.loc.lang))}}
		names := sets[o.ID]
		slices.SortStableFunc(names, func(x, y string) int {
			return cmp.Or(cmp.Compare(setSize(x), setSize(y)), cmp.Compare(x, y))
		})
		for _, set := range names {
			keys := []string{"wave"}
			if set != compare.All {
				keys = append(keys, strings.Split(set, "+")...)
			}
			cols := append(slices.Clone(keys), "statistic", "estimate", "se", ciCol, "df", "deff", "cv", "n_shown", "flags")
			for i, t := range b.tables(pg, byKey[key{o.ID, set}], spec{caption: b.groupSetLabel(set), cols: cols, keys: keys, max: 12}) {
				t.CSV = fmt.Sprintf("estimates-%s-%s-%d.csv", o.ID, strings.ReplaceAll(set, "+", "-"), i+1)
				s.Tables = append(s.Tables, t)
			}
		}
		pg.Sections = append(pg.Sections, s)
	}
}

// setSize is the number of variables of a group set ("all" has none).
func setSize(set string) int {
	if set == compare.All {
		return 0
	}
	return strings.Count(set, "+") + 1
}

// comparisonSection: a table per indicator, each row one comparison said
// in words ("Kommune: Frøya mot alle").
func (b *builder) comparisonSection(pg *page) *section {
	s := &section{ID: "comparisons", Title: b.loc.t("Sammenligninger", "Comparisons")}
	if len(b.d.comparisons.columns) == 0 {
		s.Paras = append(s.Paras, b.missingTable(b.d.comparisons.name))
		return s
	}
	byInd := map[string][]record{}
	for _, r := range b.d.comparisons.rows {
		d := maps.Clone(r)
		d[comparisonCol] = b.comparisonText(r)
		byInd[r.str("indicator")] = append(byInd[r.str("indicator")], d)
	}
	heads := map[string]string{comparisonCol: b.loc.t("Sammenligning", "Comparison")}
	cols := []string{comparisonCol, "wave", "estimate", "reference_estimate", "difference", "se", ciCol, "df", "verdict", "status"}
	for _, o := range b.outputs {
		for i, t := range b.tables(pg, byInd[o.ID], spec{caption: o.Label.In(b.loc.lang), cols: cols, keys: cols[:2], heads: heads}) {
			t.CSV = fmt.Sprintf("comparisons-%s-%d.csv", o.ID, i+1)
			s.Tables = append(s.Tables, t)
		}
	}
	return s
}

// comparisonText says what a comparison compares.
func (b *builder) comparisonText(r record) string {
	against := b.loc.t(" mot ", " against ")
	switch r.str("kind") {
	case "wave":
		where := b.loc.t("hele utvalget", "whole sample")
		if v := r.str("variable"); v != "" {
			where = b.label(v, r.str("group"))
		}
		return fmt.Sprintf("%s: %s %s%s%s", where, b.loc.t("runde", "wave"), r.str("wave"), against, r.str("reference_wave"))
	case "area":
		return b.varLabel(r.str("variable")) + ": " + b.groupValue(r.str("variable"), r.str("group")) + against + b.loc.t("hele utvalget", "the whole sample")
	}
	return b.varLabel(r.str("variable")) + ": " + b.groupValue(r.str("variable"), r.str("group")) + against + b.groupValue(r.str("variable"), r.str("reference"))
}

// groupValue is a group's label, "alle" for compare.All.
func (b *builder) groupValue(variable, code string) string {
	if code == compare.All {
		return b.loc.t("alle", "all")
	}
	return b.label(variable, code)
}

// programmeSection: the difference in differences per indicator and the
// mentoring stage's shares and adjusted difference.
func (b *builder) programmeSection(pg *page) *section {
	s := b.storeSection(pg, "programme", b.loc.t("Programevaluering (forskjell i forskjeller)", "Programme evaluation (difference in differences)"), b.d.programme,
		spec{keys: []string{"indicator"}})
	if len(b.d.mentors.rows) > 0 {
		m := b.storeSection(pg, "", "", b.d.mentors, spec{keys: []string{"wave", "kind", "mentor"},
			caption: b.loc.t("Mentorordningen: andel sysselsatte innvandrere i en jobb som svarer til kvalifikasjonene, uten og med mentor, og justert forskjell (AME)",
				"Mentoring: share of employed immigrants in a job matching their qualifications, without and with a mentor, and the adjusted difference (AME)")})
		s.Tables = append(s.Tables, m.Tables...)
	}
	return s
}

// missingTable says that the store has no table name.
func (b *builder) missingTable(name string) string {
	return b.loc.t("Tabellen "+name+" finnes ikke i databasen: steget har ikke kjørt.", "The store has no table "+name+": its stage has not run.")
}

// storeSection shows a store table; a table the store does not have says so.
func (b *builder) storeSection(pg *page, id, title string, t table, sp spec) *section {
	s := &section{ID: id, Title: title}
	if len(t.columns) == 0 {
		s.Paras = append(s.Paras, b.missingTable(t.name))
		return s
	}
	if sp.cols == nil {
		sp.cols = showColumns(t.columns)
	}
	for i, dt := range b.tables(pg, t.rows, sp) {
		dt.CSV = fmt.Sprintf("%s-%d.csv", t.name, i+1)
		s.Tables = append(s.Tables, dt)
	}
	return s
}

// showColumns are a table's columns as shown: without run_id and reason,
// ci_low and ci_high as one.
func showColumns(columns []string) []string {
	var out []string
	for _, c := range columns {
		switch c {
		case "run_id", "reason", "ci_high":
		case "ci_low":
			if slices.Contains(columns, "ci_high") {
				out = append(out, ciCol)
			} else {
				out = append(out, c)
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// numeric columns of the store's result tables that a suppressed row
// withholds.
func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, int64, int32, int:
		return true
	}
	return false
}

// tables shows rows as sp says: columns empty in every row left out, a text
// column with one value said in the caption, split into parts of at most
// sp.max columns that repeat the keys.
func (b *builder) tables(pg *page, rows []record, sp spec) []*dataTable {
	limit := cmp.Or(sp.max, maxColumns)
	if len(rows) == 0 {
		return []*dataTable{b.recordTable(pg, sp.cols, rows, sp)}
	}
	var cols []string
	var said []string
	for _, c := range sp.cols {
		empty, same, first := true, true, ""
		for i, r := range rows {
			v := r.str(c)
			if c == ciCol {
				v = r.str("ci_low")
			}
			if v != "" {
				empty = false
			}
			if i == 0 {
				first = v
			} else if v != first {
				same = false
			}
			if !empty && !same {
				break
			}
		}
		_, text := rows[0][c].(string)
		switch {
		case empty:
		case same && len(rows) > 1 && text && c != comparisonCol && c != groupCol:
			said = append(said, b.head(c, sp)+": "+b.show(rows[0], c))
		default:
			cols = append(cols, c)
		}
	}
	caption := sp.caption
	if len(said) > 0 {
		if caption != "" {
			caption += ". "
		}
		caption += strings.Join(said, "; ")
	}
	var keys, values []string
	for _, c := range cols {
		if slices.Contains(sp.keys, c) {
			keys = append(keys, c)
		} else {
			values = append(values, c)
		}
	}
	per := max(limit-len(keys), 1)
	parts := (len(values) + per - 1) / per
	if parts <= 1 {
		t := b.recordTable(pg, cols, rows, sp)
		t.Caption = caption
		return []*dataTable{t}
	}
	var out []*dataTable
	for i := 0; i < parts; i++ {
		chunk := values[i*per : min((i+1)*per, len(values))]
		// keys stay in their place among the columns
		var part []string
		for _, c := range cols {
			if slices.Contains(keys, c) || slices.Contains(chunk, c) {
				part = append(part, c)
			}
		}
		t := b.recordTable(pg, part, rows, sp)
		t.Caption = fmt.Sprintf("%s (%s %d %s %d)", caption, b.loc.t("del", "part"), i+1, b.loc.t("av", "of"), parts)
		out = append(out, t)
	}
	return out
}

// head is the head of column c.
func (b *builder) head(c string, sp spec) string {
	if h, ok := sp.heads[c]; ok {
		return h
	}
	if c == ciCol {
		return b.loc.num(100*b.level(), 0) + b.loc.t(noBreak+"% KI", "% CI")
	}
	if b.isGroupVar(c) {
		return b.varLabel(c)
	}
	return b.colLabel(c)
}

// isGroupVar reports whether c is a grouping variable of the estimates.
func (b *builder) isGroupVar(c string) bool { return slices.Contains(b.d.groupVars, c) }

// show is a text cell of column c.
func (b *builder) show(r record, c string) string {
	if tm, ok := r[c].(time.Time); ok {
		return tm.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	v := r.str(c)
	switch {
	case v == "":
		return ""
	case b.isGroupVar(c):
		return v + " " + b.label(c, v)
	}
	switch c {
	case "indicator", "dimension":
		if o, ok := b.output(v); ok {
			return o.Label.In(b.loc.lang)
		}
	case "group_set":
		return b.groupSetLabel(v)
	case "variable", "by_variable":
		if base, ok := strings.CutSuffix(v, ">0"); ok {
			return b.varLabel(base) + " > 0"
		}
		return b.varLabel(v)
	case "group", "reference":
		return b.groupValue(r.str("variable"), v)
	case "by_group":
		return b.groupValue(r.str("by_variable"), v)
	case "flags":
		var out []string
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			out = append(out, b.valueLabel(c, f))
		}
		return strings.Join(out, ", ")
	}
	return b.valueLabel(c, v)
}

// output finds an indicator by id.
func (b *builder) output(id string) (indicators.Output, bool) {
	for _, o := range b.outputs {
		if o.ID == id {
			return o, true
		}
	}
	return indicators.Output{}, false
}

// recordTable is a table of rows; a row that is not published shows ":"
// with its reason in every number column, whatever the store holds there.
func (b *builder) recordTable(pg *page, cols []string, rows []record, sp spec) *dataTable {
	t := &dataTable{CSVLabel: b.csvLabel(), breakable: len(rows) > researchWhole}
	for _, c := range cols {
		t.Head = append(t.Head, b.head(c, sp))
	}
	numeric := map[string]bool{}
	for _, r := range rows {
		for _, c := range cols {
			if c == ciCol || isNumber(r[c]) && c != "wave" {
				numeric[c] = true
			}
		}
	}
	for _, r := range rows {
		_, hasStatus := r["status"]
		hidden := hasStatus && !r.published()
		var row []cell
		noted := false
		for _, c := range cols {
			switch {
			case hidden && (numeric[c] || c == "verdict") && noted:
				// the row's reason is footnoted at its first ":" (tens of
				// thousands of hidden rows in a national store)
				row = append(row, cell{Text: disclose.Symbol, Num: true})
			case hidden && (numeric[c] || c == "verdict"):
				row = append(row, b.hiddenCell(pg, r))
				noted = true
			case c == ciCol:
				if math.IsNaN(r.num("ci_low")) {
					row = append(row, cell{Text: "–", Num: true})
				} else {
					row = append(row, cell{Text: "[" + b.researchNum(r, "ci_low") + b.loc.t("; ", ", ") + b.researchNum(r, "ci_high") + "]", Num: true})
				}
			case isNumber(r[c]):
				row = append(row, cell{Text: b.researchNum(r, c), Num: true, Key: refIf(hasStatus && c == "estimate", r), Status: statusIf(hasStatus && c == "estimate", r)})
			case c == "n_shown":
				row = append(row, b.nCell(r))
			default:
				row = append(row, cell{Text: b.show(r, c)})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// refIf is the row's reference when ok.
func refIf(ok bool, r record) string {
	if !ok {
		return ""
	}
	return r.str(rowRef)
}

// statusIf is the row's status when ok.
func statusIf(ok bool, r record) string {
	if !ok {
		return ""
	}
	return r.str("status")
}

// researchNum shows a number to four decimals (integers whole, p values to
// four significant digits).
func (b *builder) researchNum(r record, col string) string {
	switch v := r[col].(type) {
	case int64, int32, int:
		return b.loc.int(r.int(col))
	case float64:
		if strings.HasSuffix(col, "df") && v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return b.loc.num(v, 0)
		}
		if col == "p" || col == "test_p" {
			if v != 0 && math.Abs(v) < 1e-4 {
				return strings.Replace(fmt.Sprintf("%.3e", v), ".", b.loc.t(",", "."), 1)
			}
		}
		return b.loc.num(v, 4)
	}
	return r.str(col)
}

// reliabilitySection shows the reliability (a table per dimension, the
// groups of a row in one column) and invariance tables when the store has
// them.
func (b *builder) reliabilitySection(pg *page) *section {
	title := b.loc.t("Reliabilitet og målingsinvarians", "Reliability and measurement invariance")
	if b.d.reliability == nil && b.d.invariance == nil {
		return &section{ID: "reliability", Title: title, Paras: []string{b.loc.t(
			"Databasen har ingen tabeller reliability og invariance (reliabilitetssteget har ikke kjørt); avsnittet er utelatt.",
			"The store has no reliability and invariance tables (the reliability stage has not run); the section is left out.")}}
	}
	s := &section{ID: "reliability", Title: title}
	heads := map[string]string{groupCol: b.loc.t("Gruppe", "Group")}
	if t := b.d.reliability; t != nil {
		var cols []string
		for _, c := range showColumns(t.columns) {
			if c == "dimension" || c == "group_set" {
				continue
			}
			if slices.Contains(b.d.groupVars, c) {
				if !slices.Contains(cols, groupCol) {
					cols = append(cols, groupCol)
				}
				continue
			}
			cols = append(cols, c)
		}
		cols = append([]string{"group_set"}, cols...)
		byDim := map[string][]record{}
		var dims []string
		for _, r := range t.rows {
			d := maps.Clone(r)
			var parts []string
			for _, v := range b.d.groupVars {
				if x := r.str(v); x != "" {
					parts = append(parts, b.label(v, x))
				}
			}
			d[groupCol] = strings.Join(parts, " · ")
			if d[groupCol] == "" {
				d[groupCol] = b.loc.t("Alle", "All")
			}
			k := r.str("dimension")
			if _, ok := byDim[k]; !ok {
				dims = append(dims, k)
			}
			byDim[k] = append(byDim[k], d)
		}
		for _, k := range dims {
			caption := b.loc.t("Reliabilitet: ", "Reliability: ") + b.show(byDim[k][0], "dimension")
			for i, dt := range b.tables(pg, byDim[k], spec{caption: caption, cols: cols, keys: []string{"group_set", "wave", groupCol}, heads: heads}) {
				dt.CSV = fmt.Sprintf("reliability-%s-%d.csv", k, i+1)
				s.Tables = append(s.Tables, dt)
			}
		}
	}
	if t := b.d.invariance; t != nil {
		sub := b.storeSection(pg, "", "", *t, spec{caption: b.loc.t("Målingsinvarians", "Measurement invariance"), keys: []string{"dimension", "wave", "model", "step"}})
		s.Paras = append(s.Paras, sub.Paras...)
		s.Tables = append(s.Tables, sub.Tables...)
	}
	return s
}

// coefficientSection: each model's coefficients per wave as a forest plot
// (intercept left out) and a table.
func (b *builder) coefficientSection(pg *page) error {
	s := &section{ID: "coefficients", Title: b.loc.t("Koeffisienter", "Coefficients")}
	type fit struct {
		wave  int64
		model string
	}
	var fits []fit
	for _, r := range b.d.coefficients.rows {
		f := fit{r.int("wave"), r.str("model")}
		if !slices.Contains(fits, f) {
			fits = append(fits, f)
		}
	}
	for i, f := range fits {
		all := b.d.coefficients.find(func(r record) bool { return r.int("wave") == f.wave && r.str("model") == f.model })
		var terms []string
		var ps []point
		for _, r := range all {
			if r.str("term") == "(Intercept)" {
				continue
			}
			terms = append(terms, r.str("term"))
			ps = append(ps, point{Value: r.num("estimate"), Low: r.num("ci_low"), High: r.num("ci_high")})
		}
		id := fmt.Sprintf("fig-coef-%d", i+1)
		opt, err := forestChart(id, terms, ps, b.loc.t("koeffisient (logit eller lineær), 95 % KI", "coefficient (logit or linear), 95% CI"))
		if err != nil {
			return err
		}
		cols := slices.DeleteFunc(showColumns(b.d.coefficients.columns), func(c string) bool { return c == "wave" || c == "model" })
		t := b.tables(pg, all, spec{cols: cols, keys: []string{"term"}})[0]
		t.CSV = fmt.Sprintf("coefficients-%s-%d.csv", f.model, f.wave)
		s.Figures = append(s.Figures, &figure{ID: id, Height: 120 + 26*len(terms), option: opt, Table: t,
			Title: fmt.Sprintf("%s, %s %d", upperFirst(b.valueLabel("model", f.model)), b.loc.t("runde", "wave"), f.wave)})
	}
	pg.Sections = append(pg.Sections, s)
	return nil
}

// methodsSection is the methods appendix, generated from the run.
func (b *builder) methodsSection(pg *page) *section {
	s := &section{ID: "methods", Title: b.loc.t("Metoder", "Methods")}
	cb := b.cb
	hash, version := "", pipeline.Version
	if len(b.d.runs.rows) > 0 {
		hash, version = b.d.runs.rows[0].str("config_hash"), b.d.runs.rows[0].str("version")
	}
	var hidden, primary, secondary, cells int
	for _, r := range b.d.estimates.rows {
		cells++
		switch r.str("status") {
		case disclose.Primary.String():
			primary++
			hidden++
		case disclose.Secondary.String():
			secondary++
			hidden++
		}
	}
	pct := 0.0
	if cells > 0 {
		pct = 100 * float64(hidden) / float64(cells)
	}
	s.Paras = []string{
		b.loc.t("Kodebok: ", "Codebook: ") + fmt.Sprintf("%s, %s %v – %s.", cb.Name, b.loc.t("versjon", "version"), cb.Version, cb.Title.In(b.loc.lang)),
		b.loc.t(fmt.Sprintf("Estimatene er designbaserte (Taylor-linearisering eller replikatvekter), med t-intervaller på domenets frihetsgrader; proporsjoner har logit-intervaller. Konfidensnivå for sammenligninger: %s.", b.loc.num(100*b.level(), 0)+noBreak+"%"),
			fmt.Sprintf("Estimates are design-based (Taylor linearisation or replicate weights), with t intervals on the domain's degrees of freedom; proportions have logit intervals. Confidence level of comparisons: %s.", b.loc.num(100*b.level(), 0)+"%")),
		b.loc.t(fmt.Sprintf("Prikking: et tall som bygger på færre enn %d svar, eller en andel med færre enn %d med eller uten egenskapen, vises ikke (primær); flere celler skjules til ingen skjult celle kan regnes ut eller snevres inn til ±%s av verdien (sekundær). Av %s celler ble %s skjult (%s primært, %s sekundært; %s).",
			b.rules.MinN, b.rules.MinCount, b.loc.num(100*b.rules.Protection, 0)+noBreak+"%", b.loc.int(int64(cells)), b.loc.int(int64(hidden)), b.loc.int(int64(primary)), b.loc.int(int64(secondary)), b.loc.percent(pct, 1)),
			fmt.Sprintf("Suppression: a number resting on fewer than %d respondents, or a proportion with fewer than %d with or without the attribute, is not shown (primary); further cells are hidden until no hidden cell can be worked out or narrowed to within ±%s of its value (secondary). Of %s cells, %s were hidden (%s primary, %s secondary; %s).",
				b.rules.MinN, b.rules.MinCount, b.loc.num(100*b.rules.Protection, 0)+"%", b.loc.int(int64(cells)), b.loc.int(int64(hidden)), b.loc.int(int64(primary)), b.loc.int(int64(secondary)), b.loc.percent(pct, 1))),
		b.loc.t("Programvare: ", "Software: ") + fmt.Sprintf("socap %s, DuckDB %s, %s, ECharts %s. %s %s.", version, b.d.duckdb, goEChartsVersion, EChartsVersion, b.loc.t("Konfigurasjonens hash:", "Configuration hash:"), hash),
	}
	sub := b.storeSection(pg, "", "", b.d.designs, spec{keys: []string{"wave"}})
	s.Paras = append(s.Paras, b.loc.t("Utvalgsdesign, vekting og kalibrering per runde:", "Sample design, weighting and calibration per wave:"))
	s.Paras = append(s.Paras, sub.Paras...)
	s.Tables = append(s.Tables, sub.Tables...)
	runs := b.storeSection(pg, "", "", b.d.runs, spec{keys: []string{"stage"}})
	s.Tables = append(s.Tables, runs.Tables...)
	return s
}

// level is the confidence level of the comparisons.
func (b *builder) level() float64 {
	if b.cmpLevel > 0 {
		return b.cmpLevel
	}
	return pipeline.DefaultLevel
}

// accountingSection is the row accounting of ingest: raw rows = respondents
// + rejected rows, per source, and the rejected rows by rule.
func (b *builder) accountingSection() *section {
	s := &section{ID: "accounting", Title: b.loc.t("Radregnskap", "Row accounting")}
	if b.d.accountingErr != "" {
		s.Paras = append(s.Paras, b.loc.t("Radregnskapet er ikke tilgjengelig: ", "The row accounting is not available: ")+b.d.accountingErr)
		return s
	}
	t := &dataTable{Head: []string{b.loc.t("Kilde", "Source"), b.loc.t("Rader inn", "Raw rows"), b.loc.t("Respondenter", "Respondents"), b.loc.t("Avviste rader", "Rejected rows"), b.loc.t("Avviste celler", "Rejected cells")},
		CSV: "accounting.csv", CSVLabel: b.csvLabel()}
	for _, c := range b.d.accounting {
		t.Rows = append(t.Rows, []cell{{Text: c.Source, Head: true}, {Text: b.loc.int(c.Raw), Num: true}, {Text: b.loc.int(c.Respondents), Num: true},
			{Text: b.loc.int(c.RejectedRows), Num: true}, {Text: b.loc.int(c.RejectedCells), Num: true}})
	}
	r := &dataTable{Head: []string{b.loc.t("Kilde", "Source"), b.loc.t("Regel", "Rule"), b.loc.t("Avviste rader", "Rejected rows")}, CSV: "rejects.csv", CSVLabel: b.csvLabel()}
	for _, x := range b.d.rejects {
		r.Rows = append(r.Rows, []cell{{Text: x.str("source_id"), Head: true}, {Text: x.str("rule")}, {Text: b.loc.int(x.int("rows")), Num: true}})
	}
	s.Tables = []*dataTable{t, r}
	return s
}
