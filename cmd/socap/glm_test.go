package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
)

// TestGLMCommandMatchesR runs socap glm --format json on apistrat and compares the
// coefficients with R's svyglm (testdata/reference/glm.csv).
func TestGLMCommandMatchesR(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	code, stdout, stderr := runCLI(t, "glm", data, "--weight", "pw", "--strata", "stype", "--fpc", "fpc",
		"--formula", "sch.wide ~ ell + meals + stype", "--family", "quasibinomial",
		"--margins", "stype", "--test", "stype", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Design map[string]any `json:"design"`
		Model  struct {
			Formula    string  `json:"formula"`
			N          int     `json:"n"`
			DFResidual float64 `json:"df_residual"`
		} `json:"model"`
		Coefficients []struct {
			Term     string  `json:"term"`
			Estimate float64 `json:"estimate"`
			SE       float64 `json:"se"`
		} `json:"coefficients"`
		Margins []map[string]any `json:"marginal_effects"`
		Tests   []map[string]any `json:"tests"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if res.Model.N != 200 || res.Model.DFResidual != 193 || res.Design["kind"] != "linearisation" {
		t.Errorf("model %+v, design %v", res.Model, res.Design)
	}
	want := map[string][2]float64{}
	for _, r := range rRows(t, "glm.csv", func(r []string) bool { return r[0] == "strat_quasibinomial" && r[1] == "coef" }) {
		est, _ := strconv.ParseFloat(r[4], 64)
		se, _ := strconv.ParseFloat(r[5], 64)
		want[r[2]] = [2]float64{est, se}
	}
	if len(res.Coefficients) != len(want) {
		t.Fatalf("%d coefficients, R has %d", len(res.Coefficients), len(want))
	}
	for _, c := range res.Coefficients {
		w, ok := want[c.Term]
		if !ok || math.Abs(c.Estimate-w[0]) > 1e-7*math.Abs(w[0]) || math.Abs(c.SE-w[1]) > 1e-7*w[1] {
			t.Errorf("%s: %v ± %v, R %v", c.Term, c.Estimate, c.SE, w)
		}
	}
	if len(res.Margins) != 2 || res.Margins[0]["unit"] != "percentage points" || len(res.Tests) != 1 {
		t.Errorf("margins %v, tests %v", res.Margins, res.Tests)
	}
}

func TestGLMCommandErrors(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	for _, c := range []struct {
		args []string
		code int
		has  string
	}{
		{[]string{"glm", data}, exitBadUse, "--formula is required"},
		{[]string{"glm", data, "--formula", "api00 ~ ell", "--exp"}, exitBadUse, "--exp needs a binomial or poisson family"},
		{[]string{"glm", data, "--formula", "api00 ~ ell + nosuch"}, exitBadUse, `"nosuch"`},
		{[]string{"glm", data, "--formula", "api00 ~ ell", "--test", "meals"}, exitBadUse, "term meals is not in the model"},
		{[]string{"glm", data, "--formula", "api00 ~ stype", "--ref", "stype=Q"}, exitBadUse, `reference level "Q"`},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.has) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args[2:], code, stderr, c.code, c.has)
		}
	}
}

func TestCalibrateCommand(t *testing.T) {
	data := shareddata.Path(t, "api/apiclus1.csv")
	dir := t.TempDir()
	margins := apipopMargins(t, dir)
	out := filepath.Join(dir, "cal.csv")
	code, stdout, stderr := runCLI(t, "calibrate", data, "--weight", "pw", "--psu", "dnum", "--fpc", "fpc",
		"--margins", margins, "--method", "rake", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "use --weight pw_cal") {
		t.Errorf("stdout %q", stdout)
	}
	recs, in := testcsv.Read(t, out), testcsv.Read(t, data)
	head := recs[0]
	if len(head) != len(in[0])+1 || head[len(head)-1] != "pw_cal" || len(recs) != len(in) {
		t.Fatalf("header %v, %d rows", head, len(recs)-1)
	}
	byType := map[string]float64{}
	for _, r := range recs[1:] {
		w, _ := strconv.ParseFloat(r[len(r)-1], 64)
		byType[r[1]] += w // stype is the second column
	}
	for k, want := range map[string]float64{"E": 4421, "H": 755, "M": 1018} {
		if math.Abs(byType[k]-want) > 1e-6 {
			t.Errorf("calibrated count of stype %s: %v, want %v", k, byType[k], want)
		}
	}
	// calibrating the output again would write a second pw_cal
	code, _, stderr = runCLI(t, "calibrate", out, "--weight", "pw", "--psu", "dnum", "--fpc", "fpc",
		"--margins", margins, "--method", "rake", "--out", filepath.Join(dir, "again.csv"))
	if code != exitBadUse || !strings.Contains(stderr, `already has a column "pw_cal"`) {
		t.Errorf("second pw_cal: exit %d, %s", code, stderr)
	}
	// a level the sample has but the margins lack
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("variable,level,total\nstype,E,4421\nstype,H,755\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "calibrate", data, "--weight", "pw", "--psu", "dnum", "--fpc", "fpc",
		"--margins", bad, "--method", "poststratify", "--out", filepath.Join(dir, "x.csv"))
	if code != exitBadUse || !strings.Contains(stderr, `level "M" (`) {
		t.Errorf("missing level: exit %d, %s", code, stderr)
	}
}

// TestCalibrateReplicatesRoundTrip calibrates apiclus1's JK1 replicates by raking,
// writes them, and estimates from the written file with the flags calibrate prints:
// the standard error is R's for rake() on as.svrepdesign(type = "JK1").
func TestCalibrateReplicatesRoundTrip(t *testing.T) {
	data := shareddata.Path(t, "api/apiclus1.csv")
	dir := t.TempDir()
	margins := apipopMargins(t, dir)
	out := filepath.Join(dir, "cal.csv")
	code, stdout, stderr := runCLI(t, "calibrate", data, "--weight", "pw", "--psu", "dnum", "--fpc", "fpc",
		"--margins", margins, "--method", "rake", "--tol", "1e-12", "--to-replicates", "JK1", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, hint, ok := strings.Cut(strings.TrimSpace(stdout), "; use ")
	if !ok {
		t.Fatalf("no flags in %q", stdout)
	}
	args := []string{"estimate", out, "--mean", "api00", "--format", "json"}
	for _, f := range strings.Fields(hint) {
		args = append(args, strings.Trim(f, "'"))
	}
	code, stdout, stderr = runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("estimate %v: exit %d: %s", args, code, stderr)
	}
	var res struct {
		Estimates []struct{ Estimate, SE float64 } `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Estimates) != 1 {
		t.Fatalf("%v: %s", err, stdout)
	}
	// R: svymean(~api00, rake(as.svrepdesign(clus1, "JK1"), ...))
	ref := rRows(t, "calibrate.csv", func(r []string) bool {
		return r[0] == "clus1_jk1_rake" && r[1] == "mean" && r[2] == "api00"
	})
	if len(ref) != 1 {
		t.Fatalf("%d reference rows", len(ref))
	}
	est, _ := strconv.ParseFloat(ref[0][3], 64)
	se, _ := strconv.ParseFloat(ref[0][4], 64)
	if got := res.Estimates[0]; math.Abs(got.Estimate-est) > 1e-7*est || math.Abs(got.SE-se) > 1e-7*se {
		t.Errorf("mean %v ± %v, R %v ± %v", got.Estimate, got.SE, est, se)
	}
}

// rRows returns the rows of testdata/reference/FILE (R's values) that keep
// selects.
func rRows(t *testing.T, file string, keep func([]string) bool) [][]string {
	t.Helper()
	recs := testcsv.Read(t, filepath.Join("..", "..", "testdata", "reference", file))
	var out [][]string
	for _, r := range recs[1:] {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// TestGLMCommandReplicates fits with --to-replicates JK1 and compares with R's svyglm
// on as.svrepdesign(clus1, type = "JK1").
func TestGLMCommandReplicates(t *testing.T) {
	data := shareddata.Path(t, "api/apiclus1.csv")
	code, stdout, stderr := runCLI(t, "glm", data, "--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--to-replicates", "JK1",
		"--formula", "api00 ~ ell * meals + mobility", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Coefficients []struct {
			Term string  `json:"term"`
			SE   float64 `json:"se"`
		} `json:"coefficients"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, r := range rRows(t, "glm.csv", func(r []string) bool { return r[0] == "clus1_jk1_gaussian" && r[1] == "coef" }) {
		want[r[2]], _ = strconv.ParseFloat(r[5], 64)
	}
	if len(want) == 0 || len(res.Coefficients) != len(want) {
		t.Fatalf("%d coefficients, R has %d", len(res.Coefficients), len(want))
	}
	for _, c := range res.Coefficients {
		if math.Abs(c.SE-want[c.Term]) > 1e-7*want[c.Term] {
			t.Errorf("%s: se %v, R %v", c.Term, c.SE, want[c.Term])
		}
	}
}

// apipopMargins writes apiclus1's calibration margins from apipop (school types and
// sch.wide) to dir/pop.csv and returns the path.
func apipopMargins(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "pop.csv")
	if err := os.WriteFile(path, []byte("variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\nsch.wide,No,1072\nsch.wide,Yes,5122\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGLMReportsRowsLeftOut checks that the rows a model leaves out for a missing
// value are counted in the JSON and named in the table.
func TestGLMReportsRowsLeftOut(t *testing.T) {
	data := shareddata.Path(t, "ess9no/ESS9NO.csv")
	args := []string{"glm", data, "--weight", "anweight", "--strata", "stratum", "--psu", "psu", "--nest",
		"--family", "quasibinomial", "--formula", "pdwrk ~ ppltrst + agea"}
	code, stdout, stderr := runCLI(t, append(args, "--format", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Model struct {
			N       int `json:"n"`
			LeftOut int `json:"rows_left_out"`
		} `json:"model"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Model.N+res.Model.LeftOut != 1406 || res.Model.LeftOut == 0 {
		t.Fatalf("n %d + left out %d, want 1406 with some left out", res.Model.N, res.Model.LeftOut)
	}
	_, stdout, _ = runCLI(t, args...)
	if want := fmt.Sprintf("n = %d (%d rows missing the response or a predictor left out)", res.Model.N, res.Model.LeftOut); !strings.Contains(stdout, want) {
		t.Errorf("table header lacks %q:\n%s", want, stdout)
	}
}

// TestSubset fits glm on ESS9NO's women with --subset and compares with R's svyglm on
// subset(design, gndr == 2); estimate --subset must equal the --by row of the same
// group; and bad conditions are refused with exit 2.
func TestSubset(t *testing.T) {
	data := shareddata.Path(t, "ess9no/ESS9NO.csv")
	design := []string{data, "--weight", "anweight", "--strata", "stratum", "--psu", "psu", "--nest"}
	code, stdout, stderr := runCLI(t, slices.Concat([]string{"glm"}, design, []string{"--family", "quasibinomial",
		"--formula", "pdwrk ~ ppltrst + agea + I(agea^2) + factor(brncntr)", "--subset", "gndr=2", "--format", "json"})...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Design       map[string]any `json:"design"`
		Coefficients []struct {
			Term         string
			Estimate, SE float64
		} `json:"coefficients"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Design["subset"] != "gndr=2" {
		t.Errorf("design %v", res.Design)
	}
	want := rRows(t, "glm.csv", func(r []string) bool { return r[0] == "ess_subset_quasibinomial" && r[1] == "coef" })
	if len(want) != len(res.Coefficients) || len(want) == 0 {
		t.Fatalf("%d coefficients, R has %d", len(res.Coefficients), len(want))
	}
	for k, r := range want {
		est, _ := strconv.ParseFloat(r[4], 64)
		se, _ := strconv.ParseFloat(r[5], 64)
		c := res.Coefficients[k]
		if c.Term != r[2] || math.Abs(c.Estimate-est) > 1e-7*math.Abs(est) || math.Abs(c.SE-se) > 1e-7*se {
			t.Errorf("%s: %v ± %v, R %s: %v ± %v", c.Term, c.Estimate, c.SE, r[2], est, se)
		}
	}

	estimate := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := runCLI(t, slices.Concat([]string{"estimate"}, design, []string{"--mean", "ppltrst", "--format", "csv", "--labels", "codes"}, args)...)
		if code != exitOK {
			t.Fatalf("estimate %v: exit %d: %s", args, code, stderr)
		}
		return testcsvLines(stdout)
	}
	sub, by := estimate("--subset", "gndr=2"), estimate("--by", "gndr")
	// columns: variable,statistic,level,p,[gndr,]estimate,se,ci_low,ci_high,df,…
	if got, want := strings.Join(strings.Split(sub[1], ",")[4:9], ","), strings.Join(strings.Split(by[2], ",")[5:10], ","); got != want {
		t.Errorf("--subset gndr=2 gives %s, --by gndr's row for 2 gives %s", got, want)
	}

	for _, bad := range []struct{ cond, msg string }{
		{"gndr=3", `gndr has no value "3" (its values: 1, 2)`},
		{"gnd=2", `did you mean "gndr"`},
		{"gndr", "want COL=LEVEL"},
	} {
		code, _, stderr := runCLI(t, slices.Concat([]string{"estimate"}, design, []string{"--mean", "ppltrst", "--subset", bad.cond})...)
		if code != exitBadUse || !strings.Contains(stderr, bad.msg) {
			t.Errorf("--subset %s: exit %d, %s", bad.cond, code, stderr)
		}
	}
}

// testcsvLines splits CSV output into its lines.
func testcsvLines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

// TestGLMInPlaceMatchesR fits with --producer duckdb (pipeline/sqlglm) the designs it
// takes beyond clusters and compares the standard errors with R's svyglm
// (testdata/reference/glm.csv): apiclus1's JK1 replicate weights, written as columns
// rw1… (as.svrepdesign(clus1, "JK1"): replicate j drops district j and scales the
// others by n/(n−1), scale (n−1)/n·(1 − n/N)), and the lonely-PSU designs whose every
// row is its own PSU (svydesign(ids = ~1, strata = ~stype) with one high school).
func TestGLMInPlaceMatchesR(t *testing.T) {
	dir := t.TempDir()
	clus := testcsv.Read(t, shareddata.Path(t, "api/apiclus1.csv"))
	col := func(name string) int { return slices.Index(clus[0], name) }
	dnum, pw := col("dnum"), col("pw")
	var districts []string
	for _, r := range clus[1:] {
		if !slices.Contains(districts, r[dnum]) {
			districts = append(districts, r[dnum])
		}
	}
	n := float64(len(districts))
	rows := [][]string{clus[0]}
	for j := range districts {
		rows[0] = append(rows[0], fmt.Sprintf("rw%d", j+1))
	}
	for _, r := range clus[1:] {
		w, _ := strconv.ParseFloat(r[pw], 64)
		for _, d := range districts {
			f := n / (n - 1)
			if d == r[dnum] {
				f = 0
			}
			r = append(r, strconv.FormatFloat(w*f, 'g', -1, 64))
		}
		rows = append(rows, r)
	}
	reps := filepath.Join(dir, "clus1_jk1.csv")
	writeCSV(t, reps, rows)
	scale := strconv.FormatFloat((n-1)/n*(1-n/757), 'g', -1, 64) // apiclus1's fpc: 757 districts
	strat := testcsv.Read(t, shareddata.Path(t, "api/apistrat.csv"))
	stype, snum := slices.Index(strat[0], "stype"), slices.Index(strat[0], "snum")
	first := -1 // the high school kept
	for _, r := range strat[1:] {
		if v := atoi(r[snum]); r[stype] == "H" && (first < 0 || v < first) {
			first = v
		}
	}
	lonely := [][]string{strat[0]}
	for _, r := range strat[1:] {
		if r[stype] != "H" || atoi(r[snum]) == first {
			lonely = append(lonely, r)
		}
	}
	lonelyCSV := filepath.Join(dir, "lonely.csv")
	writeCSV(t, lonelyCSV, lonely)
	type fitCase struct {
		ref, file, formula, family string
		design                     []string
	}
	repDesign := []string{"--weight", "pw", "--repweights", "^rw", "--reptype", "JK1", "--scale", scale}
	cases := []fitCase{
		{"clus1_jk1_gaussian", reps, "api00 ~ ell * meals + mobility", "gaussian", repDesign},
		{"clus1_jk1_quasipoisson", reps, "enroll ~ meals + stype + log(api99)", "quasipoisson", repDesign},
	}
	for _, rule := range []string{"adjust", "average", "remove", "certainty"} {
		cases = append(cases, fitCase{"lonely_" + rule + "_gaussian", lonelyCSV, "api00 ~ ell + meals", "gaussian",
			[]string{"--weight", "pw", "--strata", "stype", "--lonely-psu", rule}})
	}
	for _, c := range cases {
		args := append([]string{"glm", c.file, "--producer", "duckdb", "--formula", c.formula, "--family", c.family, "--format", "json"}, c.design...)
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", c.ref, code, stderr)
		}
		var res struct {
			Coefficients []struct {
				Term     string  `json:"term"`
				Estimate float64 `json:"estimate"`
				SE       float64 `json:"se"`
			} `json:"coefficients"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		want := map[string][2]float64{}
		for _, r := range rRows(t, "glm.csv", func(r []string) bool { return r[0] == c.ref && r[1] == "coef" }) {
			est, _ := strconv.ParseFloat(r[4], 64)
			se, _ := strconv.ParseFloat(r[5], 64)
			want[r[2]] = [2]float64{est, se}
		}
		if len(want) == 0 || len(res.Coefficients) != len(want) {
			t.Fatalf("%s: %d coefficients, R has %d", c.ref, len(res.Coefficients), len(want))
		}
		for _, g := range res.Coefficients {
			w := want[g.Term]
			if math.Abs(g.Estimate-w[0]) > 1e-7*math.Abs(w[0]) || math.Abs(g.SE-w[1]) > 1e-7*w[1] {
				t.Errorf("%s, %s: %v ± %v, R %v ± %v", c.ref, g.Term, g.Estimate, g.SE, w[0], w[1])
			}
		}
	}
}

func atoi(s string) int {
	v, _ := strconv.Atoi(s)
	return v
}

// writeCSV writes rows to path as CSV.
func writeCSV(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
