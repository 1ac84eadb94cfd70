package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
)

// echartsJS is ECharts 5.6.0 (dist/echarts.min.js of the npm package),
// fetched by scripts/fetch-echarts.sh, which checks its SHA-256; its
// licence is assets/ECHARTS-LICENSE.
//
//go:embed assets/echarts.min.js
var echartsJS string

// initJS draws the charts of a page from its options block.
//
//go:embed assets/socap.js
var initJS string

// styleCSS is the reports' stylesheet, with the A4 print rules.
//
//go:embed assets/socap.css
var styleCSS string

// csp allows the two inline scripts (by hash), inline styles (ECharts
// styles its tooltip), images from data: and blob: URLs (saving a chart as
// PNG) and nothing else: no request leaves the file.
var csp = "default-src 'none'; script-src " + scriptHash(echartsJS) + " " + scriptHash(initJS) +
	"; style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'"

// scriptHash is the CSP source of an inline script's exact text.
func scriptHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// page is one HTML report.
type page struct {
	File     string // file name in the report folder
	Lang     string
	Title    string
	Subtitle string
	Class    string // the body's class ("researcher": wider on screen)
	Nav      []link
	Sections []*section
	notes    footnotes
}

// link is a link to another report page.
type link struct{ Href, Text string }

// section is a headed part of a page.
type section struct {
	ID, Title string
	Paras     []string
	Items     []template.HTML // a list of sentences or badges
	Figures   []*figure
	Tables    []*dataTable
}

// figure is a chart with its data as a table, a CSV and a PNG download.
type figure struct {
	ID      string // pinned chart id: the element that holds the canvas
	Title   string
	Caption string
	Height  int
	option  any
	Table   *dataTable
}

// dataTable is an accessible HTML table.
type dataTable struct {
	Caption string
	Head    []string
	Rows    [][]cell
	// CSV is the file name the table downloads as (no download when "")
	// and CSVLabel the link's text.
	CSV, CSVLabel string
	// breakable: the table may break between rows even when short (the
	// researcher report's, whose rows may be tall).
	breakable bool
}

// cell is one table cell: its text, and for a number not shown the footnote
// that says why. Key names the store row the number comes from (data-cell),
// for the browser tests.
type cell struct {
	Text   string
	Num    bool
	Key    string
	Note   int
	Status string // status of the store row for a number (data-status)
	Head   bool   // a row header
	Class  string
	Badge  *badge // a barometer verdict, shown instead of Text
	Title  string // a tooltip (title attribute)
	Href   string // a row head that links to another report
}

// badge is a barometer verdict: a class (better, same, worse, hidden) for
// the colour and border, a symbol and a word, so that it reads without
// colour.
type badge struct{ Class, Symbol, Word string }

// footnotes numbers the reasons of a page in order of first use.
type footnotes struct {
	index map[string]int
	Texts []string
}

// add returns the number of text, adding it when new.
func (f *footnotes) add(text string) int {
	if f.index == nil {
		f.index = map[string]int{}
	}
	if n, ok := f.index[text]; ok {
		return n
	}
	f.Texts = append(f.Texts, text)
	f.index[text] = len(f.Texts)
	return len(f.Texts)
}

// Print layout: a table of more than portraitColumns columns is printed in
// a smaller font (class wide), and one of more than wholeRows rows may
// break between rows, its head repeated (class long); others are kept whole
// on a page. The researcher report is printed landscape. The browser test
// checks that the tables fit the width of the page and that what is kept
// whole fits its height.
const (
	portraitColumns = 6
	wholeRows       = 25
)

// Wide reports whether the table is printed in a smaller font.
func (t *dataTable) Wide() bool { return len(t.Head) > portraitColumns }

// Long reports whether the table may break across pages (between rows).
func (t *dataTable) Long() bool { return t.breakable || len(t.Rows) > wholeRows }

