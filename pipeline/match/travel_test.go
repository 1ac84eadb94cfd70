package match

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/pipeline/dataerr"
)

func travelTable(t *testing.T, rows ...string) *Travel {
	t.Helper()
	tr, err := ReadTravel("travel.csv", frame(t, "from|to|minutes", rows...))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTravelLimit: a newcomer in Sande gets the Herøy mentor 30 minutes
// away under a 45-minute limit, with the quality discounted by the
// documented factor and the distance in the explanation; under a
// 20-minute limit the newcomer is unmatched, and the reason says so. A
// newcomer in Herøy takes the local mentor over an otherwise equal one
// further away.
func TestTravelLimit(t *testing.T) {
	n, m := read(t, []string{
		"N-1|Sande|fotball|2223|norsk|f||",
		"N-2|Herøy|sjakk|7115|norsk|m||",
	}, []string{
		"M-1|Herøy|fotball|2223|norsk|1|f|",
		"M-2|Herøy|sjakk|7115|norsk|1|m|",
		"M-3|Ulstein|sjakk|7115|norsk|1|m|",
	})
	o := DefaultOptions
	o.Travel = travelTable(t, "Herøy|Sande|30", "Ulstein|Herøy|25")
	o.MaxMinutes, o.TravelDiscount = 45, 0.5
	res := Match(n, m, o)
	if len(res.Pairs) != 2 {
		t.Fatalf("pairs %+v, unmatched %+v", res.Pairs, res.Unmatched)
	}
	p1, p2 := res.Pairs[0], res.Pairs[1]
	if p1.Mentor != "M-1" || p1.MentorMunicipality != "Herøy" || p1.Parts.Minutes != 30 {
		t.Errorf("N-1: %+v", p1)
	}
	// every part 1 (same interests, unit group, first language), times
	// 1 − 0.5·30/45
	if want := 1 - 0.5*30.0/45; math.Abs(p1.Quality-want) > 1e-12 {
		t.Errorf("N-1 quality %v, want %v", p1.Quality, want)
	}
	if !strings.HasSuffix(p1.Nb, ", og mentoren bor i Herøy, 30 minutter unna.") || !strings.HasSuffix(p1.En, ", and the mentor lives in Herøy, 30 minutes away.") {
		t.Errorf("N-1:\n%s\n%s", p1.Nb, p1.En)
	}
	if p2.Mentor != "M-2" || p2.Quality != 1 || strings.Contains(p2.Nb, "bor i") {
		t.Errorf("N-2 should have the local mentor: %+v", p2)
	}

	o.MaxMinutes = 20
	res = Match(n, m, o)
	if len(res.Unmatched) != 1 {
		t.Fatalf("limit 20: unmatched %+v", res.Unmatched)
	}
	u := res.Unmatched[0]
	if u.Newcomer != "N-1" || u.Reason != NoMentorWithinTravel ||
		u.Nb != "N-1 har ingen mentor: det er ingen mentor i Sande eller innen 20 minutter." ||
		u.En != "N-1 has no mentor: there is no mentor in Sande or within 20 minutes." {
		t.Errorf("limit 20: %+v", u)
	}

	// Without a travel limit the same people stay within their
	// municipality, and the reason is the municipality's.
	res = Match(n, m, DefaultOptions)
	if len(res.Unmatched) != 1 || res.Unmatched[0].Reason != NoMentorInMunicipality {
		t.Errorf("no limit: %+v", res.Unmatched)
	}
}

// TestReadTravel: a pair counts both ways unless both are given; bad rows
// are DataErrors naming the file, row and column.
func TestReadTravel(t *testing.T) {
	tr := travelTable(t, "Herøy|Sande|30", "Sande|Herøy|35", "Herøy|Ulstein|12.5")
	for _, tc := range []struct {
		a, b string
		want float64
		ok   bool
	}{{"Herøy", "Sande", 30, true}, {"Sande", "Herøy", 35, true}, {"Ulstein", "Herøy", 12.5, true}, {"Sande", "Sande", 0, true}, {"Sande", "Ulstein", 0, false}} {
		if got, ok := tr.Minutes(tc.a, tc.b); got != tc.want || ok != tc.ok {
			t.Errorf("Minutes(%s, %s) = %v, %t; want %v, %t", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		header string
		rows   []string
		want   string
	}{
		{"from|to|minutes", []string{"Herøy|Herøy|0"}, `travel.csv: row 1, column to: "Herøy" to itself`},
		{"from|to|minutes", []string{"Herøy|Sande|30", "Herøy|Sande|31"}, "travel.csv: row 2, column from: Herøy to Sande twice (also row 1)"},
		{"from|to|minutes", []string{"Herøy|Sande|en halvtime"}, `travel.csv: row 1, column minutes: minutes "en halvtime"`},
		{"from|to|minutes", []string{"Herøy|Sande|-5"}, `travel.csv: row 1, column minutes: minutes "-5"`},
		{"from|to|minutes", []string{"|Sande|5"}, "travel.csv: row 1, column from: empty municipality"},
		{"from|to|km", []string{"Herøy|Sande|5"}, `travel.csv: column minutes: no column "minutes"`},
	} {
		_, err := ReadTravel("travel.csv", frame(t, tc.header, tc.rows...))
		if err == nil || !dataerr.Is(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want a DataError with %q", tc.rows, err, tc.want)
		}
	}
}

// TestRegions: municipalities linked by travel within the limit, directly
// or through another, are solved together; the rest alone.
func TestRegions(t *testing.T) {
	o := DefaultOptions
	o.Travel = travelTable(t, "A|B|10", "B|C|40", "C|D|15", "E|A|90")
	o.MaxMinutes = 20
	got := regions(o, []string{"E", "D", "C", "B", "A"})
	if want := "A,B C,D E"; joinRegions(got) != want {
		t.Errorf("limit 20: %s, want %s", joinRegions(got), want)
	}
	o.MaxMinutes = 40
	if got, want := joinRegions(regions(o, []string{"E", "D", "C", "B", "A"})), "A,B,C,D E"; got != want {
		t.Errorf("limit 40: %s, want %s", got, want)
	}
	o.MaxMinutes = 0
	if got, want := joinRegions(regions(o, []string{"B", "A"})), "A B"; got != want {
		t.Errorf("no limit: %s, want %s", got, want)
	}
}

func joinRegions(rs [][]string) string {
	var out []string
	for _, r := range rs {
		out = append(out, strings.Join(r, ","))
	}
	return strings.Join(out, " ")
}

// TestLoadConfigTravel: the travel section's path is taken from the
// directory of match.yaml, discount defaults to DefaultTravelDiscount, and
// a travel limit with same_municipality false is refused with its line.
func TestLoadConfigTravel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "match.yaml")
	if err := os.WriteFile(path, []byte("travel:\n  file: reiser.csv\n  max_minutes: 45\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if o.TravelFile != filepath.Join(dir, "reiser.csv") || o.MaxMinutes != 45 || o.TravelDiscount != DefaultTravelDiscount || !o.SameMunicipality {
		t.Errorf("%+v", o)
	}
	for body, want := range map[string]string{
		"require: {same_municipality: false}\ntravel:\n  file: reiser.csv\n  max_minutes: 45\n": "match.yaml:3:3: a travel limit needs require.same_municipality: true",
		"travel:\n  file: reiser.csv\n":                      "max_minutes",
		"travel:\n  file: r.csv\n  max_minutes: 0\n":         ":3:",
		"travel: {file: r.csv, max_minutes: 9, discount: 2}": "discount",
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", body, err, want)
		}
	}
}

// TestTravelUnnamed lists, once and sorted, the municipalities of the table
// that no person lives in.
func TestTravelUnnamed(t *testing.T) {
	tr := travelTable(t, "Herøy|Sande|30", "Heroy|Ulstein|20", "Sande|Vanylven|45")
	got := tr.Unnamed(map[string]bool{"Herøy": true, "Sande": true, "Ulstein": true})
	if strings.Join(got, ",") != "Heroy,Vanylven" {
		t.Errorf("unnamed %q, want [Heroy Vanylven]", got)
	}
	if got := tr.Unnamed(map[string]bool{"Herøy": true, "Heroy": true, "Sande": true, "Ulstein": true, "Vanylven": true}); len(got) != 0 {
		t.Errorf("unnamed %q, want none", got)
	}
}
