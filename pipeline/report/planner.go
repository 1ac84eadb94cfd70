package report

import (
	"fmt"
	"html/template"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"socap/indicators"
	"socap/indicators/core"
	"socap/pipeline/codebook"
	"socap/pipeline/compare"
	"socap/pipeline/disclose"
)

// place is what a planner page is about: one area (a municipality) or the
// whole sample (Code "").
type place struct {
	Code, Name, File string
}

// whole reports whether the place is the whole sample.
func (p place) whole() bool { return p.Code == "" }

// builder makes the pages of one report run.
type builder struct {
	d        *data
	loc      locale
	cb       *codebook.Codebook
	outputs  []indicators.Output
	dims     []indicators.Output // the 0–100 dimensions (structural, relational, cognitive)
	area     string              // the area variable (compare.areas)
	contrast struct{ Var, Group, Reference string }
	waves    []int
	latest   int
	project  string
	date     string
	rules    disclose.Rules
	cmpLevel float64 // compare.level
}

// label is the codebook's label of a value of variable, else the code.
func (b *builder) label(variable, code string) string {
	if v := b.cb.Variable(variable); v != nil {
		for _, val := range v.Values {
			if canonCode(string(val.Code)) == code {
				return codebook.Text{NB: val.NB, EN: val.EN}.In(b.loc.lang)
			}
		}
	}
	return code
}

// varLabel is the codebook's label of variable, else its name.
func (b *builder) varLabel(variable string) string {
	if v := b.cb.Variable(variable); v != nil && !v.Label.IsZero() {
		return v.Label.In(b.loc.lang)
	}
	return variable
}

// share reports whether o is a proportion, shown in per cent.
func share(o indicators.Output) bool { return o.Unit.ID == core.Share.ID }

// scale is the factor from an indicator's stored value to the one shown:
// 100 for proportions (per cent), else 1.
func scale(o indicators.Output) float64 {
	if share(o) {
		return 100
	}
	return 1
}

// decimals are the decimals an indicator is shown with in sentences and the
// barometer (short) or in tables.
func decimals(o indicators.Output, short bool) int {
	d := 0
	if o.Unit.ID == core.ScaleTo10.ID {
		d = 1
	}
	if !short {
		d++
	}
	return d
}

// fmtValue is an indicator's value as shown: "41 %", "43,5", "7,2".
func (b *builder) fmtValue(o indicators.Output, x float64, short bool) string {
	if share(o) {
		return b.loc.percent(x*100, decimals(o, short))
	}
	return b.loc.num(x, decimals(o, short))
}

// fmtDiff is a difference as shown: percentage points for proportions.
func (b *builder) fmtDiff(o indicators.Output, x float64) string {
	if share(o) {
		return b.loc.num(x*100, 1) + b.loc.t(noBreak+"pp", noBreak+"pp")
	}
	return b.loc.num(x, decimals(o, false))
}

// interval is the confidence interval of a difference: "−1,7 til 7,2"
// ("to" in en), in percentage points for proportions without repeating the
// unit.
func (b *builder) interval(o indicators.Output, r record) string {
	k := 1.0
	if share(o) {
		k = 100
	}
	d := decimals(o, false)
	if share(o) {
		d = 1
	}
	return b.signed(k*r.num("ci_low"), d) + b.loc.t(" til ", " to ") + b.signed(k*r.num("ci_high"), d)
}

// signed writes an interval's end with up to two more decimals when it
// would otherwise read as 0 ("0,03", not "0,0", beside a verdict that says
// the interval lies above 0).
func (b *builder) signed(x float64, dec int) string {
	for extra := 0; extra < 2 && x != 0 && math.Abs(x) < 0.5*math.Pow(10, -float64(dec)); extra++ {
		dec++
	}
	return b.loc.num(x, dec)
}

// sentenceValue is an indicator's value in a sentence: a share in per
// cent, a score with its scale ("47 av 100", "6,6 av 10").
func (b *builder) sentenceValue(o indicators.Output, x float64) string {
	v := b.fmtValue(o, x, true)
	if share(o) {
		return v
	}
	return v + b.loc.t(" av ", " out of ") + b.loc.num(unitMax(o), 0)
}

// unitText names what an indicator's numbers are.
func (b *builder) unitText(o indicators.Output) string {
	if share(o) {
		return b.loc.t("prosent", "per cent")
	}
	return o.Unit.Label.In(b.loc.lang)
}

// hiddenCell is the cell of a number disclosure control withheld: ":" with
// the footnote of its reason.
func (b *builder) hiddenCell(p *page, r record) cell {
	return cell{Text: disclose.Symbol, Num: true, Key: r.str(rowRef), Status: r.str("status"), Note: p.notes.add(b.loc.reason(r.str("reason")))}
}

// numCell is a store row's number formatted by f, or ":" when the row is
// not published; "." when there is no row (nothing to estimate).
func (b *builder) numCell(p *page, r record, column string, f func(float64) string) cell {
	switch {
	case r == nil:
		return cell{Text: ".", Num: true}
	case !r.published():
		return b.hiddenCell(p, r)
	}
	return cell{Text: f(r.num(column)), Num: true, Key: r.str(rowRef), Status: r.str("status")}
}

// estCell is an estimate as shown in a table.
func (b *builder) estCell(p *page, o indicators.Output, r record) cell {
	return b.numCell(p, r, "estimate", func(x float64) string { return b.fmtValue(o, x, false) })
}

