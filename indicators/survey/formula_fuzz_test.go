package survey

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseFormula: any text either fails with an error or parses into terms whose
// labels parse back to the same terms (deparse is a fixed point; the variables of an
// interaction may come back in another order, as in R, where their order is that of
// first appearance), never a panic.
func FuzzParseFormula(f *testing.F) {
	for _, s := range []string{
		"y ~ x", "y ~ I(x^2) + log(x) - 1", "y ~ a*b*c - a:b:c", "y ~ factor(g):x + I((x+1)^-2)",
		"log(y) ~ `odd name` + exp(z)", "y ~ (a + b):c", "y ~", "~ x", "y ~ I(x", "y ~ 1 - 1 + 1",
	} {
		f.Add(s)
	}
	fr := NewFrame()
	for k, name := range []string{"y", "x", "a", "b", "c", "z"} {
		v := make([]float64, 12)
		for i := range v {
			v[i] = float64((i*(k+3))%7) - 2
		}
		if err := fr.AddFloat(name, v); err != nil {
			f.Fatal(err)
		}
	}
	if err := fr.AddString("g", []string{"p", "q", "r", "p", "q", "r", "p", "q", "r", "p", "q", ""}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := ParseFormula(s)
		if err != nil {
			return
		}
		// binding to data may fail (unknown columns, no complete rows) but not panic
		if m, err := newModelSpec(fm, fr, nil, true); err == nil {
			if x, y := m.matrix(); len(x) != len(y)*len(m.names) {
				t.Fatalf("%q: %d cells for %d rows and %d columns", s, len(x), len(y), len(m.names))
			}
		}
		labels := fm.TermLabels()
		if len(labels) == 0 {
			return
		}
		again, err := ParseFormula("y0 ~ " + strings.Join(labels, " + "))
		if err != nil {
			t.Fatalf("%q: labels %q do not parse: %v", s, labels, err)
		}
		canon := func(ls []string) []string {
			out := make([]string, len(ls))
			for k, l := range ls {
				out[k] = canonicalTerm(l)
			}
			return out
		}
		if got := again.TermLabels(); !slices.Equal(canon(got), canon(labels)) {
			t.Fatalf("%q: labels %q parse back as %q", s, labels, got)
		}
	})
}
