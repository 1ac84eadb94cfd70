package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline/codebook"
	"socap/pipeline/yamlschema"
)

// The analysis sections of socap.yaml: design:, indicators:, groups:,
// compare:, models: and programme:. Each is optional, with the defaults
// documented on each field. Variable names are the codebook's
// (harmonised) names; group codes are the codebook's value codes.
// Defaults that depend on the codebook ("when the codebook has it") are
// filled by each section's WithDefaults(codebook) and by
// Config.GroupSets, which stages call after Config.CheckAnalysis has
// checked the sections against the codebook. A default variable the
// codebook lacks is left out, never invented.

// Design is socap.yaml's design: section, R's svydesign arguments over
// codebook variables: svydesign(ids = ~psu[0] + psu[1] …, strata =
// ~strata, weights = ~weight, fpc = ~fpc[0] + …, nest = nest), or
// svrepdesign over Replicates; Calibrate then calibrates each wave to
// population margins (survey's calibrate).
type Design struct {
	// Weight is the sampling weight; default the codebook's variable of
	// type weight (in the built-in codebooks "weight"), else none (every
	// respondent weighs 1).
	Weight string `yaml:"weight"`
	// Strata; default "stratum" when the codebook has it and the design
	// has no Replicates.
	Strata string `yaml:"strata"`
	// PSU are the cluster variables, one per stage; default ["psu"] when
	// the codebook has it and the design has no Replicates.
	PSU []string `yaml:"psu"`
	// FPC are the population sizes (or sampling fractions) per stage, as
	// svydesign's fpc, at most one per PSU stage; default none
	// (with-replacement variance).
	FPC []string `yaml:"fpc"`
	// Nest relabels PSUs within strata (svydesign's nest); default true.
	Nest *bool `yaml:"nest"`
	// LonelyPSU is the rule for a stratum with one PSU
	// (options(survey.lonely.psu)): fail, remove, adjust, average or
	// certainty; default adjust.
	LonelyPSU string `yaml:"lonely_psu"`
	// Replicates, when set, makes a replicate-weight design instead of a
	// linearisation one; socap.yaml may then not give strata, psu or fpc.
	Replicates *Replicates `yaml:"replicates"`
	// Calibrate, when set, calibrates every wave's weights to margins.
	Calibrate *Calibrate `yaml:"calibrate"`
}

// Replicates are svrepdesign's arguments; a zero Scale, RScales or
// FayRho leaves svrepdesign's default for the Type.
type Replicates struct {
	// Columns is a regular expression naming the replicate-weight
	// variables (required; ParseConfig checks that it compiles).
	Columns string `yaml:"columns"`
	// Type is JK1, JKn, BRR, Fay, bootstrap or other (required).
	Type string `yaml:"type"`
	// Scale multiplies the replicate variance (svrepdesign's scale).
	Scale float64 `yaml:"scale"`
	// RScales multiply each replicate's squared deviation (rscales).
	RScales []float64 `yaml:"rscales"`
	// FayRho is Fay's rho for Type Fay (fay.rho).
	FayRho float64 `yaml:"fay_rho"`
	// MSE centres the replicates at the full-sample estimate (mse).
	MSE bool `yaml:"mse"`
}

// Calibrate is calibration to population margins.
type Calibrate struct {
	// Margins is a CSV file (relative to socap.yaml: Config.Resolve) with
	// the header variable,level,total and optionally a wave column (rows
	// without a wave apply to every wave); required.
	Margins string `yaml:"margins"`
	// Method is poststratify, rake, linear or logit; default rake.
	Method string `yaml:"method"`
	// Bounds are the lower (0 to 1) and upper (at least 1) bound of the
	// g-weights, calibrated over original weight (logit and bounded
	// linear calibration); unbounded when empty.
	Bounds []float64 `yaml:"bounds"`
}

// Compare is socap.yaml's compare: section: every area against the whole
// sample, group contrasts, and later waves against the first.
type Compare struct {
	// Areas is the variable whose every group is compared with the whole
	// sample; default "municipality" when the codebook has it.
	Areas string `yaml:"areas"`
	// Groups are contrasts of one group against another; default
	// background 2 (immigrant) against 1 (no immigrant background) when
	// the codebook has background.
	Groups []Contrast `yaml:"groups"`
	// Waves compares every later wave with the first (follow-up against
	// baseline); default true.
	Waves *bool `yaml:"waves"`
	// Level is the confidence level of differences and verdicts; default
	// 0.95.
	Level float64 `yaml:"level"`
}

