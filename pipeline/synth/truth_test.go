package synth

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// rowsWriter keeps the rows of one wave in memory.
type rowsWriter struct{ rows []Row }

func (w *rowsWriter) WriteRow(r *Row) error {
	w.rows = append(w.rows, *r)
	return nil
}

// sample50k is one wave of 50,000 expected respondents, shared by the tests
// that need a large sample.
var sample50k = sync.OnceValues(func() (*rowsWriter, *Truth) {
	w := &rowsWriter{}
	truth, err := Generate(Options{Respondents: 50_000, Waves: 1, Seed: 2026}, []RowWriter{w})
	if err != nil {
		panic(err)
	}
	return w, truth
})

func column(name string) int {
	return slices.IndexFunc(Columns[:], func(c Column) bool { return c.Name == name })
}

// observed is a column's value, or false when blank or a missing code.
func observed(r *Row, j int) (float64, bool) {
	v := r.Values[j]
	if math.IsNaN(v) || (Columns[j].Missing[0] != 0 && (v == float64(Columns[j].Missing[0]) || v == float64(Columns[j].Missing[1]))) {
		return 0, false
	}
	return v, true
}

// estimate is a design-based estimate of a ratio mean (or, with total, of a
// total) with its linearisation standard error for a stratified cluster
// sample with PSUs drawn with replacement (the ultimate-cluster variance,
// Wolter 2007, Introduction to Variance Estimation, eq. 6.4.6; R's
// svymean/svytotal with ids=~psu, strata=~stratum):
//
//	v = Σ_h n_h/(n_h−1) Σ_i (z_hi − z̄_h)²,  z_hi = Σ_{k∈i} w_k (y_k − ȳ)/Σw
//
// (for a total z_hi = Σ_{k∈i} w_k y_k). weighted false sets every weight
// to 1; y returns the value and whether it is in the domain.
func estimate(rows []Row, weighted, total bool, y func(r *Row) (float64, bool)) (est, se float64) {
	w := func(r *Row) float64 {
		if weighted {
			return r.Values[colWeight]
		}
		return 1
	}
	var sw, swy float64
	for i := range rows {
		if v, ok := y(&rows[i]); ok {
			sw += w(&rows[i])
			swy += w(&rows[i]) * v
		}
	}
	est = swy / sw
	if total {
		est = swy
	}
	type key struct{ stratum, psu float64 }
	z := map[key]float64{}
	for i := range rows {
		r := &rows[i]
		k := key{r.Values[colStratum], r.Values[colPSU]}
		v, ok := y(r)
		switch {
		case !ok: // a PSU without observations in the domain still counts
			z[k] += 0
		case total:
			z[k] += w(r) * v
		default:
			z[k] += w(r) * (v - est) / sw
		}
	}
	byStratum := map[float64][]float64{}
	for k, v := range z {
		byStratum[k.stratum] = append(byStratum[k.stratum], v)
	}
	var variance float64
	for _, zs := range byStratum {
		n := float64(len(zs))
		mean := 0.0
		for _, v := range zs {
			mean += v / n
		}
		for _, v := range zs {
			variance += n / (n - 1) * (v - mean) * (v - mean)
		}
	}
	return est, math.Sqrt(variance)
}

// TestWeightingRemovesBias draws 50,000 respondents. Immigrants are
// oversampled but respond less, as do youth and the less educated, while
// the old respond more: the design-weighted means must cover the population
// truth within 3 standard errors, and for the variables most tied to
// background the unweighted means must miss it by more than 4.
func TestWeightingRemovesBias(t *testing.T) {
	sample, truth := sample50k()
	if n := len(sample.rows); n < 45_000 || n > 55_000 {
		t.Fatalf("%d respondents, want about 50,000", n)
	}
	biased := []string{"friends_nor", "employed", "job_match"}
	for _, name := range append([]string{"friends", "org_member", "volunteered", "trust_people", "trust_municipality", "meet_neighbours", "belonging", "confide", "lonely", "qol"}, biased...) {
		j := column(name)
		y := func(r *Row) (float64, bool) { return observed(r, j) }
		want, ok := truth.Find(1, name, map[string]string{})
		if !ok {
			t.Fatalf("no truth for %s", name)
		}
		wEst, wSE := estimate(sample.rows, true, false, y)
		uEst, uSE := estimate(sample.rows, false, false, y)
		t.Logf("%-18s truth %.4f  weighted %.4f (se %.4f)  unweighted %.4f (se %.4f)", name, want.Value, wEst, wSE, uEst, uSE)
		if math.Abs(wEst-want.Value) > 3*wSE {
			t.Errorf("%s: weighted mean %.4f is %.1f SE from the truth %.4f", name, wEst, math.Abs(wEst-want.Value)/wSE, want.Value)
		}
		if slices.Contains(biased, name) && math.Abs(uEst-want.Value) < 4*uSE {
			t.Errorf("%s: unweighted mean %.4f is only %.1f SE from the truth %.4f; the design should bias it", name, uEst, math.Abs(uEst-want.Value)/uSE, want.Value)
		}
	}
}

