package match

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"socap/indicators/survey"
	"socap/pipeline/dataerr"
	"socap/pipeline/yamlschema"
)

// frame builds a text frame from a header and rows.
func frame(t *testing.T, header string, rows ...string) *survey.Frame {
	t.Helper()
	names := strings.Split(header, "|")
	cols := make([][]string, len(names))
	for _, r := range rows {
		cells := strings.Split(r, "|")
		if len(cells) != len(names) {
			t.Fatalf("row %q: %d cells, header has %d", r, len(cells), len(names))
		}
		for k, c := range cells {
			cols[k] = append(cols[k], c)
		}
	}
	fr := survey.NewFrame()
	for k, n := range names {
		if err := fr.AddString(n, cols[k]); err != nil {
			t.Fatal(err)
		}
	}
	return fr
}

const (
	newcomerHeader = "id|municipality|interests|occupation|languages|gender|country_group|mentor_gender"
	mentorHeader   = "id|municipality|interests|occupation|languages|capacity|gender|newcomer_gender"
)

func read(t *testing.T, newcomers, mentors []string) ([]Newcomer, []Mentor) {
	t.Helper()
	n, err := ReadNewcomers("newcomers.csv", frame(t, newcomerHeader, newcomers...))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMentors("mentors.csv", frame(t, mentorHeader, mentors...))
	if err != nil {
		t.Fatal(err)
	}
	return n, m
}

// TestExplanation: the example pair, in both languages, with its
// quality by the documented formula.
func TestExplanation(t *testing.T) {
	n, m := read(t,
		[]string{"N-017|Herøy|Fotball;Matlaging;turgåing|2223|tigrinja;norsk|f|Eritrea|"},
		[]string{"M-004|Herøy|matlaging;fotball;strikking|2223|norsk;engelsk|2|f|"})
	res := Match(n, m, DefaultOptions)
	if len(res.Pairs) != 1 {
		t.Fatalf("pairs %+v, unmatched %+v", res.Pairs, res.Unmatched)
	}
	p := res.Pairs[0]
	wantNb := "N-017 og mentor M-004 deler interessene fotball og matlaging, begge arbeider innen «Sykepleiere» (STYRK 2223), og begge snakker norsk."
	wantEn := "N-017 and mentor M-004 share the interests fotball and matlaging, both work in “Nurses” (STYRK 2223), and both speak norsk."
	if p.Nb != wantNb || p.En != wantEn {
		t.Errorf("got\n%s\n%s\nwant\n%s\n%s", p.Nb, p.En, wantNb, wantEn)
	}
	// Jaccard 2/4, same unit group 1, a shared language that is not the
	// newcomer's first 0.5: (0.4·0.5 + 0.4·1 + 0.2·0.5) / 1.
	if want := 0.7; math.Abs(p.Quality-want) > 1e-12 {
		t.Errorf("quality %v, want %v", p.Quality, want)
	}
}

