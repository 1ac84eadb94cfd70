package survey

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// glmTol is the relative tolerance against R's svyglm (testdata/reference/glm.R).
const glmTol = 1e-7

// nearRel reports |a − b| ≤ tol·scale, scale = max(|a|, |b|, floor).
func nearRel(a, b, tol, floor float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(math.Max(math.Abs(a), math.Abs(b)), floor)
}

type glmRefCase struct {
	name    string
	data    string                  // dataset under ../shared/datasets
	tbl     func(testing.TB) *table // or a table built from one
	spec    Spec
	conv    *Conversion
	formula string
	family  Family
	tests   []string
	ames    []struct{ col, by string }
	// subset, when set, keeps the rows whose column subset[0] is one of subset[1:]
	// (R's subset(design, …)).
	subset []string
}

func ameReq(col, by string) struct{ col, by string } { return struct{ col, by string }{col, by} }

var (
	glmStratSpec = Spec{Weights: "pw", Strata: "stype", FPC: []string{"fpc"}}
	glmClus1Spec = Spec{Weights: "pw", Clusters: []string{"dnum"}, FPC: []string{"fpc"}}
	glmClus2Spec = Spec{Weights: "pw", Clusters: []string{"dnum", "snum"}, FPC: []string{"fpc1", "fpc2"}}
	glmESSSpec   = Spec{Weights: "anweight", Strata: "stratum", Clusters: []string{"psu"}, Nest: true}
	glmJK1       = &Conversion{Type: JK1}
)

func glmRefCases() []glmRefCase {
	var cs []glmRefCase
	cs = append(cs,
		glmRefCase{name: "strat_gaussian", data: "api/apistrat.csv", spec: glmStratSpec,
			formula: "api00 ~ ell + meals + stype + I(ell^2)", family: Gaussian,
			tests: []string{"stype", "ell + I(ell^2)"},
			ames:  []struct{ col, by string }{ameReq("ell", "stype"), ameReq("stype", "")}},
		glmRefCase{name: "strat_quasibinomial", data: "api/apistrat.csv", spec: glmStratSpec,
			formula: "sch.wide ~ ell + meals + stype", family: Quasibinomial,
			tests: []string{"stype"},
			ames:  []struct{ col, by string }{ameReq("meals", "stype"), ameReq("stype", "stype")}})
	for _, c := range []struct {
		name string
		conv *Conversion
	}{{"clus1", nil}, {"clus1_jk1", glmJK1}} {
		cs = append(cs,
			glmRefCase{name: c.name + "_gaussian", data: "api/apiclus1.csv", spec: glmClus1Spec, conv: c.conv,
				formula: "api00 ~ ell * meals + mobility", family: Gaussian,
				tests: []string{"meals:ell", "ell + meals + ell:meals"},
				ames:  []struct{ col, by string }{ameReq("ell", ""), ameReq("meals", "")}},
			glmRefCase{name: c.name + "_quasipoisson", data: "api/apiclus1.csv", spec: glmClus1Spec, conv: c.conv,
				formula: "enroll ~ meals + stype + log(api99)", family: Quasipoisson,
				tests: []string{"stype"},
				ames:  []struct{ col, by string }{ameReq("api99", ""), ameReq("stype", "stype")}},
			glmRefCase{name: c.name + "_subset_gaussian", data: "api/apiclus1.csv", spec: glmClus1Spec, conv: c.conv,
				formula: "api00 ~ ell + meals", family: Gaussian, subset: []string{"stype", "E"},
				tests: []string{"ell + meals"}})
	}
	for _, rule := range []LonelyPSU{LonelyAdjust, LonelyAverage, LonelyRemove, LonelyCertainty} {
		cs = append(cs, glmRefCase{name: "lonely_" + string(rule) + "_gaussian", tbl: lonely,
			spec:    Spec{Weights: "pw", Strata: "stype", LonelyPSU: rule},
			formula: "api00 ~ ell + meals", family: Gaussian, tests: []string{"ell + meals"},
			ames: []struct{ col, by string }{ameReq("ell", "")}})
	}
	cs = append(cs,
		glmRefCase{name: "clus2_gaussian", data: "api/apiclus2.csv", spec: glmClus2Spec,
			formula: "api00 ~ ell + meals + log(enroll) - 1", family: Gaussian,
			tests: []string{"log(enroll)"}},
		glmRefCase{name: "clus2_quasibinomial", data: "api/apiclus2.csv", spec: glmClus2Spec,
			formula: "sch.wide ~ ell + meals", family: Quasibinomial,
			ames: []struct{ col, by string }{ameReq("ell", "")}},
		glmRefCase{name: "strat_subset_quasibinomial", data: "api/apistrat.csv", spec: glmStratSpec,
			formula: "sch.wide ~ ell + meals", family: Quasibinomial, subset: []string{"stype", "H", "M"},
			ames: []struct{ col, by string }{ameReq("meals", "")}},
		glmRefCase{name: "ess_subset_quasibinomial", data: "ess9no/ESS9NO.csv", spec: glmESSSpec,
			formula: "pdwrk ~ ppltrst + agea + I(agea^2) + factor(brncntr)", family: Quasibinomial,
			subset: []string{"gndr", "2"}, tests: []string{"agea + I(agea^2)"}},
		glmRefCase{name: "ess_quasibinomial", data: "ess9no/ESS9NO.csv", spec: glmESSSpec,
			formula: "pdwrk ~ ppltrst + sclmeet + agea + I(agea^2) + factor(gndr) + factor(brncntr)", family: Quasibinomial,
			tests: []string{"factor(gndr) + factor(brncntr)", "agea + I(agea^2)"},
			ames:  []struct{ col, by string }{ameReq("agea", "gndr"), ameReq("ppltrst", "brncntr"), ameReq("brncntr", "gndr")}},
	)
	return cs
}

