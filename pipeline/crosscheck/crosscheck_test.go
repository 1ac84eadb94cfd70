package crosscheck

import (
	"context"
	"encoding/csv"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"socap/indicators"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/example"
	"socap/pipeline/export"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
	"socap/pipeline/model"
	"socap/pipeline/reliability"
	"socap/pipeline/score"
	"socap/pipeline/store"
)

var update = flag.Bool("update", false, "copy the example's out/scores.sav to testdata/reference/pipeline_scores.sav for pipeline.R")

const (
	refDir = "../../testdata/reference"
	// tolR is the agreement asked of R's numbers, tolEngine of the engine's
	// on the exported file.
	tolR      = 1e-8
	tolEngine = 1e-12
)

// regenerate says what to do when the example's numbers change on purpose.
const regenerate = "if the pipeline's numbers changed on purpose, regenerate the R reference from the repository root:\n" +
	"\tgo test ./pipeline/crosscheck -update && Rscript testdata/reference/pipeline.R\n" +
	"and commit testdata/reference/pipeline_scores.sav and pipeline.csv"

// estimateSets are the group sets whose published cells are compared with R.
var estimateSets = []string{"all", "background", "municipality", "municipality+background+gender", "country_group+gender+education"}

// engineSet is the group set the engine recomputes from scores.sav.
const engineSet = "municipality+background+gender"

func TestPipeline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := runExample(ctx, t, dir)
	out := filepath.Join(dir, "out")
	sav := filepath.Join(out, export.ScoresFile+".sav")
	if *update {
		b, err := os.ReadFile(sav)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(refDir, "pipeline_scores.sav"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote testdata/reference/pipeline_scores.sav; now run Rscript testdata/reference/pipeline.R")
		return
	}
	ref := readReference(t)
	waves := loadScores(ctx, t, sav)

	t.Run("data", func(t *testing.T) { checkData(t, ref["data"], waves) })
	t.Run("estimates", func(t *testing.T) {
		checkEstimates(t, ref["estimate"], readCSV(t, filepath.Join(out, "estimates.csv")))
	})
	t.Run("comparisons", func(t *testing.T) {
		checkComparisons(t, ref["comparison"], readCSV(t, filepath.Join(out, "comparisons.csv")))
	})
	t.Run("programme_effects", func(t *testing.T) {
		checkEffects(t, ref["effect"], readCSV(t, filepath.Join(out, "programme_effects.csv")))
	})
	t.Run("marginal_effects", func(t *testing.T) {
		checkAMEs(t, ref["ame"], readCSV(t, filepath.Join(out, "marginal_effects.csv")))
	})
	t.Run("engine", func(t *testing.T) {
		outputs, _, err := compare.Outputs(env)
		if err != nil {
			t.Fatal(err)
		}
		checkEngine(t, outputs, waves, readCSV(t, filepath.Join(out, "estimates.csv")))
	})
	if t.Failed() {
		t.Log("the pipeline's published numbers disagree with R's (pipeline.csv) or the engine's; " + regenerate)
	}
}

// runExample writes the built-in example into dir and runs the stages of
// `socap run` on it (cmd/socap's newRunStages) with an in-memory store and a
// fixed clock; the exports land in dir/out.
func runExample(ctx context.Context, t *testing.T, dir string) *pipeline.Env {
	t.Helper()
	proj, err := example.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(proj.Config)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckAnalysis(cb); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &pipeline.Env{Store: st, Config: cfg, Codebook: cb, Log: io.Discard, Now: func() time.Time { return time.Unix(0, 0).UTC() }}
	stages := []pipeline.Stage{&ingest.Stage{}, &harmonize.Stage{}, &design.Stage{}, &score.Stage{}, &reliability.Stage{}, &estimate.Stage{},
		&compare.Stage{}, &model.Stage{}, &evaluate.Stage{}, &export.Stage{}}
	if err := pipeline.Run(ctx, env, stages...); err != nil {
		t.Fatal(err)
	}
	return env
}

// reference is pipeline.csv: section → key → field → value.
type reference map[string]map[string]map[string]float64

func readReference(t *testing.T) reference {
	t.Helper()
	ref := reference{}
	for _, r := range readCSV(t, filepath.Join(refDir, "pipeline.csv")) {
		v := math.NaN()
		if r["value"] != "NA" {
			x, err := strconv.ParseFloat(r["value"], 64)
			if err != nil {
				t.Fatalf("pipeline.csv: %s %s %s: %v", r["section"], r["key"], r["field"], err)
			}
			v = x
		}
		if ref[r["section"]] == nil {
			ref[r["section"]] = map[string]map[string]float64{}
		}
		if ref[r["section"]][r["key"]] == nil {
			ref[r["section"]][r["key"]] = map[string]float64{}
		}
		ref[r["section"]][r["key"]][r["field"]] = v
	}
	for _, s := range []string{"data", "estimate", "comparison", "effect", "ame"} {
		if len(ref[s]) == 0 {
			t.Fatalf("pipeline.csv has no %s rows", s)
		}
	}
	return ref
}

