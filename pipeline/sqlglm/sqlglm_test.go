package sqlglm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"socap/indicators/survey"
	"socap/pipeline/load"
	"socap/pipeline/sqlsums"
	"socap/pipeline/store"
)

// writeData writes a seeded survey: strata (text), PSUs numbered within strata, SSUs,
// fpc at both stages, unequal weights (some zero), a numeric and a text factor, a
// numeric factor with a level that only occurs on incomplete rows, missing values in
// every analysis column, and binary, continuous and count outcomes that depend on them;
// then stratified jackknife replicates, one per PSU, as analysis weights (rw1…) and as
// multipliers of w (rm1…); for designs whose every row is its own PSU, sampling
// fractions frac by stratum and strata h2, h but for one complete row alone in s0.
func writeData(t *testing.T) string {
	rng := rand.New(rand.NewPCG(42, 7))
	var b strings.Builder
	const reps = 21 // PSUs
	b.WriteString("h,h2,frac,psu,gpsu,ssu,fpc0,fpc1,w,x,age,edu,region,emp,inc,kids")
	for _, c := range []string{"rw", "rm"} {
		for r := range reps {
			fmt.Fprintf(&b, ",%s%d", c, r+1)
		}
	}
	b.WriteString("\n")
	first := 0 // the stratum's first replicate
	lonely := false
	cell := func(v float64, missing int) string {
		if rng.IntN(missing) == 0 {
			return ""
		}
		return fmt.Sprint(v)
	}
	for h := 1; h <= 5; h++ {
		npsu := 3 + h%3
		for p := 1; p <= npsu; p++ {
			for s := 1; s <= 2; s++ {
				for range 15 + rng.IntN(20) {
					w := 1 + 4*rng.Float64()
					if rng.IntN(50) == 0 {
						w = 0
					}
					x := rng.NormFloat64()
					age := float64(20 + rng.IntN(45))
					edu := 1 + rng.IntN(4)
					region := []string{"north", "south", "west"}[rng.IntN(3)]
					if rng.IntN(300) == 0 {
						edu = 9 // only on rows missing the outcome, below
					}
					eta := -1 + 0.6*x + 0.02*(age-40) + 0.3*float64(edu%5) + map[string]float64{"north": 0, "south": 0.4, "west": -0.3}[region] + 0.3*float64(p%3-1)
					emp := 0.0
					if rng.Float64() < 1/(1+math.Exp(-eta)) {
						emp = 1
					}
					inc := 30 + 5*x + 0.2*age + 3*float64(edu) + 4*rng.NormFloat64()
					kids := float64(rng.IntN(1 + edu))
					empCell := cell(emp, 15)
					if edu == 9 {
						empCell = ""
					}
					xc, ac, ic := cell(x, 20), cell(age, 25), cell(inc, 18)
					h2 := fmt.Sprintf("s%d", h)
					if !lonely && w > 0 && xc != "" && ac != "" && ic != "" && empCell != "" {
						h2, lonely = "s0", true
					}
					fmt.Fprintf(&b, "s%d,%s,%v,%d,%d,%d,%d,%d,%v,%s,%s,%d,%s,%s,%s,%v", h, h2, 0.05*float64(h), p, 10*h+p, s, 4*npsu, 5, w,
						xc, ac, edu, region, empCell, ic, kids)
					mult := make([]float64, reps)
					for r := range mult {
						switch {
						case r == first+p-1:
						case r >= first && r < first+npsu:
							mult[r] = float64(npsu) / float64(npsu-1)
						default:
							mult[r] = 1
						}
					}
					for _, m := range mult {
						fmt.Fprintf(&b, ",%v", m*w)
					}
					for _, m := range mult {
						fmt.Fprintf(&b, ",%v", m)
					}
					b.WriteString("\n")
				}
			}
		}
		first += npsu
	}
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIdentity fits each model both in memory (survey.Design.GLM on the loaded
// columns) and from SQL sums (Fit over the file read in place, CSV and Parquet) and
// wants coefficients, standard errors, covariances, deviance and degrees of freedom
// equal within 1e-10 relative.
func TestIdentity(t *testing.T) {
	ctx := context.Background()
	csv := writeData(t)
	st, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	parquet := filepath.Join(t.TempDir(), "data.parquet")
	if _, err := st.DB().ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM read_csv(%s)) TO %s (FORMAT parquet)",
		store.QuoteString(csv), store.QuoteString(parquet))); err != nil {
		t.Fatal(err)
	}
	specs := map[string]survey.Spec{
		"strata+psu":       {Weights: "w", Strata: "h", Clusters: []string{"psu"}, Nest: true},
		"psu only":         {Weights: "w", Clusters: []string{"gpsu"}},
		"strata+psu+fpc":   {Weights: "w", Strata: "h", Clusters: []string{"psu"}, FPC: []string{"fpc0"}, Nest: true},
		"two stages + fpc": {Weights: "w", Strata: "h", Clusters: []string{"psu", "ssu"}, FPC: []string{"fpc0", "fpc1"}, Nest: true},
		"JK1 replicates":   {Weights: "w", Replicates: &survey.ReplicateSpec{Pattern: "^rw", Type: survey.JK1}},
		"bootstrap multipliers, mse": {Weights: "w", Replicates: &survey.ReplicateSpec{Pattern: "^rm",
			Type: survey.Bootstrap, Multipliers: true, MSE: true}},
		// every row its own PSU (ids=~1)
		"rows in strata":       {Weights: "w", Strata: "h"},
		"rows, one stratum":    {Weights: "w"},
		"rows, strata, fpc":    {Weights: "w", Strata: "h", FPC: []string{"frac"}},
		"rows, lonely adjust":  {Weights: "w", Strata: "h2", LonelyPSU: survey.LonelyAdjust},
		"rows, lonely average": {Weights: "w", Strata: "h2", FPC: []string{"frac"}, LonelyPSU: survey.LonelyAverage},
		"rows, lonely remove":  {Weights: "w", Strata: "h2", LonelyPSU: survey.LonelyRemove},
		"rows, df override":    {Weights: "w", Strata: "h", DF: 30},
	}
	models := []struct {
		formula string
		family  survey.Family
		refs    map[string]string
	}{
		{"emp ~ x + age + I(age^2) + factor(edu) + region", survey.Binomial, nil},
		{"emp ~ x * region + log(age) + factor(edu)", survey.Quasibinomial, map[string]string{"region": "west"}},
		{"inc ~ x + age + factor(edu) + region + factor(edu):x", survey.Gaussian, nil},
		{"inc ~ region - 1 + x", survey.Gaussian, nil},
		{"kids ~ x + factor(edu)", survey.Poisson, nil},
		// discrete covariates only: a table of patterns when minPatternRows allows (on
		// Parquet also for the models above without x)
		{"emp ~ factor(edu) + region + kids", survey.Binomial, nil},
		{"kids ~ factor(edu) * region", survey.Poisson, nil},
		{"kids ~ emp + region", survey.Gaussian, nil},
		// discrete but too many patterns: the first pass's table is dropped
		{"emp ~ age + I(age^2) + factor(edu) + region + kids", survey.Binomial, nil},
	}
	defer func(n int64) { minPatternRows = n }(minPatternRows)
	compressed := 0
	traceQueries = func(q string, _ time.Duration) {
		if strings.HasPrefix(q, "CREATE OR REPLACE TEMP TABLE _sqlglm_patterns_") {
			compressed++
		}
	}
	defer func() { traceQueries = nil }()
	// the CSV's fits from the rows, then from patterns counted in a first pass and
	// written in a second where they compress; the Parquet's integer columns give
	// patterns in the first pass
	for k, path := range []string{csv, csv, parquet} {
		minPatternRows = []int64{math.MaxInt64, 0, 0}[k]
		tab, err := load.OpenInPlace(ctx, st, path)
		if err != nil {
			t.Fatal(err)
		}
		// the columns typed (the CSV staged) once, as socap glm does
		var columns []string
		for _, m := range models {
			f, err := survey.ParseFormula(m.formula)
			if err != nil {
				t.Fatal(err)
			}
			columns = append(columns, f.Columns()...)
		}
		if err := sqlsums.Prepare(ctx, tab, specs["two stages + fpc"], columns); err != nil {
			t.Fatal(err)
		}
		frame, err := tab.Frame(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, spec := range specs {
			if k == 1 && (spec.Replicates != nil || (len(spec.Clusters) == 0 && name != "rows in strata")) {
				continue // the replicates' passes read the rows, not the patterns; one rows-as-PSUs design suffices
			}
			mem, err := survey.NewDesign(frame, spec)
			if err != nil {
				t.Fatal(name, err)
			}
			d, _, err := sqlsums.Design(ctx, tab, spec)
			if err != nil {
				t.Fatal(name, err)
			}
			for _, m := range models {
				opt := survey.GLMOptions{Family: m.family, Refs: m.refs}
				want, err := mem.GLM(m.formula, opt)
				got, gotErr := Fit(ctx, tab, d, spec, m.formula, opt)
				if err != nil { // a replicate's fit that fails (a level absent) fails from SQL too
					if gotErr == nil || gotErr.Error() != err.Error() {
						t.Errorf("%s, %s: in memory %v, from SQL %v", name, m.formula, err, gotErr)
					}
					continue
				}
				if err := gotErr; err != nil {
					t.Fatalf("%s, %s, %s from SQL: %v", filepath.Ext(path), name, m.formula, err)
				}
				where := fmt.Sprintf("%s, %s, %s", filepath.Ext(path), name, m.formula)
				compareFits(t, where, want, got.GLM)
				if k == 0 && compressed > 0 {
					t.Fatalf("%s: a table of patterns for the CSV", where)
				}
				if got.WeightedRows != int64(mem.WeightedRows()) {
					t.Errorf("%s: %d weighted rows from SQL, %d in memory", where, got.WeightedRows, mem.WeightedRows())
				}
			}
		}
	}
	// three discrete models × four designs × two
	if compressed < 24 {
		t.Errorf("%d tables of patterns, want at least 24", compressed)
	}
}