// TestMarginsMatchPopulation recounts the population person by person and
// compares it with the margins, and checks that the weighted sample totals
// of every margin cover the population count within 3 standard errors.
func TestMarginsMatchPopulation(t *testing.T) {
	sample, truth := sample50k()
	pl := newPlan(Options{Respondents: 50_000, Waves: 1, Seed: 2026}, municipalities)
	count := map[[2]string]float64{}
	for h := range pl.strata {
		for a, size := range pl.areaSizes(h) {
			r, ap := pl.area(h, a)
			for range size {
				p := newPerson(r, pl.strata[h].m, &ap, 1)
				for v, level := range map[string]int{
					"municipality": pl.strata[h].m.code, "gender": p.gender, "age_group": p.ageGroup,
					"background": p.bg, "origin": p.origin, "country_group": p.countryGroup,
				} {
					count[[2]string{v, strconv.Itoa(level)}]++
				}
			}
		}
	}
	if len(truth.Margins) != len(count) {
		t.Errorf("%d margins, recount has %d levels", len(truth.Margins), len(count))
	}
	perVariable := map[string]float64{}
	for _, m := range truth.Margins {
		perVariable[m.Variable] += m.Total
		if got := count[[2]string{m.Variable, m.Level}]; got != m.Total {
			t.Errorf("margin %s=%s: %g, recount %g", m.Variable, m.Level, m.Total, got)
		}
		j := column(m.Variable)
		level, _ := strconv.ParseFloat(m.Level, 64)
		est, se := estimate(sample.rows, true, true, func(r *Row) (float64, bool) {
			v, ok := observed(r, j)
			return indicator(ok && v == level), true
		})
		if math.Abs(est-m.Total) > 3*se {
			t.Errorf("margin %s=%s: weighted total %.0f (se %.0f) vs population %.0f", m.Variable, m.Level, est, se, m.Total)
		}
	}
	for v, total := range perVariable {
		if total != float64(truth.Population) {
			t.Errorf("margins of %s sum to %g, population %d", v, total, truth.Population)
		}
	}
}

// employmentDesign is the design row of the immigrant employment model, built
// from a person's values as the documented formula reads, independently of
// the generator's terms.
func employmentDesign(p *person, mw *measured) []float64 {
	f := func(b bool) float64 { return indicator(b) }
	cg2, cg3 := f(p.countryGroup == 2), f(p.countryGroup == 3)
	fn, org := float64(mw.items[itemFriendsNor]), float64(mw.items[itemOrgMember])
	return []float64{1,
		f(p.ageGroup == 2), f(p.ageGroup == 3), f(p.ageGroup == 4), f(p.ageGroup == 5),
		f(p.gender == 2), f(p.education == 2), f(p.education == 3),
		float64(p.years), cg3, cg2 * fn, cg3 * fn, cg2 * org, cg3 * org}
}

// pattern is one distinct design row with its number of person-waves, the
// sum of their true employment probabilities and the number employed.
type pattern struct {
	x             []float64
	n, sumP, sumY float64
}

