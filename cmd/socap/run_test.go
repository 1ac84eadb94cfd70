package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"socap/indicators/survey"
	"socap/internal/shareddata"
	"socap/internal/testcsv"
	"socap/pipeline/store"
)

// TestRunOnExample runs the pipeline on the built-in example and checks
// estimates.csv: suppressed cells carry no number, published cells rest on at least 10 respondents, a second run
// writes the same file, and an estimate recomputed from the store's scores
// and respondents with the engine directly equals the exported one.
func TestRunOnExample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, _, stderr := runCLI(t, "demo", "--dir", dir, "--quiet"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	cfg := filepath.Join(dir, "socap.yaml")
	code, stdout, stderr := runCLI(t, "run", "-c", cfg, "--quiet")
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	path := filepath.Join(dir, "out", "estimates.csv")
	first := testcsv.Read(t, path)
	col := map[string]int{}
	for k, c := range first[0] {
		col[c] = k
	}
	published, suppressed := 0, 0
	var qolMajority float64
	for _, r := range first[1:] {
		if r[col["suppressed"]] == "" {
			published++
			if n, _ := strconv.Atoi(r[col["n"]]); n < 10 {
				t.Errorf("published cell with n %d: %v", n, r)
			}
			if r[col["indicator"]] == "qol" && r[col["wave"]] == "1" && r[col["group_set"]] == "background" && r[col["background"]] == "1" {
				qolMajority, _ = strconv.ParseFloat(r[col["estimate"]], 64)
			}
			continue
		}
		suppressed++
		if r[col["estimate"]] != "" || r[col["se"]] != "" || r[col["sum_weights"]] != "" || r[col["n"]] != "" {
			t.Errorf("suppressed cell shows a number: %v", r)
		}
	}
	for _, f := range []string{"estimates.parquet", "estimates.xlsx", "models.csv", "coefficients.csv", "marginal_effects.csv", "scores.parquet", "scores.sav"} {
		if !strings.Contains(stdout, filepath.Join(dir, "out", f)) {
			t.Errorf("run does not say it wrote %s: %s", f, stdout)
		}
	}
	if qolMajority == 0 {
		t.Fatal("no published qol estimate for wave 1, background 1")
	}
	if published == 0 || suppressed == 0 {
		t.Fatalf("%d published, %d suppressed cells: %s", published, suppressed, stdout)
	}
	if code, _, stderr := runCLI(t, "run", "-c", cfg, "--quiet"); code != exitOK {
		t.Fatalf("second run: %s", stderr)
	}
	if again := testcsv.Read(t, path); len(again) != len(first) {
		t.Errorf("second run: %d rows, first %d", len(again), len(first))
	} else {
		for i := range first {
			for j := range first[i] {
				if first[i][j] != again[i][j] {
					t.Fatalf("second run differs at row %d column %s: %q vs %q", i, first[0][j], first[i][j], again[i][j])
				}
			}
		}
	}

	// qol of wave 1 by background, recomputed from the store
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "socap.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `SELECT s.qol, r.weight, CAST(r.stratum AS VARCHAR), CAST(r.psu AS VARCHAR), CAST(r.background AS VARCHAR)
		FROM scores s JOIN respondents r USING (wave, id) WHERE s.wave = 1`)
	if err != nil {
		t.Fatal(err)
	}
	var qol, w []float64
	var strata, psu, bg []string
	for rows.Next() {
		var q *float64
		var wt float64
		var s, p, b *string
		if err := rows.Scan(&q, &wt, &s, &p, &b); err != nil {
			t.Fatal(err)
		}
		v := math.NaN()
		if q != nil {
			v = *q
		}
		qol, w = append(qol, v), append(w, wt)
		strata, psu, bg = append(strata, deref(s)), append(psu, deref(p)), append(bg, deref(b))
	}
	rows.Close()
	f := survey.NewFrame()
	f.AddFloat("qol", qol)
	f.AddFloat("weight", w)
	f.AddString("stratum", strata)
	f.AddString("psu", psu)
	f.AddString("background", bg)
	d, err := survey.NewDesign(f, survey.Spec{Weights: "weight", Strata: "stratum", Clusters: []string{"psu"}, Nest: true, LonelyPSU: survey.LonelyAdjust})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Estimate([]survey.Request{{Statistic: survey.Mean, Variable: "qol"}}, survey.Options{By: []string{"background"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.By["background"] == "1" && math.Abs(r.Estimate-qolMajority) > 1e-12*math.Abs(r.Estimate) {
			t.Errorf("qol wave 1 background 1: exported %v, engine %v", qolMajority, r.Estimate)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestRunOnESS runs the pipeline unchanged on ESS round 9 for Norway through
// the builtin ess codebook, with regions as areas, and checks that each
// published estimate equals socap estimate on the exported scores file with
// the same design: the pipeline and the command share one engine.
func TestRunOnESS(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "socap.yaml")
	yaml := "project: ESS9 Norway\ncodebook: builtin:ess\nlanguage: en\n" +
		"groups: [[background], [gender], [region], [region, gender]]\ncompare: {areas: region}\n" +
		"sources:\n  - {id: ess9, path: " + strconv.Quote(sav) + ", wave: 1}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "run", "-c", cfg, "--quiet")
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "scores.sav") || !strings.Contains(stdout, "comparisons.csv") {
		t.Errorf("run summary: %s", stdout)
	}
	est := testcsv.Read(t, filepath.Join(dir, "out", "estimates.csv"))
	col := index(est[0])
	want := map[string][2]string{} // region → published structural mean and SE, wave 1
	for _, r := range est[1:] {
		if r[col["indicator"]] == "structural" && r[col["group_set"]] == "region" && r[col["suppressed"]] == "" {
			want[r[col["region"]]] = [2]string{r[col["estimate"]], r[col["se"]]}
		}
	}
	if len(want) < 5 {
		t.Fatalf("%d published regional structural estimates, want the regions of Norway", len(want))
	}
	code, out, stderr := runCLI(t, "estimate", filepath.Join(dir, "out", "scores.sav"), "--weight", "weight", "--strata", "stratum",
		"--psu", "psu", "--nest", "--lonely-psu", "adjust", "--mean", "structural", "--by", "region", "--labels", "codes", "--format", "csv")
	if code != exitOK {
		t.Fatalf("estimate: exit %d: %s", code, stderr)
	}
	got := testcsv.Parse(t, out)
	gc := index(got[0])
	for _, r := range got[1:] {
		w, ok := want[r[gc["region"]]]
		if !ok {
			continue
		}
		// equal but for the order of summation (the file's rows are sorted by id as text)
		for k, c := range []string{"estimate", "se"} {
			p, _ := strconv.ParseFloat(w[k], 64)
			e, _ := strconv.ParseFloat(r[gc[c]], 64)
			if !(math.Abs(p-e) <= 1e-12*math.Abs(e)) {
				t.Errorf("region %s %s: pipeline %s, socap estimate %s", r[gc["region"]], c, w[k], r[gc[c]])
			}
		}
		delete(want, r[gc["region"]])
	}
	if len(want) > 0 {
		t.Errorf("regions not recomputed: %v", want)
	}
	cmp := testcsv.Read(t, filepath.Join(dir, "out", "comparisons.csv"))
	cc := index(cmp[0])
	areas := 0
	for _, r := range cmp[1:] {
		if r[cc["kind"]] == "area" {
			areas++
		}
	}
	if areas == 0 {
		t.Errorf("no region compared with the whole sample: %v", cmp[:min(3, len(cmp))])
	}
}

// index maps a CSV header's names to their positions.
func index(header []string) map[string]int {
	m := map[string]int{}
	for k, c := range header {
		m[c] = k
	}
	return m
}
