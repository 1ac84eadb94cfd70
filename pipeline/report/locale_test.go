package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"socap/pipeline/model"
)

func TestLocale(t *testing.T) {
	nb, en := newLocale("nb"), newLocale("en")
	tests := []struct {
		got, want string
	}{
		{nb.num(12345.678, 1), "12\u202f345,7"},
		{en.num(12345.678, 1), "12,345.7"},
		{nb.num(-0.04, 1), "0,0"},
		{nb.num(-1234567, 0), "−1\u202f234\u202f567"},
		{nb.num(999, 0), "999"},
		{nb.percent(41.2, 0), "41\u00a0%"},
		{en.percent(41.2, 0), "41%"},
		{nb.date(time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)), "2. desember 2026"},
		{en.date(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)), "2 December 2026"},
		{nb.reason("primary: n < 10"), "Vises ikke: bygger på færre enn 10 svar."},
		{en.reason("derived: uses suppressed municipality 5014 wave 2"), "Not shown: uses a number that is hidden to protect privacy."},
		{en.reason("something new"), "Not shown: something new"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestSigned(t *testing.T) {
	b := &builder{loc: newLocale("nb")}
	for x, want := range map[float64]string{0.02: "0,02", -0.004: "−0,004", 0.0001: "0,000", 1.26: "1,3", 0: "0,0"} {
		if got := b.signed(x, 1); got != want {
			t.Errorf("signed(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestCollateNB(t *testing.T) {
	names := []string{"Øygarden", "Åfjord", "Aukra", "Ærøy", "Zeta", "Ålesund", "Bø"}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(collateNB(a), collateNB(b)) })
	if got := strings.Join(names, " "); got != "Aukra Bø Zeta Ærøy Øygarden Åfjord Ålesund" {
		t.Errorf("sorted %s", got)
	}
}

func TestSlugAndCodes(t *testing.T) {
	for in, want := range map[string]string{"Frøya": "froya", "Øygarden": "oygarden", "Aurskog-Høland": "aurskog-holand", "Porsáŋgu Porsanger": "porsangu-porsanger"} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"1.0": "1", "5014": "5014", "2.5": "2.5", "x": "x"} {
		if got := canonCode(in); got != want {
			t.Errorf("canonCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestModelLabels: every model name the model stage writes has a label in
// both languages, so forest-plot titles and tables never show a code.
func TestModelLabels(t *testing.T) {
	names := []string{model.Adjusted, model.Heterogeneity, model.Rate, model.DimensionsPrefix + "employed", model.DimensionsPrefix + model.QoL}
	for _, n := range names {
		l, ok := valueLabels["model"][n]
		if !ok || l.nb == "" || l.en == "" || l.nb == n || l.en == n {
			t.Errorf("model %q: label %+v", n, l)
		}
	}
	if got := upperFirst("dimensjonene og sysselsetting"); got != "Dimensjonene og sysselsetting" {
		t.Errorf("upperFirst: %q", got)
	}
}
