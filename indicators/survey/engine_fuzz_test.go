package survey

import (
	"math"
	"testing"
)

// FuzzEngine builds a small frame and design from the input bytes (values that are
// missing, infinite, zero or negative; strata with one PSU; groups with one row;
// columns with no values; one or two stages, with and without fpc) and runs every
// statistic, quantile rule and interval, a GLM of each family, margins, a Wald test,
// every calibration method and replicate conversion on it; each GLM is fitted with
// and without the AVX2 kernels, which must agree. Errors are expected; a panic, or a
// result that is neither an error nor finite where the inputs were finite, is not.
func FuzzEngine(f *testing.F) {
	f.Add([]byte("\x05\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"))
	f.Add([]byte("\x20\xff\x00\x80\x7f\x01\x02\xfe\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0"))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := 1 + int(data[0])%40
		opt := data[1]
		data = data[2:]
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		num := func(b byte) float64 {
			switch b % 16 {
			case 0:
				return math.NaN()
			case 1:
				return math.Inf(1)
			case 2:
				return 0
			case 3:
				return -1
			}
			return float64(b%16) + float64(b/16)/4
		}
		y, x, w, st, psu := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		ssu, fpc1, fpc2 := make([]float64, n), make([]float64, n), make([]float64, n)
		bin := make([]float64, n)
		g := make([]string, n)
		for i := range n {
			y[i], x[i] = num(next()), num(next())
			w[i] = math.Abs(num(next())) + float64(opt%2) // some designs without zero weights
			b := next()
			st[i], psu[i], ssu[i] = float64(b%3), float64(b/3%4), float64(b/7%3)
			fpc1[i], fpc2[i] = 10+float64(st[i]), 0.5
			bin[i] = float64(b % 2)
			g[i] = []string{"", "a", "b", "c"}[b/12%4]
		}
		fr := NewFrame()
		for name, v := range map[string][]float64{"y": y, "x": x, "w": w, "st": st, "psu": psu, "ssu": ssu,
			"fpc1": fpc1, "fpc2": fpc2, "bin": bin} {
			if err := fr.AddFloat(name, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := fr.AddString("g", g); err != nil {
			t.Fatal(err)
		}
		spec := Spec{Weights: "w", Nest: true,
			LonelyPSU: []LonelyPSU{LonelyFail, LonelyRemove, LonelyCertainty, LonelyAdjust, LonelyAverage}[opt/2%5]}
		if opt&32 != 0 {
			spec.Strata, spec.Clusters = "st", []string{"psu"}
			if opt&16 != 0 { // two stages with fpc at both
				spec.Clusters, spec.FPC = []string{"psu", "ssu"}, []string{"fpc1", "fpc2"}
			}
		}
		d, err := NewDesign(fr, spec)
		if err != nil {
			return
		}
		if opt&64 != 0 {
			if rd, err := d.ToReplicates(Conversion{Type: []RepType{JK1, JKn, BRR, Fay, Bootstrap}[int(opt/128)+2*int(opt&8/8)+int(opt&4/4)],
				Replicates: 5, Seed: 1, Rho: 0.5}); err == nil {
				d = rd
			}
		}
		reqs := []Request{{Statistic: Mean, Variable: "y"}, {Statistic: Total, Variable: "x"},
			{Statistic: Ratio, Variable: "y", Denominator: "x"}, {Statistic: Prop, Variable: "g"},
			{Statistic: Prop, Variable: "bin"}, {Statistic: Quantile, Variable: "y", Probs: []float64{0.5}}}
		for _, by := range [][]string{nil, {"g"}, {"g", "st"}} {
			for k, ci := range []PropCI{CILogit, CIBeta, CIWilson, CILikelihood} {
				_, _ = d.Estimate(reqs, Options{By: by, PropCI: ci, Rule: []QuantileRule{QRuleMath, QRuleHF7}[k%2],
					QuantileCI: []PropCI{CIMean, CIXlogit, CIAsin, CIBeta}[k]})
			}
		}
		for _, fam := range []Family{Gaussian, Quasibinomial, Quasipoisson} {
			resp := map[Family]string{Gaussian: "y", Quasibinomial: "bin", Quasipoisson: "x"}[fam]
			formula := resp + " ~ y + factor(g)"
			fit, err := d.GLM(formula, GLMOptions{Family: fam})
			var plain *GLM
			var plainErr error
			withoutAVX(func() { plain, plainErr = d.GLM(formula, GLMOptions{Family: fam}) })
			if (err == nil) != (plainErr == nil) {
				t.Fatalf("%s: with AVX2 %v, without %v", fam, err, plainErr)
			}
			if err != nil {
				continue
			}
			scale := 1.0
			for _, c := range fit.Coef {
				scale = math.Max(scale, math.Abs(c.Estimate))
			}
			for k, c := range fit.Coef {
				if math.IsNaN(c.Estimate) || math.IsInf(c.Estimate, 0) {
					t.Fatalf("%s: coefficient %s = %v without an error", fam, c.Term, c.Estimate)
				}
				// the kernels sum in another order: equal up to rounding, scaled by
				// the coefficient's uncertainty and the size of the fit
				if p := plain.Coef[k]; math.Abs(p.Estimate-c.Estimate) > 1e-6*(math.Abs(c.Estimate)+c.SE)+1e-9*scale {
					t.Fatalf("%s: coefficient %s = %v with AVX2, %v without (SE %v)", fam, c.Term, c.Estimate, p.Estimate, c.SE)
				}
			}
			_, _ = fit.Margins([]string{"y"}, "g")
			_, _ = fit.WaldTest("factor(g)")
		}
		margins := []Margin{{"g", "a", 10}, {"g", "b", 10}, {"g", "c", 10}, {"x", "", 40}}
		for _, c := range []CalOptions{{Method: PostStratify, Margins: margins[:3]}, {Method: Rake, Margins: margins[:3]},
			{Method: Linear, Margins: margins, Lower: 0.5, Upper: 2}, {Method: Logit, Margins: margins, Lower: 0.5, Upper: 2}} {
			if cd, _, err := d.Calibrate(c); err == nil {
				_, _ = cd.Estimate(reqs[:2], Options{By: []string{"g"}})
			}
		}
	})
}