// readCSV reads a CSV file with a header into one map per row.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s: no rows", path)
	}
	rows := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for j, name := range recs[0] {
			m[name] = rec[j]
		}
		rows = append(rows, m)
	}
	return rows
}

// normCode is a group code as R writes it: "3.0" → "3"; text stays text.
func normCode(s string) string {
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return s
}

// relDiff is |got − want| / |want| (the absolute difference when want is 0);
// two NaNs agree, one NaN does not.
func relDiff(got, want float64) float64 {
	switch {
	case math.IsNaN(got) && math.IsNaN(want):
		return 0
	case math.IsNaN(got) || math.IsNaN(want):
		return math.Inf(1)
	case want == 0:
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// tally counts the numbers compared and keeps the largest relative
// difference.
type tally struct {
	numbers int
	worst   float64
	where   string
}

// compareRow compares the fields of an exported row with R's numbers for
// it, within tol.
func (c *tally) compareRow(t *testing.T, what string, row map[string]string, want map[string]float64, fields []string, tol float64) {
	t.Helper()
	for _, f := range fields {
		w, ok := want[f]
		if !ok {
			t.Errorf("%s: pipeline.csv has no %s", what, f)
			continue
		}
		got, err := strconv.ParseFloat(row[f], 64)
		if err != nil {
			t.Errorf("%s: %s = %q in the export, not a number", what, f, row[f])
			continue
		}
		d := relDiff(got, w)
		c.numbers++
		if d > c.worst {
			c.worst, c.where = d, what+" "+f
		}
		if d > tol {
			t.Errorf("%s: %s = %.17g, R %.17g (relative difference %.3g > %g)", what, f, got, w, d, tol)
		}
	}
}

func (c *tally) log(t *testing.T, rows int) {
	t.Logf("%d rows, %d numbers; largest relative difference %.3g (%s)", rows, c.numbers, c.worst, c.where)
}

// published says whether an exported row is published, and fails when a
// suppressed one carries a number.
func published(t *testing.T, what string, row map[string]string, numbers []string, suppressed bool) bool {
	t.Helper()
	if !suppressed {
		return true
	}
	for _, f := range numbers {
		if row[f] != "" {
			t.Errorf("%s is suppressed but shows %s = %s", what, f, row[f])
		}
	}
	return false
}

// matchAll compares every published exported row with its R numbers: a
// published row without them fails, as does an R row the export lacks. It
// returns the published rows compared per class.
func matchAll(t *testing.T, ref map[string]map[string]float64, rows []map[string]string, key func(map[string]string) (string, bool),
	class func(map[string]string) string, isSuppressed func(map[string]string) bool, fields []string) map[string]int {
	t.Helper()
	var c tally
	seen := map[string]bool{}
	compared := map[string]int{}
	for _, row := range rows {
		k, ok := key(row)
		if !ok {
			continue
		}
		seen[k] = true
		if !published(t, k, row, fields, isSuppressed(row)) {
			continue
		}
		want, ok := ref[k]
		if !ok {
			t.Errorf("published %s has no R numbers in pipeline.csv", k)
			continue
		}
		c.compareRow(t, k, row, want, fields, tolR)
		compared[class(row)]++
	}
	for k := range ref {
		if !seen[k] {
			t.Errorf("pipeline.csv has %s, which the export does not hold", k)
		}
	}
	n := 0
	for _, v := range compared {
		n += v
	}
	c.log(t, n)
	return compared
}

// atLeast fails when a class of rows was compared fewer than min times.
func atLeast(t *testing.T, compared map[string]int, classes []string, min int) {
	t.Helper()
	for _, cl := range classes {
		if compared[cl] < min {
			t.Errorf("%d published %s rows compared, want at least %d", compared[cl], cl, min)
		}
	}
}

// estimateKey is indicator|wave|group_set|var=code;… in the set's order.
func estimateKey(row map[string]string) string {
	var grp []string
	if row["group_set"] != "all" {
		for _, v := range strings.Split(row["group_set"], "+") {
			grp = append(grp, v+"="+normCode(row[v]))
		}
	}
	return strings.Join([]string{row["indicator"], row["wave"], row["group_set"], strings.Join(grp, ";")}, "|")
}

func checkEstimates(t *testing.T, ref map[string]map[string]float64, rows []map[string]string) {
	fields := []string{"estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "sum_weights"}
	compared := matchAll(t, ref, rows,
		func(r map[string]string) (string, bool) {
			return estimateKey(r), slices.Contains(estimateSets, r["group_set"])
		},
		func(r map[string]string) string { return r["group_set"] },
		func(r map[string]string) bool { return r["suppressed"] != "" }, fields)
	atLeast(t, compared, estimateSets, 18)
	stats := map[string]bool{}
	for _, r := range rows {
		if r["group_set"] == engineSet && r["suppressed"] == "" {
			stats[r["statistic"]] = true
		}
	}
	for _, s := range []string{"mean", "prop", "ratio"} {
		if !stats[s] {
			t.Errorf("no published %s in %s", s, engineSet)
		}
	}
}

// checkComparisons keys a comparison without its reference_wave: the
// export withholds it in suppressed rows (pipeline/export keeps only wave
// and run_id as keys), and with two waves a wave comparison is always
// against wave 1, which published rows must say.
func checkComparisons(t *testing.T, ref map[string]map[string]float64, rows []map[string]string) {
	for _, r := range rows {
		if want := map[bool]string{true: "1", false: ""}[r["kind"] == "wave"]; r["status"] == "published" && r["reference_wave"] != want {
			t.Errorf("%s %s comparison of wave %s: reference_wave %q, want %q", r["indicator"], r["kind"], r["wave"], r["reference_wave"], want)
		}
	}
	fields := []string{"estimate", "reference_estimate", "difference", "se", "ci_low", "ci_high", "df"}
	compared := matchAll(t, ref, rows,
		func(r map[string]string) (string, bool) {
			return strings.Join([]string{r["indicator"], r["kind"], r["wave"], r["variable"], r["group"], r["reference"]}, "|"), true
		},
		func(r map[string]string) string { return r["kind"] },
		func(r map[string]string) bool { return r["status"] != "published" }, fields)
	atLeast(t, compared, []string{"area", "group", "wave"}, 10)
}

func checkEffects(t *testing.T, ref map[string]map[string]float64, rows []map[string]string) {
	fields := []string{"programme_baseline", "programme_follow_up", "comparison_baseline", "comparison_follow_up",
		"change_programme", "change_comparison", "did", "se", "ci_low", "ci_high", "df"}
	compared := matchAll(t, ref, rows,
		func(r map[string]string) (string, bool) { return r["indicator"], true },
		func(map[string]string) string { return "did" },
		func(r map[string]string) bool { return r["status"] != "published" }, fields)
	if compared["did"] != len(rows) || len(rows) != len(ref) {
		t.Errorf("%d of %d programme effects published and compared, R has %d: want every one", compared["did"], len(rows), len(ref))
	}
}

func checkAMEs(t *testing.T, ref map[string]map[string]float64, rows []map[string]string) {
	fields := []string{"estimate", "se", "ci_low", "ci_high", "df", "n"}
	compared := matchAll(t, ref, rows,
		func(r map[string]string) (string, bool) {
			return strings.Join([]string{r["wave"], r["model"], r["variable"], r["level"], r["by_group"]}, "|"), true
		},
		func(r map[string]string) string {
			if r["by_group"] == "all" {
				return r["model"]
			}
			return r["model"] + " by origin"
		},
		func(r map[string]string) bool { return r["status"] != "published" }, fields)
	atLeast(t, compared, []string{"adjusted", "heterogeneity by origin", "dimensions_employed by origin", "dimensions_qol by origin", "rate by origin"}, 4)
}

// wave is one wave of the exported scores file as a survey design.
type wave struct {
	frame  *survey.Frame
	design *survey.Design
	rows   int
	sums   map[string]float64 // fingerprint sums: sum_weight, sum_<column>
}

// groupColumns are the columns of scores.sav the engine groups by (as text
// codes); fingerprint the indicators whose sums the data check compares.
var (
	groupColumns = strings.Split(engineSet, "+")
	fingerprint  = []string{"structural", "qol", "employment"}
)

// loadScores loads the exported scores file as `socap estimate` loads its
// FILE (ingest.LoadFile into a scratch store) and builds each wave's design
// as socap.yaml describes it (svydesign(ids = ~psu, strata = ~stratum,
// weights = ~weight, nest = TRUE), lonely PSUs adjusted).
func loadScores(ctx context.Context, t *testing.T, path string) map[int]*wave {
	t.Helper()
	st, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := ingest.LoadFile(ctx, st, path, ingest.FileOptions{}, "scores")
	if err != nil {
		t.Fatal(err)
	}
	if info.ProblemRows > 0 {
		t.Fatalf("%s: %d problem rows", path, info.ProblemRows)
	}
	var values []string
	for _, c := range info.Columns {
		if c.Name != "id" && !strings.HasPrefix(c.Name, "_") {
			values = append(values, c.Name)
		}
	}
	exprs := make([]string, len(values))
	for k, c := range values {
		exprs[k] = "TRY_CAST(nullif(trim(" + store.QuoteIdent(c) + "), '') AS DOUBLE)"
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + store.QuoteIdent(info.Table) + " ORDER BY _row"
	res, err := st.DB().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	cols := map[int]map[string][]float64{}
	for res.Next() {
		vals := make([]*float64, len(values))
		dest := make([]any, len(values))
		for k := range vals {
			dest[k] = &vals[k]
		}
		if err := res.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		x := make(map[string]float64, len(values))
		for k, v := range vals {
			x[values[k]] = math.NaN()
			if v != nil {
				x[values[k]] = *v
			}
		}
		w := int(x["wave"])
		if cols[w] == nil {
			cols[w] = map[string][]float64{}
		}
		for _, c := range values {
			cols[w][c] = append(cols[w][c], x[c])
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	waves := map[int]*wave{}
	for w, cs := range cols {
		fr := survey.NewFrame()
		for _, c := range values {
			var err error
			if slices.Contains(groupColumns, c) {
				codes := make([]string, len(cs[c]))
				for i, x := range cs[c] {
					if !math.IsNaN(x) {
						codes[i] = strconv.FormatFloat(x, 'f', -1, 64)
					}
				}
				err = fr.AddString(c, codes)
			} else {
				err = fr.AddFloat(c, cs[c])
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		d, err := survey.NewDesign(fr, survey.Spec{Weights: "weight", Strata: "stratum", Clusters: []string{"psu"}, Nest: true, LonelyPSU: survey.LonelyAdjust})
		if err != nil {
			t.Fatal(err)
		}
		wv := &wave{frame: fr, design: d, rows: fr.Rows(), sums: map[string]float64{}}
		for _, c := range append([]string{"weight"}, fingerprint...) {
			name := "sum_" + c
			if c == "weight" {
				name = "sum_weight"
			}
			for _, x := range cs[c] {
				if !math.IsNaN(x) {
					wv.sums[name] += x
				}
			}
		}
		waves[w] = wv
	}
	return waves
}

// checkData compares the fingerprint of the exported scores with the one of
// the file pipeline.R read: a difference means the example's data changed.
func checkData(t *testing.T, ref map[string]map[string]float64, waves map[int]*wave) {
	if len(ref) != len(waves) {
		t.Fatalf("scores.sav has %d waves, pipeline.R read %d", len(waves), len(ref))
	}
	for w, wv := range waves {
		want := ref[strconv.Itoa(w)]
		got := map[string]float64{"rows": float64(wv.rows)}
		for k, v := range wv.sums {
			got[k] = v
		}
		for k, v := range want {
			if d := relDiff(got[k], v); d > tolEngine {
				t.Errorf("wave %d: %s = %.17g in the exported scores, %.17g in the file pipeline.R read: the example's data changed", w, k, got[k], v)
			}
		}
	}
}

// checkEngine estimates every indicator by engineSet with the engine on the
// exported scores and compares every published cell of estimates.csv.
func checkEngine(t *testing.T, outputs []indicators.Output, waves map[int]*wave, rows []map[string]string) {
	type cellKey struct{ indicator, wave, group string }
	exported := map[cellKey]map[string]string{}
	for _, r := range rows {
		if r["group_set"] == engineSet && r["suppressed"] == "" {
			exported[cellKey{r["indicator"], r["wave"], estimateKey(r)}] = r
		}
	}
	var c tally
	matched := 0
	for w, wv := range waves {
		for _, o := range outputs {
			recs, err := wv.design.Estimate([]survey.Request{o.Request()}, survey.Options{By: groupColumns})
			if err != nil {
				t.Fatalf("wave %d: %s: %v", w, o.ID, err)
			}
			for _, rec := range recs {
				key := map[string]string{"indicator": o.ID, "wave": strconv.Itoa(w), "group_set": engineSet}
				for k, v := range rec.By {
					key[k] = v
				}
				k := cellKey{o.ID, strconv.Itoa(w), estimateKey(key)}
				row, ok := exported[k]
				if !ok {
					continue
				}
				delete(exported, k)
				matched++
				what := k.group
				want := map[string]float64{"estimate": rec.Estimate, "se": rec.SE, "ci_low": rec.CILow, "ci_high": rec.CIHigh,
					"df": rec.DF, "deff": rec.Deff, "cv": rec.CV, "n": float64(rec.N), "sum_weights": rec.SumWeights}
				c.compareRow(t, what, row, want, []string{"estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "sum_weights"}, tolEngine)
				if got := strings.Join(rec.Flags, " "); got != row["flags"] {
					t.Errorf("%s: flags %q in the export, %q from the engine", what, row["flags"], got)
				}
			}
		}
	}
	for k := range exported {
		t.Errorf("published %s: the engine gives no such cell on scores.sav", k.group)
	}
	if matched < 100 {
		t.Errorf("%d published cells of %s compared, want at least 100", matched, engineSet)
	}
	c.log(t, matched)
}
