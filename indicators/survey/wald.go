package survey

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// WaldTest is a joint test that the coefficients of a set of terms are zero.
type WaldTest struct {
	Terms []string `json:"terms"`
	// F = χ²/DF with χ² = β̂ᵀ V⁻¹ β̂ over the terms' coefficients; DF is their number
	// and DDF the model's residual design degrees of freedom.
	F     float64 `json:"F"`
	Chisq float64 `json:"chisq"`
	DF    int     `json:"df"`
	DDF   float64 `json:"ddf"`
	P     float64 `json:"p"`
}

// MarshalJSON writes non-finite numbers as null.
func (w WaldTest) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"terms":%s,"F":%s,"chisq":%s,"df":%d,"ddf":%s,"p":%s}`, jsonOf(w.Terms),
		jsonNumber(w.F), jsonNumber(w.Chisq), w.DF, jsonNumber(w.DDF), jsonNumber(w.P)), nil
}

// WaldTest tests that every coefficient of the given terms is zero, as R's
// regTermTest(fit, ~terms) with its default method="Wald" (Lumley 2010, sec. 5.2.3):
// F = β̂ᵀV⁻¹β̂/k on (k, df.residual) degrees of freedom, or χ²_k when the residual df
// is infinite. terms is a formula right-hand side ("factor(g) + a:b"); interaction
// terms match in any order of their variables.
func (g *GLM) WaldTest(terms string) (*WaldTest, error) {
	f, err := ParseFormula(".response ~ " + terms)
	if err != nil {
		return nil, fmt.Errorf("test %q: %w", terms, err)
	}
	want := f.TermLabels()
	if len(want) == 0 {
		return nil, fmt.Errorf("test %q: no terms", terms)
	}
	have := g.m.f.TermLabels()
	var idx []int
	for _, t := range want {
		ti := slices.IndexFunc(have, func(h string) bool { return canonicalTerm(h) == canonicalTerm(t) })
		if ti < 0 {
			return nil, fmt.Errorf("test %q: term %s is not in the model (terms: %s)", terms, t, strings.Join(have, ", "))
		}
		for j, a := range g.m.assign {
			if a == ti+1 {
				idx = append(idx, j)
			}
		}
	}
	k := len(idx)
	if k == 0 {
		return nil, fmt.Errorf("test %q: the terms have no coefficients (a factor with one level among the model's rows?)", terms)
	}
	b := mat.NewVecDense(k, nil)
	v := mat.NewSymDense(k, nil)
	for a, ja := range idx {
		b.SetVec(a, g.beta[ja])
		for c := 0; c <= a; c++ {
			v.SetSym(a, c, g.Cov.At(ja, idx[c]))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(v) {
		return nil, fmt.Errorf("test %q: the coefficients' covariance matrix is singular", terms)
	}
	sol := mat.NewVecDense(k, nil)
	if err := ch.SolveVecTo(sol, b); err != nil {
		return nil, fmt.Errorf("test %q: %w", terms, err)
	}
	chisq := mat.Dot(b, sol)
	w := &WaldTest{Terms: want, Chisq: chisq, DF: k, DDF: g.DFResidual, F: chisq / float64(k)}
	switch {
	case g.DFResidual <= 0:
		w.P = math.NaN()
	case g.DFResidual > 1e300:
		w.P = distuv.ChiSquared{K: float64(k)}.Survival(chisq)
	default:
		// P(F > f) = I_{d2/(d2+d1 f)}(d2/2, d1/2), accurate in the far tail
		d1, d2 := float64(k), g.DFResidual
		w.P = mathext.RegIncBeta(d2/2, d1/2, d2/(d2+d1*w.F))
	}
	return w, nil
}

// canonicalTerm orders the variables of an interaction (regTermTest's canonicalOrder).
func canonicalTerm(t string) string {
	parts := strings.Split(t, ":")
	slices.Sort(parts)
	return strings.Join(parts, ":")
}
