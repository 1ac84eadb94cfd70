package survey

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestContrastAgainstR compares EstimateDomains and Contrast with testdata/reference/
// contrast.R: svyby(covmat = TRUE) + svycontrast, and svycontrast of svytotal with
// quote()d ratios, on the designs of survey.R's cases of the same name. Covariances are
// compared relative to the SEs they involve (√(V_aa V_bb)), since disjoint strata give an
// exact 0 in R and a rounding residue here.
func TestContrastAgainstR(t *testing.T) {
	ref := readTable(t, filepath.Join(refDir, "contrast.csv"))
	cases := map[string]refCase{}
	for _, rc := range refCases() {
		if _, ok := cases[rc.name]; !ok { // the first clus1_jk1 is as.svrepdesign's
			cases[rc.name] = rc
		}
	}
	designs := map[string]*Design{}
	sets := map[string]*DomainSet{}
	worst, compared := 0.0, 0
	for i := range ref.rows() {
		col := func(c string) string { return ref.cols[c][i] }
		rc, ok := cases[col("case")]
		if !ok {
			t.Fatalf("row %d: no case %q in refCases", i+2, col("case"))
		}
		d, ok := designs[rc.name]
		if !ok {
			d = buildRefDesign(t, rc)
			designs[rc.name] = d
		}
		key := strings.Join([]string{col("case"), col("by"), col("variable"), col("statistic"), col("level")}, "|")
		ds, ok := sets[key]
		if !ok {
			doms, err := d.GroupDomains(col("by"))
			if err != nil {
				t.Fatal(err)
			}
			rq := Request{Statistic: Statistic(col("statistic")), Variable: col("variable")}
			if rq.Statistic == Ratio {
				rq.Variable, rq.Denominator, _ = strings.Cut(col("variable"), "/")
			}
			if col("level") != "" {
				rq.Levels = []string{col("level")}
			}
			if ds, err = d.EstimateDomains(rq, append([]Domain{{Name: "all"}}, doms...)); err != nil {
				t.Fatal(err)
			}
			sets[key] = ds
		}
		index := func(name string) int {
			for k, n := range ds.Names {
				if n == name {
					return k
				}
			}
			t.Fatalf("%s: no domain %q in %v", key, name, ds.Names)
			return -1
		}
		a := index(col("a"))
		type pair struct {
			name      string
			got, want float64
		}
		var checks []pair
		switch col("kind") {
		case "est":
			checks = []pair{{"estimate", ds.Estimate[a], parseRef(col("estimate"))}, {"se", math.Sqrt(ds.Cov(a, a)), parseRef(col("se"))}}
		case "cov":
			b := index(col("b"))
			got, want := ds.Cov(a, b), parseRef(col("estimate"))
			scale := math.Sqrt(ds.Cov(a, a) * ds.Cov(b, b))
			if scale == 0 { // a domain without variation (every school Yes): cov 0
				scale = math.Max(math.Max(ds.Cov(a, a), ds.Cov(b, b)), 1e-300)
			}
			if rel := math.Abs(got-want) / scale; rel > relTol {
				t.Errorf("%s cov(%s, %s): got %.17g, want %.17g (%.2g of the SEs)", key, col("a"), col("b"), got, want, rel)
			} else {
				worst = math.Max(worst, rel)
			}
			compared++
		case "diff":
			c, err := ds.Difference(a, index(col("b")), 0.95)
			if err != nil {
				t.Fatal(err)
			}
			checks = []pair{{"estimate", c.Estimate, parseRef(col("estimate"))}, {"se", c.SE, parseRef(col("se"))},
				{"ci_low", c.CILow, parseRef(col("ci_low"))}, {"ci_high", c.CIHigh, parseRef(col("ci_high"))}, {"df", c.DF, parseRef(col("df"))}}
		default:
			t.Fatalf("row %d: kind %q", i+2, col("kind"))
		}
		for _, c := range checks {
			compared++
			if math.IsNaN(c.want) {
				t.Fatalf("%s: R gives no %s", key, c.name)
			}
			rel := math.Abs(c.got-c.want) / math.Max(math.Abs(c.want), 1e-300)
			if !close(c.got, c.want) {
				t.Errorf("%s %s %s−%s (%s) %s: got %.17g, want %.17g (rel %.2g)", key, col("kind"), col("a"), col("b"), col("method"), c.name, c.got, c.want, rel)
				continue
			}
			worst = math.Max(worst, rel)
		}
	}
	if compared < 1000 {
		t.Errorf("compared only %d numbers with R", compared)
	}
	t.Logf("compared %d numbers with R; largest relative difference %.2g", compared, worst)
}

