// Package model is the model stage: the network–employment question of
// socap.yaml's models: section. Are immigrants with Norwegian friends, and
// those who take part in voluntary organisations, employed more often,
// controlling for education, years in Norway, age, gender and origin, and
// does that differ across origin groups?
//
// Every wave is its own design (pipeline/design.Load), restricted to the
// models' population with survey.Design.Subset (R's subset(): the other rows
// keep their strata and PSUs with weight zero), and each model to its
// complete cases the same way (socap glm --complete-cases). With y the
// outcome, x the exposures, z the controls and g the by variable (origin),
// the models of a wave are, as R's survey package fits them
// (svyglm(…, family = quasibinomial()) or gaussian()):
//
//	adjusted          y ~ x + z                          binomial
//	heterogeneity     y ~ x + z + x:factor(g)            binomial
//	dimensions_<y>    y ~ s + z + s:factor(g)            binomial
//	dimensions_qol    qol ~ s + z + s:factor(g)          gaussian
//
// s the three dimension scores (structural, relational, cognitive, 0–100)
// that the scores table has. An exposure the codebook types binary enters as
// factor(x), so that its average marginal effect (AME) is the average
// difference of the predicted probabilities with x set to 1 and to 0; any
// other exposure (friends_nor counts friends) and every score enters as a
// number, whose AME is the average derivative (survey.GLM.Margins; Bartus
// 2005). AMEs are in percentage points for the binomial models and in the
// outcome's units for the gaussian one, the scores' per 10 points (10 times
// the derivative; estimate, SE and interval scale alike). Their standard
// errors are design-based and unconditional (the delta method on the
// influence functions of β̂ and of the covariates' average, through
// svyrecvar), with t intervals on the model's residual degrees of freedom.
//
// The heterogeneity and dimension models report the AMEs overall and in each
// group of g, and the Wald test that an exposure's (a score's)
// interactions are all zero, regTermTest(fit, ~x:factor(g), method = "Wald"):
// F = β̂ᵀV⁻¹β̂/k on k numerator and df.residual(fit) = degf(design) + 1 − p
// denominator degrees of freedom (Lumley 2010, sec. 5.2.3).
//
// Beside the models, the stage reports the unadjusted employment rate by
// each exposure, a design-based proportion (svyby(~y, ~e + g, svyciprop),
// logit interval) overall and per group of g, where e is the exposure
// itself when it is binary and "x>0" (x positive) otherwise: the
// employment gap by network status.
//
// Disclosure: coefficients rest on the whole population and are published;
// an AME or a rate by group rests on that group and is marked with
// disclose.PrimaryReason of its n (of its n and the employed among them for a
// rate), and a suppressed row keeps no number.
package model

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/codebook"
)

// The model names of the tables.
const (
	Adjusted      = "adjusted"
	Heterogeneity = "heterogeneity"
	// DimensionsPrefix + the outcome names a dimension model.
	DimensionsPrefix = "dimensions_"
	// Rate names the unadjusted rates in marginal_effects.
	Rate = "rate"
)

// Dimensions are the score columns of the dimension models.
var Dimensions = []string{"structural", "relational", "cognitive"}

// QoL is the gaussian outcome of the second dimension model.
const QoL = "qol"

// scorePer is the change in a 0–100 score an AME of the dimension models is for.
const scorePer = 10

// spec is one model to fit in every wave.
type spec struct {
	name    string
	formula string
	family  survey.Family
	// effects are the data columns whose AMEs are reported, per units of
	// the column.
	effects []string
	per     float64
	// by: AMEs also per group of this column ("" none); tests are the
	// interaction terms tested (regTermTest).
	by    string
	tests []string
}

// term is x as the formulas use it: factor(x) for a binary variable.
func term(cb *codebook.Codebook, x string) string {
	if v := cb.Variable(x); v != nil && v.Type == codebook.Binary {
		return "factor(" + x + ")"
	}
	return x
}

// interactions are t:factor(by) for every term, none without by.
func interactions(terms []string, by string) []string {
	if by == "" {
		return nil
	}
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = t + ":factor(" + by + ")"
	}
	return out
}

