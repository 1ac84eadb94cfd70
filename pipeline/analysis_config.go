package pipeline

// The analysis sections of socap.yaml: design:, indicators:, groups:,
// compare:, models: and programme:. Each is optional, with the defaults
// documented on each field. Variable names are the codebook's
// (harmonised) names; group codes are the codebook's value codes.
// Defaults that depend on the codebook ("when the codebook has it") are
// filled by each section's WithDefaults(codebook), which stages call.

// Design is socap.yaml's design: section, R's svydesign arguments over
// codebook variables: svydesign(ids = ~psu[0] + psu[1] …, strata =
// ~strata, weights = ~weight, fpc = ~fpc[0] + …, nest = nest), or
// svrepdesign over Replicates; Calibrate then calibrates each wave to
// population margins (survey's calibrate).
type Design struct {
	// Weight is the sampling weight; default "weight" when the codebook
	// has it, else none (every respondent weighs 1).
	Weight string `yaml:"weight"`
	// Strata; default "stratum" when the codebook has it.
	Strata string `yaml:"strata"`
	// PSU are the cluster variables, one per stage; default ["psu"] when
	// the codebook has it.
	PSU []string `yaml:"psu"`
	// FPC are the population sizes (or sampling fractions) per stage, as
	// svydesign's fpc; default none (with-replacement variance).
	FPC []string `yaml:"fpc"`
	// Nest relabels PSUs within strata (svydesign's nest); default true.
	Nest *bool `yaml:"nest"`
	// LonelyPSU is the rule for a stratum with one PSU
	// (options(survey.lonely.psu)): fail, remove, adjust, average or
	// certainty; default adjust.
	LonelyPSU string `yaml:"lonely_psu"`
	// Replicates, when set, makes a replicate-weight design instead of a
	// linearisation one.
	Replicates *Replicates `yaml:"replicates"`
	// Calibrate, when set, calibrates every wave's weights to margins.
	Calibrate *Calibrate `yaml:"calibrate"`
}

// Replicates are svrepdesign's arguments.
type Replicates struct {
	// Columns is a regular expression naming the replicate-weight columns.
	Columns string `yaml:"columns"`
	// Type is JK1, JKn, BRR, Fay, bootstrap or other.
	Type    string    `yaml:"type"`
	Scale   float64   `yaml:"scale"`
	RScales []float64 `yaml:"rscales"`
	FayRho  float64   `yaml:"fay_rho"`
	MSE     bool      `yaml:"mse"`
}

// Calibrate is calibration to population margins.
type Calibrate struct {
	// Margins is a CSV file (relative to socap.yaml) with the header
	// variable,level,total and optionally a wave column (rows without a
	// wave apply to every wave).
	Margins string `yaml:"margins"`
	// Method is poststratify, rake, linear or logit; default rake.
	Method string `yaml:"method"`
	// Bounds are the lower and upper bound of g-weights (logit and
	// bounded linear calibration).
	Bounds []float64 `yaml:"bounds"`
}

// Compare is socap.yaml's compare: section.
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

// Contrast is Group minus Reference, two codes of Variable.
type Contrast struct {
	Variable  string `yaml:"variable"`
	Group     int    `yaml:"group"`
	Reference int    `yaml:"reference"`
}

// Models is socap.yaml's models: section: the network–employment models.
type Models struct {
	// Outcome is the 0/1 outcome; default "employed".
	Outcome string `yaml:"outcome"`
	// Exposures are the network variables whose average marginal effects
	// are reported; default friends_nor and org_member.
	Exposures []string `yaml:"exposures"`
	// Controls are the adjustment terms in socap glm's formula syntax;
	// default factor(education), years_norway, age, factor(gender),
	// factor(country_group).
	Controls []string `yaml:"controls"`
	// By is the origin variable whose groups get their own AMEs and the
	// heterogeneity test; default "country_group".
	By string `yaml:"by"`
	// Population restricts the models to respondents whose variable has
	// one of the codes; default background: [2] (immigrants, for whom
	// years in Norway is defined).
	Population map[string][]int `yaml:"population"`
}

// Programme is socap.yaml's programme: section: the difference-in-
// differences evaluation.
type Programme struct {
	// Variable is the 0/1 variable marking respondents of programme
	// municipalities; default "programme" when the codebook has it.
	Variable string `yaml:"variable"`
	// Municipalities, when set instead, lists the programme
	// municipalities' codes of Areas (compare.areas).
	Municipalities []int `yaml:"municipalities"`
	// Baseline and FollowUp are waves; defaults the first and last.
	Baseline int `yaml:"baseline"`
	FollowUp int `yaml:"follow_up"`
}
