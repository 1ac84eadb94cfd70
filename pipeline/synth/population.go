package synth

import (
	"math"
	"math/rand/v2"
)

// municipality is one stratum of the population.
type municipality struct {
	code   int    // SSB municipality number (KLASS 131, 2024)
	name   string //
	adults int    // residents aged 16–79, rounded, in the order of SSB's 2024 figures
	// immShare is the share with an immigrant background (immigrants and
	// Norwegian-born to immigrant parents); the coastal fish-farming
	// municipalities have the largest shares, mostly from EU/EEA countries.
	immShare float64
	// euShare is the share of the immigrant-background residents whose
	// origin is in SSB country group 1 (EU/EEA, UK, North America, Oceania).
	euShare   float64
	programme bool       // runs the I LAG programme between the waves
	effect    [3]float64 // community effect on the latent means (S, R, C)
}

// municipalities are the strata, sorted by number: six programme
// municipalities and seven comparisons.
var municipalities = []municipality{
	{1515, "Herøy", 7000, 0.16, 0.65, true, [3]float64{0.10, 0.15, 0.05}},
	{4626, "Øygarden", 30500, 0.13, 0.55, false, [3]float64{0.00, 0.05, 0.00}},
	{5001, "Trondheim", 168000, 0.15, 0.40, false, [3]float64{0.05, -0.10, -0.05}},
	{5006, "Steinkjer", 19200, 0.09, 0.45, true, [3]float64{0.00, 0.05, 0.05}},
	{5007, "Namsos", 12000, 0.11, 0.40, false, [3]float64{-0.05, 0.05, 0.00}},
	{5014, "Frøya", 4300, 0.26, 0.70, true, [3]float64{0.05, 0.10, 0.00}},
	{5028, "Melhus", 13400, 0.08, 0.50, false, [3]float64{0.00, 0.05, 0.05}},
	{5031, "Malvik", 11500, 0.08, 0.50, false, [3]float64{0.00, 0.00, 0.05}},
	{5035, "Stjørdal", 19500, 0.10, 0.45, false, [3]float64{0.00, 0.00, 0.00}},
	{5037, "Levanger", 16100, 0.09, 0.45, true, [3]float64{0.00, 0.05, 0.00}},
	{5038, "Verdal", 11900, 0.10, 0.45, false, [3]float64{-0.05, 0.00, 0.00}},
	{5056, "Hitra", 4100, 0.18, 0.65, true, [3]float64{0.05, 0.10, 0.00}},
	{5059, "Orkland", 14900, 0.10, 0.50, true, [3]float64{0.00, 0.05, 0.00}},
}

// Codes of the background variables, as in the ilag codebook.
const (
	bgNorway    = 1 // no immigrant background
	bgImmigrant = 2
	bgNorBorn   = 3 // Norwegian-born to immigrant parents

	nBackground  = 3
	nOrigin      = 6
	nGender      = 2
	nAgeGroup    = 5
	nEducation   = 3
	nCountryGrp  = 3
	meanAreaSize = 300
)

// originGroup is SSB's country group of an origin region: 1 Norway,
// 2 country group 1, 3 country group 2.
func originGroup(origin int) int {
	switch origin {
	case 1:
		return 1
	case 2:
		return 2
	}
	return 3
}

// nonEUOrigins are the shares of origin regions 3–6 (Europe outside the
// EU/EEA, Asia, Africa, Latin America) among immigrant-background residents
// from country group 2.
var nonEUOrigins = [4]float64{0.14, 0.48, 0.28, 0.10}

// nbShare is the share of Norwegian-born to immigrant parents among adults
// with an immigrant background.
const nbShare = 0.15

// ageGroups are the bounds of the age groups and their shares by background
// (immigrants are younger than the majority; most Norwegian-born adults with
// immigrant parents are under 40).
var (
	ageBounds = [nAgeGroup][2]int{{16, 25}, {26, 39}, {40, 54}, {55, 66}, {67, 79}}
	ageShares = [nBackground][nAgeGroup]float64{
		{0.15, 0.22, 0.24, 0.20, 0.19},
		{0.12, 0.36, 0.30, 0.15, 0.07},
		{0.55, 0.35, 0.08, 0.02, 0.00},
	}
)