// TestQualityParts: the three parts at each STYRK level and with rarity
// weights computed by hand.
func TestQualityParts(t *testing.T) {
	people := []Person{
		{Interests: []string{"fotball", "sjakk"}, Languages: []string{"arabisk", "norsk"}, Occupation: "2221"},
		{Interests: []string{"fotball", "ski"}, Languages: []string{"arabisk"}, Occupation: "2222"},
		{Interests: []string{"fotball"}, Languages: []string{"norsk"}, Occupation: "5321"},
	}
	for _, tc := range []struct {
		rarity bool
		a, b   int
		want   Parts
	}{
		{false, 0, 1, Parts{Interests: 1.0 / 3, Occupation: 0.75, Language: 1}},
		{false, 0, 2, Parts{Interests: 0.5, Occupation: 0, Language: 0.5}},
		{false, 1, 2, Parts{Interests: 0.5, Occupation: 0, Language: 0}},
		// P = 3; fotball f=3: ln 2, sjakk and ski f=1: ln 4.
		{true, 0, 1, Parts{Interests: math.Log(2) / (math.Log(2) + 2*math.Log(4)), Occupation: 0.75, Language: 1}},
	} {
		s := newScorer(Options{Rarity: tc.rarity}, people)
		a, b := s.code(people[tc.a]), s.code(people[tc.b])
		got := s.parts(&a, &b)
		if math.Abs(got.Interests-tc.want.Interests) > 1e-12 || got.Occupation != tc.want.Occupation || got.Language != tc.want.Language {
			t.Errorf("rarity %t, %d–%d: %+v, want %+v", tc.rarity, tc.a, tc.b, got, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b  string
		level int
		code  string
	}{{"2221", "2221", 4, "2221"}, {"2223", "2222", 3, "222"}, {"2221", "2211", 2, "22"}, {"2221", "2341", 1, "2"}, {"2221", "5321", 0, ""}, {"", "2221", 0, ""}} {
		g, level := SharedGroup(tc.a, tc.b)
		if level != tc.level || g.Code != tc.code {
			t.Errorf("SharedGroup(%s, %s) = %s at %d, want %s at %d", tc.a, tc.b, g.Code, level, tc.code, tc.level)
		}
	}
}

// TestBadInput: each problem is a DataError naming the file, row and column.
func TestBadInput(t *testing.T) {
	ok := "M-1|Herøy|fotball|2221|norsk|1|m|"
	for _, tc := range []struct {
		name   string
		header string
		rows   []string
		want   string
	}{
		{"unknown STYRK code", mentorHeader, []string{ok, "M-2|Herøy|fotball|2229|norsk|1|m|"}, "mentors.csv: row 2, column occupation: unknown STYRK-08 unit group 2229"},
		{"empty interests", mentorHeader, []string{" ; |Herøy| ; |2221|norsk|1|m|"}, "mentors.csv: row 1, column interests: empty interest list"},
		{"capacity 0", mentorHeader, []string{ok, "M-2|Herøy|fotball|2221|norsk|0|m|"}, `mentors.csv: row 2, column capacity: capacity "0": want a whole number`},
		{"capacity 1.5", mentorHeader, []string{"M-2|Herøy|fotball|2221|norsk|1.5|m|"}, `row 1, column capacity: capacity "1.5"`},
		{"duplicate id", mentorHeader, []string{ok, ok}, `mentors.csv: row 2, column id: duplicate id "M-1" (also row 1)`},
		{"missing column", "id|municipality|interests|occupation|languages|gender", []string{"M-1|Herøy|fotball|2221|norsk|m"}, `mentors.csv: column capacity: no column "capacity"`},
		{"empty languages", mentorHeader, []string{"M-1|Herøy|fotball|2221||1|m|"}, "mentors.csv: row 1, column languages: empty language list"},
	} {
		_, err := ReadMentors("mentors.csv", frame(t, tc.header, tc.rows...))
		if err == nil || !dataerr.Is(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a DataError with %q", tc.name, err, tc.want)
		}
	}
	_, err := ReadNewcomers("newcomers.csv", frame(t, newcomerHeader, "N-1|Herøy||2221|norsk|f||"))
	if err == nil || !strings.Contains(err.Error(), "newcomers.csv: row 1, column interests: empty interest list") {
		t.Errorf("newcomer with no interests: %v", err)
	}
}

// TestUnmatchedReasons: each reason in both languages, for a newcomer the
// constraints leave without a mentor.
func TestUnmatchedReasons(t *testing.T) {
	n, m := read(t, []string{
		"N-1|Herøy|fotball|2221|norsk|f|Syria|",
		"N-2|Herøy|fotball|2221|norsk|f|Syria|",
		"N-3|Sande|fotball|2221|norsk|m|Eritrea|",
		"N-4|Herøy|fotball|2221|tigrinja|m|Eritrea|",
		"N-5|Herøy|fotball|2221|norsk|m|Eritrea|m",
	}, []string{"M-1|Herøy|fotball|2221|norsk|1|f|"})
	res := Match(n, m, DefaultOptions)
	if len(res.Pairs) != 1 || res.Pairs[0].Newcomer != "N-1" {
		t.Fatalf("pairs %+v", res.Pairs)
	}
	want := map[string]Reason{"N-2": CapacityExhausted, "N-3": NoMentorInMunicipality, "N-4": NoSharedLanguage, "N-5": NoPreferredGender}
	for _, u := range res.Unmatched {
		if u.Reason != want[u.Newcomer] || !strings.HasPrefix(u.Nb, u.Newcomer+" har ingen mentor: ") || !strings.HasPrefix(u.En, u.Newcomer+" has no mentor: ") {
			t.Errorf("%s: %s (%q, %q), want %s", u.Newcomer, u.Reason, u.Nb, u.En, want[u.Newcomer])
		}
	}
	if len(res.Unmatched) != len(want) {
		t.Errorf("%d unmatched, want %d", len(res.Unmatched), len(want))
	}
	if u := res.Unmatched[0]; u.Nb != "N-2 har ingen mentor: den eneste mulige mentoren i Herøy har ikke flere plasser." {
		t.Errorf("N-2: %q", u.Nb)
	}
	// no shared interest: quality (0 + 0.4 + 0.2) = 0.6
	n, m = read(t, []string{"N-6|Herøy|sjakk|2221|norsk|f||"}, []string{"M-1|Herøy|fotball|2221|norsk|1|f|"})
	o := DefaultOptions
	o.MinQuality = 0.7
	res = Match(n, m, o)
	if len(res.Unmatched) != 1 || res.Unmatched[0].Reason != BelowMinQuality {
		t.Errorf("min quality 0.7: %+v", res.Unmatched)
	}
	o.MinQuality = 0.6
	if res = Match(n, m, o); len(res.Pairs) != 1 {
		t.Errorf("min quality 0.6: %+v", res.Unmatched)
	}
}

// randomPeople is a municipality set of newcomers and mentors drawn from a
// few interests, occupations and languages.
func randomPeople(r *rand.Rand, newcomers, mentors int) ([]Newcomer, []Mentor) {
	interests := []string{"fotball", "matlaging", "turgåing", "strikking", "sjakk", "ski", "musikk", "fiske"}
	occupations := []string{"2221", "2222", "2211", "5321", "5322", "7115", "7126", "9112", "8332", "2341"}
	languages := []string{"norsk", "arabisk", "tigrinja", "engelsk", "polsk"}
	munis := []string{"Herøy", "Sande", "Ulstein"}
	pick := func(from []string, k int) []string {
		var out []string
		for _, i := range r.Perm(len(from))[:k] {
			out = append(out, from[i])
		}
		return out
	}
	person := func(id string) Person {
		return Person{ID: id, Municipality: munis[r.IntN(len(munis))], Interests: pick(interests, 1+r.IntN(3)),
			Occupation: occupations[r.IntN(len(occupations))], Languages: pick(languages, 1+r.IntN(2)),
			Gender: []string{"f", "m"}[r.IntN(2)]}
	}
	var ns []Newcomer
	for i := range newcomers {
		ns = append(ns, Newcomer{Person: person(idOf("N", i)), CountryGroup: []string{"Afrika", "Asia", "Europa"}[r.IntN(3)]})
	}
	var ms []Mentor
	for j := range mentors {
		ms = append(ms, Mentor{Person: person(idOf("M", j)), Capacity: 1 + r.IntN(3)})
	}
	return ns, ms
}

func idOf(prefix string, i int) string { return fmt.Sprintf("%s-%04d", prefix, i) }

// TestMatchOrderIndependent: the same people in another row order give the
// same result, and every pair keeps the constraints and capacities.
func TestMatchOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2))
	ns, ms := randomPeople(r, 60, 25)
	want := Match(ns, ms, DefaultOptions)
	r.Shuffle(len(ns), func(i, j int) { ns[i], ns[j] = ns[j], ns[i] })
	r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	if got := Match(ns, ms, DefaultOptions); !reflect.DeepEqual(got, want) {
		t.Error("shuffled rows give another result")
	}
	load := map[string]int{}
	capacity := map[string]int{}
	muni := map[string]string{}
	for _, m := range ms {
		capacity[m.ID], muni[m.ID] = m.Capacity, m.Municipality
	}
	for _, p := range want.Pairs {
		load[p.Mentor]++
		if load[p.Mentor] > capacity[p.Mentor] || muni[p.Mentor] != p.Municipality || p.Parts.Language == 0 {
			t.Errorf("pair %+v breaks a constraint", p)
		}
	}
	if len(want.Pairs)+len(want.Unmatched) != len(ns) {
		t.Errorf("%d pairs + %d unmatched, %d newcomers", len(want.Pairs), len(want.Unmatched), len(ns))
	}
}

