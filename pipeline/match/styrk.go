package match

import (
	_ "embed"
	"fmt"
	"strings"
)

// styrkTSV is the STYRK-08 hierarchy socap knows: every ISCO-08 group and
// STYRK-08's Norwegian ones (see the file's header for sources and origins).
//
//go:embed styrk08.tsv
var styrkTSV string

// Group is a STYRK-08 group: a major (1 digit), sub-major (2), minor (3) or
// unit (4) group.
type Group struct {
	Code   string
	Nb, En string
	// Origin is how the group stands in STYRK-08 and ISCO-08: one of the
	// Origin constants.
	Origin string
}

// Origins of a group (the styrk08.tsv header explains them).
const (
	OriginBoth         = "both"          // the same group in STYRK-08 and ISCO-08
	OriginISCOOnly     = "isco-only"     // ISCO-08 only; nb is socap's rendering
	OriginStyrkOnly    = "styrk-only"    // STYRK-08 only; en is socap's rendering
	OriginStyrkDiffers = "styrk-differs" // an ISCO-08 code with other content in STYRK-08
)

// notGiven is SSB's code for "Uoppgitt / yrker som ikke kan identifiseres".
const notGiven = "0000"

// styrk maps a code to its group; built once from styrkTSV.
var styrk = parseStyrk(styrkTSV)

// parseStyrk reads the embedded table. A malformed table is a programmer
// error: the file is part of the binary and a test reads it.
func parseStyrk(text string) map[string]Group {
	groups := map[string]Group{}
	for n, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 || len(f[0]) < 1 || len(f[0]) > 4 || !digits(f[0]) {
			panic(fmt.Sprintf("match: styrk08.tsv line %d: want code<TAB>nb<TAB>en<TAB>origin", n+1))
		}
		switch f[3] {
		case OriginBoth, OriginISCOOnly, OriginStyrkOnly, OriginStyrkDiffers:
		default:
			panic(fmt.Sprintf("match: styrk08.tsv line %d: origin %q", n+1, f[3]))
		}
		if _, dup := groups[f[0]]; dup {
			panic(fmt.Sprintf("match: styrk08.tsv line %d: code %s twice", n+1, f[0]))
		}
		if len(f[0]) > 1 {
			if _, ok := groups[f[0][:len(f[0])-1]]; !ok {
				panic(fmt.Sprintf("match: styrk08.tsv line %d: %s before its parent group", n+1, f[0]))
			}
		}
		groups[f[0]] = Group{Code: f[0], Nb: f[1], En: f[2], Origin: f[3]}
	}
	return groups
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// ParseStyrk returns the STYRK-08 unit group code of s: four digits, or
// fewer when a spreadsheet dropped the leading zero of an armed-forces code
// ("110" is 0110). SSB's 0000 ("uoppgitt") gives "", no occupation. Any
// ISCO-08 unit group is accepted besides STYRK-08's own; a code that is
// neither is an error.
func ParseStyrk(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !digits(s) || len(s) > 4 {
		return "", fmt.Errorf("STYRK-08 code %q: want a 4-digit unit group such as 2223", s)
	}
	code := strings.Repeat("0", 4-len(s)) + s
	if code == notGiven {
		return "", nil
	}
	if _, ok := styrk[code]; !ok {
		if g, ok := styrk[code[:3]]; ok {
			return "", fmt.Errorf("unknown STYRK-08 unit group %s (minor group %s %s has no such unit group)", code, g.Code, g.Nb)
		}
		if g, ok := styrk[code[:2]]; ok {
			return "", fmt.Errorf("unknown STYRK-08 unit group %s (sub-major group %s %s has no minor group %s)", code, g.Code, g.Nb, code[:3])
		}
		return "", fmt.Errorf("unknown STYRK-08 unit group %s", code)
	}
	return code, nil
}

// SharedGroup is the smallest STYRK-08 group that holds both unit groups a
// and b, and its level: 4 for the same unit group, 3 the same minor group, 2
// the same sub-major group, 1 the same major group, 0 none (or a code
// missing). The group is the zero Group at level 0; otherwise it is in the
// table, since the table holds every parent of the unit groups it holds.
func SharedGroup(a, b string) (Group, int) {
	if a == "" || b == "" {
		return Group{}, 0
	}
	level := 0
	for level < 4 && a[level] == b[level] {
		level++
	}
	if level == 0 {
		return Group{}, 0
	}
	return styrk[a[:level]], level
}
