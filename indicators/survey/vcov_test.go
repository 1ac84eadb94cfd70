package survey

import (
	"math"
	"testing"
)

// TestTotalCovMatchesEstimate checks the polarised covariance against the engine's
// scalar variances on the two-stage apiclus2 design (fpc at both stages) and on its
// bootstrap replicates: the diagonal must equal the variances of the totals, and
// Var(a + b) − Var(a) − Var(b) must equal twice the covariance.
func TestTotalCovMatchesEstimate(t *testing.T) {
	fr := loadShared(t, "api/apiclus2.csv").frame(t)
	a, _ := fr.Float("api00")
	b, _ := fr.Float("ell")
	sum := make([]float64, len(a))
	for i := range a {
		sum[i] = a[i] + b[i]
	}
	if err := fr.AddFloat("api00_plus_ell", sum); err != nil {
		t.Fatal(err)
	}
	d, err := NewDesign(fr, glmClus2Spec)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := d.ToReplicates(Conversion{Type: Bootstrap, Replicates: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*Design{"linearisation": d, "bootstrap": boot} {
		tot, cov, err := d.TotalCov(a, b)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := d.Estimate([]Request{{Statistic: Total, Variable: "api00"}, {Statistic: Total, Variable: "ell"},
			{Statistic: Total, Variable: "api00_plus_ell"}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 2; j++ {
			if !nearRel(tot[j], recs[j].Estimate, 1e-12, 0) || !nearRel(math.Sqrt(cov.At(j, j)), recs[j].SE, 1e-10, 0) {
				t.Errorf("%s column %d: %v ± %v, Estimate %v ± %v", name, j, tot[j], math.Sqrt(cov.At(j, j)), recs[j].Estimate, recs[j].SE)
			}
		}
		vsum := recs[2].SE * recs[2].SE
		if got := (vsum - cov.At(0, 0) - cov.At(1, 1)) / 2; !nearRel(got, cov.At(0, 1), 1e-8, math.Sqrt(cov.At(0, 0)*cov.At(1, 1))) {
			t.Errorf("%s: covariance %v, from the variance of the sum %v", name, cov.At(0, 1), got)
		}
	}
	if _, _, err := d.TotalCov(a[:10]); err == nil {
		t.Error("a short column was accepted")
	}
}
