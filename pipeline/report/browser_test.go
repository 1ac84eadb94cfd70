package report

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"socap/pipeline"
)

// chromium is Debian's browser, which .ci/run installs.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium: install it (apt-get install -y chromium) to test the reports in a browser")
	return ""
}

// shot is what the browser saw of one page.
type shot struct {
	console  []string // console errors and exceptions
	requests []string // requests other than the page itself and data:/blob: URLs
	failed   []string // requests that failed
	charts   []chartState
	cells    []cellState
}

// chartState is one chart container: whether it holds a drawn canvas and
// the series data ECharts holds.
type chartState struct {
	ID     string            `json:"id"`
	Canvas bool              `json:"canvas"`
	Drawn  bool              `json:"drawn"`
	Series []json.RawMessage `json:"series"`
}

// cellState is a number of a table or sentence that names its store row.
type cellState struct {
	Ref    string `json:"ref"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

// collectJS reads the charts and the keyed cells of the page.
const collectJS = `(() => {
  const charts = [...document.querySelectorAll('div.chart')].map(el => {
    const c = echarts.getInstanceByDom(el);
    const canvas = el.querySelector('canvas');
    let drawn = false;
    if (canvas) {
      const ctx = canvas.getContext('2d');
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < d.length; i += 4 * 97) { if (d[i] !== 0) { drawn = true; break; } }
    }
    return {id: el.id, canvas: !!canvas, drawn: drawn,
      series: c ? c.getOption().series.map(s => JSON.stringify({name: s.name, type: s.type, data: s.data})) : []};
  });
  const cells = [...document.querySelectorAll('[data-cell]')].map(el => ({
    ref: el.getAttribute('data-cell'), status: el.getAttribute('data-status'), text: el.firstChild ? el.firstChild.textContent.trim() : ''}));
  return {charts: charts, cells: cells};
})()`

// open loads path in the browser, waits for the charts, saves a full-page
// screenshot to png and returns what it saw.
func open(t *testing.T, browser context.Context, path, png string) shot {
	t.Helper()
	var mu sync.Mutex
	var s shot
	page := "file://" + path
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				s.console = append(s.console, string(e.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			s.console = append(s.console, "exception: "+e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				s.console = append(s.console, string(e.Entry.Source)+": "+e.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			u := e.Request.URL
			if u != page && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
				s.requests = append(s.requests, u)
			}
		case *network.EventLoadingFailed:
			s.failed = append(s.failed, e.ErrorText)
		}
	}))
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(page),
		chromedp.Sleep(300*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Charts []chartState `json:"charts"`
		Cells  []cellState  `json:"cells"`
	}](collectJS))
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	// PNG (quality 100); the researcher report is too long for one
	// full-page capture, so only its first screen is saved.
	shoot := chromedp.FullScreenshot(100)
	if filepath.Base(path) == "researcher.html" {
		shoot = chromedp.CaptureScreenshot()
	}
	buf, err := chromedp.Run(ctx, shoot)
	if err != nil {
		t.Fatalf("%s: screenshot: %v", filepath.Base(path), err)
	}
	if err := os.WriteFile(png, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	s.charts, s.cells = out.Charts, out.Cells
	return s
}

// testBrowser opens every report in Chromium: no console errors, no
// request leaves the file, every chart has a drawn canvas, every number
// shown names a published store row and every ":" a suppressed one, and
// the charts' series hold the store's estimates. Screenshots go to
// $SOCAP_SCREENSHOTS (or the test's temporary directory).
func testBrowser(t *testing.T, env *pipeline.Env, st *Stage) {
	bin := chromium(t)
	d, err := load(context.Background(), env.Store)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]record{}
	for _, tb := range []*table{&d.estimates, &d.comparisons, &d.effects, &d.programme, &d.mentors, &d.coefficients, &d.models} {
		for _, r := range tb.rows {
			rows[r.str(rowRef)] = r
		}
	}
	shots := os.Getenv("SOCAP_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("allow-file-access-from-files", false))...)
	defer cancel()
	browser, cancelB := chromedp.NewContext(allocCtx)
	defer cancelB()
	if err := chromedp.Do(browser); err != nil {
		t.Skipf("chromium does not start: %v", err)
	}
	for _, f := range st.Files() {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			s := open(t, browser, f, filepath.Join(shots, strings.TrimSuffix(name, ".html")+".png"))
			if len(s.console) > 0 {
				t.Errorf("console: %v", s.console)
			}
			if len(s.requests) > 0 || len(s.failed) > 0 {
				t.Errorf("requests %v, failed %v", s.requests, s.failed)
			}
			for _, c := range s.charts {
				if !c.Canvas || !c.Drawn {
					t.Errorf("chart %s: canvas %v, drawn %v", c.ID, c.Canvas, c.Drawn)
				}
			}
			if name != "index.html" { // the index shows verdicts only
				checkCells(t, s.cells, rows)
			}
			if name != "index.html" && name != "researcher.html" {
				checkDimensions(t, s.charts, d, fullBuilder(t, env), name)
			}
		})
	}
	b := fullBuilder(t, env)
	dir := filepath.Dir(st.Index())
	froya := b.places()[slices.IndexFunc(b.places(), func(p place) bool { return p.Name == "Frøya" })]
	for _, f := range []struct {
		file      string
		landscape bool
		page      func() (*page, error)
	}{
		{froya.File, false, func() (*page, error) { return b.plannerPage(froya, nil) }},
		{"index.html", false, func() (*page, error) {
			return b.indexPage(b.places(), place{Name: "Hele utvalget", File: "sample.html"})
		}},
		{"sample.html", false, func() (*page, error) { return b.plannerPage(place{Name: "Hele utvalget", File: "sample.html"}, nil) }},
		{"researcher.html", true, func() (*page, error) { return b.researcherPage(nil) }},
	} {
		path := filepath.Join(dir, f.file)
		t.Run("print/"+f.file, func(t *testing.T) {
			checkPrint(t, browser, path, filepath.Join(shots, strings.TrimSuffix(f.file, ".html")+".pdf"), f.landscape)
		})
		t.Run("downloads/"+f.file, func(t *testing.T) {
			pg, err := f.page()
			if err != nil {
				t.Fatal(err)
			}
			checkDownloads(t, browser, path, pageTables(pg), pageCharts(pg), b.loc.lang)
		})
	}
}

// checkCells: a cell shows ":" exactly when its store row is suppressed.
func checkCells(t *testing.T, cells []cellState, rows map[string]record) {
	t.Helper()
	hidden := 0
	for _, c := range cells {
		r, ok := rows[c.Ref]
		if !ok {
			t.Errorf("cell %q names no store row", c.Ref)
			continue
		}
		if c.Status != r.str("status") {
			t.Errorf("cell %s: status %q, store %q", c.Ref, c.Status, r.str("status"))
		}
		if (c.Text == ":") != !r.published() {
			t.Errorf("cell %s shows %q, store status %s", c.Ref, c.Text, r.str("status"))
		}
		if c.Text == ":" {
			hidden++
		}
	}
	if len(cells) == 0 {
		t.Error("no numbers keyed to the store")
	}
}

// checkDimensions: the bars of fig-dimensions are the store's estimates
// (per cent or points as shown), null exactly where a cell is suppressed.
func checkDimensions(t *testing.T, charts []chartState, d *data, b *builder, file string) {
	t.Helper()
	var p place
	if file == "sample.html" {
		p = place{Name: "Hele utvalget"}
	} else {
		for _, q := range b.places() {
			if q.File == file {
				p = q
			}
		}
	}
	_, groups := b.dimensionGroups(p)
	for _, c := range charts {
		if c.ID != "fig-dimensions" {
			continue
		}
		bars := 0
		for _, raw := range c.Series {
			var s struct {
				Type string `json:"type"`
				Data []struct {
					Value *float64 `json:"value"`
				} `json:"data"`
			}
			var text string
			var kind struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(raw, &text); err != nil || json.Unmarshal([]byte(text), &kind) != nil {
				t.Fatalf("series %s", raw)
			}
			if kind.Type != "bar" {
				continue
			}
			if err := json.Unmarshal([]byte(text), &s); err != nil {
				t.Fatalf("bar series %s: %v", text, err)
			}
			g := groups[bars]
			bars++
			for j, o := range b.dims {
				r := d.estimate(o.ID, b.latest, g...)
				got := s.Data[j].Value
				switch {
				case r == nil || !r.published():
					if got != nil {
						t.Errorf("%s %v: bar %v for a suppressed or absent cell", o.ID, g, *got)
					}
				case got == nil:
					t.Errorf("%s %v: no bar for %v", o.ID, g, r.num("estimate"))
				case math.Abs(*got-r.num("estimate")) > 1e-6:
					t.Errorf("%s %v: bar %v, store %v", o.ID, g, *got, r.num("estimate"))
				}
			}
		}
		if bars != len(groups) {
			t.Errorf("%d bar series, want %d", bars, len(groups))
		}
		return
	}
	t.Errorf("%s: no fig-dimensions", file)
}

// fullBuilder is a builder over the full run's store.
func fullBuilder(t *testing.T, env *pipeline.Env) *builder {
	t.Helper()
	b, err := newBuilder(context.Background(), env, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