// femaleShare by country group: labour migration from the EU/EEA is
// male-dominated.
var femaleShare = [nCountryGrp]float64{0.50, 0.42, 0.49}

// educationShares by country group (primary, secondary, tertiary) for adults
// over 25; youth (16–25) have their own, lower, shares.
var (
	educationShares = [nCountryGrp][nEducation]float64{
		{0.22, 0.42, 0.36},
		{0.15, 0.42, 0.43},
		{0.38, 0.30, 0.32},
	}
	youthEducation = [nEducation]float64{0.50, 0.42, 0.08}
)

// religionShares by origin region (none, Christian, Muslim, other).
var religionShares = [nOrigin][4]float64{
	{0.45, 0.52, 0.005, 0.025},
	{0.30, 0.68, 0.00, 0.02},
	{0.10, 0.60, 0.28, 0.02},
	{0.15, 0.15, 0.45, 0.25},
	{0.05, 0.35, 0.60, 0.00},
	{0.22, 0.75, 0.00, 0.03},
}

// person is one member of the population with what the survey would measure
// in each wave.
type person struct {
	bg, origin, countryGroup         int // background
	gender, age, ageGroup, education int
	years                            int // years in Norway; -1 when born in Norway
	religion, household              int
	children                         int        // children aged 6–15 in the household (drawChildren)
	latent                           [3]float64 // baseline (S, R, C)
	wave                             [2]measured
}

// measured is what a person would answer in one wave.
type measured struct {
	latent       [3]float64
	participated bool
	items        [nItems]int
	employed     bool
	jobMatch     int // 0/1, or -1 when not employed
	qol          int
	// childrenActive is how many of the person's children take part in
	// organised leisure activities (drawChildren); 0 without children.
	childrenActive int
	// pEmployed and the marginal effects feed the truth.
	pEmployed          float64
	dFriends, dOrgDiff float64
}

// pick draws an index from shares that sum to 1 (the last absorbs rounding).
func pick(r *rand.Rand, shares []float64) int {
	u := r.Float64()
	for i, s := range shares {
		if u < s {
			return i
		}
		u -= s
	}
	return len(shares) - 1
}

// area is one primary sampling unit: its immigrant share and the area
// effect on the latent means (the source of intra-cluster correlation).
type area struct {
	immShare float64
	effect   [3]float64
}

// newArea draws an area's immigrant share (immigrants concentrate in some
// areas) and its effect on the latent means.
func newArea(r *rand.Rand, m *municipality) area {
	a := area{immShare: math.Min(0.9, m.immShare*math.Exp(0.5*r.NormFloat64()-0.125))}
	for d := range a.effect {
		a.effect[d] = areaSD * r.NormFloat64()
	}
	return a
}

// areaSD is the standard deviation of the area effect on each latent
// dimension (intra-area correlation about 0.06).
const areaSD = 0.25

// newPerson draws one person of area a in municipality m, with both waves.
func newPerson(r *rand.Rand, m *municipality, a *area, waves int) person {
	var p person
	p.bg, p.origin = bgNorway, 1
	if r.Float64() < a.immShare {
		p.bg = bgImmigrant
		if r.Float64() < nbShare {
			p.bg = bgNorBorn
		}
		p.origin = 2
		if r.Float64() >= m.euShare {
			p.origin = 3 + pick(r, nonEUOrigins[:])
		}
	}
	p.countryGroup = originGroup(p.origin)
	p.gender = 1
	if r.Float64() < femaleShare[p.countryGroup-1] {
		p.gender = 2
	}
	p.ageGroup = 1 + pick(r, ageShares[p.bg-1][:])
	lo, hi := ageBounds[p.ageGroup-1][0], ageBounds[p.ageGroup-1][1]
	p.age = lo + r.IntN(hi-lo+1)
	if p.ageGroup == 1 {
		p.education = 1 + pick(r, youthEducation[:])
	} else {
		p.education = 1 + pick(r, educationShares[p.countryGroup-1][:])
	}
	p.years = -1
	if p.bg == bgImmigrant {
		// Years since arrival: exponential with mean 10, at most the age
		// minus one (nobody in the population arrived in their first year).
		p.years = min(int(r.ExpFloat64()*10), p.age-1)
	}
	p.religion = 1 + pick(r, religionShares[p.origin-1][:])
	hh := 1.2
	if p.bg != bgNorway {
		hh = 1.9
	}
	p.household = min(12, 1+poisson(r, hh))
	c := p.background()
	p.latent = latentMean(&c, m, a)
	z := [3]float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
	for d := range 3 {
		for k := 0; k <= d; k++ {
			p.latent[d] += latentChol[d][k] * z[k]
		}
	}
	for w := range waves {
		p.measure(r, m, w)
	}
	return p
}

