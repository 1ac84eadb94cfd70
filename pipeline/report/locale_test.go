package report

import (
	"testing"
	"time"
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
