package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/example"
	"socap/pipeline/store"
)

// runCLI runs one command line in-process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"version", []string{"version"}, exitOK},
		{"help", []string{"estimate", "--help"}, exitOK},
		{"unknown flag", []string{"estimate", "--no-such-flag", "x.csv"}, exitBadUse},
		{"missing argument", []string{"estimate"}, exitBadUse},
		{"bad format", []string{"ingest", "--format", "xml"}, exitBadUse},
		{"missing config", []string{"ingest", "-c", filepath.Join(t.TempDir(), "none.yaml")}, exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.want, stderr)
			}
		})
	}
}

// TestDesignErrorsAreBadInput checks that data which cannot carry the design the
// flags describe exits 2 with an error naming the file, the column and the row.
func TestDesignErrorsAreBadInput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "nw.csv")
	if err := os.WriteFile(data, []byte("x,w\n1,2\n2,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "estimate", data, "--mean", "x", "--weight", "w")
	if code != exitBadUse || !strings.Contains(stderr, data+": design: weights: column \"w\", row 2: missing weight") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestEstimateNotesRowsWithoutGroup checks that rows missing a --by value are
// named on stderr rather than left out without a word.
func TestEstimateNotesRowsWithoutGroup(t *testing.T) {
	data := filepath.Join(t.TempDir(), "gm.csv")
	if err := os.WriteFile(data, []byte("x,g,h,w\n1,a,1,1\n2,,1,1\n3,b,,2\n4,a,2,1\n5,b,2,1\n6,,1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "estimate", data, "--mean", "x", "--by", "g,h", "--weight", "w", "--format", "csv")
	if code != exitOK || !strings.Contains(stderr, "3 of 6 rows of "+data+" have no value of g or h") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout, "note") {
		t.Errorf("the note went to stdout: %s", stdout)
	}
	code, _, stderr = runCLI(t, "estimate", data, "--mean", "x", "--weight", "w")
	if code != exitOK || stderr != "" {
		t.Errorf("without --by: exit %d, stderr %q", code, stderr)
	}
}

// TestDemoRejectsExactlyTheDeliberateProblems runs the demo and checks that
// the store's rejects are exactly the defects planted in the example data,
// that every source balances, and that a second run changes nothing.
func TestDemoRejectsExactlyTheDeliberateProblems(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCLI(t, "demo", "--dir", dir, "--quiet")
	if code != exitOK {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "false") {
		t.Fatalf("a source does not balance:\n%s", stdout)
	}
	proj, err := example.Write(t.TempDir()) // the same problems, by construction
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, p := range proj.Problems {
		col := p.Column
		if p.Level == "row" {
			col = ""
		}
		want[p.Source+"/"+strconv.FormatInt(p.Row, 10)+"/"+col] = p.Level
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "socap.duckdb"), store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().Query(`SELECT source_id, "row", CASE WHEN level = 'row' THEN '' ELSE "column" END, level FROM rejects`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var src, col, level string
		var row int64
		if err := rows.Scan(&src, &row, &col, &level); err != nil {
			t.Fatal(err)
		}
		got[src+"/"+strconv.FormatInt(row, 10)+"/"+col] = level
	}
	rows.Close()
	var respondents int
	st.DB().QueryRow(`SELECT count(*) FROM respondents`).Scan(&respondents)
	st.Close()
	for k, level := range want {
		if got[k] != level {
			t.Errorf("planted problem %s (%s) not rejected as such; got %q", k, level, got[k])
		}
	}
	for k, level := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected reject %s (%s)", k, level)
		}
	}

	code, stdout2, stderr := runCLI(t, "ingest", "-c", filepath.Join(dir, "socap.yaml"), "--quiet", "--format", "json")
	if code != exitOK {
		t.Fatalf("second ingest exit %d: %s", code, stderr)
	}
	var counts []struct {
		Source      string `json:"source"`
		Raw         int64  `json:"raw"`
		Respondents int64  `json:"respondents"`
	}
	if err := json.Unmarshal([]byte(stdout2), &counts); err != nil {
		t.Fatalf("ingest json: %v\n%s", err, stdout2)
	}
	total := int64(0)
	for _, c := range counts {
		total += c.Respondents
	}
	if len(counts) != 2 || total != int64(respondents) {
		t.Fatalf("second run: %+v, want 2 sources with %d respondents in all", counts, respondents)
	}
}

// TestEstimateMatchesR runs `socap estimate --format json` on the api data
// and compares with the values R's survey package printed
// (testdata/reference/survey.csv, case "strat": svymean(~api00) etc. on
// svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)).
func TestEstimateMatchesR(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	ref := referenceRows(t, "strat")
	code, stdout, stderr := runCLI(t, "estimate", data, "--weight", "pw", "--strata", "stype", "--fpc", "fpc",
		"--mean", "api00", "--total", "enroll", "--ratio", "api00/api99", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Design    map[string]any `json:"design"`
		Estimates []struct {
			Variable  string  `json:"variable"`
			Statistic string  `json:"statistic"`
			Estimate  float64 `json:"estimate"`
			SE        float64 `json:"se"`
			CILow     float64 `json:"ci_low"`
			CIHigh    float64 `json:"ci_high"`
			DF        float64 `json:"df"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	if len(out.Estimates) != 3 {
		t.Fatalf("%d estimates, want 3", len(out.Estimates))
	}
	for _, e := range out.Estimates {
		r, ok := ref[e.Variable+"|"+e.Statistic]
		if !ok {
			t.Fatalf("no reference for %s %s", e.Variable, e.Statistic)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"estimate", e.Estimate, r["estimate"]}, {"se", e.SE, r["se"]}, {"ci_low", e.CILow, r["ci_low"]},
			{"ci_high", e.CIHigh, r["ci_high"]}, {"df", e.DF, r["df"]}} {
			if math.Abs(c.got-c.want) > 1e-8*math.Abs(c.want) {
				t.Errorf("%s %s %s = %.17g, R says %.17g", e.Variable, e.Statistic, c.name, c.got, c.want)
			}
		}
	}
}

// referenceRows reads the overall (no by, no level) rows of one case of
// testdata/reference/survey.csv, keyed by "variable|statistic".
func referenceRows(t *testing.T, caseName string) map[string]map[string]float64 {
	t.Helper()
	recs := testcsv.Read(t, filepath.Join("..", "..", "testdata", "reference", "survey.csv"))
	col := map[string]int{}
	for j, h := range recs[0] {
		col[h] = j
	}
	out := map[string]map[string]float64{}
	for _, r := range recs[1:] {
		if r[col["case"]] != caseName || r[col["by"]] != "" || r[col["level"]] != "" {
			continue
		}
		vals := map[string]float64{}
		for _, k := range []string{"estimate", "se", "ci_low", "ci_high", "df"} {
			v, err := strconv.ParseFloat(r[col[k]], 64)
			if err != nil {
				t.Fatalf("reference %s %s: %v", caseName, k, err)
			}
			vals[k] = v
		}
		out[r[col["variable"]]+"|"+r[col["statistic"]]] = vals
	}
	return out
}

// TestInitFromSPSSDraftsAParsableCodebook drafts a project from ESS9NO.sav
// and checks that its codebook parses and carries the file's metadata.
func TestInitFromSPSSDraftsAParsableCodebook(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	dir := filepath.Join(t.TempDir(), "ess")
	if code, _, stderr := runCLI(t, "init", "--from", sav, dir); code != exitOK {
		t.Fatalf("init --from exit %d: %s", code, stderr)
	}
	cfg, err := pipeline.LoadConfig(filepath.Join(dir, "socap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		t.Fatal(err)
	}
	if id := cb.IDVariable(); id == nil || id.Name != "idno" {
		t.Fatalf("id variable = %+v, want idno", id)
	}
	trust := cb.Variable("ppltrst")
	if trust == nil || trust.Type != codebook.Ordinal || len(trust.Missing) == 0 || trust.Label.EN == "" {
		t.Fatalf("ppltrst = %+v, want an ordinal item with a label and missing codes", trust)
	}
	if code, _, _ := runCLI(t, "init", "--from", sav, dir); code != exitBadUse {
		t.Fatalf("init into a directory with a socap.yaml: exit %d, want %d", code, exitBadUse)
	}
}
