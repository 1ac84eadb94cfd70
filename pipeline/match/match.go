package match

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Pair is a newcomer with their mentor.
type Pair struct {
	Newcomer, Mentor string
	// Municipality is the newcomer's, MentorMunicipality the mentor's (the
	// same but with a travel limit); Parts.Minutes the travel between them.
	Municipality, MentorMunicipality string
	Quality                          float64
	Parts                            Parts
	// SharedInterests in the newcomer's order; Occupation the smallest
	// STYRK-08 group of both at Level (0: none); Language the language the
	// Language part counts ("" when none).
	SharedInterests []string
	Occupation      Group
	Level           int
	Language        string
	// Nb and En explain the pair in Norwegian (bokmål) and English.
	Nb, En string
}

// Reason is why a newcomer has no mentor: the first of the constraints, in
// this order, that leaves no mentor, or else that the mentors who could
// take them are full.
type Reason string

const (
	NoMentorInMunicipality Reason = "no_mentor_in_municipality"
	// NoMentorWithinTravel replaces NoMentorInMunicipality with a travel
	// limit: no mentor in the municipality or within MaxMinutes of it.
	NoMentorWithinTravel Reason = "no_mentor_within_travel"
	NoSharedLanguage     Reason = "no_shared_language"
	NoPreferredGender    Reason = "gender_preference"
	BelowMinQuality      Reason = "below_min_quality"
	CapacityExhausted    Reason = "capacity_exhausted"
)

// Unmatched is a newcomer without a mentor.
type Unmatched struct {
	Newcomer     string
	Municipality string
	Reason       Reason
	// Candidates is the number of mentors the constraints allow (who are
	// all full when Reason is CapacityExhausted).
	Candidates int
	Nb, En     string
}

// Result is an assignment.
type Result struct {
	Pairs     []Pair      // by newcomer id
	Unmatched []Unmatched // by newcomer id
	Fairness  []Fairness
	// TotalQuality is the sum of the pairs' qualities.
	TotalQuality float64
}

// Match assigns mentors to newcomers: of all assignments that keep the hard
// constraints (Options) and the mentors' capacities, one with the most
// pairs, and among those one with the largest total quality (Quality,
// rounded to six decimals), found exactly by solve. Newcomers and mentors
// are taken in id order, so the result does not depend on the order of the
// rows; with SameMunicipality each region (a municipality, or with a travel
// limit the municipalities linked by travel within it) is solved on its
// own.
func Match(newcomers []Newcomer, mentors []Mentor, o Options) *Result {
	newcomers = slices.SortedFunc(slices.Values(newcomers), func(a, b Newcomer) int { return cmp.Compare(a.ID, b.ID) })
	mentors = slices.SortedFunc(slices.Values(mentors), func(a, b Mentor) int { return cmp.Compare(a.ID, b.ID) })
	people := make([]Person, 0, len(newcomers)+len(mentors))
	for _, n := range newcomers {
		people = append(people, n.Person)
	}
	for _, m := range mentors {
		people = append(people, m.Person)
	}
	s := newScorer(o, people)
	res := &Result{}
	for _, g := range groups(o, newcomers, mentors) {
		res.add(s, g)
	}
	slices.SortFunc(res.Pairs, func(a, b Pair) int { return cmp.Compare(a.Newcomer, b.Newcomer) })
	slices.SortFunc(res.Unmatched, func(a, b Unmatched) int { return cmp.Compare(a.Newcomer, b.Newcomer) })
	for _, p := range res.Pairs {
		res.TotalQuality += p.Quality
	}
	res.Fairness = fairness(newcomers, res.Pairs)
	return res
}

// group is the newcomers and mentors solved together, from one region
// (regions); mentors is empty for a region without mentors. reach holds the
// travel minutes among the region's municipalities.
type group struct {
	newcomers []Newcomer
	mentors   []Mentor
	reach     reach
}

// groups splits newcomers and mentors (in id order, which each group keeps)
// by region.
func groups(o Options, newcomers []Newcomer, mentors []Mentor) []group {
	var munis []string
	seen := map[string]bool{}
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			munis = append(munis, m)
		}
	}
	for _, n := range newcomers {
		add(n.Municipality)
	}
	for _, m := range mentors {
		add(m.Municipality)
	}
	regs := regions(o, munis)
	regionOf := make(map[string]int, len(munis))
	out := make([]group, len(regs))
	for k, r := range regs {
		for _, m := range r {
			regionOf[m] = k
		}
		out[k].reach = newReach(o, r)
	}
	for _, n := range newcomers {
		g := &out[regionOf[n.Municipality]]
		g.newcomers = append(g.newcomers, n)
	}
	for _, m := range mentors {
		g := &out[regionOf[m.Municipality]]
		g.mentors = append(g.mentors, m)
	}
	return out
}

// tooFar is the reason a pair beyond the geographic constraint fails.
func (o Options) tooFar() Reason {
	if o.SameMunicipality && o.MaxMinutes > 0 {
		return NoMentorWithinTravel
	}
	return NoMentorInMunicipality
}

// allowed is the hard constraints but the geographic one (which groups and
// reach keep) and the minimum quality, for a pair with language part lang:
// the first that fails, or "".
func (o Options) allowed(n *Newcomer, m *Mentor, lang float64) Reason {
	switch {
	case o.SharedLanguage && lang == 0:
		return NoSharedLanguage
	case o.Preferences && (n.PrefersGender != "" && n.PrefersGender != m.Gender ||
		m.PrefersGender != "" && m.PrefersGender != n.Gender):
		return NoPreferredGender
	}
	return ""
}