// irls fits a logistic regression to grouped data by iteratively reweighted
// least squares (McCullagh & Nelder 1989, Generalized Linear Models, §4.4),
// with y the response per pattern; it returns the coefficients and their
// model-based standard errors.
func irls(ps []pattern, y func(pattern) float64) (beta, se []float64) {
	k := len(ps[0].x)
	beta = make([]float64, k)
	xtwx := mat.NewSymDense(k, nil)
	for range 25 {
		xtwx.Zero()
		score := mat.NewVecDense(k, nil)
		for _, p := range ps {
			eta := 0.0
			for i, x := range p.x {
				eta += beta[i] * x
			}
			mu := logistic(eta)
			w := p.n * mu * (1 - mu)
			for i := range k {
				score.SetVec(i, score.AtVec(i)+(y(p)-p.n*mu)*p.x[i])
				for j := i; j < k; j++ {
					xtwx.SetSym(i, j, xtwx.At(i, j)+w*p.x[i]*p.x[j])
				}
			}
		}
		var step mat.VecDense
		if err := step.SolveVec(xtwx, score); err != nil {
			panic(err)
		}
		change := 0.0
		for i := range k {
			beta[i] += step.AtVec(i)
			change = max(change, math.Abs(step.AtVec(i)))
		}
		if change < 1e-12 {
			break
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(xtwx); err != nil {
		panic(err)
	}
	se = make([]float64, k)
	for i := range k {
		se[i] = math.Sqrt(cov.At(i, i))
	}
	return beta, se
}

// TestEmploymentModelRecovered fits the documented immigrant employment
// model to every immigrant of a full two-wave population. Fitted to the true
// probabilities, the coefficients must equal the documented ones within
// 1e-6 relative (the documented parameters are the ones used — stricter
// than 1 %); fitted to the drawn outcomes, within 4 standard errors.
func TestEmploymentModelRecovered(t *testing.T) {
	pl := newPlan(Options{Respondents: 2000, Waves: 2, Seed: 99}, municipalities)
	groups := map[string]*pattern{}
	for h := range pl.strata {
		for a, size := range pl.areaSizes(h) {
			r, ap := pl.area(h, a)
			for range size {
				p := newPerson(r, pl.strata[h].m, &ap, 2)
				if p.bg != bgImmigrant {
					continue
				}
				for w := range 2 {
					mw := &p.wave[w]
					x := employmentDesign(&p, mw)
					key := ""
					for _, v := range x {
						key += strconv.FormatFloat(v, 'g', -1, 64) + ","
					}
					g := groups[key]
					if g == nil {
						g = &pattern{x: x}
						groups[key] = g
					}
					g.n++
					g.sumP += mw.pEmployed
					g.sumY += indicator(mw.employed)
				}
			}
		}
	}
	ps := make([]pattern, 0, len(groups))
	for _, g := range groups {
		ps = append(ps, *g)
	}
	slices.SortFunc(ps, func(a, b pattern) int { return slices.Compare(a.x, b.x) })
	exact, _ := irls(ps, func(p pattern) float64 { return p.sumP })
	drawn, se := irls(ps, func(p pattern) float64 { return p.sumY })
	for i, c := range employmentImmigrants.Coefficients {
		if math.Abs(exact[i]-c.Estimate) > 1e-6*math.Abs(c.Estimate) {
			t.Errorf("%s: fitted to the true probabilities %.8f, documented %g", c.Term, exact[i], c.Estimate)
		}
		if math.Abs(drawn[i]-c.Estimate) > 4*se[i] {
			t.Errorf("%s: fitted to the outcomes %.4f (se %.4f), documented %g", c.Term, drawn[i], se[i], c.Estimate)
		}
	}
}

// TestProgrammeEffect checks the difference in differences in the truth: the
// same persons are in both waves, so the latent structural change of a
// group is the trend plus programmeEffect times its share of participants,
// and the trend cancels between programme and comparison municipalities.
func TestProgrammeEffect(t *testing.T) {
	_, truth := generateCSV(t, Options{Respondents: 1000, Waves: 2, Seed: 8})
	did := map[string]map[string]float64{}
	for _, e := range truth.Programme.DiffInDiff {
		bg := e.By["background"]
		if did[bg] == nil {
			did[bg] = map[string]float64{}
		}
		did[bg][e.Variable] = e.Estimate
	}
	for _, bg := range []string{"", "1", "2", "3"} {
		part := did[bg]["participated"]
		for d, name := range dimNames {
			if got, want := did[bg]["latent:"+name], programmeEffect[d]*part; math.Abs(got-want) > 1e-9 {
				t.Errorf("background %q: latent %s moved %.6f, want %.6f × %.4f participants", bg, name, got, programmeEffect[d], part)
			}
		}
		if bg != "" {
			i, _ := strconv.Atoi(bg)
			if share := participation[i-1]; math.Abs(part-share) > 0.02 {
				t.Errorf("background %s: %.4f took part, want about %.2f", bg, part, share)
			}
		}
		if bg == "2" && did[bg]["local_activities"] < 0.05 {
			t.Errorf("immigrants' local activities rose by %.4f only", did[bg]["local_activities"])
		}
	}
}

// TestIntersection checks that immigrant women's structural gap to immigrant
// men differs from the majority's gender gap by about the intersection
// term (the groups differ in age and education too, hence the tolerance).
func TestIntersection(t *testing.T) {
	_, truth := sample50k()
	mean := func(bg, gender string) float64 {
		v, ok := truth.Find(1, "latent:structural", map[string]string{"background": bg, "gender": gender})
		if !ok {
			t.Fatalf("no truth for background %s, gender %s", bg, gender)
		}
		return v.Value
	}
	got := (mean("2", "2") - mean("2", "1")) - (mean("1", "2") - mean("1", "1"))
	want := latentTerms[4].Effect[dimStructural]
	if latentTerms[4].term.name() != "factor(background)2:factor(gender)2" || math.Abs(got-want) > 0.1 {
		t.Errorf("intersection %s: %.3f, want about %.2f", latentTerms[4].term.name(), got, want)
	}
}

// TestNonInvariantItem checks the deliberate differential item functioning:
// country group 2 has less relational social capital than country group 1,
// so an invariant relational item is lower there (trust_people), while
// trust_municipality, shifted up for immigrants from country group 2, is
// higher.
func TestNonInvariantItem(t *testing.T) {
	_, truth := sample50k()
	gap := func(variable string) float64 {
		v2, ok2 := truth.Find(1, variable, map[string]string{"country_group": "2"})
		v3, ok3 := truth.Find(1, variable, map[string]string{"country_group": "3"})
		if !ok2 || !ok3 {
			t.Fatalf("no truth for %s by country group", variable)
		}
		return v3.Value - v2.Value
	}
	if g := gap("latent:relational"); g >= 0 {
		t.Fatalf("relational gap %.3f, want negative", g)
	}
	if g := gap("trust_people"); g >= 0 {
		t.Errorf("trust_people: gap %.3f, want negative like the latent", g)
	}
	if g := gap("trust_municipality"); g <= 0.1 {
		t.Errorf("trust_municipality: gap %.3f, want clearly positive (the DIF)", g)
	}
}