func compareFits(t *testing.T, where string, want, got *survey.GLM) {
	t.Helper()
	close := func(what string, a, b float64) {
		t.Helper()
		if !(math.Abs(a-b) <= 1e-10*math.Abs(a)) && !(a == b) && !(math.IsNaN(a) && math.IsNaN(b)) {
			t.Errorf("%s: %s: memory %.17g, SQL %.17g (relative %.2g)", where, what, a, b, math.Abs(a-b)/math.Abs(a))
		}
	}
	if len(want.Coef) != len(got.Coef) {
		t.Fatalf("%s: %d coefficients in memory, %d from SQL (%v vs %v)", where, len(want.Coef), len(got.Coef), want.Names(), got.Names())
	}
	if want.N != got.N || want.Iterations != got.Iterations {
		t.Errorf("%s: n %d / %d, iterations %d / %d", where, want.N, got.N, want.Iterations, got.Iterations)
	}
	close("df", want.DFResidual, got.DFResidual)
	close("deviance", want.Deviance, got.Deviance)
	for j, c := range want.Coef {
		g := got.Coef[j]
		if c.Term != g.Term {
			t.Fatalf("%s: coefficient %d is %s in memory, %s from SQL", where, j, c.Term, g.Term)
		}
		close(c.Term+" estimate", c.Estimate, g.Estimate)
		close(c.Term+" se", c.SE, g.SE)
		// a p-value's relative error is about t² times the SE's (d log p/dt ≈ −t)
		if a, b := c.P, g.P; !(math.Abs(a-b) <= 1e-10*(1+c.T*c.T)*a) && !(a == b) {
			t.Errorf("%s: %s p: memory %.17g, SQL %.17g (relative %.2g, t %.3g)", where, c.Term, a, b, math.Abs(a-b)/a, c.T)
		}
		for k := range want.Coef {
			// covariances relative to the product of the SEs (they can be near zero)
			a, b := want.Cov.At(j, k), got.Cov.At(j, k)
			if s := c.SE * want.Coef[k].SE; math.Abs(a-b) > 1e-10*s {
				t.Errorf("%s: cov(%s, %s): %.17g vs %.17g", where, c.Term, want.Coef[k].Term, a, b)
			}
		}
	}
	for _, term := range []string{"x", "factor(edu)"} {
		if !strings.Contains(want.Formula, term) {
			continue
		}
		wa, err1 := want.WaldTest(term)
		wb, err2 := got.WaldTest(term)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: wald test of %s: %v, %v", where, term, err1, err2)
		}
		close("wald F "+term, wa.F, wb.F)
	}
}
