package evaluate

import (
	"math"
	"strconv"
	"testing"

	"socap/indicators"
	"socap/indicators/survey"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
)

// A panel (the same ids in both waves) gets the DiD's variance from the
// stacked design with persons as clusters: checked against the formula
// n/(n−1) Σ_i (z_i − z̄)² with z_i the person's total of the DiD's influence
// function, Σ_k c_k w_i 1{i ∈ D_k}(y_i − θ_k)/W_k over the four domains.
func TestPanelDiD(t *testing.T) {
	const n = 40
	var waves [2]*design.Wave
	ys := [2][]float64{}
	ws := [2][]float64{}
	prog := make([]bool, n)
	for k := range waves {
		f := survey.NewFrame()
		y, w, p, id := make([]float64, n), make([]float64, n), make([]string, n), make([]string, n)
		for i := range y {
			prog[i] = i%3 == 0
			y[i] = float64((i*7)%11) + float64(k)*float64(i%5)
			w[i] = 1 + float64((i+k)%4)
			p[i] = "0.0"
			if prog[i] {
				p[i] = "1.0"
			}
			id[i] = strconv.Itoa(1000 + i)
		}
		ys[k], ws[k] = y, w
		for _, err := range []error{f.AddFloat("y", y), f.AddFloat("w", w), f.AddString("programme", p), f.AddString("id", id)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		d, err := survey.NewDesign(f, survey.Spec{Weights: "w"})
		if err != nil {
			t.Fatal(err)
		}
		waves[k] = &design.Wave{Wave: k + 1, Frame: f, Design: d}
	}
	ev, err := newEvaluation(waves, "programme", nil, "id")
	if err != nil {
		t.Fatal(err)
	}
	if ev.repeated != n {
		t.Fatalf("%d repeated ids, want %d", ev.repeated, n)
	}
	o := indicators.Output{ID: "y", Statistic: indicators.Statistic{Kind: indicators.Mean, Column: "y"}}
	e, err := ev.effect(o, 0.95, disclose.DefaultRules())
	if err != nil || e == nil {
		t.Fatalf("effect %v, %v", e, err)
	}
	// the four domain means and the DiD's influence per person
	coef := [2][2]float64{{1, -1}, {-1, 1}} // [wave][programme?0:1]: +P2 −C2 −P1 +C1
	z := make([]float64, n)
	var did float64
	for k := range waves {
		for side, inP := range []bool{true, false} {
			var sw, swy float64
			for i := range z {
				if prog[i] == inP {
					sw += ws[k][i]
					swy += ws[k][i] * ys[k][i]
				}
			}
			theta := swy / sw
			c := coef[1-k][side]
			did += c * theta
			for i := range z {
				if prog[i] == inP {
					z[i] += c * ws[k][i] * (ys[k][i] - theta) / sw
				}
			}
		}
	}
	var mean, ss float64
	for _, v := range z {
		mean += v / n
	}
	for _, v := range z {
		ss += (v - mean) * (v - mean)
	}
	se := math.Sqrt(ss * n / (n - 1))
	if math.Abs(e.DiD.Estimate-did) > 1e-12 || math.Abs(e.DiD.SE-se) > 1e-12*se {
		t.Errorf("panel DiD %v ± %v, formula %v ± %v", e.DiD.Estimate, e.DiD.SE, did, se)
	}
	if e.DiD.DF != n-1 {
		t.Errorf("df %v, want %d persons − 1", e.DiD.DF, n-1)
	}
	// independent waves would count each person's two answers as unrelated
	var sets [2]*survey.DomainSet
	for k, w := range waves {
		if sets[k], err = w.Design.EstimateDomains(survey.Request{Statistic: survey.Mean, Variable: "y"}, ev.doms[k]); err != nil {
			t.Fatal(err)
		}
	}
	indep := *e
	if err := independentEffect(sets, &indep, 0.95); err != nil {
		t.Fatal(err)
	}
	if math.Abs(indep.DiD.Estimate-did) > 1e-12 || math.Abs(indep.DiD.SE-se) < 1e-6*se {
		t.Errorf("independent DiD %v ± %v: the estimate should agree and the SE not (%v)", indep.DiD.Estimate, indep.DiD.SE, se)
	}
}