// buildRefDesign builds the design of one of survey.R's cases.
func buildRefDesign(t *testing.T, rc refCase) *Design {
	t.Helper()
	d, err := NewDesign(rc.data(t).frame(t), rc.spec)
	if err != nil {
		t.Fatal(err)
	}
	if rc.conv != nil {
		if d, err = d.ToReplicates(*rc.conv); err != nil {
			t.Fatal(err)
		}
	}
	if rc.cal != nil {
		if d, _, err = d.Calibrate(rc.cal(t)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// contrastDesign is a small stratified cluster sample: two strata of three PSUs, a value
// y with one missing, a 0/1 share, and two overlapping groups.
func contrastDesign(t *testing.T, spec Spec) *Design {
	t.Helper()
	f := NewFrame()
	add := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	add(f.AddString("str", []string{"a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"}))
	add(f.AddString("psu", []string{"1", "1", "2", "2", "3", "3", "4", "4", "5", "5", "6", "6"}))
	add(f.AddFloat("w", []float64{1, 2, 1, 2, 1, 2, 3, 1, 3, 1, 3, 1}))
	add(f.AddFloat("y", []float64{3, 5, 2, math.NaN(), 4, 4, 7, 1, 6, 2, 5, 8}))
	add(f.AddFloat("x", []float64{1, 1, 2, 2, 1, 3, 2, 2, 1, 1, 2, 3}))
	add(f.AddFloat("share", []float64{1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1}))
	add(f.AddString("g", []string{"p", "q", "p", "q", "p", "q", "p", "q", "p", "q", "", "q"}))
	add(f.AddString("kind", []string{"u", "u", "u", "v", "v", "v", "u", "u", "v", "v", "v", "v"}))
	d, err := NewDesign(f, spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Each domain's estimate and variance are Estimate's (svymean on the domain), and a
// contrast's variance is the variance of the combined influence function, however the
// domains overlap.
func TestEstimateDomainsMatchesEstimate(t *testing.T) {
	linear := Spec{Weights: "w", Strata: "str", Clusters: []string{"psu"}}
	for _, tc := range []struct {
		name string
		d    func(t *testing.T) *Design
	}{
		{"linearisation", func(t *testing.T) *Design { return contrastDesign(t, linear) }},
		{"jk1", func(t *testing.T) *Design {
			d, err := contrastDesign(t, Spec{Weights: "w", Clusters: []string{"psu"}}).ToReplicates(Conversion{Type: JK1})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d(t)
			groups, err := d.GroupDomains("g")
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 2 || groups[0].Name != "p" || groups[1].Name != "q" {
				t.Fatalf("groups of g: %+v", groups)
			}
			for _, rq := range []Request{mean("y"), total("y"), ratio("y", "x"), prop("share")} {
				doms := append([]Domain{{Name: "all"}}, groups...)
				ds, err := d.EstimateDomains(rq, doms)
				if err != nil {
					t.Fatal(err)
				}
				recs, err := d.Estimate([]Request{rq}, Options{By: []string{"g"}})
				if err != nil {
					t.Fatal(err)
				}
				whole, err := d.Estimate([]Request{rq}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				want := append(whole, recs...)
				for k, r := range want {
					if !close(ds.Estimate[k], r.Estimate) || !close(math.Sqrt(ds.Cov(k, k)), r.SE) || ds.N[k] != r.N {
						t.Errorf("%s %s: got %v ± %v (n %d), Estimate gives %v ± %v (n %d)", rq.name(), ds.Names[k],
							ds.Estimate[k], math.Sqrt(ds.Cov(k, k)), ds.N[k], r.Estimate, r.SE, r.N)
					}
				}
				if ds.DF != d.DF() {
					t.Errorf("df %v, design df %v", ds.DF, d.DF())
				}
				// p is part of the whole sample: its difference with it is not that of
				// independent samples
				c, err := ds.Difference(1, 0, 0.9)
				if err != nil {
					t.Fatal(err)
				}
				indep := math.Sqrt(ds.Cov(0, 0) + ds.Cov(1, 1))
				if close(c.SE, indep) {
					t.Errorf("%s: p − all has the SE of independent samples (%v); the overlap is ignored", rq.name(), c.SE)
				}
				if !close(c.Estimate, ds.Estimate[1]-ds.Estimate[0]) || c.CILow >= c.Estimate || c.CIHigh <= c.Estimate {
					t.Errorf("%s: contrast %+v", rq.name(), c)
				}
			}
		})
	}
}

// The contrast of a domain with itself, and of the whole sample with a domain that is
// the whole sample, is exactly zero with zero variance.
func TestContrastDegenerate(t *testing.T) {
	d := contrastDesign(t, Spec{Weights: "w", Strata: "str", Clusters: []string{"psu"}})
	every := make([]bool, d.Rows())
	for i := range every {
		every[i] = true
	}
	ds, err := d.EstimateDomains(mean("y"), []Domain{{Name: "all"}, {Name: "every", Rows: every}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ds.Difference(0, 1, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if c.Estimate != 0 || c.SE > 1e-12 || math.IsNaN(c.SE) {
		t.Errorf("all − every: %+v, want 0 ± 0", c)
	}
}

func TestContrastErrors(t *testing.T) {
	d := contrastDesign(t, Spec{Weights: "w", Strata: "str", Clusters: []string{"psu"}})
	none := make([]bool, d.Rows())
	ds, err := d.EstimateDomains(mean("y"), []Domain{{Name: "all"}, {Name: "nobody", Rows: none}})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(ds.Estimate[1]) || !math.IsNaN(ds.Cov(0, 1)) || ds.N[1] != 0 {
		t.Errorf("empty domain: estimate %v, cov %v, n %d; want NaN, NaN, 0", ds.Estimate[1], ds.Cov(0, 1), ds.N[1])
	}
	if c, err := ds.Contrast([]float64{1, 0}, 0.95); err != nil || math.IsNaN(c.SE) {
		t.Errorf("contrast not using the empty domain: %+v, %v", c, err)
	}
	if _, err := ds.Difference(0, 1, 0.95); !errors.Is(err, ErrEmptyDomain) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("contrast with the empty domain: %v", err)
	}
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"no domains", func() error { _, err := d.EstimateDomains(mean("y"), nil); return err }, "no domains"},
		{"quantile", func() error {
			_, err := d.EstimateDomains(quant("y", 0.5), []Domain{{}})
			return err
		}, `statistic "quantile"`},
		{"levels", func() error { _, err := d.EstimateDomains(prop("kind"), []Domain{{}}); return err }, "2 levels"},
		{"rows", func() error {
			_, err := d.EstimateDomains(mean("y"), []Domain{{Name: "short", Rows: []bool{true}}})
			return err
		}, `domain "short" has 1 rows, the design has 12`},
		{"column", func() error { _, err := d.EstimateDomains(mean("nope"), []Domain{{}}); return err }, "nope"},
		{"coefficients", func() error { _, err := ds.Contrast([]float64{1}, 0.95); return err }, "1 coefficients for 2 domains"},
		{"level", func() error { _, err := ds.Contrast([]float64{1, 0}, 95); return err }, "confidence level 95"},
		{"index", func() error { _, err := ds.Difference(0, 2, 0.95); return err }, "domains 0 and 2 of 2"},
		{"independent level", func() error { _, err := IndependentDifference(Contrast{}, Contrast{}, 0); return err }, "confidence level 0"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) || err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// IndependentDifference adds variances and takes Welch–Satterthwaite df; the numbers
// are R's: with v_a = 4, df 10 and v_b = 1, df 20, df = 25/(16/10 + 1/20) = 15.151515…,
// and qt(0.975, 25/1.65) = 2.129594617.
func TestIndependentDifference(t *testing.T) {
	a := Contrast{Estimate: 5, SE: 2, DF: 10}
	b := Contrast{Estimate: 1, SE: 1, DF: 20}
	c, err := IndependentDifference(a, b, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	df := 25 / (16.0/10 + 1.0/20)
	if c.Estimate != 4 || !close(c.SE, math.Sqrt(5)) || !close(c.DF, df) {
		t.Errorf("got %+v, want 4 ± √5 on %v df", c, df)
	}
	if half := c.CIHigh - c.Estimate; !close(half, math.Sqrt(5)*qt(0.975, df)) || !close(c.Estimate-c.CILow, half) {
		t.Errorf("interval %v..%v", c.CILow, c.CIHigh)
	}
	if math.Abs(qt(0.975, df)-2.129594617) > 1e-9 {
		t.Errorf("qt(0.975, %v) = %v, R gives 2.129594617", df, qt(0.975, df))
	}
	inf, _ := IndependentDifference(Contrast{Estimate: 1, SE: 1, DF: math.Inf(1)}, Contrast{Estimate: 0, SE: 1, DF: math.Inf(1)}, 0.95)
	if !math.IsInf(inf.DF, 1) {
		t.Errorf("normal parts give df %v, want +Inf", inf.DF)
	}
	zero, _ := IndependentDifference(Contrast{DF: 3}, Contrast{DF: 7}, 0.95)
	if zero.DF != 3 || zero.SE != 0 {
		t.Errorf("zero variances: %+v, want SE 0 on 3 df", zero)
	}
}
