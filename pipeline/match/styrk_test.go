package match

import (
	"strings"
	"testing"
)

// TestStyrkTable: the embedded table holds every ISCO-08 group (10 major,
// 43 sub-major, 130 minor, 436 unit groups), and as STYRK-08 SSB's 406 unit
// groups (SSB lists 407 with 0000 "uoppgitt", which socap reads as no code);
// every group's parent is in the table and belongs to the same
// classification; titles are given in both languages.
func TestStyrkTable(t *testing.T) {
	isco := map[int]int{}
	styrk08 := map[int]int{}
	origins := map[string][]string{}
	for code, g := range styrk {
		level := len(code)
		if g.Origin != OriginStyrkOnly {
			isco[level]++
		}
		if g.Origin != OriginISCOOnly {
			styrk08[level]++
		}
		origins[g.Origin] = append(origins[g.Origin], code)
		if strings.TrimSpace(g.Nb) == "" || strings.TrimSpace(g.En) == "" {
			t.Errorf("%s: a title is empty (%q, %q)", code, g.Nb, g.En)
		}
		if level == 1 {
			continue
		}
		parent, ok := styrk[code[:level-1]]
		if !ok {
			t.Errorf("%s: no parent group %s", code, code[:level-1])
			continue
		}
		// A group of STYRK-08 has a STYRK-08 parent; an ISCO-08 group an
		// ISCO-08 parent.
		if g.Origin != OriginISCOOnly && parent.Origin == OriginISCOOnly {
			t.Errorf("%s (%s) is in STYRK-08, its parent %s is not", code, g.Origin, parent.Code)
		}
		if g.Origin != OriginStyrkOnly && parent.Origin == OriginStyrkOnly {
			t.Errorf("%s (%s) is in ISCO-08, its parent %s is not", code, g.Origin, parent.Code)
		}
	}
	for level, want := range map[int]int{1: 10, 2: 43, 3: 130, 4: 436} {
		if isco[level] != want {
			t.Errorf("ISCO-08 level %d: %d groups, want %d", level, isco[level], want)
		}
	}
	if styrk08[4] != 406 {
		t.Errorf("STYRK-08: %d unit groups, want SSB's 406", styrk08[4])
	}
	if _, ok := styrk[notGiven]; ok {
		t.Errorf("%s is a group; it should read as no code", notGiven)
	}
	// The Norwegian deviations the table's header names.
	for origin, want := range map[string]string{OriginStyrkOnly: "2223 2224 3439", OriginStyrkDiffers: "2221 2267 2269"} {
		got := origins[origin]
		if len(got) != len(strings.Fields(want)) {
			t.Errorf("%s: %v, want %s", origin, got, want)
		}
		for _, code := range strings.Fields(want) {
			if styrk[code].Origin != origin {
				t.Errorf("%s: origin %q, want %s", code, styrk[code].Origin, origin)
			}
		}
	}
}

// TestParseStyrk: known unit groups of STYRK-08 and ISCO-08 pass (a dropped
// leading zero restored), 0000 reads as no code, unknown codes and
// non-codes are refused with the nearest known group.
func TestParseStyrk(t *testing.T) {
	for in, want := range map[string]string{"2223": "2223", " 5321 ": "5321", "110": "0110", "3221": "3221", "0000": "", "0": ""} {
		if got, err := ParseStyrk(in); err != nil || got != want {
			t.Errorf("ParseStyrk(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"2229":       "minor group 222 Sykepleiere og spesialsykepleiere has no such unit group",
		"1234":       "sub-major group 12",
		"9999":       "unknown STYRK-08 unit group 9999",
		"22":         "unknown STYRK-08 unit group 0022",
		"sykepleier": "want a 4-digit unit group",
		"22210":      "want a 4-digit unit group",
	} {
		if _, err := ParseStyrk(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseStyrk(%q): %v, want %q", in, err, msg)
		}
	}
}
