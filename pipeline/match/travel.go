package match

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"socap/indicators/survey"
)

// Columns of the travel table (match.yaml travel.file): one row per pair of
// municipalities, the travel time in minutes from the first to the second.
const (
	ColFrom    = "from"
	ColTo      = "to"
	ColMinutes = "minutes"
)

// Travel is the travel time between municipalities. A pair given once
// counts both ways; a pair given in both directions keeps each (a ferry
// timetable need not be symmetric).
type Travel struct {
	minutes map[[2]string]float64
}

// ReadTravel reads the travel table from fr, the contents of file (any
// format socap reads), with the columns from, to and minutes (a number, at
// least 0). A municipality paired with itself, a pair given twice in the
// same direction or a bad number is an error naming the file, row and
// column.
func ReadTravel(file string, fr *survey.Frame) (*Travel, error) {
	r := &reader{file: file, fr: fr}
	from := r.text(ColFrom, true)
	to := r.text(ColTo, true)
	minutes := r.text(ColMinutes, true)
	if len(r.problems) > 0 {
		return nil, r.err()
	}
	t := &Travel{minutes: map[[2]string]float64{}}
	rowOf := map[[2]string]int64{}
	for i := range from {
		row := int64(i + 1)
		a, b := strings.TrimSpace(from[i]), strings.TrimSpace(to[i])
		switch {
		case a == "":
			r.fail(row, ColFrom, "empty municipality")
			continue
		case b == "":
			r.fail(row, ColTo, "empty municipality")
			continue
		case a == b:
			r.fail(row, ColTo, "%q to itself: travel within a municipality is 0 minutes", a)
			continue
		}
		m, err := strconv.ParseFloat(strings.TrimSpace(minutes[i]), 64)
		if err != nil || m < 0 || math.IsInf(m, 0) || math.IsNaN(m) {
			r.fail(row, ColMinutes, "minutes %q: want a number of minutes, at least 0", minutes[i])
			continue
		}
		key := [2]string{a, b}
		if first, dup := rowOf[key]; dup {
			r.fail(row, ColFrom, "%s to %s twice (also row %d)", a, b, first)
			continue
		}
		rowOf[key] = row
		t.minutes[key] = m
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Minutes is the travel time from municipality a to b: 0 within one, the
// a→b row, else the b→a row; ok is false when the table has neither (or t
// is nil).
func (t *Travel) Minutes(a, b string) (minutes float64, ok bool) {
	if a == b {
		return 0, true
	}
	if t == nil {
		return 0, false
	}
	if m, ok := t.minutes[[2]string{a, b}]; ok {
		return m, true
	}
	m, ok := t.minutes[[2]string{b, a}]
	return m, ok
}

// reach is the travel minutes from each newcomer municipality to each
// mentor municipality of a group, numbered in the group; NaN where the
// constraints leave the pair too far apart.
type reach struct {
	index   map[string]int
	minutes []float64 // index[a]*len(index)+index[b]
}

// newReach tabulates the travel times among munis under o: 0 within a
// municipality; with a travel limit, the table's time when at most
// MaxMinutes; NaN otherwise. Without SameMunicipality everything is 0.
func newReach(o Options, munis []string) reach {
	r := reach{index: make(map[string]int, len(munis)), minutes: make([]float64, len(munis)*len(munis))}
	for k, m := range munis {
		r.index[m] = k
	}
	for i, a := range munis {
		for j, b := range munis {
			m, ok := 0.0, true
			if o.SameMunicipality {
				m, ok = o.Travel.Minutes(a, b)
				ok = ok && (a == b || o.MaxMinutes > 0 && m <= o.MaxMinutes)
			}
			if !ok {
				m = math.NaN()
			}
			r.minutes[i*len(munis)+j] = m
		}
	}
	return r
}

// of is the minutes from municipality number a to number b (reach.index).
func (r reach) of(a, b int) float64 { return r.minutes[a*len(r.index)+b] }

// regions are the sets of municipalities solved together: with
// SameMunicipality the connected parts of the graph in which two
// municipalities are joined when a pair of them is within the travel limit
// (one municipality each without a limit), otherwise one set of all.
// Municipalities are in sorted order, and so are the regions (by their
// first municipality).
func regions(o Options, munis []string) [][]string {
	munis = slices.Sorted(slices.Values(munis))
	if !o.SameMunicipality {
		return [][]string{munis}
	}
	parent := make([]int, len(munis))
	for k := range parent {
		parent[k] = k
	}
	var find func(int) int
	find = func(k int) int {
		if parent[k] != k {
			parent[k] = find(parent[k])
		}
		return parent[k]
	}
	if o.MaxMinutes > 0 && o.Travel != nil {
		for i, a := range munis {
			for j := i + 1; j < len(munis); j++ {
				if m, ok := o.Travel.Minutes(a, munis[j]); ok && m <= o.MaxMinutes {
					parent[find(j)] = find(i)
				}
				if m, ok := o.Travel.Minutes(munis[j], a); ok && m <= o.MaxMinutes {
					parent[find(j)] = find(i)
				}
			}
		}
	}
	at := map[int]int{}
	var out [][]string
	for k, m := range munis {
		root := find(k)
		g, ok := at[root]
		if !ok {
			g = len(out)
			at[root] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], m)
	}
	return out
}

// Unnamed are the municipalities the table names that are not in known (the
// newcomers' and mentors' municipalities), sorted: rows about them change
// nothing, which is worth a warning, since a spelling differing from the
// people files ("Heroy" for "Herøy") would lose a pair silently.
func (t *Travel) Unnamed(known map[string]bool) []string {
	var out []string
	for key := range t.minutes {
		for _, m := range key {
			if !known[m] && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}