// formula is y ~ the terms in order.
func formula(y string, terms ...[]string) string {
	return y + " ~ " + strings.Join(slices.Concat(terms...), " + ")
}

// specs are the models of socap.yaml's models: section (defaults filled),
// given which columns the data has.
func specs(m pipeline.Models, cb *codebook.Codebook, have func(string) bool) []spec {
	var exp []string
	for _, x := range m.Exposures {
		exp = append(exp, term(cb, x))
	}
	out := []spec{{name: Adjusted, formula: formula(m.Outcome, exp, m.Controls), family: survey.Binomial,
		effects: m.Exposures, per: 1}}
	if m.By != "" {
		inter := interactions(exp, m.By)
		out = append(out, spec{name: Heterogeneity, formula: formula(m.Outcome, exp, m.Controls, inter),
			family: survey.Binomial, effects: m.Exposures, per: 1, by: m.By, tests: inter})
	}
	dims := slices.DeleteFunc(slices.Clone(Dimensions), func(s string) bool { return !have(s) })
	if len(dims) == 0 {
		return out
	}
	for _, o := range []struct {
		y      string
		family survey.Family
	}{{m.Outcome, survey.Binomial}, {QoL, survey.Gaussian}} {
		if !have(o.y) {
			continue
		}
		inter := interactions(dims, m.By)
		out = append(out, spec{name: DimensionsPrefix + o.y, formula: formula(o.y, dims, m.Controls, inter),
			family: o.family, effects: dims, per: scorePer, by: m.By, tests: inter})
	}
	return out
}

// columns are the data columns the specs and the population read, sorted.
func columns(specs []spec, m pipeline.Models) ([]string, error) {
	var cols []string
	for _, s := range specs {
		f, err := survey.ParseFormula(s.formula)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", s.name, err)
		}
		cols = append(cols, f.Columns()...)
	}
	cols = append(cols, slices.Collect(maps.Keys(m.Population))...)
	if m.By != "" {
		cols = append(cols, m.By)
	}
	slices.Sort(cols)
	return slices.Compact(cols), nil
}

// population describes the population, its variables sorted:
// "background in (2) & …", "" for everyone.
func population(pop map[string][]int) string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(pop)) {
		codes := make([]string, len(pop[v]))
		for i, c := range pop[v] {
			codes[i] = strconv.Itoa(c)
		}
		parts = append(parts, v+" in ("+strings.Join(codes, ", ")+")")
	}
	return strings.Join(parts, " & ")
}

// inPopulation marks the rows whose every population variable has one of
// its codes (a missing value is outside).
func inPopulation(f *survey.Frame, pop map[string][]int) ([]bool, error) {
	keep := make([]bool, f.Rows())
	for i := range keep {
		keep[i] = true
	}
	for v, codes := range pop {
		x, err := f.Float(v)
		if err != nil {
			return nil, fmt.Errorf("population: %w", err)
		}
		for i, xi := range x {
			keep[i] = keep[i] && slices.ContainsFunc(codes, func(c int) bool { return float64(c) == xi })
		}
	}
	return keep, nil
}

// complete marks the rows with a value in every one of cols (R's
// complete.cases), as socap glm --complete-cases.
func complete(f *survey.Frame, cols []string) ([]bool, error) {
	keep := make([]bool, f.Rows())
	for i := range keep {
		keep[i] = true
	}
	for _, c := range cols {
		x, err := f.Float(c)
		if err != nil {
			return nil, err
		}
		for i, xi := range x {
			keep[i] = keep[i] && !math.IsNaN(xi)
		}
	}
	return keep, nil
}

// fitted is one spec fitted to one wave: the fit, or why it failed.
type fitted struct {
	spec  spec
	glm   *survey.GLM
	err   error
	tests []*survey.WaldTest
	ames  []survey.MarginalEffect
}

