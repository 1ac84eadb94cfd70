package synth

import (
	"slices"
	"strconv"
	"testing"

	"socap/pipeline/codebook"
)

// TestNationalMunicipalities checks the national population: 357 distinct
// municipalities sorted by number, the thirteen default ones unchanged, the
// builtin:ilag codebook labelling exactly these codes with these names, and
// plausible synthetic values.
func TestNationalMunicipalities(t *testing.T) {
	ms := nationalMunicipalities()
	if len(ms) != 357 {
		t.Fatalf("%d municipalities, want Norway's 357", len(ms))
	}
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	labels := cb.Variable("municipality").Values
	if len(labels) != len(ms) {
		t.Fatalf("codebook labels %d municipalities, synth has %d", len(labels), len(ms))
	}
	programme, adults := 0, 0
	for i, m := range ms {
		if i > 0 && ms[i-1].code >= m.code {
			t.Errorf("%d after %d: not sorted or repeated", m.code, ms[i-1].code)
		}
		if l := labels[i]; string(l.Code) != strconv.Itoa(m.code) || l.NB != m.name {
			t.Errorf("municipality %d %s: codebook has %s %s", m.code, m.name, l.Code, l.NB)
		}
		if m.adults < 150 || m.immShare < 0.04 || m.immShare > 0.35 || m.euShare < 0.35 || m.euShare > 0.70 {
			t.Errorf("%d %s: adults %d, immigrant share %.3f, EU share %.3f", m.code, m.name, m.adults, m.immShare, m.euShare)
		}
		if m.programme {
			programme++
		}
		adults += m.adults
	}
	for _, d := range municipalities {
		i := slices.IndexFunc(ms, func(m municipality) bool { return m.code == d.code })
		if i < 0 || ms[i] != d {
			t.Errorf("default municipality %d %s changed in the national list", d.code, d.name)
		}
	}
	if programme < 90 || programme > 150 || adults < 3_000_000 || adults > 5_000_000 {
		t.Errorf("%d programme municipalities, %d adults", programme, adults)
	}
}

// TestNationalSurvey generates a small national survey: every municipality
// is a stratum, almost all with respondents, the truth reports each of them, and the
// default survey is unaffected by the option's existence.
func TestNationalSurvey(t *testing.T) {
	w := &rowsWriter{}
	truth, err := Generate(Options{Respondents: 20_000, Waves: 1, Seed: 3, National: true}, []RowWriter{w})
	if err != nil {
		t.Fatal(err)
	}
	if len(truth.Strata) != 357 {
		t.Fatalf("%d strata", len(truth.Strata))
	}
	seen := map[float64]int{}
	for i := range w.rows {
		seen[w.rows[i].Values[colMunicipality]]++
	}
	// A municipality of a few hundred adults may have no respondent in a
	// survey of 20,000 (areas differ in size); every one expected to have 20 has some.
	for _, st := range truth.Strata {
		if st.Expected >= 20 && seen[float64(st.Municipality)] == 0 {
			t.Errorf("%d %s: no respondents, %.1f expected", st.Municipality, st.Name, st.Expected)
		}
	}
	if len(seen) < 350 {
		t.Errorf("respondents in %d municipalities only", len(seen))
	}
	n := 0
	for _, v := range truth.Indicators {
		if v.GroupSet == "municipality" && v.Indicator == "structural" {
			n++
		}
	}
	if n != 357 {
		t.Errorf("structural truth for %d municipalities, want 357", n)
	}
	if got := truth.Strata[0].Name; got != "Oslo" {
		t.Errorf("first stratum %q, want Oslo", got)
	}
}