// ciCell is an estimate's confidence interval.
func (b *builder) ciCell(p *page, o indicators.Output, r record, lo, hi string, f func(indicators.Output, float64) string) cell {
	return b.numCell(p, r, lo, func(float64) string {
		if math.IsNaN(r.num(lo)) {
			return "–"
		}
		return f(o, r.num(lo)) + "–" + f(o, r.num(hi))
	})
}

// nCell is an estimate's n as the store shows it ("under 10" for a
// suppressed cell, in the report language).
func (b *builder) nCell(r record) cell {
	if r == nil {
		return cell{Text: ".", Num: true}
	}
	s := r.str("n_shown")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return cell{Text: b.loc.int(n), Num: true}
	}
	if rest, ok := strings.CutPrefix(s, "under "); ok {
		s = b.loc.t("under ", "under ") + rest
	}
	return cell{Text: s, Num: true}
}

// point is an estimate as a chart point, scaled as shown.
func (b *builder) point(o indicators.Output, r record) point {
	if r == nil {
		return point{Value: math.NaN(), Low: math.NaN(), High: math.NaN()}
	}
	if !r.published() {
		return point{Hidden: true, Value: math.NaN()}
	}
	k := scale(o)
	return point{Value: k * r.num("estimate"), Low: k * r.num("ci_low"), High: k * r.num("ci_high")}
}

// in are the groups of place p plus extra.
func (b *builder) in(p place, extra ...kv) []kv {
	if p.whole() {
		return extra
	}
	return append([]kv{{b.area, p.Code}}, extra...)
}

// areaComparison is the comparison behind the barometer of an indicator:
// the area against the whole sample or, for the whole sample, the
// contrast group against its reference.
func (b *builder) areaComparison(p place, o indicators.Output) record {
	if p.whole() {
		return b.d.compared[compKey(o.ID, "group", b.latest, b.contrast.Var, b.contrast.Group, b.contrast.Reference)]
	}
	return b.d.compared[compKey(o.ID, "area", b.latest, b.area, p.Code, compare.All)]
}

// verdictBadge turns a comparison's verdict into the barometer's colour:
// green when the interval lies on the good side (above 0 when higher is
// better), red on the bad side, yellow when it contains 0, grey ":" when
// hidden or absent.
func (b *builder) verdictBadge(o indicators.Output, r record) *badge {
	if r == nil || !r.published() || r.str("verdict") == "" {
		return &badge{"hidden", disclose.Symbol, b.loc.t("Vises ikke", "Not shown")}
	}
	v := r.str("verdict")
	good := (v == "higher") == o.HigherIsBetter
	switch {
	case v == "similar":
		return &badge{"same", "●", b.loc.t("Omtrent likt", "About the same")}
	case good:
		return &badge{"better", "▲", b.loc.t("Bedre", "Better")}
	}
	return &badge{"worse", "▼", b.loc.t("Dårligere", "Worse")}
}

// comparative is how a sentence compares, as the verdict allows.
func (b *builder) comparative(verdict string) string {
	switch verdict {
	case "higher":
		return b.loc.t("høyere enn", "higher than")
	case "lower":
		return b.loc.t("lavere enn", "lower than")
	}
	return b.loc.t("omtrent som", "about the same as")
}

// sentence says one indicator in words: "Unge som deltar i en frivillig
// organisasjon: 41 % i Frøya, omtrent som i hele utvalget (38 %)." The
// comparison word follows the verdict of the comparison only.
func (b *builder) sentence(pg *page, p place, o indicators.Output) template.HTML {
	c := b.areaComparison(p, o)
	lbl := template.HTMLEscapeString(o.Label.In(b.loc.lang))
	who, ref := b.loc.t("i "+p.Name, "in "+p.Name), b.loc.t("i hele utvalget", "in the whole sample")
	if p.whole() {
		who = b.loc.t("for «"+b.label(b.contrast.Var, b.contrast.Group)+"»", "for “"+b.label(b.contrast.Var, b.contrast.Group)+"”")
		ref = b.loc.t("for «"+b.label(b.contrast.Var, b.contrast.Reference)+"»", "for “"+b.label(b.contrast.Var, b.contrast.Reference)+"”")
	}
	if c == nil {
		return template.HTML(lbl + ": " + template.HTMLEscapeString(b.loc.t("ingen sammenligning "+who+".", "no comparison "+who+".")))
	}
	if !c.published() {
		n := pg.notes.add(b.loc.reason(c.str("reason")))
		return template.HTML(fmt.Sprintf(`%s: %s (<span data-cell="%s" data-status="%s">%s</span><sup><a href="#fn-%d">%d</a></sup>).`,
			lbl, template.HTMLEscapeString(b.loc.t("sammenligningen "+who+" vises ikke", "the comparison "+who+" is not shown")),
			template.HTMLEscapeString(c.str(rowRef)), c.str("status"), disclose.Symbol, n, n))
	}
	s := fmt.Sprintf("%s: %s %s, %s %s (%s).", o.Label.In(b.loc.lang), b.sentenceValue(o, c.num("estimate")), who,
		b.comparative(c.str("verdict")), ref, b.fmtValue(o, c.num("reference_estimate"), true))
	return template.HTML(template.HTMLEscapeString(s))
}