// Contrast is Group minus Reference, two different codes of Variable.
type Contrast struct {
	Variable  string `yaml:"variable"`
	Group     int    `yaml:"group"`
	Reference int    `yaml:"reference"`
}

// Models is socap.yaml's models: section: the network–employment models.
type Models struct {
	// Outcome is the 0/1 outcome; default "employed" when the codebook
	// has it (without an outcome there are no models).
	Outcome string `yaml:"outcome"`
	// Exposures are the network variables whose average marginal effects
	// are reported; default friends_nor and org_member, those the
	// codebook has.
	Exposures []string `yaml:"exposures"`
	// Controls are the adjustment terms in socap glm's formula syntax;
	// default factor(education), years_norway, age, factor(gender),
	// factor(country_group), those whose variable the codebook has.
	Controls []string `yaml:"controls"`
	// By is the origin variable whose groups get their own AMEs and the
	// heterogeneity test; default "country_group" when the codebook has
	// it.
	By string `yaml:"by"`
	// Population restricts the models to respondents whose variable has
	// one of the codes; default background: [2] (immigrants, for whom
	// years in Norway is defined) when the codebook has background.
	Population map[string][]int `yaml:"population"`
}

// Programme is socap.yaml's programme: section: the difference-in-
// differences evaluation.
type Programme struct {
	// Variable is the 0/1 variable marking respondents of programme
	// municipalities; default "programme" when the codebook has it and
	// Municipalities is empty.
	Variable string `yaml:"variable"`
	// Municipalities, when set instead of Variable, lists the programme
	// municipalities' codes of compare.areas.
	Municipalities []int `yaml:"municipalities"`
	// Baseline and FollowUp are waves of the sources, Baseline before
	// FollowUp; defaults the first and the last wave.
	Baseline int `yaml:"baseline"`
	FollowUp int `yaml:"follow_up"`
}

// Default values of the analysis sections (see each field).
const (
	DefaultLonelyPSU   = "adjust"
	DefaultCalibration = "rake"
	DefaultLevel       = 0.95
)

// DefaultGroupSets are the group sets estimated when socap.yaml names
// none, after the whole sample (see Config.GroupSets).
var DefaultGroupSets = [][]string{
	{"background"}, {"gender"}, {"background", "gender"},
	{"municipality"}, {"municipality", "background"},
}

// defaultControls are Models.Controls' default terms with the variable
// each reads.
var defaultControls = []struct{ term, variable string }{
	{"factor(education)", "education"},
	{"years_norway", "years_norway"},
	{"age", "age"},
	{"factor(gender)", "gender"},
	{"factor(country_group)", "country_group"},
}

// has reports whether the codebook has the variable.
func has(cb *codebook.Codebook, name string) bool { return cb.Variable(name) != nil }

// orDefault is name when the codebook has it, else "".
func orDefault(cb *codebook.Codebook, name string) string {
	if has(cb, name) {
		return name
	}
	return ""
}

// WithDefaults returns d with its unset fields filled (see each field).
// Fields given in socap.yaml are kept as they are: Config.CheckAnalysis
// checks them.
func (d Design) WithDefaults(cb *codebook.Codebook) Design {
	if d.Weight == "" {
		if i := slices.IndexFunc(cb.Variables, func(v codebook.Variable) bool { return v.Type == codebook.Weight }); i >= 0 {
			d.Weight = cb.Variables[i].Name
		}
	}
	if d.Replicates == nil {
		if d.Strata == "" {
			d.Strata = orDefault(cb, "stratum")
		}
		if len(d.PSU) == 0 && has(cb, "psu") {
			d.PSU = []string{"psu"}
		}
	}
	if d.Nest == nil {
		nest := true
		d.Nest = &nest
	}
	if d.LonelyPSU == "" {
		d.LonelyPSU = DefaultLonelyPSU
	}
	if d.Calibrate != nil && d.Calibrate.Method == "" {
		cal := *d.Calibrate
		cal.Method = DefaultCalibration
		d.Calibrate = &cal
	}
	return d
}

// WithDefaults returns c with its unset fields filled (see each field).
func (c Compare) WithDefaults(cb *codebook.Codebook) Compare {
	if c.Areas == "" {
		c.Areas = orDefault(cb, "municipality")
	}
	if len(c.Groups) == 0 && has(cb, "background") {
		c.Groups = []Contrast{{Variable: "background", Group: 2, Reference: 1}}
	}
	if c.Waves == nil {
		waves := true
		c.Waves = &waves
	}
	if c.Level == 0 {
		c.Level = DefaultLevel
	}
	return c
}

