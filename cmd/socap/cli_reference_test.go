package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
)

// cliReference reads testdata/reference/cli.csv (written by cli.R): case|key → value.
func cliReference(t *testing.T) map[string]float64 {
	t.Helper()
	ref := map[string]float64{}
	for _, r := range testcsv.Read(t, "../../testdata/reference/cli.csv")[1:] {
		v, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		ref[r[0]+"|"+r[1]] = v
	}
	return ref
}

// estimateRecord is one record of socap estimate's JSON output.
type estimateRecord struct {
	Variable   string            `json:"variable"`
	By         map[string]string `json:"by"`
	ByLabels   map[string]string `json:"by_labels"`
	Level      string            `json:"level"`
	LevelLabel string            `json:"level_label"`
	Estimate   *float64          `json:"estimate"`
	SE         *float64          `json:"se"`
	CILow      *float64          `json:"ci_low"`
	CIHigh     *float64          `json:"ci_high"`
	Flags      []string          `json:"flags"`
}

// estimateJSON runs socap estimate with --format json and returns its estimates.
func estimateJSON(t *testing.T, args ...string) []estimateRecord {
	t.Helper()
	code, stdout, stderr := runCLI(t, append(append([]string{"estimate"}, args...), "--format", "json")...)
	if code != exitOK {
		t.Fatalf("estimate %v: exit %d: %s", args, code, stderr)
	}
	var res struct {
		Estimates []estimateRecord `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return res.Estimates
}

func checkRef(t *testing.T, ref map[string]float64, key string, got *float64) {
	t.Helper()
	want, ok := ref[key]
	if !ok {
		t.Fatalf("no reference value %s", key)
	}
	if got == nil || math.Abs(*got-want) > 1e-8*math.Abs(want) {
		t.Errorf("%s: got %v, R %.17g", key, got, want)
	}
}

var essDesign = []string{"--weight", "anweight", "--strata", "stratum", "--psu", "psu", "--nest"}

// TestLikelihoodCIWithLargeDesignEffect: on ESS9NO.sav the design effect makes the
// profile's α about 1e-16, where socap once printed ci_low 0 and ci_high NA.
func TestLikelihoodCIWithLargeDesignEffect(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	ref := cliReference(t)
	for _, by := range [][]string{nil, {"--by", "brncntr"}} {
		args := append(append([]string{sav, "--prop", "pdwrk", "--ci-method", "likelihood"}, essDesign...), by...)
		for _, e := range estimateJSON(t, args...) {
			key := "likelihood|all"
			if b, ok := e.By["brncntr"]; ok {
				key = "likelihood|brncntr=" + b
			}
			checkRef(t, ref, key+"|ci_low", e.CILow)
			checkRef(t, ref, key+"|ci_high", e.CIHigh)
		}
	}
}

// TestCalibratedDesignSE: estimate --margins gives the raked design's SEs (R's
// svytotal on rake(…)), and the calibrated weight taken as fixed gives R's 2.5-fold
// larger SE with a warning that says so.
func TestCalibratedDesignSE(t *testing.T) {
	data := shareddata.Path(t, "api/apiclus1.csv")
	ref := cliReference(t)
	margins := apipopMargins(t, t.TempDir())
	design := []string{data, "--psu", "dnum", "--fpc", "fpc"}
	got := estimateJSON(t, append(design, "--weight", "pw", "--margins", margins, "--method", "rake", "--tol", "1e-12", "--total", "enroll")...)
	checkRef(t, ref, "rake|enroll|total", got[0].Estimate)
	checkRef(t, ref, "rake|enroll|se", got[0].SE)
	for _, e := range estimateJSON(t, append(design, "--weight", "pw", "--margins", margins, "--tol", "1e-12", "--mean", "api00", "--by", "stype")...) {
		checkRef(t, ref, "rake|api00|stype="+e.By["stype"]+"|se", e.SE)
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "cal.csv")
	if code, _, stderr := runCLI(t, "calibrate", data, "--psu", "dnum", "--fpc", "fpc", "--weight", "pw", "--margins", margins, "--tol", "1e-12", "--out", out); code != exitOK {
		t.Fatalf("calibrate: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "estimate", out, "--psu", "dnum", "--fpc", "fpc", "--weight", "pw_cal", "--total", "enroll", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "--weight pw_cal looks calibrated") || !strings.Contains(stderr, "--margins FILE") {
		t.Errorf("no warning that the SE ignores the calibration: %q", stderr)
	}
	var res struct {
		Estimates []struct {
			SE float64 `json:"se"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	se := res.Estimates[0].SE
	checkRef(t, ref, "rake|enroll|se_fixed_weights", &se)
}

// TestDFRules: --df domain (default), design and inf reproduce R's intervals with
// degf(subset), degf(design) and the normal distribution (confint of svyby).
func TestDFRules(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	ref := cliReference(t)
	for _, rule := range []string{"domain", "design", "inf"} {
		args := []string{data, "--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--mean", "api00", "--by", "stype"}
		if rule != "domain" {
			args = append(args, "--df", rule)
		}
		for _, e := range estimateJSON(t, args...) {
			checkRef(t, ref, "df|stype="+e.By["stype"]+"|"+rule+"|ci_low", e.CILow)
			if rule == "inf" {
				checkRef(t, ref, "df|stype="+e.By["stype"]+"|svyby_confint|ci_low", e.CILow)
			}
		}
	}
}

// TestCompleteCases: --complete-cases is svyby(~a + b, na.rm = TRUE); without it each
// variable keeps the rows it has, so the estimates differ.
func TestCompleteCases(t *testing.T) {
	data := shareddata.Path(t, "ess9no/ESS9NO.csv")
	ref := cliReference(t)
	args := append([]string{data, "--mean", "ppltrst,pplfair", "--by", "gndr"}, essDesign...)
	for _, e := range estimateJSON(t, append(args, "--complete-cases")...) {
		key := "complete|" + e.Variable + "|gndr=" + e.By["gndr"]
		checkRef(t, ref, key+"|mean", e.Estimate)
		checkRef(t, ref, key+"|se", e.SE)
	}
	differs := false
	for _, e := range estimateJSON(t, args...) {
		if want := ref["complete|"+e.Variable+"|gndr="+e.By["gndr"]+"|mean"]; math.Abs(*e.Estimate-want) > 1e-8*math.Abs(want) {
			differs = true
		}
	}
	if !differs {
		t.Error("per-variable missing values give the complete-case estimates: the test data has no row missing only one variable")
	}
}

// TestMarginsFixedCovariates: --margins-fixed gives gradᵀ V(β̂) grad (R, delta method on
// svyglm's coefficients); the default unconditional SE also counts the covariates'
// sampling and differs.
func TestMarginsFixedCovariates(t *testing.T) {
	data := shareddata.Path(t, "ess9no/ESS9NO.csv")
	ref := cliReference(t)
	args := append([]string{"glm", data, "--family", "quasibinomial", "--formula", "pdwrk ~ ppltrst + agea", "--margins", "ppltrst", "--format", "json"}, essDesign...)
	se := func(extra ...string) (float64, float64) {
		code, stdout, stderr := runCLI(t, append(args, extra...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res struct {
			Margins []struct {
				Estimate float64 `json:"estimate"`
				SE       float64 `json:"se"`
			} `json:"marginal_effects"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Margins) != 1 {
			t.Fatalf("%v: %s", err, stdout)
		}
		return res.Margins[0].Estimate, res.Margins[0].SE
	}
	est, fixed := se("--margins-fixed")
	checkRef(t, ref, "margins_fixed|ppltrst|estimate", &est)
	checkRef(t, ref, "margins_fixed|ppltrst|se", &fixed)
	if _, uncond := se(); uncond == fixed {
		t.Errorf("unconditional SE %v equals the fixed-covariate one", uncond)
	}
}