// plannerPage builds the page of a place.
func (b *builder) plannerPage(p place, nav []link) (*page, error) {
	pg := &page{File: p.File, Lang: b.loc.lang, Nav: nav}
	pg.Title = p.Name
	pg.Subtitle = fmt.Sprintf("%s · %s %d · %s", b.project, b.loc.t("Runde", "Wave"), b.latest, b.date)
	steps := []func(*page, place) error{b.barometer, b.dimensionsFigure, b.radarFigure, b.changeFigure, b.programmeFigure, b.employmentFigure, b.heatFigure}
	for _, step := range steps {
		if err := step(pg, p); err != nil {
			return nil, fmt.Errorf("%s: %w", p.File, err)
		}
	}
	pg.Sections = append(pg.Sections, b.aboutSection())
	return pg, nil
}

// barometer is the first screen: every indicator against the whole sample
// (or immigrants against the majority), coloured, and a sentence each.
func (b *builder) barometer(pg *page, p place) error {
	s := &section{ID: "barometer", Title: b.loc.t("Barometer", "Barometer")}
	ref, here := b.loc.t("Hele utvalget", "Whole sample"), p.Name
	if p.whole() {
		here, ref = b.label(b.contrast.Var, b.contrast.Group), b.label(b.contrast.Var, b.contrast.Reference)
		s.Paras = append(s.Paras, b.loc.t(
			fmt.Sprintf("Hver indikator for «%s» sammenlignet med «%s» i runde %d. Grønn ▲: bedre, gul ●: omtrent likt (forskjellen kan skyldes tilfeldigheter), rød ▼: dårligere. I parentes: 95 %% konfidensintervall (KI), området der den sanne forskjellen trolig ligger.", here, ref, b.latest),
			fmt.Sprintf("Each indicator for “%s” against “%s” in wave %d. Green ▲: better, yellow ●: about the same (the difference may be chance), red ▼: worse. In brackets: the 95%% confidence interval (CI), the range where the true difference probably lies.", here, ref, b.latest)))
	} else {
		s.Paras = append(s.Paras, b.loc.t(
			fmt.Sprintf("Hver indikator i %s sammenlignet med hele utvalget i runde %d. Grønn ▲: bedre, gul ●: omtrent likt (forskjellen kan skyldes tilfeldigheter), rød ▼: dårligere. I parentes: 95 %% konfidensintervall (KI), området der den sanne forskjellen trolig ligger.", here, b.latest),
			fmt.Sprintf("Each indicator in %s against the whole sample in wave %d. Green ▲: better, yellow ●: about the same (the difference may be chance), red ▼: worse. In brackets: the 95%% confidence interval (CI), the range where the true difference probably lies.", here, b.latest)))
	}
	t := &dataTable{Head: []string{b.loc.t("Indikator", "Indicator"), here, ref, b.loc.t("Forskjell (95 % KI)", "Difference (95% CI)"), b.loc.t("Vurdering", "Verdict")},
		CSV: "barometer.csv", CSVLabel: b.csvLabel()}
	for _, o := range b.outputs {
		c := b.areaComparison(p, o)
		row := []cell{{Text: o.Label.In(b.loc.lang), Head: true}}
		if c == nil {
			row = append(row, cell{Text: ".", Num: true}, cell{Text: ".", Num: true}, cell{Text: ".", Num: true})
		} else {
			row = append(row,
				b.numCell(pg, c, "estimate", func(x float64) string { return b.fmtValue(o, x, false) }),
				b.numCell(pg, c, "reference_estimate", func(x float64) string { return b.fmtValue(o, x, false) }),
				b.numCell(pg, c, "difference", func(x float64) string {
					return b.fmtDiff(o, x) + " (" + b.interval(o, c) + ")"
				}))
		}
		bd := b.verdictBadge(o, c)
		row = append(row, cell{Text: bd.Symbol + " " + bd.Word, Badge: bd})
		t.Rows = append(t.Rows, row)
		s.Items = append(s.Items, b.sentence(pg, p, o))
	}
	s.Tables = append(s.Tables, t)
	pg.Sections = append(pg.Sections, s)
	return nil
}

// csvLabel is the text of a table's CSV link.
func (b *builder) csvLabel() string {
	return b.loc.t("Last ned tabellen (CSV)", "Download table (CSV)")
}

// dimensionGroups are the series of the dimensions chart: the place, each
// group of the contrast variable in it and, for an area, the whole sample.
func (b *builder) dimensionGroups(p place) (names []string, groups [][]kv) {
	names = append(names, p.Name)
	groups = append(groups, b.in(p))
	for _, g := range b.d.values(b.contrast.Var) {
		names = append(names, b.label(b.contrast.Var, g))
		groups = append(groups, b.in(p, kv{b.contrast.Var, g}))
	}
	if !p.whole() {
		names = append(names, b.loc.t("Hele utvalget", "Whole sample"))
		groups = append(groups, nil)
	}
	return names, groups
}