// refDesign builds a case's design from the shared data (skipping when absent).
func refDesign(t testing.TB, data string, spec Spec, conv *Conversion) *Design {
	t.Helper()
	d, err := NewDesign(loadShared(t, data).frame(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if conv != nil {
		if d, err = d.ToReplicates(*conv); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// glmRef indexes glm.csv by case, kind and term|by.
func glmRef(t testing.TB) map[string]map[string][]float64 {
	ref := readTable(t, filepath.Join(refDir, "glm.csv"))
	out := map[string]map[string][]float64{}
	for i := range ref.rows() {
		key := ref.cols["kind"][i] + " " + ref.cols["term"][i] + "|" + ref.cols["by"][i]
		c := ref.cols["case"][i]
		if out[c] == nil {
			out[c] = map[string][]float64{}
		}
		var v []float64
		for _, col := range []string{"estimate", "se", "t", "p", "ci_low", "ci_high", "df"} {
			v = append(v, parseRef(ref.cols[col][i]))
		}
		out[c][key] = v
	}
	return out
}

func TestGLMAgainstR(t *testing.T) {
	ref := glmRef(t)
	compared := 0
	for _, c := range glmRefCases() {
		t.Run(c.name, func(t *testing.T) {
			want := ref[c.name]
			if want == nil {
				t.Fatalf("no reference values for %s in glm.csv", c.name)
			}
			var d *Design
			if c.tbl != nil {
				var err error
				if d, err = NewDesign(c.tbl(t).frame(t), c.spec); err != nil {
					t.Fatal(err)
				}
			} else {
				d = refDesign(t, c.data, c.spec, c.conv)
			}
			if c.subset != nil {
				var err error
				if d, err = d.Subset(keepLevels(t, d.frame, c.subset[0], c.subset[1:]...), c.subset[0]); err != nil {
					t.Fatal(err)
				}
			}
			fit, err := d.GLM(c.formula, GLMOptions{Family: c.family})
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got, want []float64, floors []float64) {
				t.Helper()
				for k := range want {
					if math.IsNaN(want[k]) {
						continue
					}
					compared++
					if !nearRel(got[k], want[k], glmTol, floors[k]) {
						t.Errorf("%s field %d: got %.12g, R %.12g", what, k, got[k], want[k])
					}
				}
			}
			check("deviance", []float64{fit.Deviance}, want["deviance |"][:1], []float64{0})
			seen := 0
			for _, co := range fit.Coef {
				w, ok := want["coef "+co.Term+"|"]
				if !ok {
					t.Errorf("coefficient %s not in R's fit", co.Term)
					continue
				}
				seen++
				check("coef "+co.Term, []float64{co.Estimate, co.SE, co.T, co.P, co.CILow, co.CIHigh, fit.DFResidual}, w,
					[]float64{co.SE, 0, 1, 0, co.SE, co.SE, 0})
			}
			names := fit.Names()
			for a, na := range names {
				for b, nb := range names {
					w := want["vcov "+na+"|"+nb+"|"]
					floor := math.Sqrt(fit.Cov.At(a, a) * fit.Cov.At(b, b))
					check("vcov "+na+","+nb, []float64{fit.Cov.At(a, b)}, w[:1], []float64{floor})
				}
			}
			for _, tt := range c.tests {
				wt, err := fit.WaldTest(tt)
				if err != nil {
					t.Fatal(err)
				}
				w, ok := want["test "+strings.Join(wt.Terms, "+")+"|"]
				if !ok {
					// R labels the test by its own term order
					for k, v := range want {
						if strings.HasPrefix(k, "test ") && canonicalTerm(strings.TrimSuffix(strings.TrimPrefix(k, "test "), "|")) != "" &&
							sameTerms(strings.TrimSuffix(strings.TrimPrefix(k, "test "), "|"), wt.Terms) {
							w, ok = v, true
						}
					}
				}
				if !ok {
					t.Fatalf("test %q (%v) not in glm.csv", tt, wt.Terms)
				}
				seen++
				check("test "+tt, []float64{wt.F, float64(wt.DF), wt.P, wt.DDF}, []float64{w[0], w[2], w[3], w[6]},
					[]float64{0, 0, 1e-300, 0})
			}
			for _, a := range c.ames {
				mes, err := fit.Margins([]string{a.col}, a.by)
				if err != nil {
					t.Fatal(err)
				}
				scale := 1.0
				if mes[0].Unit == "percentage points" {
					scale = 100
				}
				for _, me := range mes {
					label := ""
					if me.By != nil {
						label = a.by + "=" + me.By[a.by]
					}
					w, ok := want["ame "+me.Term+"|"+label]
					if !ok {
						continue // R computed only some levels
					}
					seen++
					check("ame "+me.Term+" "+label,
						[]float64{me.Estimate / scale, me.SE / scale, me.T, me.P, me.CILow / scale, me.CIHigh / scale, me.DF}, w,
						[]float64{me.SE / scale, 0, 1, 0, me.SE / scale, me.SE / scale, 0})
				}
			}
			if seen == 0 {
				t.Fatal("nothing compared")
			}
		})
	}
	t.Logf("%d reference numbers compared", compared)
}

// keepLevels marks the rows whose column col reads as one of levels.
func keepLevels(t testing.TB, f *Frame, col string, levels ...string) []bool {
	t.Helper()
	vals, err := f.Strings(col)
	if err != nil {
		t.Fatal(err)
	}
	keep := make([]bool, len(vals))
	for i, v := range vals {
		keep[i] = slices.Contains(levels, v)
	}
	return keep
}

func sameTerms(rLabel string, terms []string) bool {
	parts := strings.Split(rLabel, "+")
	if len(parts) != len(terms) {
		return false
	}
	for k := range parts {
		if canonicalTerm(parts[k]) != canonicalTerm(terms[k]) {
			return false
		}
	}
	return true
}

func TestGLMErrors(t *testing.T) {
	f := NewFrame()
	n := 40
	y, x, g, sep := make([]float64, n), make([]float64, n), make([]string, n), make([]float64, n)
	for i := range y {
		x[i] = float64(i)
		y[i] = float64(i % 2)
		g[i] = []string{"a", "b", "c"}[i%3]
		sep[i] = float64(i)
		if i >= 20 {
			y[i] = 1 - y[i]
		}
	}
	// c is a level with outcome 1 everywhere: quasi-complete separation
	ysep := make([]float64, n)
	for i := range ysep {
		ysep[i] = y[i]
		if g[i] == "c" {
			ysep[i] = 1
		}
	}
	yfull := make([]float64, n)
	for i := range yfull {
		if i >= 20 {
			yfull[i] = 1
		}
	}
	yzero := make([]float64, n)
	xinf := slices.Clone(x)
	xinf[3], xinf[7], xinf[9] = math.Inf(-1), math.Inf(1), math.NaN()
	for name, v := range map[string][]float64{"y": y, "x": x, "ysep": ysep, "yfull": yfull, "x2": sep, "yzero": yzero, "xinf": xinf} {
		if err := f.AddFloat(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.AddString("g", g); err != nil {
		t.Fatal(err)
	}
	d, err := NewDesign(f, Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		formula string
		family  Family
		is      error
		has     string
	}{
		{"ysep ~ x + g", Binomial, ErrSeparation, "gc"},
		{"yfull ~ x", Binomial, ErrSeparation, "x"},
		{"yzero ~ x", Binomial, ErrSeparation, "numerically 0 or 1"},
		{"y ~ x + xinf", Binomial, nil, "xinf, row 4: infinite value"},
		{"y ~ x + x2", Gaussian, ErrCollinear, "x2"},
		{"y ~ x + nosuch", Gaussian, ErrUnknownColumn, "nosuch"},
		{"x ~ y", Poisson, nil, ""},
		{"y ~ x + g", Binomial, nil, ""},
		{"x ~ y", Binomial, nil, "outside [0, 1]"},
		{"y ~ x +", Gaussian, nil, "end of formula"},
		{"y ~ x^2", Gaussian, nil, "wrap arithmetic in I()"},
		{"y ~ foo(x)", Gaussian, nil, "unknown function"},
	} {
		_, err := d.GLM(c.formula, GLMOptions{Family: c.family})
		switch {
		case c.is == nil && c.has == "":
			if err != nil {
				t.Errorf("%s: %v", c.formula, err)
			}
		case err == nil:
			t.Errorf("%s (%s): no error", c.formula, c.family)
		case c.is != nil && !errors.Is(err, c.is):
			t.Errorf("%s: error %v, want %v", c.formula, err, c.is)
		case !strings.Contains(err.Error(), c.has):
			t.Errorf("%s: error %q does not mention %q", c.formula, err, c.has)
		}
	}
}

func TestFormulaNames(t *testing.T) {
	f := NewFrame()
	n := 12
	cols := map[string][]float64{}
	for _, c := range []string{"y", "x", "z", "b"} {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64((i*7+len(c)*3)%11) + 1
		}
		cols[c] = v
		if err := f.AddFloat(c, v); err != nil {
			t.Fatal(err)
		}
	}
	g := make([]float64, n)
	h := make([]string, n)
	for i := range g {
		g[i] = float64(i%3 + 1)
		h[i] = []string{"a", "b"}[i%2]
	}
	if err := f.AddFloat("g", g); err != nil {
		t.Fatal(err)
	}
	if err := f.AddString("h", h); err != nil {
		t.Fatal(err)
	}
	// the names R's model.matrix gives (checked in R 4.x)
	for _, c := range []struct{ formula, names string }{
		{"y ~ I(x*2)+I(x/2)+I(x-1)+I(-x)+I((x+1)^2)+log(x)+factor(g)*z+h:x+b:factor(g)+exp(z)",
			"(Intercept) I(x * 2) I(x/2) I(x - 1) I(-x) I((x + 1)^2) log(x) factor(g)2 factor(g)3 z exp(z) factor(g)2:z factor(g)3:z ha:x hb:x factor(g)1:b factor(g)2:b factor(g)3:b"},
		{"y ~ x + x:factor(g)", "(Intercept) x x:factor(g)2 x:factor(g)3"},
		{"y ~ factor(g) + h - 1", "factor(g)1 factor(g)2 factor(g)3 hb"},
		{"y ~ factor(g):h", "(Intercept) factor(g)1:ha factor(g)2:ha factor(g)3:ha factor(g)1:hb factor(g)2:hb factor(g)3:hb"},
		{"y ~ I(x^2.5) + I(2*x^-1) + sqrt(x)", "(Intercept) I(x^2.5) I(2 * x^-1) sqrt(x)"},
		{"y ~ x*z*b - x:z:b", "(Intercept) x z b x:z x:b z:b"},
	} {
		fm, err := ParseFormula(c.formula)
		if err != nil {
			t.Fatal(err)
		}
		m, err := newModelSpec(fm, f, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(m.names, " "); got != c.names {
			t.Errorf("%s:\n got %s\nwant %s", c.formula, got, c.names)
		}
	}
	// values: I((x+1)^2) and the interaction columns
	fm, _ := ParseFormula("y ~ I((x+1)^2) + factor(g):z")
	if got := fmt.Sprint(fm.Columns()); got != "[y x g z]" {
		t.Errorf("columns of %s: %s, want [y x g z]", fm, got)
	}
	if both, _ := ParseFormula("log(y) ~ x * I(x^2) + log(z/x)"); fmt.Sprint(both.Columns()) != "[y x z]" {
		t.Errorf("columns of %s: %v, want [y x z]", both, both.Columns())
	}
	m, err := newModelSpec(fm, f, map[string]string{"g": "2"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.names); got != "[(Intercept) I((x + 1)^2) factor(g)2:z factor(g)1:z factor(g)3:z]" {
		t.Errorf("with reference 2: %s", got)
	}
	xm, _ := m.matrix()
	p := len(m.names)
	for r := range m.rows {
		row := xm[r*p : (r+1)*p]
		want := []float64{1, math.Pow(cols["x"][r]+1, 2), 0, 0, 0}
		for k, level := range []float64{2, 1, 3} { // the reference first
			if g[r] == level {
				want[2+k] = cols["z"][r]
			}
		}
		if fmt.Sprint(row) != fmt.Sprint(want) {
			t.Fatalf("row %d: %v, want %v", r, row, want)
		}
	}
}

// TestGLMReference changes a factor's reference level: the fit is the same model, so
// fitted values and standard errors agree and the contrast changes sign.
func TestGLMReference(t *testing.T) {
	d := refDesign(t, "api/apistrat.csv", glmStratSpec, nil)
	fe, err := d.GLM("sch.wide ~ ell + stype", GLMOptions{Family: Binomial})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := d.GLM("sch.wide ~ ell + stype", GLMOptions{Family: Binomial, Refs: map[string]string{"stype": "H"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(fh.Names(), " "); got != "(Intercept) ell stypeE stypeM" {
		t.Fatalf("names with reference H: %s", got)
	}
	for i := range fe.Fitted {
		if !nearRel(fe.Fitted[i], fh.Fitted[i], 1e-9, 0) {
			t.Fatalf("row %d: fitted %v and %v", i+1, fe.Fitted[i], fh.Fitted[i])
		}
	}
	coef := func(g *GLM, term string) Coefficient {
		for _, c := range g.Coef {
			if c.Term == term {
				return c
			}
		}
		t.Fatalf("no %s", term)
		return Coefficient{}
	}
	h, e := coef(fe, "stypeH"), coef(fh, "stypeE")
	if !nearRel(h.Estimate, -e.Estimate, 1e-9, 0) || !nearRel(h.SE, e.SE, 1e-8, 0) || !nearRel(h.P, e.P, 1e-8, 0) {
		t.Errorf("stypeH %+v against stypeE %+v", h, e)
	}
	if _, err := d.GLM("sch.wide ~ ell", GLMOptions{Family: Binomial, Refs: map[string]string{"stype": "H"}}); err == nil {
		t.Error("a reference for a column not in the formula was accepted")
	}
}

func TestGLMNoConvergence(t *testing.T) {
	d := refDesign(t, "api/apistrat.csv", glmStratSpec, nil)
	_, err := d.GLM("sch.wide ~ ell + meals + stype", GLMOptions{Family: Binomial, MaxIter: 2})
	if !errors.Is(err, ErrNoConvergence) || !strings.Contains(err.Error(), "in 2 iterations") || !strings.Contains(err.Error(), "coefficients still moving: ") {
		t.Errorf("error %v", err)
	}
}