// randomTravel is a travel table over munis: each pair of municipalities
// listed with probability 0.7, 5–90 minutes apart, now and then in both
// directions with different times.
func randomTravel(r *rand.Rand, munis []string) *Travel {
	t := &Travel{minutes: map[[2]string]float64{}}
	for i, a := range munis {
		for _, b := range munis[i+1:] {
			if r.IntN(10) < 7 {
				t.minutes[[2]string{a, b}] = float64(5 + r.IntN(86))
				if r.IntN(4) == 0 {
					t.minutes[[2]string{b, a}] = float64(5 + r.IntN(86))
				}
			}
		}
	}
	return t
}

// TestMatchBruteForce: on small random instances Match makes as many pairs
// as the best assignment and as much total quality, by enumeration of all
// assignments scored with Options.Quality; every other instance has a
// travel limit (random travel times, limit and discount). Each unmatched
// newcomer's reason agrees with the constraints: no mentor near enough, or
// mentors allowed but all full.
func TestMatchBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 3))
	crossPairs, tooFar := 0, 0 // the travel limit at work, so the test is not vacuous
	for k := range 400 {
		ns, ms := randomPeople(r, 1+r.IntN(6), 1+r.IntN(3))
		o := DefaultOptions
		o.Rarity = k%4 >= 2
		if k%2 == 1 {
			o.Travel = randomTravel(r, []string{"Herøy", "Sande", "Ulstein"})
			o.MaxMinutes = float64(20 + r.IntN(60))
			o.TravelDiscount = []float64{0, 0.5, 1}[r.IntN(3)]
		}
		res := Match(ns, ms, o)
		people := []Person{}
		for _, n := range ns {
			people = append(people, n.Person)
		}
		for _, m := range ms {
			people = append(people, m.Person)
		}
		s := newScorer(o, people)
		// near: the geographic constraint, checked from the table itself.
		near := func(n *Newcomer, m *Mentor) (float64, bool) {
			if n.Municipality == m.Municipality {
				return 0, true
			}
			minutes, ok := o.Travel.Minutes(n.Municipality, m.Municipality)
			return minutes, ok && o.MaxMinutes > 0 && minutes <= o.MaxMinutes
		}
		quality := func(i, j int) (float64, bool) {
			minutes, ok := near(&ns[i], &ms[j])
			a, b := s.code(ns[i].Person), s.code(ms[j].Person)
			parts := s.parts(&a, &b)
			parts.Minutes = minutes
			return o.Quality(parts), ok && o.allowed(&ns[i], &ms[j], parts.Language) == ""
		}
		load := make([]int, len(ms))
		bestPairs, bestQ := 0, 0.0
		var walk func(i, pairs int, q float64)
		walk = func(i, pairs int, q float64) {
			if i == len(ns) {
				if pairs > bestPairs || pairs == bestPairs && q > bestQ {
					bestPairs, bestQ = pairs, q
				}
				return
			}
			walk(i+1, pairs, q)
			for j := range ms {
				if pq, ok := quality(i, j); ok && load[j] < ms[j].Capacity {
					load[j]++
					walk(i+1, pairs+1, q+pq)
					load[j]--
				}
			}
		}
		walk(0, 0, 0)
		if len(res.Pairs) != bestPairs || math.Abs(res.TotalQuality-bestQ) > 1e-5 {
			t.Fatalf("instance %d: %d pairs, quality %v; brute force %d, %v", k, len(res.Pairs), res.TotalQuality, bestPairs, bestQ)
		}
		for _, p := range res.Pairs {
			i := slices.IndexFunc(ns, func(n Newcomer) bool { return n.ID == p.Newcomer })
			j := slices.IndexFunc(ms, func(m Mentor) bool { return m.ID == p.Mentor })
			if q, ok := quality(i, j); !ok || math.Abs(q-p.Quality) > 1e-12 {
				t.Fatalf("instance %d: pair %s–%s (quality %v) not allowed or quality %v", k, p.Newcomer, p.Mentor, p.Quality, q)
			}
			if p.MentorMunicipality != p.Municipality {
				crossPairs++
			}
		}
		for _, u := range res.Unmatched {
			i := slices.IndexFunc(ns, func(n Newcomer) bool { return n.ID == u.Newcomer })
			nearby, allowed := 0, 0
			for j := range ms {
				if _, ok := near(&ns[i], &ms[j]); ok {
					nearby++
				}
				if _, ok := quality(i, j); ok {
					allowed++
				}
			}
			switch {
			case nearby == 0 && u.Reason != o.tooFar(),
				allowed > 0 && (u.Reason != CapacityExhausted || u.Candidates != allowed),
				nearby > 0 && allowed == 0 && (u.Reason == o.tooFar() || u.Reason == CapacityExhausted):
				t.Fatalf("instance %d: %s unmatched for %s (%d candidates); %d mentors near enough, %d allowed", k, u.Newcomer, u.Reason, u.Candidates, nearby, allowed)
			}
			if u.Reason == NoMentorWithinTravel {
				tooFar++
			}
		}
	}
	t.Logf("%d pairs across municipalities, %d newcomers with no mentor near enough", crossPairs, tooFar)
	if crossPairs < 20 || tooFar < 20 {
		t.Errorf("%d pairs across municipalities, %d newcomers too far from any mentor: the instances hardly test the travel limit", crossPairs, tooFar)
	}
}