// dimensionsFigure: the three dimensions per group as bars with CI whiskers.
func (b *builder) dimensionsFigure(pg *page, p place) error {
	if len(b.dims) == 0 {
		return nil
	}
	names, groups := b.dimensionGroups(p)
	var cats []string
	for _, o := range b.dims {
		cats = append(cats, o.Label.In(b.loc.lang))
	}
	t := &dataTable{Head: []string{b.loc.t("Gruppe", "Group")}, CSV: "dimensjoner.csv", CSVLabel: b.csvLabel()}
	for _, c := range cats {
		t.Head = append(t.Head, c, b.loc.t("95 % KI", "95% CI"), "n")
	}
	var ss []series
	for i, g := range groups {
		s := series{Name: names[i]}
		row := []cell{{Text: names[i], Head: true}}
		for _, o := range b.dims {
			r := b.d.estimate(o.ID, b.latest, g...)
			s.Points = append(s.Points, b.point(o, r))
			row = append(row, b.estCell(pg, o, r), b.ciCell(pg, o, r, "ci_low", "ci_high", func(o indicators.Output, x float64) string { return b.fmtValue(o, x, false) }), b.nCell(r))
		}
		ss = append(ss, s)
		t.Rows = append(t.Rows, row)
	}
	opt, err := barChart("fig-dimensions", cats, ss, b.dims[0].Unit.Label.In(b.loc.lang), 100)
	if err != nil {
		return err
	}
	pg.Sections = append(pg.Sections, &section{ID: "dimensions", Title: b.loc.t("Tre dimensjoner av sosial kapital", "Three dimensions of social capital"),
		Figures: []*figure{{ID: "fig-dimensions", Height: 380, option: opt, Table: t,
			Title: b.loc.t(fmt.Sprintf("Sosial kapital etter gruppe, runde %d", b.latest), fmt.Sprintf("Social capital by group, wave %d", b.latest)),
			Caption: b.loc.t("Søylene viser gjennomsnittlig poeng (0–100); strekene viser 95 % konfidensintervall: det sanne tallet ligger trolig innenfor. «:» betyr at tallet ikke vises.",
				"Bars show the mean score (0–100); whiskers show the 95% confidence interval, where the true value probably lies. “:” means the number is not shown.")}}})
	return nil
}

// radarFigure: the dimensions for the contrast group and its reference.
func (b *builder) radarFigure(pg *page, p place) error {
	if len(b.dims) < 3 || b.contrast.Var == "" {
		return nil
	}
	var axes []string
	for _, o := range b.dims {
		axes = append(axes, o.Label.In(b.loc.lang))
	}
	t := &dataTable{Head: append([]string{b.loc.t("Gruppe", "Group")}, axes...), CSV: "radar.csv", CSVLabel: b.csvLabel()}
	var ss []series
	var hidden, left []string
	for _, g := range []string{b.contrast.Group, b.contrast.Reference} {
		name := b.label(b.contrast.Var, g)
		s := series{Name: name}
		row := []cell{{Text: name, Head: true}}
		complete, shown := true, 0
		for _, o := range b.dims {
			r := b.d.estimate(o.ID, b.latest, b.in(p, kv{b.contrast.Var, g})...)
			pt := b.point(o, r)
			if pt.Hidden {
				hidden = append(hidden, name+" – "+o.Label.In(b.loc.lang))
			} else {
				shown++
			}
			complete = complete && !pt.Hidden && !math.IsNaN(pt.Value)
			s.Points = append(s.Points, pt)
			row = append(row, b.estCell(pg, o, r))
		}
		// A polygon with a corner missing would be drawn through 0: the
		// group is left out of the chart and the caption says so.
		switch {
		case complete:
			ss = append(ss, s)
		case shown == 0:
			// every number hidden: said once for the group
			hidden = slices.DeleteFunc(hidden, func(h string) bool { return strings.HasPrefix(h, name+" – ") })
			left = append(left, name)
		default:
			left = append(left, name)
		}
		t.Rows = append(t.Rows, row)
	}
	opt, err := radarChart("fig-radar", axes, 100, ss)
	if err != nil {
		return err
	}
	caption := b.loc.t("Jo lenger ut, jo mer sosial kapital (0–100).", "The further out, the more social capital (0–100).")
	if len(hidden) > 0 {
		caption += " " + b.loc.t("Vises ikke («:», se tabellen): ", "Not shown (“:”, see the table): ") + strings.Join(hidden, "; ") + "."
	}
	if len(left) > 0 {
		caption += " " + b.loc.t("Ikke tegnet, fordi tallene ikke vises eller mangler («:» eller «.» i tabellen): ", "Not drawn, as its numbers are not shown or missing (“:” or “.” in the table): ") + strings.Join(left, ", ") + "."
	}
	pg.Sections = append(pg.Sections, &section{ID: "radar", Title: b.loc.t("Innvandrere og majoriteten", "Immigrants and the majority"),
		Figures: []*figure{{ID: "fig-radar", Height: 380, option: opt, Table: t, Caption: caption,
			Title: fmt.Sprintf("%s / %s, %s %d", b.label(b.contrast.Var, b.contrast.Group), b.label(b.contrast.Var, b.contrast.Reference), b.loc.t("runde", "wave"), b.latest)}}})
	return nil
}

// waveComparison is the change of an indicator in a place from the first
// wave to wave w.
func (b *builder) waveComparison(p place, o indicators.Output, w int) record {
	if p.whole() {
		return b.d.compared[compKey(o.ID, "wave", w, "", compare.All, compare.All)]
	}
	return b.d.compared[compKey(o.ID, "wave", w, b.area, p.Code, p.Code)]
}