// measure draws wave w (0-based) of p: programme participation, the latent
// values of the wave, the items and the outcomes.
func (p *person) measure(r *rand.Rand, m *municipality, w int) {
	mw := &p.wave[w]
	mw.latent = p.latent
	if w == 1 {
		for d := range 3 {
			mw.latent[d] += trend[d]
		}
		if m.programme && r.Float64() < participation[p.bg-1] {
			mw.participated = true
			for d := range 3 {
				mw.latent[d] += programmeEffect[d]
			}
		}
	}
	p.drawItems(r, mw)
	p.drawOutcomes(r, mw)
}

// Children. The parents' question on children's organised leisure
// activities (SSB's living-conditions survey among immigrants asks it of
// parents of children aged 6–15) is answered by persons with children aged
// 6–15 in the household. The number of children is
//
//	children = min(Poisson(λ_agegroup · κ_background), household_size − 1, 10)
//
// and, in each wave, each child takes part independently with probit
//
//	P(active) = Φ(α + γ S_parent,wave + δ_background + lift · participated_wave)
//
// where S is the parent's latent structural social capital in that wave:
// children of well-connected parents take part more, children of
// immigrants less, and the programme raises it for its participants'
// children. These draws come from their own stream per area (streamChildren),
// so that the other columns do not depend on them.
var (
	childrenRate       = [nAgeGroup]float64{0.08, 0.75, 0.85, 0.12, 0.02}
	childrenBackground = [nBackground]float64{1, 1.4, 1}
	childActivity      = childActivityModel{0.7, 0.3, [nBackground]float64{0, -0.6, -0.2}, 0.3, 10, childrenRate, childrenBackground}
)

// childActivityModel documents the children's model in the truth.
type childActivityModel struct {
	Intercept      float64              `json:"intercept"`
	Structural     float64              `json:"structural_loading"`
	ByBackground   [nBackground]float64 `json:"background_effect"`
	ProgrammeLift  float64              `json:"programme_lift"`
	MaxChildren    int                  `json:"max_children"`
	RateByAgeGroup [nAgeGroup]float64   `json:"children_rate_by_age_group"`
	RateBackground [nBackground]float64 `json:"children_rate_factor_by_background"`
}

// drawChildren draws p's children aged 6–15 and, per wave, how many of
// them take part in organised leisure activities. It must follow measure
// (it reads each wave's latent structural value and participation).
func (p *person) drawChildren(r *rand.Rand, waves int) {
	p.children = min(poisson(r, childrenRate[p.ageGroup-1]*childrenBackground[p.bg-1]), p.household-1, childActivity.MaxChildren)
	for w := range waves {
		mw := &p.wave[w]
		eta := childActivity.Intercept + childActivity.Structural*mw.latent[dimStructural] + childActivity.ByBackground[p.bg-1]
		if mw.participated {
			eta += childActivity.ProgrammeLift
		}
		mw.childrenActive = 0
		for range p.children {
			if eta+r.NormFloat64() > 0 {
				mw.childrenActive++
			}
		}
	}
}

// poisson draws a Poisson variate by sequential inversion (Devroye 1986,
// X.3.3); fine for the small means used here.
func poisson(r *rand.Rand, mean float64) int {
	u := r.Float64()
	p := math.Exp(-mean)
	k := 0
	for u > p && k < 1000 {
		u -= p
		k++
		p *= mean / float64(k)
	}
	return k
}
