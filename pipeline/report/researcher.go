package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"socap/pipeline"
	"socap/pipeline/disclose"
)

// Versions of the charting software embedded in every report.
const (
	EChartsVersion   = "5.6.0"
	goEChartsVersion = "github.com/go-echarts/go-echarts/v2 v2.6.7"
)

// column is how the researcher report shows one column of a store table.
type column struct {
	name, head string
	// group: a grouping variable, shown as "code label".
	group bool
}

// researcherPage builds the researcher report: every table in full and the
// methods appendix.
func (b *builder) researcherPage(nav []link) (*page, error) {
	pg := &page{File: "researcher.html", Lang: b.loc.lang, Nav: nav, Title: b.project + " – " + b.loc.t("forskerrapport", "researcher report"),
		Subtitle: b.date}
	b.estimateSections(pg)
	pg.Sections = append(pg.Sections,
		b.storeSection(pg, "comparisons", b.loc.t("Sammenligninger", "Comparisons"), b.d.comparisons, nil, ""),
		b.reliabilitySection(pg),
		b.storeSection(pg, "models", b.loc.t("Modeller og heterogenitetstester (Wald F)", "Models and heterogeneity tests (Wald F)"), b.d.models, nil, ""),
	)
	if err := b.coefficientSection(pg); err != nil {
		return nil, err
	}
	pg.Sections = append(pg.Sections,
		b.storeSection(pg, "effects", b.loc.t("Gjennomsnittlige marginale effekter og sysselsettingsrater", "Average marginal effects and employment rates"), b.d.effects, nil, ""),
		b.storeSection(pg, "programme", b.loc.t("Programevaluering (forskjell i forskjeller)", "Programme evaluation (difference in differences)"), b.d.programme, nil, ""),
		b.methodsSection(pg),
		b.accountingSection(),
	)
	return pg, nil
}

// estimateSections: one table per indicator, every wave and group set.
func (b *builder) estimateSections(pg *page) {
	var cols []column
	cols = append(cols, column{name: "wave", head: b.loc.t("Runde", "Wave")}, column{name: "group_set", head: b.loc.t("Gruppesett", "Group set")})
	for _, v := range b.d.groupVars {
		cols = append(cols, column{name: v, head: b.varLabel(v), group: true})
	}
	for _, c := range []string{"statistic", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n_shown", "flags"} {
		cols = append(cols, column{name: c, head: c})
	}
	for _, o := range b.outputs {
		rows := b.d.estimates.find(func(r record) bool { return r.str("indicator") == o.ID })
		t := b.recordTable(pg, cols, rows)
		t.CSV = "estimates-" + o.ID + ".csv"
		pg.Sections = append(pg.Sections, &section{ID: "est-" + o.ID, Title: o.Label.In(b.loc.lang),
			Paras:  []string{fmt.Sprintf("%s: %s; %s: %s.", b.loc.t("Enhet", "Unit"), o.Unit.Label.In(b.loc.lang), b.loc.t("Populasjon", "Population"), o.Population.In(b.loc.lang))},
			Tables: []*dataTable{t}})
	}
}