// add solves group g and adds its pairs and unmatched newcomers to res.
func (res *Result) add(s *scorer, g group) {
	rows, cols := len(g.newcomers), len(g.mentors)
	nc := make([]coded, rows)
	mc := make([]coded, cols)
	for i := range g.newcomers {
		nc[i] = s.code(g.newcomers[i].Person)
	}
	for j := range g.mentors {
		mc[j] = s.code(g.mentors[j].Person)
	}
	// Municipalities by their number in g.reach, looked up once per person.
	nMuni := make([]int, rows)
	mMuni := make([]int, cols)
	for i := range g.newcomers {
		nMuni[i] = g.reach.index[g.newcomers[i].Municipality]
	}
	for j := range g.mentors {
		mMuni[j] = g.reach.index[g.mentors[j].Municipality]
	}
	gain := make([]int32, rows*cols)
	// why[i] is the furthest a newcomer's best pair got through the
	// constraints, for the reason of an unmatched one.
	why := make([]Reason, rows)
	candidates := make([]int, rows)
	tooFar := s.o.tooFar()
	parallelRows(rows, func(i int) {
		why[i] = tooFar
		for j := range cols {
			var r Reason
			var q float64
			minutes := g.reach.of(nMuni[i], mMuni[j])
			if math.IsNaN(minutes) {
				r = tooFar
			} else {
				parts := s.parts(&nc[i], &mc[j])
				parts.Minutes = minutes
				q = s.o.Quality(parts)
				r = s.o.allowed(&g.newcomers[i], &g.mentors[j], parts.Language)
				if r == "" && q < s.o.MinQuality {
					r = BelowMinQuality
				}
			}
			switch {
			case r == "":
				gain[i*cols+j] = int32(math.Round(q * gainScale))
				candidates[i]++
				why[i] = CapacityExhausted
			case later(r, why[i]):
				gain[i*cols+j] = -1
				why[i] = r
			default:
				gain[i*cols+j] = -1
			}
		}
	})
	for i, j := range assign(gain, rows, g.mentors) {
		n := &g.newcomers[i]
		if j < 0 {
			res.Unmatched = append(res.Unmatched, unmatched(n, why[i], candidates[i], s.o))
			continue
		}
		m := &g.mentors[j]
		res.Pairs = append(res.Pairs, s.pair(n, m, &nc[i], &mc[j], g.reach.of(nMuni[i], mMuni[j])))
	}
}

// assign solves the b-matching of newcomers (rows of gain) and mentors
// (its columns) and returns each newcomer's mentor or -1. solve searches
// from its rows, and a search is short while some column has room; so the
// rows are the newcomers when the mentors have places for all of them, and
// otherwise the mentors' places (a mentor with capacity c as c rows) with
// the newcomers as columns of capacity 1. Both give an optimum of the same
// problem.
func assign(gain []int32, rows int, mentors []Mentor) []int32 {
	cols := len(mentors)
	places := 0
	for _, m := range mentors {
		places += m.Capacity
	}
	if places >= rows {
		p := problem{rowBase: make([]int32, rows), cols: cols, capacity: make([]int32, cols), gain: gain}
		for i := range p.rowBase {
			p.rowBase[i] = int32(i)
		}
		for j, m := range mentors {
			p.capacity[j] = int32(m.Capacity)
		}
		return solve(p)
	}
	p := problem{cols: rows, capacity: make([]int32, rows), gain: make([]int32, len(gain))}
	for i := range p.capacity {
		p.capacity[i] = 1
	}
	for j, m := range mentors {
		for range m.Capacity {
			p.rowBase = append(p.rowBase, int32(j))
		}
		for i := range rows {
			p.gain[j*rows+i] = gain[i*cols+j]
		}
	}
	mentorOf := make([]int32, rows)
	for i := range mentorOf {
		mentorOf[i] = -1
	}
	for slot, i := range solve(p) {
		if i >= 0 {
			mentorOf[i] = p.rowBase[slot]
		}
	}
	return mentorOf
}

// reasonOrder is the order in which the constraints are checked.
var reasonOrder = []Reason{NoMentorInMunicipality, NoMentorWithinTravel, NoSharedLanguage, NoPreferredGender, BelowMinQuality, CapacityExhausted}

// later reports whether reason a comes after b: a pair failing at a got
// further through the constraints.
func later(a, b Reason) bool { return slices.Index(reasonOrder, a) > slices.Index(reasonOrder, b) }

// parallelRows calls f(i) for every row on GOMAXPROCS workers; each call
// writes only its own row, so the result does not depend on the schedule.
func parallelRows(rows int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(rows, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < rows; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// pair is newcomer n with mentor m, minutes apart, explained.
func (s *scorer) pair(n *Newcomer, m *Mentor, nc, mc *coded, minutes float64) Pair {
	parts := s.parts(nc, mc)
	parts.Minutes = minutes
	p := Pair{Newcomer: n.ID, Mentor: m.ID, Municipality: n.Municipality, MentorMunicipality: m.Municipality,
		Quality: s.o.Quality(parts), Parts: parts}
	for _, x := range n.Interests {
		if slices.Contains(m.Interests, x) {
			p.SharedInterests = append(p.SharedInterests, x)
		}
	}
	p.Occupation, p.Level = SharedGroup(n.Occupation, m.Occupation)
	for _, l := range n.Languages {
		if slices.Contains(m.Languages, l) {
			p.Language = l
			break
		}
	}
	p.Nb, p.En = explainPair(p)
	return p
}
