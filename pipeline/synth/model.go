package synth

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Latent social capital: dimension d of person i is
//
//	η_id = Σ_k β_kd x_ik + u_md + v_ad + (L z_i)_d,   z_i ~ N(0, I₃)
//
// with background terms x (latentTerms), a municipality effect u, an area
// effect v ~ N(0, areaSD²) and L the Cholesky factor of latentCorr.
const (
	dimStructural = iota
	dimRelational
	dimCognitive
)

var dimNames = [3]string{"structural", "relational", "cognitive"}

// latentCorr is the correlation of the three dimensions within persons.
var latentCorr = [3][3]float64{
	{1, 0.50, 0.45},
	{0.50, 1, 0.40},
	{0.45, 0.40, 1},
}

var latentChol = cholesky3(latentCorr)

// cholesky3 is the lower Cholesky factor of a 3×3 correlation matrix.
func cholesky3(c [3][3]float64) [3][3]float64 {
	var l [3][3]float64
	for i := range 3 {
		for j := 0; j <= i; j++ {
			s := c[i][j]
			for k := range j {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				l[i][j] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	return l
}

// LatentTerm is one background term of the latent means and its effect on
// (S, R, C).
type LatentTerm struct {
	term   term
	Effect [3]float64 `json:"effect"`
}

// MarshalJSON names the term as R would.
func (t LatentTerm) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Term   string     `json:"term"`
		Effect [3]float64 `json:"effect"`
	}{t.term.name(), t.Effect})
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// latentTerms are the background effects on the latent means; the reference
// person is a Norway-born man aged 26–66 with upper-secondary education.
// Immigrant women carry an extra gap beyond the sum of the immigrant and the
// female gaps (the intersection term).
var latentTerms = []LatentTerm{
	{tm(lv(cvBackground, bgImmigrant)), [3]float64{-0.70, -0.30, -0.45}},
	{tm(lv(cvBackground, bgNorBorn)), [3]float64{-0.30, -0.15, -0.10}},
	{tm(lv(cvCountryGroup, 3)), [3]float64{-0.20, -0.10, -0.15}},
	{tm(lv(cvGender, 2)), [3]float64{-0.05, 0.05, 0.15}},
	{tm(lv(cvBackground, bgImmigrant), lv(cvGender, 2)), [3]float64{-0.35, -0.10, -0.30}},
	{tm(lv(cvAgeGroup, 1)), [3]float64{0.20, -0.20, -0.10}},
	{tm(lv(cvAgeGroup, 5)), [3]float64{-0.15, 0.10, -0.20}},
	{tm(lv(cvEducation, 1)), [3]float64{-0.20, -0.20, -0.10}},
	{tm(lv(cvEducation, 3)), [3]float64{0.20, 0.25, 0.10}},
	{tm(nv(cvYears20)), [3]float64{0.025, 0.010, 0.015}},
}

func latentMean(c *covariates, m *municipality, a *area) [3]float64 {
	mu := [3]float64{}
	for d := range 3 {
		mu[d] = m.effect[d] + a.effect[d]
	}
	for _, t := range latentTerms {
		if x := t.term.value(c); x != 0 {
			for d := range 3 {
				mu[d] += t.Effect[d] * x
			}
		}
	}
	return mu
}

// Change between the waves: a common trend everywhere, and in programme
// municipalities a share of residents (by background) take part in the
// programme, which raises their latent social capital and, directly, their
// probit for taking part in local activities.
var (
	trend                 = [3]float64{0.03, 0, 0.02}
	participation         = [nBackground]float64{0.06, 0.35, 0.20}
	programmeEffect       = [3]float64{0.50, 0.15, 0.10}
	programmeActivityLift = 0.8
)

// Items. Ordinal and binary items follow a probit (normal-ogive) graded
// model: y* = λ η_d + ε, ε ~ N(0, 1), and the category is the number of
// thresholds below y*. Reversed items are written high-to-low so that, as in
// the questionnaire, a high code means less social capital.
const (
	itemFriends = iota
	itemFriendsNor
	itemMeetFriends
	itemMeetNeighbours
	itemOrgMember
	itemVolunteered
	itemMentor
	itemTrustPeople
	itemTrustMunicipality
	itemHelpNeighbours
	itemLocalActivities
	itemBelonging
	itemConfide
	itemCrisisHelp
	itemSafe
	itemLonely
	nItems
)

// Item is one questionnaire item's measurement model.
type Item struct {
	Name       string    `json:"item"`
	Dimension  string    `json:"dimension"`
	dim        int       //
	Model      string    `json:"model"`
	Loading    float64   `json:"loading"`
	Intercept  float64   `json:"intercept,omitempty"` // count items: log or logit intercept
	Thresholds []float64 `json:"thresholds,omitempty"`
	Min        int       `json:"min"`
	Reverse    bool      `json:"reverse,omitempty"`
	// ScoreMin and ScoreMax are the bounds of the item in the 0–100 POMP
	// scores (the codebook's score_range, else its range): values beyond
	// them count as the bound.
	ScoreMin float64 `json:"score_min"`
	ScoreMax float64 `json:"score_max"`
	Missing  [2]int  `json:"missing"` // don't know, refused
}

func probitItem(name string, dim int, loading float64, min int, reverse bool, thresholds ...float64) Item {
	miss := [2]int{8, 9}
	if min+len(thresholds) >= 8 {
		miss = [2]int{98, 99}
	}
	return Item{Name: name, Dimension: dimNames[dim], dim: dim, Model: "probit", Loading: loading, Thresholds: thresholds, Min: min, Reverse: reverse, Missing: miss,
		ScoreMin: float64(min), ScoreMax: float64(min + len(thresholds))}
}

// items are the measurement models, indexed by the item constants. Their
// wording, scales and sources (ESS Round 10, the World Bank's SC-IQ,
// Statistics Norway's living-conditions survey among immigrants 2016, the
// OECD Guidelines on Measuring Trust) are in schemas/codebooks/ilag.yaml.
// The thresholds give plausible, not fitted, distributions: generalised
// trust averages about 6 on 0–10 and about 60 % belong to an organisation. The
// number of friends is Poisson with log mean Intercept + λS; the number of
// them with a Norwegian background is binomial with logit
// friendsNorModel + λS.
var items = [nItems]Item{
	itemFriends:           {Name: "friends", Dimension: "structural", dim: dimStructural, Model: "poisson-log", Loading: 0.35, Intercept: 1.5, Missing: [2]int{98, 99}, ScoreMax: friendsScoreMax},
	itemFriendsNor:        {Name: "friends_nor", Dimension: "structural", dim: dimStructural, Model: "binomial-logit", Loading: 0.8, Missing: [2]int{98, 99}, ScoreMax: friendsScoreMax},
	itemMeetFriends:       probitItem("meet_friends", dimStructural, 0.9, 1, false, -2.2, -1.5, -1.0, -0.3, 0.4, 1.4),
	itemMeetNeighbours:    probitItem("meet_neighbours", dimStructural, 0.7, 1, false, -1.3, -0.4, 0.5, 1.8),
	itemOrgMember:         probitItem("org_member", dimStructural, 0.8, 0, false, -0.4),
	itemVolunteered:       probitItem("volunteered", dimStructural, 0.8, 0, false, 0.2),
	itemMentor:            probitItem("mentor", dimStructural, 0.6, 0, false, 1.3),
	itemTrustPeople:       probitItem("trust_people", dimRelational, 0.8, 0, false, -2.6, -2.3, -1.9, -1.5, -1.0, -0.6, -0.1, 0.6, 1.4, 2.1),
	itemTrustMunicipality: probitItem("trust_municipality", dimRelational, 0.6, 0, false, -2.5, -2.2, -1.8, -1.3, -0.8, -0.3, 0.3, 0.9, 1.6, 2.3),
	itemHelpNeighbours:    probitItem("help_neighbours", dimRelational, 0.7, 1, false, -0.8, 0.3, 1.3),
	itemLocalActivities:   probitItem("local_activities", dimRelational, 0.8, 0, false, 0.4),
	itemBelonging:         probitItem("belonging", dimRelational, 0.8, 1, false, -1.8, -0.8, 0.6),
	itemConfide:           probitItem("confide", dimCognitive, 0.8, 0, false, -1.6, -0.9, -0.3, 0.2, 1.2, 1.9),
	itemCrisisHelp:        probitItem("crisis_help", dimCognitive, 0.9, 0, false, -1.4),
	itemSafe:              probitItem("safe", dimCognitive, 0.6, 1, true, -2.2, -1.3, 0.2),
	itemLonely:            probitItem("lonely", dimCognitive, 0.7, 1, true, -2.0, -1.2, -0.2),
}

// friendsScoreMax caps the numbers of friends in the POMP scores: ten or
// more close friends count as the most (the codebook's score_range [0, 10];
// the answers themselves go up to 97).
const friendsScoreMax = 10

// difShift is the non-invariance of trust_municipality: immigrants from
// country group 2 answer higher at the same relational social capital (a
// uniform shift of y*, i.e. of all thresholds by −0.5), as the higher
// institutional trust reported by many immigrants in SSB's living-conditions
// survey would produce if it did not reflect social capital.
const difShift = 0.5

// friendsNorModel is the logit of the share of a person's friends with a
// Norwegian background, before the structural term λS: almost all friends of
// the majority, fewer for the Norwegian-born to immigrant parents and fewest
// for immigrants, fewer still from country group 2, more with years in
// Norway (up to 20).
var friendsNorModel = newModel(Model{
	Name: "friends_nor_share", Family: "binomial", Population: "friends > 0; offset: the friends_nor loading × structural",
	Formula: "cbind(friends_nor, friends - friends_nor) ~ factor(background) + factor(background)2:factor(country_group)3 + factor(background)3:factor(country_group)3 + pmin(years_norway, 20)",
}, []term{
	tm(),
	tm(lv(cvBackground, 2)), tm(lv(cvBackground, 3)),
	tm(lv(cvBackground, 2), lv(cvCountryGroup, 3)), tm(lv(cvBackground, 3), lv(cvCountryGroup, 3)),
	tm(nv(cvYears20)),
}, 3.0, -4.2, -2.2, -0.6, -0.6, 0.06)

func (p *person) drawItems(r *rand.Rand, mw *measured) {
	s := mw.latent[dimStructural]
	friends := min(97, poisson(r, math.Exp(items[itemFriends].Intercept+items[itemFriends].Loading*s)))
	c := p.background()
	pn := logistic(friendsNorModel.eta(&c) + items[itemFriendsNor].Loading*s)
	nor := 0
	for range friends {
		if r.Float64() < pn {
			nor++
		}
	}
	mw.items[itemFriends], mw.items[itemFriendsNor] = friends, nor
	for j := itemMeetFriends; j < nItems; j++ {
		it := &items[j]
		y := it.Loading*mw.latent[it.dim] + r.NormFloat64()
		switch {
		case j == itemTrustMunicipality && p.bg == bgImmigrant && p.countryGroup == 3:
			y += difShift
		case j == itemLocalActivities && mw.participated:
			y += programmeActivityLift
		}
		k := 0
		for _, t := range it.Thresholds {
			if y > t {
				k++
			}
		}
		if it.Reverse {
			k = len(it.Thresholds) - k
		}
		mw.items[j] = it.Min + k
	}
}

// Covariates are the person's values the models use, by index.
const (
	cvAgeGroup = iota
	cvGender
	cvEducation
	cvCountryGroup
	cvBackground
	cvYears   // years in Norway; 0 for those born in Norway
	cvYears20 // min(years in Norway, 20) for immigrants, 0 otherwise
	cvFriendsNor
	cvOrg
	cvEmployed
	cvConfide
	cvTrust
	cvLonely
	cvCrisis
	nCovariates
)

// covariateNames are the data columns of the covariates.
var covariateNames = [nCovariates]string{"age_group", "gender", "education", "country_group", "background",
	"years_norway", "pmin(years_norway, 20)", "friends_nor", "org_member", "employed", "confide", "trust_people", "lonely", "crisis_help"}

type covariates [nCovariates]float64

// background are the covariates known before any wave.
func (p *person) background() covariates {
	var c covariates
	c[cvAgeGroup], c[cvGender], c[cvEducation] = float64(p.ageGroup), float64(p.gender), float64(p.education)
	c[cvCountryGroup], c[cvBackground] = float64(p.countryGroup), float64(p.bg)
	if p.bg == bgImmigrant {
		c[cvYears], c[cvYears20] = float64(p.years), float64(min(p.years, 20))
	}
	return c
}

// covariates adds a wave's answers to the background.
func (p *person) covariates(mw *measured) covariates {
	c := p.background()
	c[cvFriendsNor], c[cvOrg] = float64(mw.items[itemFriendsNor]), float64(mw.items[itemOrgMember])
	c[cvEmployed], c[cvConfide], c[cvTrust] = indicator(mw.employed), float64(mw.items[itemConfide]), float64(mw.items[itemTrustPeople])
	c[cvLonely], c[cvCrisis] = float64(mw.items[itemLonely]), float64(mw.items[itemCrisisHelp])
	return c
}

// atom is the indicator of one level of a factor (level > 0) or a numeric
// covariate (level 0).
type atom struct{ cov, level int }

// lv is the indicator of level of covariate cov; nv is covariate cov itself.
func lv(cov, level int) atom { return atom{cov, level} }
func nv(cov int) atom        { return atom{cov, 0} }

func (a atom) value(c *covariates) float64 {
	if a.level == 0 {
		return c[a.cov]
	}
	return indicator(c[a.cov] == float64(a.level))
}

func (a atom) name() string {
	if a.level == 0 {
		return covariateNames[a.cov]
	}
	return "factor(" + covariateNames[a.cov] + ")" + strconv.Itoa(a.level)
}

// term is one column of a design matrix: a product of atoms (none for the
// intercept), named as R names it.
type term []atom

// T is the term of the product of atoms.
func tm(atoms ...atom) term { return atoms }

func (t term) value(c *covariates) float64 {
	v := 1.0
	for _, a := range t {
		if v *= a.value(c); v == 0 {
			return 0
		}
	}
	return v
}

func (t term) name() string {
	if len(t) == 0 {
		return "(Intercept)"
	}
	names := make([]string, len(t))
	for i, a := range t {
		names[i] = a.name()
	}
	return strings.Join(names, ":")
}

// Model is a generalised linear model with known coefficients.
type Model struct {
	Name       string `json:"name"`
	Family     string `json:"family"` // binomial (logit link) or gaussian
	Population string `json:"population"`
	Formula    string `json:"formula"`
	// Sigma is the residual standard deviation of a gaussian model before
	// the outcome is rounded and clipped to its scale.
	Sigma        float64       `json:"sigma,omitempty"`
	Coefficients []Coefficient `json:"coefficients"`
	// MarginalEffects are true average marginal effects in the population.
	MarginalEffects []Effect `json:"marginal_effects,omitempty"`
	// Census are the least-squares coefficients of the observed outcome over
	// the whole finite population, per wave.
	Census []Effect `json:"census_coefficients,omitempty"`
	terms  []term
}

// Coefficient is one term's true value.
type Coefficient struct {
	Term     string  `json:"term"`
	Estimate float64 `json:"estimate"`
}

func newModel(m Model, terms []term, coef ...float64) *Model {
	if len(terms) != len(coef) {
		panic("synth: model " + m.Name + ": terms and coefficients differ in length")
	}
	m.terms = terms
	for i, t := range terms {
		m.Coefficients = append(m.Coefficients, Coefficient{t.name(), coef[i]})
	}
	return &m
}

// eta is the linear predictor.
func (m *Model) eta(c *covariates) float64 {
	s := 0.0
	for i, t := range m.terms {
		s += m.Coefficients[i].Estimate * t.value(c)
	}
	return s
}

// The outcome models. Employment of immigrants (the programme's target)
// depends on Norwegian friends and organisation membership by country group;
// the rest of the population has its own, simpler, model.
var (
	employmentImmigrants = newModel(Model{
		Name: "employment_immigrants", Family: "binomial", Population: "background == 2",
		Formula: "employed ~ factor(age_group) + factor(gender) + factor(education) + years_norway + factor(country_group) + factor(country_group):friends_nor + factor(country_group):org_member",
	}, []term{
		tm(),
		tm(lv(cvAgeGroup, 2)), tm(lv(cvAgeGroup, 3)), tm(lv(cvAgeGroup, 4)), tm(lv(cvAgeGroup, 5)),
		tm(lv(cvGender, 2)),
		tm(lv(cvEducation, 2)), tm(lv(cvEducation, 3)),
		tm(nv(cvYears)),
		tm(lv(cvCountryGroup, 3)),
		tm(lv(cvCountryGroup, 2), nv(cvFriendsNor)), tm(lv(cvCountryGroup, 3), nv(cvFriendsNor)),
		tm(lv(cvCountryGroup, 2), nv(cvOrg)), tm(lv(cvCountryGroup, 3), nv(cvOrg)),
	}, -1.0, 0.9, 1.0, 0.4, -2.5, -0.5, 0.5, 0.9, 0.06, -0.6, 0.08, 0.20, 0.3, 0.7)

	employmentOthers = newModel(Model{
		Name: "employment_others", Family: "binomial", Population: "background != 2",
		Formula: "employed ~ factor(age_group) + factor(gender) + factor(education) + factor(background) + friends_nor + org_member",
	}, []term{
		tm(),
		tm(lv(cvAgeGroup, 2)), tm(lv(cvAgeGroup, 3)), tm(lv(cvAgeGroup, 4)), tm(lv(cvAgeGroup, 5)),
		tm(lv(cvGender, 2)),
		tm(lv(cvEducation, 2)), tm(lv(cvEducation, 3)),
		tm(lv(cvBackground, 3)),
		tm(nv(cvFriendsNor)), tm(nv(cvOrg)),
	}, 0.2, 1.3, 1.5, 0.9, -2.4, -0.2, 0.6, 1.0, -0.4, 0.03, 0.25)

	jobMatchModel = newModel(Model{
		Name: "job_match", Family: "binomial", Population: "employed == 1",
		Formula: "job_match ~ factor(education) * factor(country_group) + friends_nor",
	}, []term{
		tm(),
		tm(lv(cvEducation, 2)), tm(lv(cvEducation, 3)),
		tm(lv(cvCountryGroup, 2)), tm(lv(cvCountryGroup, 3)),
		tm(nv(cvFriendsNor)),
		tm(lv(cvEducation, 2), lv(cvCountryGroup, 2)), tm(lv(cvEducation, 3), lv(cvCountryGroup, 2)),
		tm(lv(cvEducation, 2), lv(cvCountryGroup, 3)), tm(lv(cvEducation, 3), lv(cvCountryGroup, 3)),
	}, 1.5, -0.2, -0.3, -0.5, -0.9, 0.06, 0, 0, 0, -0.8)

	qolModel = newModel(Model{
		Name: "qol", Family: "gaussian", Population: "all", Sigma: 1.5,
		Formula: "qol ~ employed + confide + trust_people + lonely + crisis_help + factor(country_group) + factor(gender)",
	}, []term{
		tm(), tm(nv(cvEmployed)), tm(nv(cvConfide)), tm(nv(cvTrust)), tm(nv(cvLonely)), tm(nv(cvCrisis)),
		tm(lv(cvCountryGroup, 2)), tm(lv(cvCountryGroup, 3)),
		tm(lv(cvGender, 2)),
	}, 6.0, 0.5, 0.25, 0.10, -0.55, 0.3, -0.1, -0.3, 0.1)
)

// drawOutcomes draws employment, job match and quality of life, and records
// the employment probability and, for immigrants, the marginal effects of
// one more Norwegian friend (dp/dx = p(1−p)β) and of organisation
// membership (p(org=1) − p(org=0)).
func (p *person) drawOutcomes(r *rand.Rand, mw *measured) {
	c := p.covariates(mw)
	em := employmentOthers
	if p.bg == bgImmigrant {
		em = employmentImmigrants
	}
	eta := em.eta(&c)
	mw.pEmployed = logistic(eta)
	mw.employed = r.Float64() < mw.pEmployed
	if p.bg == bgImmigrant {
		c1 := c
		c1[cvFriendsNor]++
		mw.dFriends = mw.pEmployed * (1 - mw.pEmployed) * (em.eta(&c1) - eta)
		c0, c1o := c, c
		c0[cvOrg], c1o[cvOrg] = 0, 1
		mw.dOrgDiff = logistic(em.eta(&c1o)) - logistic(em.eta(&c0))
	}
	c[cvEmployed] = indicator(mw.employed)
	mw.jobMatch = -1
	if mw.employed {
		mw.jobMatch = int(indicator(r.Float64() < logistic(jobMatchModel.eta(&c))))
	}
	q := math.Round(qolModel.eta(&c) + qolModel.Sigma*r.NormFloat64())
	mw.qol = int(math.Max(0, math.Min(10, q)))
}
