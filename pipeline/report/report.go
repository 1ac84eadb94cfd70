// Package report is the report stage: self-contained HTML reports from the
// disclosure-controlled rows of the store that socap run fills, into
// <output>/report/:
//
//   - index.html: every report, and an overview of the barometers;
//   - one page per area (municipality, socap.yaml's compare.areas), named
//     <code>-<name>.html, and sample.html for the whole sample: for a
//     planner, in the report language (socap.yaml's language:, nb or en);
//   - researcher.html: the full tables and a methods appendix.
//
// A planner page opens with a barometer — every indicator of the area
// against the whole sample, green ▲ / yellow ● / red ▼ by whether the
// interval of the difference lies on the good side of 0, contains it or
// lies on the bad side (respecting the indicator's HigherIsBetter), as the
// comparison stage's verdict says — and a sentence per indicator built from
// the numbers, which says "higher", "lower" or "about the same" only as that
// verdict allows. The whole-sample page compares the contrast group of
// compare.groups (immigrants) with its reference instead. Then the charts:
// the 0–100 dimensions per group with CI whiskers, a radar of the
// dimensions for the contrast group and its reference, the dimensions over
// the waves with CI bands, the programme's difference in differences, the
// employment rate by network status with the adjusted average marginal
// effects, and a heat map of every indicator × group (crossings included).
// Every chart has its data beneath as an HTML table (its text alternative),
// a CSV download (built in the page from the table, as a blob) and a PNG
// download (ECharts' getDataURL, offline). The programme section shows its
// difference-in-differences chart first, then the mentoring table.
//
// The researcher report has a table per indicator and group set (the
// group set named by its variables' codebook labels, "Innvandringsbakgrunn
// × kjønn"), and the other store tables with heads in the report language;
// columns empty throughout are left out, a text column with one value is
// said in the caption, and a table of more than ten columns is split into
// parts that repeat its key columns.
//
// Disclosure: the report reads only what the stages marked. A number whose
// row is not "published" shows ":" (disclose.Symbol) with a footnote giving
// its reason, in tables, sentences and charts (a ":" where the bar would be;
// never a zero, never a silently missing bar); n of a suppressed cell is
// the store's n_shown ("under 10"). "." marks a number there is none of (an
// indicator about immigrants has no majority group).
//
// Offline and safe: each file embeds ECharts 5.6.0 (assets/echarts.min.js,
// fetched by scripts/fetch-echarts.sh, which checks its SHA-256; licence in
// assets/ECHARTS-LICENSE) and a Content-Security-Policy meta tag allows only
// the page's own two scripts (by hash), inline styles and data:/blob: images:
// no request leaves the file. Chart options are a JSON block read by
// assets/socap.js, built with go-echarts.
//
// Deterministic: the same store gives byte-identical files. Rows are read
// ordered by every column, groups sorted by code, chart ids pinned
// (fig-dimensions, fig-radar, …), the date is env.Now's, and the runs shown
// are those of the run that wrote the estimates. Printable: an A4 print
// stylesheet prints planner pages portrait (tables of many columns in a
// smaller font) and the researcher report landscape, keeps charts and
// tables of up to 25 rows whole on a page and breaks longer tables between
// rows, repeating their heads (the browser test checks that what is kept
// whole fits a page and every table its width); the barometer's verdicts have a
// symbol, a word and a border style besides their colour, and chart series
// have decal patterns, line dashes and symbols, for black-and-white print.
package report

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"socap/indicators/core"
	"socap/pipeline"
	"socap/pipeline/disclose"
	"socap/pipeline/score"
)

// Stage writes the reports.
type Stage struct {
	// Area restricts the area pages to one area, by code or name
	// (case-insensitive); "" writes them all.
	Area string
	// Lang overrides socap.yaml's language ("nb" or "en") when set.
	Lang string

	files []string
	index string
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "report" }

// Files are the files the last run wrote, index first.
func (s *Stage) Files() []string { return slices.Clone(s.files) }

// Index is the path of the last run's index page.
func (s *Stage) Index() string { return s.index }