// changeFigure: the dimensions over the waves, lines with CI bands.
func (b *builder) changeFigure(pg *page, p place) error {
	if len(b.waves) < 2 || len(b.dims) == 0 {
		return nil
	}
	var cats []string
	for _, w := range b.waves {
		cats = append(cats, fmt.Sprintf("%s %d", b.loc.t("Runde", "Wave"), w))
	}
	t := &dataTable{Head: []string{b.loc.t("Dimensjon", "Dimension")}, CSV: "endring.csv", CSVLabel: b.csvLabel()}
	t.Head = append(t.Head, cats...)
	t.Head = append(t.Head, b.loc.t("Endring (95 % KI)", "Change (95% CI)"), b.loc.t("Vurdering", "Verdict"))
	var ss []series
	for _, o := range b.dims {
		s := series{Name: o.Label.In(b.loc.lang)}
		row := []cell{{Text: s.Name, Head: true}}
		for _, w := range b.waves {
			r := b.d.estimate(o.ID, w, b.in(p)...)
			s.Points = append(s.Points, b.point(o, r))
			row = append(row, b.estCell(pg, o, r))
		}
		c := b.waveComparison(p, o, b.latest)
		if c == nil {
			row = append(row, cell{Text: ".", Num: true}, cell{Text: "."})
		} else {
			row = append(row, b.numCell(pg, c, "difference", func(x float64) string {
				return b.fmtDiff(o, x) + " (" + b.interval(o, c) + ")"
			}))
			bd := b.verdictBadge(o, c)
			row = append(row, cell{Text: bd.Symbol + " " + bd.Word, Badge: bd})
		}
		ss = append(ss, s)
		t.Rows = append(t.Rows, row)
	}
	opt, err := lineChart("fig-change", cats, ss, b.dims[0].Unit.Label.In(b.loc.lang), 100)
	if err != nil {
		return err
	}
	pg.Sections = append(pg.Sections, &section{ID: "change", Title: b.loc.t("Endring mellom rundene", "Change between waves"),
		Figures: []*figure{{ID: "fig-change", Height: 340, option: opt, Table: t,
			Title: b.loc.t("Sosial kapital i "+p.Name+" over tid", "Social capital in "+p.Name+" over time"),
			Caption: b.loc.t("Linjene viser gjennomsnittet i hver runde, feltene 95 % konfidensintervall. «Endring» er siste runde mot første.",
				"Lines show the mean in each wave, bands the 95% confidence interval. “Change” is the last wave against the first.")}}})
	return nil
}

// programmeFigure: programme against comparison municipalities, the
// difference in differences of every indicator.
func (b *builder) programmeFigure(pg *page, _ place) error {
	if len(b.d.programme.rows) == 0 {
		return nil
	}
	byID := map[string]record{}
	for _, r := range b.d.programme.rows {
		byID[r.str("indicator")] = r
	}
	pc, cc := b.loc.t("Programkommuner", "Programme municipalities"), b.loc.t("Sammenligningskommuner", "Comparison municipalities")
	t := &dataTable{Head: []string{b.loc.t("Indikator", "Indicator"), pc + b.loc.t(": endring", ": change"), cc + b.loc.t(": endring", ": change"),
		b.loc.t("Forskjell i endring (95 % KI)", "Difference in change (95% CI)"), b.loc.t("Vurdering", "Verdict")}, CSV: "program.csv", CSVLabel: b.csvLabel()}
	var cats []string
	progS, compS := series{Name: pc}, series{Name: cc}
	for _, o := range b.outputs {
		r := byID[o.ID]
		if r == nil {
			continue
		}
		diff := func(col string) cell { return b.numCell(pg, r, col, func(x float64) string { return b.fmtDiff(o, x) }) }
		did := b.numCell(pg, r, "did", func(x float64) string {
			return b.fmtDiff(o, x) + " (" + b.interval(o, r) + ")"
		})
		bd := b.verdictBadge(o, r)
		t.Rows = append(t.Rows, []cell{{Text: o.Label.In(b.loc.lang), Head: true}, diff("change_programme"), diff("change_comparison"), did, {Text: bd.Symbol + " " + bd.Word, Badge: bd}})
		if o.Unit.ID != core.POMP.ID {
			continue
		}
		cats = append(cats, o.Label.In(b.loc.lang))
		progS.Points = append(progS.Points, b.changePoint(r, "programme"))
		compS.Points = append(compS.Points, b.changePoint(r, "comparison"))
	}
	opt, err := changeBars(cats, []series{progS, compS}, b.loc.t("endring, poeng", "change, points"))
	if err != nil {
		return err
	}
	base, follow := b.d.programme.rows[0].int("baseline"), b.d.programme.rows[0].int("follow_up")
	var tables []*dataTable
	if mt := b.mentorTable(pg); mt != nil {
		tables = append(tables, mt)
	}
	pg.Sections = append(pg.Sections, &section{ID: "programme", Title: b.loc.t("Virker programmet?", "Does the programme work?"), Tables: tables,
		Paras: []string{b.loc.t(
			fmt.Sprintf("Endringen fra runde %d til runde %d i kommunene med programmet, sammenlignet med endringen i de andre kommunene (forskjell i forskjeller). Dette gjelder alle kommunene i utvalget, ikke én kommune.", base, follow),
			fmt.Sprintf("The change from wave %d to wave %d in the programme municipalities, against the change in the others (difference in differences). This is about all municipalities of the sample, not one.", base, follow))},
		Figures: []*figure{{ID: "fig-programme", Height: 340, option: opt, Table: t,
			Title: b.loc.t("Endring i sosial kapital: programkommuner og sammenligningskommuner", "Change in social capital: programme and comparison municipalities")}}})
	return nil
}

