package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// A4 in CSS pixels (96 per inch) less the margins of socap.css's @page
// rules: portrait 15/14/16 mm, landscape ("wide") 12/12/14 mm.
const pxPerMM = 96 / 25.4

var (
	portraitBox  = [2]float64{(210 - 28) * pxPerMM, (297 - 31) * pxPerMM}
	landscapeBox = [2]float64{(297 - 24) * pxPerMM, (210 - 26) * pxPerMM}
)

// tab opens path in a new tab of the browser at the given width and waits
// for the charts; print emulates print media.
func tab(t *testing.T, browser context.Context, path string, width int64, print bool) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(width, 900), chromedp.Navigate("file://" + path), chromedp.Sleep(300 * time.Millisecond)}
	if print {
		steps = append(steps, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}), chromedp.Sleep(200*time.Millisecond))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		cancelT()
		cancel()
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return ctx, func() { cancelT(); cancel() }
}

// block is what the print check learns of one table or chart.
type block struct {
	Kind   string  `json:"kind"` // "table" or "chart"
	Name   string  `json:"name"` // its caption, head or chart title
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Break  string  `json:"break"` // computed break-inside
	Long   bool    `json:"long"`
	RowsOK bool    `json:"rowsOK"` // a long table: rows not split, head repeated
}

const blocksJS = `(() => {
  const name = el => { const b = el.querySelector('button[data-csv]'); return (b ? b.getAttribute('data-csv') + ': ' : '') + (el.querySelector('caption, h3, th') || el).textContent.trim().slice(0, 60); };
  const out = [];
  document.querySelectorAll('.table-block').forEach(el => {
    const t = el.querySelector('table');
    const long = el.classList.contains('long');
    const rowsOK = [...t.querySelectorAll('tr')].every(tr => getComputedStyle(tr).breakInside === 'avoid') &&
      getComputedStyle(t.tHead).display === 'table-header-group';
    out.push({kind: 'table', name: name(el), width: Math.max(t.getBoundingClientRect().width, t.scrollWidth),
      height: el.getBoundingClientRect().height, break: getComputedStyle(el).breakInside, long: long, rowsOK: rowsOK});
  });
  document.querySelectorAll('.chart-part').forEach(el => {
    out.push({kind: 'chart', name: name(el), width: el.scrollWidth, height: el.getBoundingClientRect().height,
      break: getComputedStyle(el).breakInside, long: false, rowsOK: true});
  });
  return out;
})()`

// checkPrint lays path out as the print stylesheet does, on the width of
// an A4 page (landscape for the researcher report), and checks what the
// stylesheet promises: every table fits the page's width, every chart and
// every table of at most wholeRows rows is kept whole (break-inside: avoid)
// and fits a page's height, so that the promise can be kept, and a longer
// table breaks only between rows and repeats its head. Then it prints the
// page to PDF (A4, saved as pdf) and checks its pages' size.
func checkPrint(t *testing.T, browser context.Context, path, pdf string, landscape bool) {
	box := portraitBox
	if landscape {
		box = landscapeBox
	}
	ctx, cancel := tab(t, browser, path, int64(box[0]), true)
	defer cancel()
	blocks, err := chromedp.Run(ctx, chromedp.Evaluate[[]block](blocksJS))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("no tables or charts")
	}
	for _, b := range blocks {
		if b.Width > box[0]+1 {
			t.Errorf("%s %q: %.0f px wide, the page has %.0f", b.Kind, b.Name, b.Width, box[0])
		}
		switch {
		case b.Long:
			if !b.RowsOK || b.Break == "avoid" {
				t.Errorf("long table %q: rows may split or head not repeated (break-inside %s)", b.Name, b.Break)
			}
		case b.Break != "avoid":
			t.Errorf("%s %q: break-inside %q, want avoid", b.Kind, b.Name, b.Break)
		case b.Height > box[1]:
			t.Errorf("%s %q: %.0f px high, taller than a page (%.0f): it cannot be kept whole", b.Kind, b.Name, b.Height, box[1])
		}
	}
	// back to screen media: PrintToPDF applies the print stylesheet itself
	buf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pdf, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf, []byte("%PDF-")) {
		t.Fatal("PrintToPDF did not give a PDF")
	}
	// A4 is 595 × 842 points
	boxes := regexp.MustCompile(`/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]`).FindAllSubmatch(buf, -1)
	if len(boxes) == 0 {
		t.Fatal("a PDF without pages")
	}
	for _, m := range boxes {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		if landscape {
			w, h = h, w
		}
		if abs(w-595.3) > 1.5 || abs(h-841.9) > 1.5 {
			t.Errorf("a page is %.1f × %.1f pt, not A4 %s", w, h, map[bool]string{true: "landscape", false: "portrait"}[landscape])
		}
	}
	t.Logf("%s: %d A4 pages", filepath.Base(pdf), len(boxes))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// download is what a download button handed the browser.