// ErrNoArea is returned when Stage.Area names no area of the store.
var ErrNoArea = errors.New("no such area")

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	s.files, s.index = nil, ""
	b, err := newBuilder(ctx, env, s.Lang)
	if err != nil {
		return err
	}
	places := b.places()
	if s.Area != "" {
		i := slices.IndexFunc(places, func(p place) bool { return strings.EqualFold(p.Code, s.Area) || strings.EqualFold(p.Name, s.Area) })
		if i < 0 {
			return fmt.Errorf("%w: %q (%s)", ErrNoArea, s.Area, b.placeList(places))
		}
		places = places[i : i+1]
	}
	dir := filepath.Join(env.Config.Resolve(outputDir(env.Config)), "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report folder: %w", err)
	}
	whole := place{Name: b.loc.t("Hele utvalget", "Whole sample"), File: "sample.html"}
	nav := []link{{"index.html", b.loc.t("Oversikt", "Overview")}, {whole.File, whole.Name}, {"researcher.html", b.loc.t("Forskerrapport", "Researcher report")}}
	pages := []func() (*page, error){
		func() (*page, error) { return b.indexPage(b.places(), whole) },
		func() (*page, error) { return b.plannerPage(whole, nav) },
		func() (*page, error) { return b.researcherPage(nav) },
	}
	for _, p := range places {
		pages = append(pages, func() (*page, error) { return b.plannerPage(p, nav) })
	}
	for _, mk := range pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		pg, err := mk()
		if err != nil {
			return err
		}
		html, err := pg.render()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, pg.File)
		if err := writeFile(path, html); err != nil {
			return err
		}
		s.files = append(s.files, path)
	}
	s.index = s.files[0]
	if env.Log != nil {
		fmt.Fprintf(env.Log, "report: %d pages in %s\n", len(s.files), dir)
	}
	return nil
}

// outputDir is socap.yaml's output folder, "out" by default.
func outputDir(c *pipeline.Config) string {
	if c.Output == "" {
		return "out"
	}
	return c.Output
}

// writeFile writes beside path and renames into place, so that a failed run
// leaves the previous file.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// newBuilder reads the store and the configuration.
func newBuilder(ctx context.Context, env *pipeline.Env, lang string) (*builder, error) {
	if env.Config == nil || env.Codebook == nil {
		return nil, errors.New("needs a configuration and a codebook")
	}
	d, err := load(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = env.Config.Language
	}
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	mods, _, err := score.Configured(env)
	if err != nil {
		return nil, err
	}
	b := &builder{d: d, loc: newLocale(lang), cb: env.Codebook, project: env.Config.Project, rules: env.DisclosureRules(disclose.Rules{})}
	b.date = b.loc.date(now())
	present := map[string]bool{}
	for _, r := range d.estimates.rows {
		present[r.str("indicator")] = true
	}
	for _, m := range mods {
		for _, o := range m.Outputs() {
			if !present[o.ID] {
				continue
			}
			b.outputs = append(b.outputs, o)
			if o.Unit.ID == core.POMP.ID {
				b.dims = append(b.dims, o)
			}
		}
	}
	cmp := env.Config.Compare.WithDefaults(env.Codebook)
	b.area, b.cmpLevel = cmp.Areas, cmp.Level
	if len(cmp.Groups) > 0 {
		g := cmp.Groups[0]
		b.contrast.Var, b.contrast.Group, b.contrast.Reference = g.Variable, fmt.Sprint(g.Group), fmt.Sprint(g.Reference)
	}
	b.waves = d.waves()
	if len(b.waves) == 0 {
		return nil, errors.New("the estimates table is empty")
	}
	b.latest = b.waves[len(b.waves)-1]
	return b, nil
}

// places are the areas with estimates, in code order.
func (b *builder) places() []place {
	var ps []place
	for _, code := range b.d.values(b.area) {
		name := b.label(b.area, code)
		ps = append(ps, place{Code: code, Name: name, File: code + "-" + slug(name) + ".html"})
	}
	return ps
}