// render writes the page.
func (p *page) render() ([]byte, error) {
	opts := map[string]any{}
	for _, s := range p.Sections {
		for _, f := range s.Figures {
			opts[f.ID] = f.option
		}
	}
	js, err := json.Marshal(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: chart options: %w", p.File, err)
	}
	var b bytes.Buffer
	err = pageTemplate.Execute(&b, map[string]any{
		"P": p, "CSP": csp, "CSS": template.CSS(styleCSS), "ECharts": template.JS(echartsJS),
		"Init": template.JS(initJS), "Options": template.JS(js), "Notes": p.notes.Texts,
		"T": func(nb, en string) string { return newLocale(p.Lang).t(nb, en) },
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.File, err)
	}
	return b.Bytes(), nil
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"inc":  func(i int) int { return i + 1 },
	"itoa": strconv.Itoa,
}).Parse(`<!DOCTYPE html>
<html lang="{{.P.Lang}}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.P.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body{{if .P.Class}} class="{{.P.Class}}"{{end}}>
<header>
<h1>{{.P.Title}}</h1>
<p class="subtitle">{{.P.Subtitle}}</p>
{{if .P.Nav}}<nav aria-label="{{call .T "Rapporter" "Reports"}}"><ul>{{range .P.Nav}}<li><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul></nav>{{end}}
</header>
<main>
{{range .P.Sections}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{range .Paras}}<p>{{.}}</p>
{{end}}{{if .Items}}<ul class="items">{{range .Items}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{range .Figures}}<figure class="chart-block" aria-labelledby="{{.ID}}-title">
<div class="chart-part">
<h3 id="{{.ID}}-title">{{.Title}}</h3>
{{if .Caption}}<p class="caption">{{.Caption}}</p>{{end}}
<div class="chart" id="{{.ID}}" role="img" aria-label="{{.Title}} ({{call $.T "tallene står i tabellen under" "the numbers are in the table below"}})" style="height:{{.Height}}px"></div>
<div class="downloads"><button type="button" data-png="{{.ID}}" data-file="{{.ID}}.png">{{call $.T "Last ned figuren (PNG)" "Download chart (PNG)"}}</button></div>
</div>
{{template "table" .Table}}
</figure>
{{end}}{{range .Tables}}{{template "table" .}}{{end}}</section>
{{end}}{{if .Notes}}<section id="notes" class="notes"><h2>{{call .T "Merknader" "Notes"}}</h2>
<p>{{call .T "«:» betyr at tallet ikke vises, for at ingen skal kunne kjennes igjen (Statistisk sentralbyrås symbol)." "“:” means the number is not shown, so that no one can be recognised (Statistics Norway's symbol)."}}</p>
<ol>{{range $i, $t := .Notes}}<li id="fn-{{inc $i}}">{{$t}}</li>{{end}}</ol></section>
{{end}}</main>
<script type="application/json" id="socap-options">{{.Options}}</script>
<script>{{.ECharts}}</script>
<script>{{.Init}}</script>
</body>
</html>
{{define "table"}}<div class="table-block{{if .Wide}} wide{{end}}{{if .Long}} long{{end}}">
<div class="scroll"><table>
{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}
<thead><tr>{{range .Head}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range $c := .}}{{if .Head}}<th scope="row">{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</th>{{else}}<td{{if .Num}} class="num{{if .Class}} {{.Class}}{{end}}"{{else if .Class}} class="{{.Class}}"{{end}}{{if .Title}} title="{{.Title}}"{{end}}{{if .Key}} data-cell="{{.Key}}" data-status="{{.Status}}"{{end}}{{if $c.Badge}} data-csv="{{$c.Text}}"{{end}}>{{with .Badge}}<span class="badge {{.Class}}">{{if .Word}}<span aria-hidden="true">{{.Symbol}}</span> {{.Word}}{{else}}{{.Symbol}}{{end}}</span>{{else}}{{.Text}}{{end}}{{if .Note}}<sup><a href="#fn-{{.Note}}">{{.Note}}</a></sup>{{end}}</td>{{end}}{{end}}</tr>
{{end}}</tbody></table></div>
{{if .CSV}}<p class="downloads"><button type="button" data-csv="{{.CSV}}">{{.CSVLabel}}</button></p>{{end}}</div>
{{end}}`))