// fit fits s on the population design pop: its complete cases, the model,
// the Wald tests and the AMEs (overall, and per group of s.by). A model
// that cannot be fitted (separation, no convergence, …) is returned with
// its error, so that one wave's failure does not hide the others; a
// problem of the data's columns is an error.
func fit(pop *survey.Design, f *survey.Frame, s spec) (fitted, error) {
	form, err := survey.ParseFormula(s.formula)
	if err != nil {
		return fitted{}, err
	}
	keep, err := complete(f, append(form.Columns(), nonEmpty(s.by)...))
	if err != nil {
		return fitted{}, err
	}
	out := fitted{spec: s}
	d, err := pop.Subset(keep, "complete cases of "+strings.Join(form.Columns(), ", "))
	if err != nil {
		out.err = err
		return out, nil
	}
	if out.glm, out.err = d.GLM(s.formula, survey.GLMOptions{Family: s.family}); out.err != nil {
		return out, nil
	}
	for _, t := range s.tests {
		w, err := out.glm.WaldTest(t)
		if err != nil {
			out.err = err
			return out, nil
		}
		out.tests = append(out.tests, w)
	}
	if out.ames, err = out.glm.Margins(s.effects, s.by); err != nil {
		out.err = err
		return out, nil
	}
	for i := range out.ames {
		scale(&out.ames[i], s.per)
	}
	return out, nil
}

// scale makes e an effect per `per` units of its column.
func scale(e *survey.MarginalEffect, per float64) {
	if per == 1 {
		return
	}
	e.Estimate *= per
	e.SE *= per
	e.CILow *= per
	e.CIHigh *= per
	e.Unit += fmt.Sprintf(" per %g points", per)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// indicator adds to the frame the 0/1 column the rates of exposure x are
// by, and returns its column and its name for the tables: x itself when
// binary, else "x>0" (x positive). The column is NaN outside the rows of
// weight w != 0 and where x is missing, so that the rates' domains hold the
// population's rows only.
func indicator(f *survey.Frame, cb *codebook.Codebook, x string, w []float64) (col, name string, err error) {
	name = x
	if term(cb, x) == x {
		name = x + ">0"
	}
	col = ".rate " + x
	if f.Has(col) {
		return col, name, nil
	}
	v, err := f.Float(x)
	if err != nil {
		return "", "", err
	}
	pos := make([]float64, len(v))
	for i, xi := range v {
		switch {
		case w[i] == 0 || math.IsNaN(xi):
			pos[i] = math.NaN()
		case xi > 0:
			pos[i] = 1
		}
	}
	return col, name, f.AddFloat(col, pos)
}

// rate is one unadjusted rate: the record, the indicator's column and
// name, the by variable ("" overall) and the rows with the outcome.
type rate struct {
	rec           survey.Record
	column, name  string
	by            string
	withAttribute int
}

// rates are the outcome's proportion (svyciprop, logit interval) by each
// exposure's indicator, overall and per group of m.By, on the population
// design, with missing values out of the domain.
func rates(pop *survey.Design, f *survey.Frame, cb *codebook.Codebook, m pipeline.Models) ([]rate, error) {
	y, err := f.Float(m.Outcome)
	if err != nil {
		return nil, err
	}
	w := pop.Weights()
	var out []rate
	for _, x := range m.Exposures {
		col, name, err := indicator(f, cb, x, w)
		if err != nil {
			return nil, err
		}
		sets := [][]string{{col}}
		if m.By != "" {
			sets = append(sets, []string{m.By, col})
		}
		for _, by := range sets {
			recs, err := pop.Estimate([]survey.Request{{Statistic: survey.Prop, Variable: m.Outcome}}, survey.Options{By: by})
			if err != nil {
				return nil, fmt.Errorf("rate of %s by %s: %w", m.Outcome, name, err)
			}
			keys := make([][]string, len(by))
			for j, b := range by {
				if keys[j], err = f.Strings(b); err != nil {
					return nil, err
				}
			}
			for _, r := range recs {
				n := 0
				for i := range y {
					if w[i] != 0 && y[i] == 1 && matches(keys, by, i, r.By) {
						n++
					}
				}
				out = append(out, rate{rec: r, column: col, name: name, by: strings.Join(by[:len(by)-1], ""), withAttribute: n})
			}
		}
	}
	return out, nil
}

// matches reports whether row i has the record's value of every by column.
func matches(keys [][]string, by []string, i int, want map[string]string) bool {
	for j, b := range by {
		if keys[j][i] != want[b] {
			return false
		}
	}
	return true
}