// WithDefaults returns m with its unset fields filled (see each field).
func (m Models) WithDefaults(cb *codebook.Codebook) Models {
	if m.Outcome == "" {
		m.Outcome = orDefault(cb, "employed")
	}
	if len(m.Exposures) == 0 {
		for _, v := range []string{"friends_nor", "org_member"} {
			if has(cb, v) {
				m.Exposures = append(m.Exposures, v)
			}
		}
	}
	if len(m.Controls) == 0 {
		for _, c := range defaultControls {
			if has(cb, c.variable) {
				m.Controls = append(m.Controls, c.term)
			}
		}
	}
	if m.By == "" {
		m.By = orDefault(cb, "country_group")
	}
	if len(m.Population) == 0 && has(cb, "background") {
		m.Population = map[string][]int{"background": {2}}
	}
	return m
}

// WithDefaults returns p with its unset fields filled (see each field);
// waves are the project's waves (Config.Waves), ascending.
func (p Programme) WithDefaults(cb *codebook.Codebook, waves []int) Programme {
	if p.Variable == "" && len(p.Municipalities) == 0 {
		p.Variable = orDefault(cb, "programme")
	}
	if len(waves) > 0 {
		if p.Baseline == 0 {
			p.Baseline = waves[0]
		}
		if p.FollowUp == 0 {
			p.FollowUp = waves[len(waves)-1]
		}
	}
	return p
}

// GroupSets are the group sets to estimate: the whole sample ([]) first,
// then socap.yaml's groups: in their order, or DefaultGroupSets (those
// whose variables the codebook has) when it names none. An empty set in
// groups: is the whole sample, which comes once. The sets are copies.
func (c *Config) GroupSets(cb *codebook.Codebook) [][]string {
	sets := [][]string{{}}
	if len(c.Groups) > 0 {
		for _, g := range c.Groups {
			if len(g) > 0 {
				sets = append(sets, slices.Clone(g))
			}
		}
		return sets
	}
	for _, g := range DefaultGroupSets {
		if !slices.ContainsFunc(g, func(v string) bool { return !has(cb, v) }) {
			sets = append(sets, slices.Clone(g))
		}
	}
	return sets
}

// Waves are the waves of the sources, ascending, each once.
func (c *Config) Waves() []int {
	var waves []int
	for _, s := range c.Sources {
		waves = append(waves, s.Wave)
	}
	slices.Sort(waves)
	return slices.Compact(waves)
}

// CheckAnalysis checks the analysis sections of socap.yaml against the
// codebook: every variable they name is one of its variables (with the
// closest name suggested), the codes of contrasts, populations and
// programme municipalities are labelled codes of their variable (when it
// has labels), design fpc has no more stages than psu, every control term
// parses, the calibration margins file exists, and the programme's waves
// are waves of the sources. All problems are returned together as a
// *yamlschema.Error, each at its line and column in socap.yaml.
func (c *Config) CheckAnalysis(cb *codebook.Codebook) error {
	k := &analysisCheck{c: c, cb: cb}
	k.design()
	for i, g := range c.Groups {
		for j, v := range g {
			k.variable(v, "groups", i, j)
		}
	}
	k.compare()
	k.models()
	k.programme()
	if len(k.problems) > 0 {
		return problemsError(k.problems)
	}
	return nil
}

// analysisCheck collects the problems CheckAnalysis finds.
type analysisCheck struct {
	c        *Config
	cb       *codebook.Codebook
	problems []yamlschema.Problem
}

func (k *analysisCheck) add(l []string, format string, args ...any) {
	k.problems = append(k.problems, k.c.at(l, format, args...))
}

// variable returns the codebook's variable name, or nil, with a problem
// at the location parts when the codebook lacks it; nil without a problem
// for "".
func (k *analysisCheck) variable(name string, parts ...any) *codebook.Variable {
	if name == "" {
		return nil
	}
	if v := k.cb.Variable(name); v != nil {
		return v
	}
	names := make([]string, len(k.cb.Variables))
	for i, v := range k.cb.Variables {
		names[i] = v.Name
	}
	msg := fmt.Sprintf("codebook %s has no variable %q", k.cb.Name, name)
	if best := yamlschema.Closest(name, names); best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	k.add(loc(parts...), "%s", msg)
	return nil
}