// storeSection shows a store table with all its columns (but run_id); a
// table the store does not have says so.
func (b *builder) storeSection(pg *page, id, title string, t table, cols []column, note string) *section {
	s := &section{ID: id, Title: title}
	if note != "" {
		s.Paras = append(s.Paras, note)
	}
	if len(t.columns) == 0 {
		s.Paras = append(s.Paras, b.loc.t("Tabellen "+t.name+" finnes ikke i databasen: steget har ikke kjørt.", "The store has no table "+t.name+": its stage has not run."))
		return s
	}
	if cols == nil {
		for _, c := range t.columns {
			if c != "run_id" {
				cols = append(cols, column{name: c, head: c})
			}
		}
	}
	dt := b.recordTable(pg, cols, t.rows)
	dt.CSV = t.name + ".csv"
	s.Tables = append(s.Tables, dt)
	return s
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

// recordTable is a table of rows; a row that is not published shows ":"
// with its reason in every number column, whatever the store holds there.
func (b *builder) recordTable(pg *page, cols []column, rows []record) *dataTable {
	t := &dataTable{CSVLabel: b.csvLabel()}
	for _, c := range cols {
		t.Head = append(t.Head, c.head)
	}
	numeric := map[string]bool{}
	for _, r := range rows {
		for _, c := range cols {
			if isNumber(r[c.name]) && c.name != "wave" {
				numeric[c.name] = true
			}
		}
	}
	for _, r := range rows {
		_, hasStatus := r["status"]
		hidden := hasStatus && !r.published()
		var row []cell
		for _, c := range cols {
			switch {
			case hidden && (numeric[c.name] || c.name == "verdict"):
				row = append(row, b.hiddenCell(pg, r))
			case c.group && r.str(c.name) != "":
				row = append(row, cell{Text: r.str(c.name) + " " + b.label(c.name, r.str(c.name))})
			case isNumber(r[c.name]):
				row = append(row, cell{Text: b.researchNum(r, c.name), Num: true, Key: refIf(hasStatus && c.name == "estimate", r), Status: statusIf(hasStatus && c.name == "estimate", r)})
			default:
				row = append(row, cell{Text: r.str(c.name)})
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
		if col == "p" || col == "test_p" {
			if v != 0 && math.Abs(v) < 1e-4 {
				return strings.Replace(fmt.Sprintf("%.3e", v), ".", b.loc.t(",", "."), 1)
			}
		}
		return b.loc.num(v, 4)
	}
	return r.str(col)
}

// reliabilitySection shows the reliability and invariance tables when the
// store has them.
func (b *builder) reliabilitySection(pg *page) *section {
	title := b.loc.t("Reliabilitet og målingsinvarians", "Reliability and measurement invariance")
	if b.d.reliability == nil && b.d.invariance == nil {
		return &section{ID: "reliability", Title: title, Paras: []string{b.loc.t(
			"Databasen har ingen tabeller reliability og invariance (reliabilitetssteget har ikke kjørt); avsnittet er utelatt.",
			"The store has no reliability and invariance tables (the reliability stage has not run); the section is left out.")}}
	}
	s := &section{ID: "reliability", Title: title}
	for _, t := range []*table{b.d.reliability, b.d.invariance} {
		if t == nil {
			continue
		}
		sub := b.storeSection(pg, t.name, t.name, *t, nil, "")
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
		rows := b.d.coefficients.find(func(r record) bool {
			return r.int("wave") == f.wave && r.str("model") == f.model && r.str("term") != "(Intercept)"
		})
		var terms []string
		var ps []point
		for _, r := range rows {
			terms = append(terms, r.str("term"))
			ps = append(ps, point{Value: r.num("estimate"), Low: r.num("ci_low"), High: r.num("ci_high")})
		}
		id := fmt.Sprintf("fig-coef-%d", i+1)
		opt, err := forestChart(id, terms, ps, b.loc.t("koeffisient (logit eller lineær), 95 % KI", "coefficient (logit or linear), 95% CI"))
		if err != nil {
			return err
		}
		t := b.storeSection(pg, "", "", table{name: b.d.coefficients.name, columns: b.d.coefficients.columns, rows: b.d.coefficients.find(func(r record) bool {
			return r.int("wave") == f.wave && r.str("model") == f.model
		})}, nil, "").Tables[0]
		t.CSV = fmt.Sprintf("coefficients-%s-%d.csv", f.model, f.wave)
		s.Figures = append(s.Figures, &figure{ID: id, Height: 120 + 26*len(terms), option: opt, Table: t,
			Title: fmt.Sprintf("%s, %s %d", f.model, b.loc.t("runde", "wave"), f.wave)})
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
	sub := b.storeSection(pg, "", "", b.d.designs, nil, "")
	s.Paras = append(s.Paras, b.loc.t("Utvalgsdesign, vekting og kalibrering per runde:", "Sample design, weighting and calibration per wave:"))
	s.Paras = append(s.Paras, sub.Paras...)
	s.Tables = append(s.Tables, sub.Tables...)
	runs := b.storeSection(pg, "", "", b.d.runs, nil, "")
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
