package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/model"
	"socap/pipeline/score"
)

// fullRun runs the example through every stage and the report stage.
func fullRun(t *testing.T) (*pipeline.Env, *Stage) {
	t.Helper()
	env := exampletest.Env(t)
	st := &Stage{}
	err := pipeline.Run(context.Background(), env, &design.Stage{}, &score.Stage{}, &estimate.Stage{},
		&compare.Stage{}, &model.Stage{}, &evaluate.Stage{}, st)
	if err != nil {
		t.Fatal(err)
	}
	return env, st
}

// TestReport runs the pipeline once (it takes seconds) and checks the
// reports in subtests.
func TestReport(t *testing.T) {
	env, st := fullRun(t)
	t.Run("files", func(t *testing.T) { testFiles(t, st) })
	t.Run("deterministic", func(t *testing.T) { testDeterministic(t, env, st) })
	t.Run("offline", func(t *testing.T) { testOffline(t, st) })
	t.Run("suppressed", func(t *testing.T) { testSuppressed(t, st) })
	t.Run("sentences", func(t *testing.T) { testSentences(t, env) })
	t.Run("labels", func(t *testing.T) { testLabels(t, env, st) })
	t.Run("browser", func(t *testing.T) { testBrowser(t, env, st) })
}

// testFiles: the index, the whole sample, the researcher report and one
// page per municipality, each under 2 MB.
func testFiles(t *testing.T, st *Stage) {
	files := st.Files()
	if len(files) != 16 { // index, sample, researcher, 13 municipalities
		t.Fatalf("%d files: %v", len(files), files)
	}
	if st.Index() != files[0] || filepath.Base(st.Index()) != "index.html" {
		t.Errorf("index %q", st.Index())
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 2<<20 && filepath.Base(f) != "researcher.html" {
			t.Errorf("%s: %d bytes, over 2 MB", filepath.Base(f), len(b))
		}
	}
}

// testDeterministic: a second run over the same store writes byte-identical
// files (the runner's own record of the first report run is not shown).
func testDeterministic(t *testing.T, env *pipeline.Env, st *Stage) {
	first := map[string][]byte{}
	for _, f := range st.Files() {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first[f] = b
	}
	again := &Stage{}
	if err := pipeline.Run(context.Background(), env, again); err != nil {
		t.Fatal(err)
	}
	for _, f := range again.Files() {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, first[f]) {
			t.Errorf("%s differs between two runs", filepath.Base(f))
		}
	}
	if len(again.Files()) != len(first) {
		t.Errorf("%d files, then %d", len(first), len(again.Files()))
	}
}

var (
	cspRE    = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`)
	scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	linkRE   = regexp.MustCompile(`(?i)\b(src|href|action)="([^"]*)"`)
)

// testOffline: every page has the policy allowing its own inline scripts by
// hash and nothing from elsewhere, and no link, image or form leaves the
// report folder.
func testOffline(t *testing.T, st *Stage) {
	for _, f := range st.Files() {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		m := cspRE.FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("%s: no Content-Security-Policy", filepath.Base(f))
		}
		policy := strings.ReplaceAll(m[1], "&#39;", "'")
		if !strings.HasPrefix(policy, "default-src 'none'; ") || strings.Contains(policy, "http") || strings.Contains(policy, "unsafe-eval") {
			t.Errorf("%s: policy %q", filepath.Base(f), policy)
		}
		scripts := scriptRE.FindAllStringSubmatch(html, -1)
		if len(scripts) != 2 {
			t.Errorf("%s: %d inline scripts, want ECharts and socap.js", filepath.Base(f), len(scripts))
		}
		for _, s := range scripts {
			if !strings.Contains(policy, scriptHash(s[1])) {
				t.Errorf("%s: a script's hash is not in the policy", filepath.Base(f))
			}
		}
		body := scriptRE.ReplaceAllString(html, "")
		for _, l := range linkRE.FindAllStringSubmatch(body, -1) {
			u := l[2]
			if strings.Contains(u, "://") || strings.HasPrefix(u, "//") || (strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "data:text/csv")) {
				t.Errorf("%s: %s=%q", filepath.Base(f), l[1], u)
			}
		}
	}
}

// testSuppressed: a page shows ":" with a footnote for every
// suppressed estimate it names, and the footnotes say why in words.
func testSuppressed(t *testing.T, st *Stage) {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(st.Index()), "5014-froya.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	hidden := regexp.MustCompile(`data-status="(primary|secondary)">([^<]*)<sup><a href="#fn-(\d+)">`).FindAllStringSubmatch(html, -1)
	if len(hidden) == 0 {
		t.Fatal("Frøya's page hides nothing; the example has suppressed cells there")
	}
	for _, h := range hidden {
		if h[2] != ":" {
			t.Errorf("a %s cell shows %q", h[1], h[2])
		}
		if !strings.Contains(html, `<li id="fn-`+h[3]+`">Vises ikke`) {
			t.Errorf("footnote %s missing or not explained", h[3])
		}
	}
	if regexp.MustCompile(`data-status="(primary|secondary)">[^:<]`).MatchString(html) {
		t.Error("a suppressed cell shows a number")
	}
}