// mentorTable is the mentoring stage's answer to whether mentored newcomers
// get jobs they are qualified for: per wave, among employed immigrants, the
// share in a job matching their qualifications without and with a mentor,
// and the adjusted difference (logistic AME), with 95 % intervals; nil when
// the store has no mentor_effects.
func (b *builder) mentorTable(pg *page) *dataTable {
	if len(b.d.mentors.rows) == 0 {
		return nil
	}
	t := &dataTable{Caption: b.loc.t("Mentorordningen: andel sysselsatte innvandrere i en jobb som svarer til kvalifikasjonene",
		"Mentoring: share of employed immigrants in a job matching their qualifications"),
		Head: []string{b.loc.t("Runde", "Wave"), b.loc.t("Uten mentor", "Without a mentor"), b.loc.t("Med mentor", "With a mentor"),
			b.loc.t("Justert forskjell, prosentpoeng (95 % KI)", "Adjusted difference, percentage points (95% CI)")},
		CSV: "mentor.csv", CSVLabel: b.csvLabel()}
	pct := func(r record) func(float64) string {
		return func(x float64) string {
			return b.loc.percent(100*x, 0) + " (" + b.loc.num(100*r.num("ci_low"), 0) + "–" + b.loc.percent(100*r.num("ci_high"), 0) + ")"
		}
	}
	byWave := map[int64]map[string]record{}
	var waves []int64
	for _, r := range b.d.mentors.rows {
		w := r.int("wave")
		if byWave[w] == nil {
			byWave[w] = map[string]record{}
			waves = append(waves, w)
		}
		byWave[w][r.str("kind")+r.str("mentor")] = r
	}
	for _, w := range waves {
		rs := byWave[w]
		ame := rs["ame"]
		t.Rows = append(t.Rows, []cell{{Text: b.loc.int(w), Head: true},
			b.numCell(pg, rs["share0"], "estimate", pct(rs["share0"])), b.numCell(pg, rs["share1"], "estimate", pct(rs["share1"])),
			b.numCell(pg, ame, "estimate", func(x float64) string {
				return b.loc.num(100*x, 1) + " (" + b.loc.num(100*ame.num("ci_low"), 1) + b.loc.t(" til ", " to ") + b.loc.num(100*ame.num("ci_high"), 1) + ")"
			})})
	}
	return t
}

// changePoint is the change in the programme or comparison municipalities
// (no whisker: the table gives the interval of their difference).
func (b *builder) changePoint(r record, side string) point {
	if !r.published() {
		return point{Hidden: true, Value: math.NaN()}
	}
	return point{Value: r.num("change_" + side), Low: math.NaN(), High: math.NaN()}
}

// changeBars is a bar chart of changes, which may be negative.
func changeBars(cats []string, ss []series, yName string) (map[string]any, error) {
	o, err := barChart("fig-programme", cats, ss, yName, 0)
	if err != nil {
		return nil, err
	}
	if ys, ok := o["yAxis"].([]any); ok && len(ys) > 0 {
		if m, ok := toMap(ys[0]); ok {
			delete(m, "min")
		}
	}
	return o, nil
}

// employmentFigure: employment by network status among immigrants, with the
// adjusted average marginal effects.
func (b *builder) employmentFigure(pg *page, _ place) error {
	rates := b.d.effects.find(func(r record) bool { return r.str("model") == "rate" && int(r.int("wave")) == b.latest })
	if len(rates) == 0 {
		return nil
	}
	// categories: (network variable, level); series: all, then each by-group
	type catKey struct{ v, level string }
	var keys []catKey
	var groups []string
	for _, r := range rates {
		k := catKey{r.str("variable"), r.str("level")}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		g := r.str("by_group")
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, c string) int {
		if a == compare.All || c == compare.All {
			return boolOrder(c == compare.All, a == compare.All)
		}
		return codeOrder(a, c)
	})
	find := func(k catKey, g string) record {
		for _, r := range rates {
			if r.str("variable") == k.v && r.str("level") == k.level && r.str("by_group") == g {
				return r
			}
		}
		return nil
	}
	var cats []string
	for _, k := range keys {
		cats = append(cats, b.networkLabel(k.v, k.level))
	}
	byVar := ""
	for _, r := range rates {
		if v := r.str("by_variable"); v != "" {
			byVar = v
		}
	}
	groupName := func(g string) string {
		if g == compare.All {
			return b.loc.t("Alle innvandrere i modellen", "All immigrants in the model")
		}
		return b.label(byVar, g)
	}
	t := &dataTable{Head: []string{b.loc.t("Nettverk", "Network")}, CSV: "sysselsetting.csv", CSVLabel: b.csvLabel()}
	var ss []series
	for _, g := range groups {
		t.Head = append(t.Head, groupName(g))
		s := series{Name: groupName(g)}
		for _, k := range keys {
			r := find(k, g)
			if r == nil {
				s.Points = append(s.Points, point{Value: math.NaN(), Low: math.NaN(), High: math.NaN()})
				continue
			}
			s.Points = append(s.Points, b.ratePoint(r))
		}
		ss = append(ss, s)
	}
	for i, k := range keys {
		row := []cell{{Text: cats[i], Head: true}}
		for _, g := range groups {
			row = append(row, b.numCell(pg, find(k, g), "estimate", func(x float64) string { return b.loc.percent(x, 1) }))
		}
		t.Rows = append(t.Rows, row)
	}
	opt, err := barChart("fig-employment", cats, ss, b.loc.t("sysselsatte, %", "employed, %"), 100)
	if err != nil {
		return err
	}
	sec := &section{ID: "employment", Title: b.loc.t("Nettverk og arbeid", "Networks and work"),
		Paras: []string{b.loc.t("Andel innvandrere i arbeid etter om de har nettverk. Tallene gjelder hele utvalget.",
			"Share of immigrants in work by whether they have networks. The numbers are for the whole sample.")}}
	sec.Items = b.ameSentences(pg)
	sec.Figures = []*figure{{ID: "fig-employment", Height: 360, option: opt, Table: t,
		Title:   b.loc.t(fmt.Sprintf("Sysselsetting blant innvandrere etter nettverk, runde %d", b.latest), fmt.Sprintf("Employment among immigrants by network, wave %d", b.latest)),
		Caption: b.loc.t("Søylene viser andel sysselsatte med 95 % konfidensintervall.", "Bars show the share employed with 95% confidence intervals.")}}
	pg.Sections = append(pg.Sections, sec)
	return nil
}