// placeList names the areas for an error message.
func (b *builder) placeList(ps []place) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Code+" "+p.Name)
	}
	return strings.Join(parts, ", ")
}

// slug is a file-name-safe lower-case form of a name: "Frøya" → "froya".
func slug(s string) string {
	r := strings.NewReplacer("æ", "ae", "ø", "o", "å", "a", "Æ", "ae", "Ø", "o", "Å", "a", "á", "a", "č", "c", "š", "s", "ŋ", "n", "đ", "d", "ŧ", "t", "ž", "z")
	s = r.Replace(strings.ToLower(s))
	var b strings.Builder
	dash := false
	for _, c := range s {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// indexPage lists the reports and shows every area's barometer in one table.
func (b *builder) indexPage(places []place, whole place) (*page, error) {
	pg := &page{File: "index.html", Lang: b.loc.lang, Title: b.project,
		Subtitle: fmt.Sprintf("%s · %s %d · %s", b.loc.t("Rapporter om sosial kapital", "Social capital reports"), b.loc.t("Runde", "Wave"), b.latest, b.date)}
	list := &section{ID: "reports", Title: b.loc.t("Rapporter", "Reports")}
	list.Items = append(list.Items, linkItem(whole.File, whole.Name), linkItem("researcher.html", b.loc.t("Forskerrapport: alle tabeller og metoder", "Researcher report: all tables and methods")))
	towns := &section{ID: "areas", Title: b.varLabel(b.area)}
	// alphabetically, as a planner looks for a name (the table below keeps code order)
	byName := slices.Clone(places)
	slices.SortStableFunc(byName, func(x, y place) int { return strings.Compare(collateNB(x.Name), collateNB(y.Name)) })
	for _, p := range byName {
		towns.Items = append(towns.Items, linkItem(p.File, p.Name))
	}
	pg.Sections = append(pg.Sections, list, towns)
	t := &dataTable{Head: []string{b.area}, CSV: "oversikt.csv", CSVLabel: b.csvLabel()}
	t.Head[0] = b.varLabel(b.area)
	for _, o := range b.outputs {
		t.Head = append(t.Head, o.Label.In(b.loc.lang))
	}
	for _, p := range places {
		row := []cell{{Text: p.Name, Head: true, Href: p.File}}
		for _, o := range b.outputs {
			// symbol only, so that the table fits a page; the title says the word
			bd := b.verdictBadge(o, b.areaComparison(p, o))
			row = append(row, cell{Text: bd.Symbol + " " + bd.Word, Badge: &badge{Class: bd.Class + " short", Symbol: bd.Symbol, Word: ""}, Title: bd.Word})
		}
		t.Rows = append(t.Rows, row)
	}
	pg.Sections = append(pg.Sections, &section{ID: "overview", Title: b.loc.t("Barometer for alle kommuner", "Barometer of every municipality"),
		Paras: []string{b.loc.t(fmt.Sprintf("Hver kommune mot hele utvalget i runde %d: ▲ bedre, ● omtrent likt, ▼ dårligere, : vises ikke.", b.latest),
			fmt.Sprintf("Each municipality against the whole sample in wave %d: ▲ better, ● about the same, ▼ worse, : not shown.", b.latest))},
		Tables: []*dataTable{t}})
	return pg, nil
}

// collateNB is a sort key for Norwegian names: æ, ø and å after z, accents
// ignored ("Åfjord" after "Øygarden", "Porsáŋgu" with "Porsanger").
func collateNB(s string) string {
	return strings.NewReplacer("æ", "{", "ø", "|", "å", "}", "á", "a", "č", "c", "š", "s", "ŋ", "n", "đ", "d", "ŧ", "t", "ž", "z").Replace(strings.ToLower(s))
}

// linkItem is a list item linking to a page.
func linkItem(href, text string) template.HTML {
	return template.HTML(`<a href="` + template.HTMLEscapeString(href) + `">` + template.HTMLEscapeString(text) + `</a>`)
}
