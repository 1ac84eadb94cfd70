package survey

import (
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// calMargins reads testdata/reference/calibrate_margins.csv (written by glm.R from
// apipop) keeping the named variables.
func calMargins(t testing.TB, vars ...string) []Margin {
	tb := readTable(t, filepath.Join(refDir, "calibrate_margins.csv"))
	var out []Margin
	for i := range tb.rows() {
		v := tb.cols["variable"][i]
		for _, want := range vars {
			if v == want {
				out = append(out, Margin{Variable: v, Level: tb.cols["level"][i], Total: parseRef(tb.cols["total"][i])})
			}
		}
	}
	return out
}

func TestCalibrateAgainstR(t *testing.T) {
	ref := readTable(t, filepath.Join(refDir, "calibrate.csv"))
	wref := readTable(t, filepath.Join(refDir, "calibrate_weights.csv"))
	compared := 0
	for _, base := range []struct {
		name          string
		conv          *Conversion
		linear, logit [2]float64
	}{
		{"clus1", nil, [2]float64{0.85, 1.6}, [2]float64{0.5, 2.5}},
		{"clus1_jk1", glmJK1, [2]float64{0.3, 4}, [2]float64{0.3, 4}},
	} {
		for _, c := range []struct {
			name string
			opt  CalOptions
		}{
			{"poststratify", CalOptions{Method: PostStratify, Margins: calMargins(t, "stype")}},
			{"rake", CalOptions{Method: Rake, Margins: calMargins(t, "stype", "sch.wide"), Tol: 1e-12}},
			{"linear", CalOptions{Method: Linear, Margins: calMargins(t, "stype", "sch.wide", "enroll")}},
			{"linear_bounded", CalOptions{Method: Linear, Margins: calMargins(t, "stype", "sch.wide"),
				Lower: base.linear[0], Upper: base.linear[1], Tol: 1e-12, MaxIter: 100}},
			{"logit", CalOptions{Method: Logit, Margins: calMargins(t, "stype", "sch.wide", "enroll"),
				Lower: base.logit[0], Upper: base.logit[1], Tol: 1e-12, MaxIter: 100}},
		} {
			name := base.name + "_" + c.name
			t.Run(name, func(t *testing.T) {
				d := refDesign(t, "api/apiclus1.csv", glmClus1Spec, base.conv)
				cd, rep, err := d.Calibrate(c.opt)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Iterations < 1 || !(rep.GMin <= 1 && rep.GMax >= 1) {
					t.Errorf("report %+v", rep)
				}
				check := func(what string, got, want, floor float64) {
					t.Helper()
					compared++
					if !nearRel(got, want, glmTol, floor) {
						t.Errorf("%s: got %.12g, R %.12g", what, got, want)
					}
				}
				w := cd.Weights()
				for i := range wref.rows() {
					if wref.cols["case"][i] == name {
						r, _ := strconv.Atoi(wref.cols["row"][i])
						check("weight "+wref.cols["row"][i], w[r-1], parseRef(wref.cols["weight"][i]), 0)
					}
				}
				fr := d.frame
				seen := 0
				for i := range ref.rows() {
					if ref.cols["case"][i] != name {
						continue
					}
					seen++
					stat, v := ref.cols["statistic"][i], ref.cols["variable"][i]
					est, se := parseRef(ref.cols["estimate"][i]), parseRef(ref.cols["se"][i])
					switch stat {
					case "total":
						y, err := fr.Float(v)
						if err != nil {
							t.Fatal(err)
						}
						tot, cov, err := cd.TotalCov(y)
						if err != nil {
							t.Fatal(err)
						}
						check("total "+v, tot[0], est, 0)
						// the total of a calibration variable has SE 0: both sides are rounding
						// noise, so differences below 1e-12 of the total pass
						check("se total "+v, math.Sqrt(cov.At(0, 0)), se, 1e-5*math.Abs(est))
					case "mean":
						fit, err := cd.GLM(v+" ~ 1", GLMOptions{})
						if err != nil {
							t.Fatal(err)
						}
						check("mean "+v, fit.Coef[0].Estimate, est, 0)
						check("se mean "+v, fit.Coef[0].SE, se, 0)
					case "glm":
						fit, err := cd.GLM("api00 ~ ell + meals", GLMOptions{})
						if err != nil {
							t.Fatal(err)
						}
						for _, co := range fit.Coef {
							if co.Term == v {
								check("coef "+v, co.Estimate, est, co.SE)
								check("se "+v, co.SE, se, 0)
							}
						}
					}
				}
				if seen == 0 {
					t.Fatalf("no reference rows for %s", name)
				}
			})
		}
	}
	t.Logf("%d reference numbers compared", compared)
}

// TestCalibrateReplicateEstimate checks that the engine's Estimate on a recalibrated
// replicate design gives the same standard error as TotalCov: the new replicate
// weights carry the calibration.
func TestCalibrateReplicateEstimate(t *testing.T) {
	d := refDesign(t, "api/apiclus1.csv", glmClus1Spec, glmJK1)
	cd, _, err := d.Calibrate(CalOptions{Method: PostStratify, Margins: calMargins(t, "stype")})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cd.Estimate([]Request{{Statistic: Total, Variable: "enroll"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	y, _ := d.frame.Float("enroll")
	tot, cov, err := cd.TotalCov(y)
	if err != nil {
		t.Fatal(err)
	}
	if !nearRel(recs[0].Estimate, tot[0], 1e-12, 0) || !nearRel(recs[0].SE, math.Sqrt(cov.At(0, 0)), 1e-10, 0) {
		t.Errorf("Estimate %v ± %v, TotalCov %v ± %v", recs[0].Estimate, recs[0].SE, tot[0], math.Sqrt(cov.At(0, 0)))
	}
}

func TestCalibrateErrors(t *testing.T) {
	f := NewFrame()
	n := 30
	g, h, x := make([]string, n), make([]string, n), make([]float64, n)
	for i := range g {
		g[i] = []string{"a", "b", "c"}[i%3]
		h[i] = []string{"u", "v"}[i%2]
		x[i] = float64(i)
	}
	for _, err := range []error{f.AddString("g", g), f.AddString("h", h), f.AddFloat("x", x)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	d, err := NewDesign(f, Spec{})
	if err != nil {
		t.Fatal(err)
	}
	m := func(v string, kv ...any) []Margin {
		var out []Margin
		for k := 0; k < len(kv); k += 2 {
			out = append(out, Margin{Variable: v, Level: kv[k].(string), Total: kv[k+1].(float64)})
		}
		return out
	}
	gm := m("g", "a", 100.0, "b", 200.0, "c", 300.0)
	for _, c := range []struct {
		name string
		opt  CalOptions
		has  string
	}{
		{"level only in sample", CalOptions{Method: PostStratify, Margins: m("g", "a", 1.0, "b", 2.0)}, `level "c" (10 rows) in the sample but not in the margins`},
		{"level only in margins", CalOptions{Method: PostStratify, Margins: append(m("g", "d", 5.0), gm...)}, `level "d" in the margins but not in the sample`},
		{"sizes disagree", CalOptions{Method: Rake, Margins: append(gm, m("h", "u", 100.0, "v", 100.0)...)}, "disagree on the population size: g 600, h 200"},
		{"no convergence", CalOptions{Method: Rake, MaxIter: 1, Margins: append(gm, m("h", "u", 100.0, "v", 500.0)...)}, "did not converge in 1 sweeps"},
		{"bounds", CalOptions{Method: Logit, Lower: 0.9, Upper: 1.1, Margins: append(gm, m("h", "u", 100.0, "v", 500.0)...)}, "cannot meet the margins within bounds 0.9..1.1"},
		{"logit unbounded", CalOptions{Method: Logit, Margins: gm}, "needs finite bounds"},
		{"poststratify two", CalOptions{Method: PostStratify, Margins: append(gm, m("h", "u", 300.0, "v", 300.0)...)}, "one variable"},
		{"unknown column", CalOptions{Method: Linear, Margins: m("nosuch", "a", 1.0)}, "nosuch"},
	} {
		_, _, err := d.Calibrate(c.opt)
		if err == nil || !strings.Contains(err.Error(), c.has) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.has)
		}
		if c.name == "bounds" && !errors.Is(err, ErrCalibration) {
			t.Errorf("bounds: %v does not wrap ErrCalibration", err)
		}
	}
	// a level whose rows all have weight zero cannot be scaled up
	wz := make([]float64, n)
	for i := range wz {
		if g[i] != "c" {
			wz[i] = 1
		}
	}
	if err := f.AddFloat("wz", wz); err != nil {
		t.Fatal(err)
	}
	dz, err := NewDesign(f, Spec{Weights: "wz"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dz.Calibrate(CalOptions{Method: PostStratify, Margins: gm}); err == nil || !strings.Contains(err.Error(), `level "c" have total weight 0`) {
		t.Errorf("zero-weight level: %v", err)
	}
	// a numeric margin: linear calibration meets it exactly
	cd, _, err := d.Calibrate(CalOptions{Method: Linear, Margins: append(gm, Margin{Variable: "x", Total: 9000})})
	if err != nil {
		t.Fatal(err)
	}
	tot, _, err := cd.TotalCov(x)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tot[0]-9000) > 1e-8 {
		t.Errorf("calibrated total of x %v, want 9000", tot[0])
	}
}