// code adds a problem at the location parts unless code is a labelled
// code of v; any code passes when v is nil or has no labels.
func (k *analysisCheck) code(v *codebook.Variable, code int, parts ...any) {
	if v == nil || len(v.Values) == 0 {
		return
	}
	codes := make([]string, len(v.Values))
	for i, val := range v.Values {
		if x, ok := val.Code.Float(); ok && x == float64(code) {
			return
		}
		codes[i] = string(val.Code)
	}
	list := strings.Join(codes, ", ")
	if len(codes) > maxCodesListed {
		list = strings.Join(codes[:maxCodesListed], ", ") + fmt.Sprintf(" … %d in all", len(codes))
	}
	k.add(loc(parts...), "%d is not a code of %s (codes: %s)", code, v.Name, list)
}

// maxCodesListed is how many of a variable's codes a problem lists.
const maxCodesListed = 10

func (k *analysisCheck) design() {
	d := k.c.Design
	k.variable(d.Weight, "design", "weight")
	k.variable(d.Strata, "design", "strata")
	for i, v := range d.PSU {
		k.variable(v, "design", "psu", i)
	}
	for i, v := range d.FPC {
		k.variable(v, "design", "fpc", i)
	}
	if stages := max(1, len(d.WithDefaults(k.cb).PSU)); len(d.FPC) > stages {
		k.add(loc("design", "fpc"), "%d fpc variables for %d sampling stage(s): give at most one per psu", len(d.FPC), stages)
	}
	if d.Calibrate == nil {
		return
	}
	path := k.c.Resolve(d.Calibrate.Margins)
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k.add(loc("design", "calibrate", "margins"), "margins file %s does not exist", path)
	case err != nil:
		k.add(loc("design", "calibrate", "margins"), "margins file: %v", err)
	case info.IsDir():
		k.add(loc("design", "calibrate", "margins"), "margins file %s is a directory", path)
	}
}

func (k *analysisCheck) compare() {
	cm := k.c.Compare
	k.variable(cm.Areas, "compare", "areas")
	for i, g := range cm.Groups {
		v := k.variable(g.Variable, "compare", "groups", i, "variable")
		k.code(v, g.Group, "compare", "groups", i, "group")
		k.code(v, g.Reference, "compare", "groups", i, "reference")
	}
}

func (k *analysisCheck) models() {
	m := k.c.Models
	k.variable(m.Outcome, "models", "outcome")
	for i, v := range m.Exposures {
		k.variable(v, "models", "exposures", i)
	}
	// A term is checked as the right-hand side of the model formula.
	response := m.WithDefaults(k.cb).Outcome
	if response == "" {
		response = "outcome"
	}
	for i, term := range m.Controls {
		f, err := survey.ParseFormula(response + " ~ " + term)
		if err != nil {
			k.add(loc("models", "controls", i), "control term %q: %v", term, err)
			continue
		}
		for _, col := range f.Columns()[1:] {
			k.variable(col, "models", "controls", i)
		}
	}
	k.variable(m.By, "models", "by")
	for _, name := range slices.Sorted(maps.Keys(m.Population)) {
		v := k.variable(name, "models", "population", name)
		for i, code := range m.Population[name] {
			k.code(v, code, "models", "population", name, i)
		}
	}
}

func (k *analysisCheck) programme() {
	p := k.c.Programme
	k.variable(p.Variable, "programme", "variable")
	if len(p.Municipalities) > 0 {
		areas := k.c.Compare.WithDefaults(k.cb).Areas
		if areas == "" {
			k.add(loc("programme", "municipalities"), "municipalities are codes of compare areas, which the codebook does not have: set compare areas")
		}
		v := k.cb.Variable(areas)
		for i, code := range p.Municipalities {
			k.code(v, code, "programme", "municipalities", i)
		}
	}
	waves := k.c.Waves()
	for _, w := range []struct {
		key  string
		wave int
	}{{"baseline", p.Baseline}, {"follow_up", p.FollowUp}} {
		if w.wave != 0 && !slices.Contains(waves, w.wave) {
			list := make([]string, len(waves))
			for i, x := range waves {
				list[i] = strconv.Itoa(x)
			}
			k.add(loc("programme", w.key), "wave %d is not a wave of the sources (waves: %s)", w.wave, strings.Join(list, ", "))
		}
	}
}