// boolOrder puts true first.
func boolOrder(a, c bool) int {
	switch {
	case a == c:
		return 0
	case a:
		return 1
	}
	return -1
}

// ratePoint is an employment rate (stored in per cent) as a chart point.
func (b *builder) ratePoint(r record) point {
	if !r.published() {
		return point{Hidden: true, Value: math.NaN()}
	}
	return point{Value: r.num("estimate"), Low: r.num("ci_low"), High: r.num("ci_high")}
}

// networkLabel names a network status: the variable's label and the level
// ("x>0" with level 1: at least one).
func (b *builder) networkLabel(variable, level string) string {
	if v, ok := strings.CutSuffix(variable, ">0"); ok {
		if level == "1" {
			return b.varLabel(v) + ": " + b.loc.t("minst én", "at least one")
		}
		return b.varLabel(v) + ": " + b.loc.t("ingen", "none")
	}
	return b.varLabel(variable) + ": " + b.label(variable, level)
}

// ameSentences say the adjusted effects of the networks on employment.
func (b *builder) ameSentences(pg *page) []template.HTML {
	var out []template.HTML
	for _, r := range b.d.effects.find(func(r record) bool {
		return r.str("model") == "adjusted" && int(r.int("wave")) == b.latest && r.str("by_group") == compare.All
	}) {
		name := template.HTMLEscapeString(b.varLabel(r.str("variable")))
		if !r.published() {
			n := pg.notes.add(b.loc.reason(r.str("reason")))
			out = append(out, template.HTML(fmt.Sprintf(`%s: <span data-cell="%s" data-status="%s">%s</span><sup><a href="#fn-%d">%d</a></sup>`,
				name, template.HTMLEscapeString(r.str(rowRef)), r.str("status"), disclose.Symbol, n, n)))
			continue
		}
		lo, hi := r.num("ci_low"), r.num("ci_high")
		var s string
		switch compare.Verdict(lo, hi) {
		case "higher":
			s = b.loc.t("Justert for utdanning, botid, alder, kjønn og landbakgrunn er sysselsettingen %s prosentpoeng høyere (95 %% KI %s til %s).",
				"Adjusted for education, years in Norway, age, gender and origin, employment is %s percentage points higher (95%% CI %s to %s).")
		case "lower":
			s = b.loc.t("Justert for utdanning, botid, alder, kjønn og landbakgrunn er sysselsettingen %s prosentpoeng lavere (95 %% KI %s til %s).",
				"Adjusted for education, years in Norway, age, gender and origin, employment is %s percentage points lower (95%% CI %s to %s).")
		default:
			s = b.loc.t("Justert for utdanning, botid, alder, kjønn og landbakgrunn er forskjellen %s prosentpoeng, ikke sikkert forskjellig fra null (95 %% KI %s til %s).",
				"Adjusted for education, years in Norway, age, gender and origin, the difference is %s percentage points, not clearly different from zero (95%% CI %s to %s).")
		}
		x := r.num("estimate")
		if compare.Verdict(lo, hi) == "lower" {
			x = -x
		}
		text := fmt.Sprintf(s, b.loc.num(x, 1), b.loc.num(lo, 1), b.loc.num(hi, 1))
		out = append(out, template.HTML(name+": "+fmt.Sprintf(`<span data-cell="%s" data-status="%s">`, template.HTMLEscapeString(r.str(rowRef)), r.str("status"))+
			template.HTMLEscapeString(text)+"</span>"))
	}
	return out
}

// heatColumn is one group of the heat map: its name, the name without the
// labels' explanations in brackets (for the chart's axis: "Landgruppe 1 ·
// Grunnskole · Mann"; the table gives the full name) and its groups.
type heatColumn struct {
	name, short string
	groups      []kv
}

// bracketsRE matches a label's explanation in brackets.
var bracketsRE = regexp.MustCompile(` \([^()]*\)`)