type download struct {
	File   string `json:"file"`
	Href   string `json:"href"`
	Text   string `json:"text"`   // a blob's content
	Width  int    `json:"width"`  // a chart's size in CSS pixels
	Height int    `json:"height"` //
}

// clickJS presses every download button of the page, catching the links
// the buttons make (instead of downloading) and the blobs behind them.
const clickJS = `(async () => {
  const blobs = new Map(), clicks = [];
  const create = URL.createObjectURL;
  URL.createObjectURL = b => { const u = create.call(URL, b); blobs.set(u, b); return u; };
  HTMLAnchorElement.prototype.click = function () { clicks.push({file: this.download, href: this.href}); };
  const out = [];
  for (const b of document.querySelectorAll('button[data-csv], button[data-png]')) {
    b.click();
    const c = clicks.pop();
    if (!c) { out.push({file: b.getAttribute('data-csv') || b.getAttribute('data-png'), href: '', text: ''}); continue; }
    const d = {file: c.file, href: c.href.slice(0, 30), text: '', width: 0, height: 0};
    if (blobs.has(c.href)) { d.text = new TextDecoder('utf-8', {ignoreBOM: true}).decode(await blobs.get(c.href).arrayBuffer()); }
    else { d.href = c.href; }
    const id = b.getAttribute('data-png');
    if (id) { const el = document.getElementById(id); d.width = el.clientWidth; d.height = el.clientHeight; }
    out.push(d);
  }
  return out;
})()`

// checkDownloads presses every CSV and PNG button of path: each CSV holds
// exactly its table (want, in page order, as the report wrote it), each PNG
// is a PNG of its chart at twice its size (ECharts' getDataURL).
func checkDownloads(t *testing.T, browser context.Context, path string, want []*dataTable, charts int, lang string) {
	ctx, cancel := tab(t, browser, path, 1100, false)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]download](clickJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var csvs, pngs int
	for _, d := range got {
		switch {
		case strings.HasSuffix(d.File, ".csv"):
			if csvs >= len(want) {
				t.Errorf("%s: more CSV buttons than tables", d.File)
				continue
			}
			w := want[csvs]
			csvs++
			if d.File != w.CSV {
				t.Errorf("CSV %d is %q, want %q", csvs, d.File, w.CSV)
			}
			if exp := csvText(w, lang); d.Text != exp {
				t.Errorf("%s holds\n%q\nwant\n%q", d.File, d.Text, exp)
			}
		case strings.HasSuffix(d.File, ".png"):
			pngs++
			data, ok := strings.CutPrefix(d.Href, "data:image/png;base64,")
			if !ok {
				t.Errorf("%s: href %.40q, want a PNG data URL", d.File, d.Href)
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Errorf("%s: %v", d.File, err)
				continue
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(raw))
			if err != nil {
				t.Errorf("%s: not a PNG: %v", d.File, err)
				continue
			}
			if cfg.Width != 2*d.Width || cfg.Height != 2*d.Height {
				t.Errorf("%s: %d × %d pixels, chart %d × %d (pixel ratio 2)", d.File, cfg.Width, cfg.Height, d.Width, d.Height)
			}
		default:
			t.Errorf("button for %q made no download", d.File)
		}
	}
	var tables int
	for _, w := range want {
		if w.CSV != "" {
			tables++
		}
	}
	if csvs != tables || pngs != charts {
		t.Errorf("%d CSV downloads for %d tables, %d PNG downloads for %d charts", csvs, tables, pngs, charts)
	}
}

// pageCharts counts a page's charts.
func pageCharts(pg *page) int {
	n := 0
	for _, s := range pg.Sections {
		n += len(s.Figures)
	}
	return n
}

// pageTables are a page's tables with a CSV download, in page order.
func pageTables(pg *page) []*dataTable {
	var out []*dataTable
	for _, s := range pg.Sections {
		for _, f := range s.Figures {
			out = append(out, f.Table)
		}
		out = append(out, s.Tables...)
	}
	var keep []*dataTable
	for _, t := range out {
		if t != nil && t.CSV != "" {
			keep = append(keep, t)
		}
	}
	return keep
}

// csvText is what a table's CSV download must hold (assets/socap.js builds
// it from the page): a byte-order mark so that Excel reads the letters
// right, fields quoted and separated by ";" in nb (whose decimal comma Excel
// reads) and "," in en, lines ended by CRLF, numbers as shown.
func csvText(t *dataTable, lang string) string {
	sep := ";"
	if lang == "en" {
		sep = ","
	}
	var b strings.Builder
	b.WriteString("\ufeff")
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		b.WriteString("\r\n")
	}
	line(t.Head)
	for _, r := range t.Rows {
		fields := make([]string, len(r))
		for i, c := range r {
			fields[i] = c.Text
		}
		line(fields)
	}
	return b.String()
}