// TestFairness: shares, means and type-7 quartiles per group, unmatched
// newcomers counted but not in the qualities, and the gap to all.
func TestFairness(t *testing.T) {
	ns := []Newcomer{
		{Person: Person{ID: "a", Gender: "f"}, CountryGroup: "Asia"},
		{Person: Person{ID: "b", Gender: "f"}, CountryGroup: "Asia"},
		{Person: Person{ID: "c", Gender: "m"}, CountryGroup: "Afrika"},
		{Person: Person{ID: "d", Gender: "m"}},
		{Person: Person{ID: "e", Gender: "f"}, CountryGroup: "Asia"},
	}
	pairs := []Pair{{Newcomer: "a", Quality: 0.2}, {Newcomer: "b", Quality: 0.6}, {Newcomer: "c", Quality: 0.4}, {Newcomer: "e", Quality: 1}}
	got := fairness(ns, pairs)
	var keys []string
	for _, f := range got {
		keys = append(keys, f.Variable+"="+f.Group)
	}
	if want := "all= gender=f gender=m country_group=Afrika country_group=Asia country_group=unknown"; strings.Join(keys, " ") != want {
		t.Fatalf("groups %q, want %q", strings.Join(keys, " "), want)
	}
	all, f, unknown := got[0], got[1], got[5]
	if all.Newcomers != 5 || all.Matched != 4 || all.Share != 0.8 || math.Abs(all.Mean-0.55) > 1e-12 || math.Abs(all.Median-0.5) > 1e-12 || math.Abs(all.Q25-0.35) > 1e-12 || math.Abs(all.Q75-0.7) > 1e-12 {
		t.Errorf("all: %+v", all)
	}
	if f.Matched != 3 || math.Abs(f.Mean-0.6) > 1e-12 || math.Abs(f.Gap-0.05) > 1e-12 || f.Median != 0.6 {
		t.Errorf("f: %+v", f)
	}
	if unknown.Newcomers != 1 || unknown.Matched != 0 || !math.IsNaN(unknown.Mean) {
		t.Errorf("unknown: %+v", unknown)
	}
}

// TestLoadConfig: the sample file reads with its values (the travel file's
// path taken from the sample's directory); a misspelt key is refused with
// its line.
func TestLoadConfig(t *testing.T) {
	o, err := LoadConfig(filepath.Join("testdata", "match.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultOptions
	want.Rarity = true
	want.TravelFile, want.MaxMinutes, want.TravelDiscount = filepath.Join("testdata", "travel.csv"), 45, 0.5
	if o != want {
		t.Errorf("sample: %+v, want %+v", o, want)
	}
	bad := filepath.Join(t.TempDir(), "match.yaml")
	if err := os.WriteFile(bad, []byte("weights:\n  interest: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(bad)
	var ye *yamlschema.Error
	if !errors.As(err, &ye) || !strings.Contains(err.Error(), ":2:") {
		t.Errorf("misspelt key: %v", err)
	}
	zero := filepath.Join(t.TempDir(), "zero.yaml")
	if err := os.WriteFile(zero, []byte("weights: {interests: 0, occupation: 0, language: 0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(zero); err == nil {
		t.Error("all weights 0: no error")
	}
}