// testSentences: each sentence says "higher", "lower" or "about the same"
// exactly as the comparison's verdict does, in both languages, and the
// barometer's colour follows the verdict and HigherIsBetter.
func testSentences(t *testing.T, env *pipeline.Env) {
	words := map[string]map[string]string{
		"nb": {"higher": "høyere enn", "lower": "lavere enn", "similar": "omtrent som"},
		"en": {"higher": "higher than", "lower": "lower than", "similar": "about the same as"},
	}
	seen := map[string]bool{}
	for lang, w := range words {
		b, err := newBuilder(context.Background(), env, lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(b.places(), place{Name: "all"}) {
			for _, o := range b.outputs {
				pg := &page{}
				s := string(b.sentence(pg, p, o))
				c := b.areaComparison(p, o)
				if c == nil {
					continue
				}
				if !c.published() {
					if !strings.Contains(s, ">:</span>") || len(pg.notes.Texts) != 1 {
						t.Errorf("%s %s %s: hidden comparison said %q", lang, p.Name, o.ID, s)
					}
					continue
				}
				v := c.str("verdict")
				seen[v] = true
				for verdict, word := range w {
					if strings.Contains(s, word) != (verdict == v) {
						t.Errorf("%s %s %s: verdict %s, sentence %q", lang, p.Name, o.ID, v, s)
					}
				}
				bd := b.verdictBadge(o, c)
				want := map[string]string{"similar": "same", "higher": "better", "lower": "worse"}[v]
				if !o.HigherIsBetter && v != "similar" {
					want = map[string]string{"higher": "worse", "lower": "better"}[v]
				}
				if bd.Class != want {
					t.Errorf("%s %s: verdict %s, badge %s", p.Name, o.ID, v, bd.Class)
				}
			}
		}
	}
	if !seen["similar"] || !seen["lower"] {
		t.Errorf("the example should have similar and lower verdicts: %v", seen)
	}
}

// testLabels: every column of the store tables the researcher report shows
// has a head in both languages, no researcher table head is a store column
// name where the label differs, group sets read as their variables' labels,
// and no table of the researcher report has more than maxColumns + 2
// columns (the estimate tables may have 12).
func testLabels(t *testing.T, env *pipeline.Env, st *Stage) {
	b := fullBuilder(t, env)
	tables := []table{b.d.estimates, b.d.comparisons, b.d.effects, b.d.coefficients, b.d.models, b.d.programme, b.d.designs, b.d.runs}
	for _, x := range []*table{b.d.reliability, b.d.invariance} {
		if x != nil {
			tables = append(tables, *x)
		}
	}
	for _, tb := range tables {
		for _, c := range showColumns(tb.columns) {
			if _, ok := columnLabels[c]; !ok && !b.isGroupVar(c) {
				t.Errorf("%s.%s has no label", tb.name, c)
			}
		}
	}
	for _, lang := range []string{"nb", "en"} {
		lb, err := newBuilder(context.Background(), env, lang)
		if err != nil {
			t.Fatal(err)
		}
		got := lb.groupSetLabel("background+gender")
		want := lb.varLabel("background") + " × " + lowerFirst(lb.varLabel("gender"))
		if got != want || strings.Contains(got, "+") {
			t.Errorf("%s: group set background+gender reads %q, want %q", lang, got, want)
		}
		pg, err := lb.researcherPage(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range pg.Sections {
			for _, dt := range s.Tables {
				if len(dt.Head) > maxColumns+2 {
					t.Errorf("%s %s: %d columns", lang, dt.CSV, len(dt.Head))
				}
				for _, h := range dt.Head {
					if l, ok := columnLabels[h]; ok && l.nb != h && l.en != h {
						t.Errorf("%s %s: column head %q is a store column name", lang, dt.CSV, h)
					}
				}
				for _, r := range dt.Rows {
					for _, c := range r {
						if strings.Contains(c.Text, "+") && strings.Contains(c.Text, "background") {
							t.Errorf("%s %s: raw group set %q", lang, dt.CSV, c.Text)
						}
					}
				}
			}
		}
	}
	html, err := os.ReadFile(filepath.Join(filepath.Dir(st.Index()), "researcher.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"statistic", "estimate", "ci_low", "n_shown", "flags", "group_set"} {
		if strings.Contains(string(html), `<th scope="col">`+raw+`</th>`) || strings.Contains(string(html), "background+gender") {
			t.Errorf("researcher.html shows %q", raw)
		}
	}
}