// heatColumns are the groups of the place among the estimates of the
// latest wave: the place itself, then every group and crossing, by group
// set and code.
func (b *builder) heatColumns(p place) []heatColumn {
	cols := []heatColumn{{name: p.Name, short: p.Name}}
	seen := map[string]bool{}
	type cand struct {
		set    string
		groups []kv
	}
	var cands []cand
	for _, r := range b.d.estimates.rows {
		if int(r.int("wave")) != b.latest {
			continue
		}
		gs := b.d.groups(r)
		var rest []kv
		inPlace := p.whole()
		for _, g := range gs {
			if g.Var == b.area {
				inPlace = !p.whole() && g.Val == p.Code
				continue
			}
			rest = append(rest, g)
		}
		if !inPlace || len(rest) == 0 {
			continue
		}
		if !p.whole() && !slices.ContainsFunc(gs, func(g kv) bool { return g.Var == b.area }) {
			continue
		}
		k := estKey("", 0, rest)
		if seen[k] {
			continue
		}
		seen[k] = true
		cands = append(cands, cand{r.str("group_set"), rest})
	}
	slices.SortStableFunc(cands, func(a, c cand) int {
		if len(a.groups) != len(c.groups) {
			return len(a.groups) - len(c.groups)
		}
		for i := range a.groups {
			if a.groups[i].Var != c.groups[i].Var {
				return strings.Compare(a.groups[i].Var, c.groups[i].Var)
			}
			if x := codeOrder(a.groups[i].Val, c.groups[i].Val); x != 0 {
				return x
			}
		}
		return 0
	})
	for _, c := range cands {
		var parts, short []string
		for _, g := range c.groups {
			l := b.label(g.Var, g.Val)
			parts = append(parts, l)
			short = append(short, bracketsRE.ReplaceAllString(l, ""))
		}
		cols = append(cols, heatColumn{name: strings.Join(parts, " · "), short: strings.Join(short, " · "), groups: c.groups})
	}
	return cols
}

// heatFigure: indicators × groups (crossings included), coloured on a
// 0–100 scale.
func (b *builder) heatFigure(pg *page, p place) error {
	cols := b.heatColumns(p)
	var colNames, rowNames []string
	for _, c := range cols {
		colNames = append(colNames, c.short)
	}
	t := &dataTable{Head: []string{b.loc.t("Gruppe", "Group")}, CSV: "grupper.csv", CSVLabel: b.csvLabel()}
	for _, o := range b.outputs {
		rowNames = append(rowNames, o.Label.In(b.loc.lang))
		t.Head = append(t.Head, o.Label.In(b.loc.lang))
	}
	var cells []heatCell
	rows := make([][]cell, len(cols))
	for x, c := range cols {
		rows[x] = []cell{{Text: c.name, Head: true}}
	}
	for y, o := range b.outputs {
		for x, c := range cols {
			r := b.d.estimate(o.ID, b.latest, b.in(p, c.groups...)...)
			rows[x] = append(rows[x], b.estCell(pg, o, r))
			switch {
			case r == nil:
			case !r.published():
				cells = append(cells, heatCell{X: y, Y: x, Label: disclose.Symbol, Hidden: true})
			default:
				cells = append(cells, heatCell{X: y, Y: x, Colour: r.num("estimate") * 100 / unitMax(o), Label: b.fmtValue(o, r.num("estimate"), true)})
			}
		}
	}
	t.Rows = rows
	// groups down (as in the table: there may be dozens), indicators across
	opt, err := heatMap("fig-heatmap", rowNames, colNames, cells, [2]string{b.loc.t("lavt", "low"), b.loc.t("høyt", "high")})
	if err != nil {
		return err
	}
	// at most 920 px, so that the chart with its title fits an A4 page
	height := min(220+25*len(colNames), 920)
	pg.Sections = append(pg.Sections, &section{ID: "groups", Title: b.loc.t("Alle indikatorer etter gruppe", "All indicators by group"),
		Figures: []*figure{{ID: "fig-heatmap", Height: height, option: opt, Table: t,
			Title: b.loc.t(fmt.Sprintf("Indikatorer etter gruppe, runde %d", b.latest), fmt.Sprintf("Indicators by group, wave %d", b.latest)),
			Caption: b.loc.t("Fargen viser nivået på en felles skala 0–100 (prosent, poeng, eller skala 0–10 ganger ti). Grå med «:»: vises ikke. Tomt: ikke aktuelt for gruppen.",
				"The colour shows the level on a common 0–100 scale (per cent, points, or the 0–10 scale times ten). Grey with “:”: not shown. Empty: does not apply to the group.")}}})
	return nil
}

// unitMax is the top of an indicator's scale as stored: 1 for proportions,
// 10 for the 0–10 scale, 100 for scores.
func unitMax(o indicators.Output) float64 {
	switch o.Unit.ID {
	case core.Share.ID:
		return 1
	case core.ScaleTo10.ID:
		return 10
	}
	return 100
}

// aboutSection says in a few lines how the numbers were made.
func (b *builder) aboutSection() *section {
	return &section{ID: "about", Title: b.loc.t("Om tallene", "About the numbers"), Paras: []string{
		b.loc.t(fmt.Sprintf("Tallene er beregnet fra en spørreundersøkelse, vektet slik at de gjelder alle innbyggerne og ikke bare dem som svarte. Et tall som bygger på færre enn %d svar vises ikke («:»), og heller ikke tall som kunne brukes til å regne det ut.", b.rules.MinN),
			fmt.Sprintf("The numbers come from a survey, weighted so that they hold for all residents and not only those who answered. A number resting on fewer than %d answers is not shown (“:”), nor are numbers that would let it be worked out.", b.rules.MinN)),
		b.loc.t("«Omtrent likt» betyr at forskjellen er så liten at den kan skyldes hvem som tilfeldigvis ble spurt (95 % konfidensintervall). Metoder og alle tabeller: forskerrapporten.",
			"“About the same” means the difference is so small that it may be down to who happened to be asked (95% confidence interval). Methods and all tables: the researcher report."),
	}}
}
