package main

import (
	"slices"
	"strings"
	"testing"

	"socap/internal/shareddata"
)

// TestPropLevelsByLabel: a value label selects its code (brncntr=No ≡ brncntr=2), a
// level in neither codes nor labels is bad input with the levels listed, and a
// value-labelled numeric column gives every level, as svymean(~factor(sclmeet)).
func TestPropLevelsByLabel(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	byLabel := estimateJSON(t, append([]string{sav, "--prop", "brncntr=No"}, essDesign...)...)
	byCode := estimateJSON(t, append([]string{sav, "--prop", "brncntr=2"}, essDesign...)...)
	if len(byLabel) != 1 || len(byCode) != 1 || *byLabel[0].Estimate != *byCode[0].Estimate || *byLabel[0].Estimate == 0 {
		t.Fatalf("brncntr=No %+v, brncntr=2 %+v", byLabel, byCode)
	}
	if !slices.Contains(byLabel[0].Flags, "weights_below_n") {
		t.Errorf("anweight sums below n but flags are %v", byLabel[0].Flags)
	}
	if byLabel[0].Level != "2" || byLabel[0].LevelLabel != "No" {
		t.Errorf("level %q label %q, want 2 and No", byLabel[0].Level, byLabel[0].LevelLabel)
	}
	code, _, stderr := runCLI(t, append([]string{"estimate", sav, "--prop", "brncntr=5"}, essDesign...)...)
	if code != exitBadUse || !strings.Contains(stderr, `no value or value label "5"`) || !strings.Contains(stderr, "1 (Yes), 2 (No)") {
		t.Errorf("brncntr=5: exit %d, %s", code, stderr)
	}
	levels := estimateJSON(t, append([]string{sav, "--prop", "sclmeet"}, essDesign...)...)
	if len(levels) != 7 {
		t.Fatalf("sclmeet: %d levels, want 7", len(levels))
	}
	sum := 0.0
	for _, e := range levels {
		sum += *e.Estimate
	}
	if sum < 1-1e-12 || sum > 1+1e-12 {
		t.Errorf("sclmeet proportions sum to %v", sum)
	}
	some := estimateJSON(t, append([]string{sav, "--prop", "sclmeet=1,2,Every day"}, essDesign...)...)
	if len(some) != 3 || some[2].Level != "7" || *some[0].Estimate != *levels[0].Estimate {
		t.Errorf("sclmeet=1,2,Every day: %+v", some)
	}
}

// TestLabelsInOutput: tables show labels, CSV codes and <name>_label, JSON codes
// and by_labels; --labels codes shows codes only.
func TestLabelsInOutput(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	args := append([]string{"estimate", sav, "--mean", "agea", "--by", "gndr"}, essDesign...)
	_, table, _ := runCLI(t, args...)
	if !strings.Contains(table, "Female") || !strings.Contains(table, "Male") {
		t.Errorf("table without labels:\n%s", table)
	}
	_, codes, _ := runCLI(t, append(args, "--labels", "codes")...)
	if strings.Contains(codes, "Female") {
		t.Errorf("--labels codes shows labels:\n%s", codes)
	}
	_, csv, _ := runCLI(t, append(args, "--format", "csv")...)
	lines := strings.Split(csv, "\n")
	if !strings.Contains(lines[0], ",gndr,gndr_label,") || !strings.Contains(csv, ",2,Female,") {
		t.Errorf("csv:\n%s", csv)
	}
	js := estimateJSON(t, append([]string{sav, "--mean", "agea", "--by", "gndr"}, essDesign...)...)
	if js[0].By["gndr"] != "1" || js[0].ByLabels["gndr"] != "Male" {
		t.Errorf("json by %v by_labels %v", js[0].By, js[0].ByLabels)
	}
	code, glm, stderr := runCLI(t, append([]string{"glm", sav, "--formula", "agea ~ factor(gndr)"}, essDesign...)...)
	if code != exitOK || !strings.Contains(glm, "gndr: Female") {
		t.Errorf("glm: exit %d %s\n%s", code, stderr, glm)
	}
}

// TestCSVFullPrecision: CSV carries every digit (the shortest round-tripping text);
// tables show large totals without exponents.
func TestCSVFullPrecision(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	args := []string{"estimate", data, "--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--total", "enroll"}
	_, csv, _ := runCLI(t, append(args, "--format", "csv")...)
	js := estimateJSON(t, args[1:]...)
	want := csvText(*js[0].Estimate)
	if !strings.Contains(csv, ","+want+",") {
		t.Errorf("csv lacks the full-precision total %s:\n%s", want, csv)
	}
	_, table, _ := runCLI(t, args...)
	if strings.Contains(table, "e+06") || !strings.Contains(table, "3687178") {
		t.Errorf("table:\n%s", table)
	}
}

// TestBadUsageExitCodes: what a researcher mistypes is bad usage (exit 2) with a
// message that says what to type instead.
func TestBadUsageExitCodes(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	design := []string{"--weight", "pw", "--strata", "stype"}
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"estimate", data, "--mean", "api0"}, `column "api0": unknown column (did you mean "api00"`},
		{[]string{"estimate", data, "--mean", "api00", "--by", "stipe"}, `unknown column`},
		{[]string{"estimate", data + "x", "--mean", "api00"}, data + "x: no such file"},
		{[]string{"estimate", data, "--mean", "api00", "--level", "95"}, "--level 95: want a number between 0 and 1"},
		{[]string{"estimate", data, "--prop", "stype=X"}, `column "stype" has no value or value label "X"; its values: E, H, M`},
		{[]string{"estimate", data, "--mean", "api00", "--wieght", "pw"}, "did you mean --weight?"},
		{[]string{"estimate", data, "--mean", "api00", "--df", "many"}, `--df "many": want domain, design, inf or a positive number`},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, append(tc.args, design...)...)
		if code != exitBadUse || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.msg)
		}
	}
	code, _, stderr := runCLI(t, append([]string{"estimate", data, "--mean", "api00", "--by", "snum"}, design...)...)
	if code != exitOK || !strings.Contains(stderr, "--by snum has 200 groups for 200 rows") {
		t.Errorf("--by an identifier: exit %d, stderr %q", code, stderr)
	}
	_, help, _ := runCLI(t, "estimate", "--help")
	for _, m := range []string{"logit", "likelihood", "xlogit", "mean", "asin", "beta", "wilson"} {
		if !strings.Contains(help, m) {
			t.Errorf("--help does not list --ci-method %s", m)
		}
	}
}

// TestScaleLabels: socap scale shows group values with their labels too.
func TestScaleLabels(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	code, stdout, stderr := runCLI(t, "scale", sav, "--items", "ppltrst,pplfair,pplhlp", "--by", "gndr", "--format", "csv")
	if code != exitOK || !strings.Contains(stdout, "gndr,gndr_label,") || !strings.Contains(stdout, "\n2,Female,") {
		t.Errorf("exit %d %s:\n%s", code, stderr, stdout)
	}
}
