package synth

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Truth is what the sample should recover: the design, every parameter of
// the population model, and the population values computed over every
// person of the finite population (not only the sampled ones).
type Truth struct {
	Seed        uint64 `json:"seed"`
	Respondents int    `json:"respondents_expected"`
	// Achieved is the number of respondents written per wave.
	Achieved []int `json:"respondents_achieved"`
	Waves    int   `json:"waves"`
	// Population is the number of adults; a stratum's Scale multiplies its
	// real adults when the requested sample needs more.
	Population int       `json:"population"`
	Strata     []Stratum `json:"strata"`
	Design     Design    `json:"design"`
	Latent     Latent    `json:"latent"`
	Items      []Item    `json:"items"`
	Programme  Programme `json:"programme"`
	Models     []Model   `json:"models"`
	// Values are the population mean of every item, outcome and latent
	// dimension ("latent:structural" …) per wave and group; codes as written
	// in the data, before reverse coding.
	Values []Value `json:"values"`
	// IndicatorDefinitions say how each indicator's population value is
	// computed, and Indicators are those values per wave and group of every
	// group set (see indicators.go).
	IndicatorDefinitions []IndicatorDef     `json:"indicator_definitions"`
	Indicators           []IndicatorValue   `json:"indicators"`
	Children             childActivityModel `json:"children_activity_model"`
	Margins              []Margin           `json:"margins"`
}

// Design documents the sample design's constants.
type Design struct {
	AllocationPower float64              `json:"allocation_power"`
	PerArea         float64              `json:"respondents_per_area"`
	MaxAreaFraction float64              `json:"max_area_fraction"`
	MaxRate         float64              `json:"max_rate"`
	Oversampling    [nBackground]float64 `json:"oversampling_by_background"`
	ItemNonresponse float64              `json:"item_nonresponse"`
	MeanAreaSize    int                  `json:"mean_area_size"`
	AreaSD          float64              `json:"area_effect_sd"`
}

// Latent documents the latent model.
type Latent struct {
	Dimensions   [3]string             `json:"dimensions"`
	Correlation  [3][3]float64         `json:"correlation"`
	Terms        []LatentTerm          `json:"terms"`
	Municipality map[string][3]float64 `json:"municipality_effects"`
	// DIF is the non-invariant item and its shift of y*.
	DIF struct {
		Item  string  `json:"item"`
		Group string  `json:"group"`
		Shift float64 `json:"shift"`
	} `json:"dif"`
}

// Programme documents the programme and its true effects.
type Programme struct {
	Trend         [3]float64 `json:"trend"`
	Participation struct {
		ByBackground [nBackground]float64 `json:"by_background"`
	} `json:"participation"`
	LatentEffect [3]float64 `json:"latent_effect_on_participants"`
	ActivityLift float64    `json:"local_activities_probit_lift"`
	DiffInDiff   []Effect   `json:"difference_in_differences"`
	// IndicatorDiD is the difference in differences of each indicator's
	// population value (Variable names the indicator).
	IndicatorDiD   []Effect `json:"indicator_difference_in_differences"`
	Municipalities []int    `json:"municipalities"`
}

// Effect is a true population effect: a marginal effect of a model term, or
// a difference in differences of a variable, in a group and wave.
type Effect struct {
	Term     string `json:"term,omitempty"`
	Variable string `json:"variable,omitempty"`
	Wave     int    `json:"wave,omitempty"`
	// Population restricts the persons averaged over, when it is narrower
	// than the model's.
	Population string            `json:"population,omitempty"`
	By         map[string]string `json:"by"`
	Estimate   float64           `json:"estimate"`
}

// Value is a population mean in a group and wave.
type Value struct {
	Wave       int               `json:"wave"`
	Variable   string            `json:"variable"`
	Statistic  string            `json:"statistic"`
	By         map[string]string `json:"by"`
	Value      float64           `json:"value"`
	Population float64           `json:"population"`
}

// Margin is a population count, as a calibration margin.
type Margin struct {
	Variable string  `json:"variable"`
	Level    string  `json:"level"`
	Total    float64 `json:"total"`
}

// Statistics accumulated per cell and wave. Those named "ame…:" feed the
// models' marginal effects and those named "ind:" the indicators; neither
// is among the Values.
var statNames = func() []string {
	names := []string{"participated"}
	for _, it := range items {
		names = append(names, it.Name)
	}
	names = append(names, "employed", "job_match", "qol",
		"latent:structural", "latent:relational", "latent:cognitive",
		"ame:friends_nor", "ame:org_member")
	for _, d := range indicatorDefs {
		if d.stat >= statIndicators {
			names = append(names, "ind:"+d.Name)
		}
	}
	return append(names, "ame20:friends_nor", "ame20:org_member")
}()

const (
	statItems      = 1
	statEmployed   = statItems + nItems
	statJobMatch   = statEmployed + 1
	statQoL        = statJobMatch + 1
	statLatent     = statQoL + 1
	statAMEFriends = statLatent + 3
	statAMEOrg     = statAMEFriends + 1
	// statIndicators and on: the indicators that are not a plain mean of a
	// column above, in the order of indicatorDefs.
	statIndicators       = statAMEOrg + 1
	statScore            = statIndicators // + dimension: POMP scores
	statPartChildren     = statScore + 3  // sum children_activity, "n" children
	statPartYouth        = statPartChildren + 1
	statPartAdults       = statPartYouth + 1
	statEmployment       = statPartAdults + 1 // employed among 20–66
	statAME20Friends     = statEmployment + 1
	statAME20Org         = statAME20Friends + 1
	nStats               = statAME20Org + 1
	employmentMinAge     = 20
	employmentMaxAge     = 66
	youthMaxAge          = 25
	populationMinAge     = 16
	populationMaxAge     = 79
	childrenActivityNote = "children aged 6–15 in the households of persons aged 16–79; a child with two such parents counts twice, as the parents' answers do in the sample"
)

// Cells cross every grouping variable; the truth of any group is a sum of
// cells. Background and origin form one index of the 11 combinations that
// occur (the majority is of Norwegian origin, the others never are).
const (
	nBgOrigin = 1 + 2*(nOrigin-1)
	nCells    = nBgOrigin * nGender * nAgeGroup * nEducation
)

// tally holds population sums per stratum and cell: the truth of any group
// is a sum of cells.
type tally struct {
	waves  int
	sums   []float64 // [stratum][cell][wave][stat]{sum, n}
	counts []float64 // [stratum][cell] persons
	// qolXtX and qolXty accumulate the census least-squares fit of the
	// observed (rounded, clipped) quality of life.
	qolXtX [2][]float64
	qolXty [2][]float64
}

func newTally(waves, strata int) *tally {
	t := &tally{
		waves:  waves,
		sums:   make([]float64, strata*nCells*waves*nStats*2),
		counts: make([]float64, strata*nCells),
	}
	k := len(qolModel.terms)
	for w := range waves {
		t.qolXtX[w], t.qolXty[w] = make([]float64, k*k), make([]float64, k)
	}
	return t
}

// merge adds part, the tally of one stratum's block of areas, to stratum h.
func (t *tally) merge(h int, part *tally) {
	for i, v := range part.counts {
		t.counts[h*nCells+i] += v
	}
	base := h * nCells * t.waves * nStats * 2
	for i, v := range part.sums {
		t.sums[base+i] += v
	}
	for w := range t.waves {
		for i, v := range part.qolXtX[w] {
			t.qolXtX[w][i] += v
		}
		for i, v := range part.qolXty[w] {
			t.qolXty[w][i] += v
		}
	}
}

// accumulator is the population tally and the design of every stratum.
type accumulator struct {
	*tally
	strata   []Stratum
	design   []*stratum
	achieved []int
}

func newAccumulator(waves, strata int) *accumulator {
	return &accumulator{tally: newTally(waves, strata), achieved: make([]int, waves)}
}

func (acc *accumulator) addStratum(st *stratum, designs []waveDesign) {
	s := Stratum{Municipality: st.m.code, Name: st.m.name, Programme: st.m.programme, Scale: st.scale, Population: st.population, Areas: designs[0].areas, Expected: st.expected}
	for _, d := range designs {
		s.SampledAreas = append(s.SampledAreas, d.sampled)
		s.Rate = append(s.Rate, d.rate)
	}
	acc.strata = append(acc.strata, s)
	acc.design = append(acc.design, st)
}

// bgOrigin is the index of a background and origin combination: 0 for the
// majority (origin Norway), then origins 2–6 of immigrants and of the
// Norwegian-born to immigrant parents.
func bgOrigin(bg, origin int) int {
	if bg == bgNorway {
		return 0
	}
	return 1 + (bg-bgImmigrant)*(nOrigin-1) + origin - 2
}

func cellOf(p *person) int {
	return ((bgOrigin(p.bg, p.origin)*nGender+p.gender-1)*nAgeGroup+p.ageGroup-1)*nEducation + p.education - 1
}

// add counts person p of stratum h.
func (t *tally) add(h int, p *person) {
	cell := h*nCells + cellOf(p)
	t.counts[cell]++
	var xs [16]float64 // the quality-of-life model's design row
	for w := range t.waves {
		mw := &p.wave[w]
		base := (cell*t.waves + w) * nStats * 2
		s := t.sums[base : base+nStats*2]
		put := func(stat int, v float64) {
			s[2*stat] += v
			s[2*stat+1]++
		}
		put(0, indicator(mw.participated))
		for j := range nItems {
			put(statItems+j, float64(mw.items[j]))
		}
		put(statEmployed, indicator(mw.employed))
		if mw.jobMatch >= 0 {
			put(statJobMatch, float64(mw.jobMatch))
		}
		put(statQoL, float64(mw.qol))
		for d := range 3 {
			put(statLatent+d, mw.latent[d])
		}
		if p.bg == bgImmigrant {
			put(statAMEFriends, mw.dFriends)
			put(statAMEOrg, mw.dOrgDiff)
			if p.age >= employmentMinAge && p.age <= employmentMaxAge {
				put(statAME20Friends, mw.dFriends)
				put(statAME20Org, mw.dOrgDiff)
			}
		}
		for d := range 3 {
			put(statScore+d, pomp(mw, d))
		}
		s[2*statPartChildren] += float64(mw.childrenActive)
		s[2*statPartChildren+1] += float64(p.children)
		if p.age <= youthMaxAge {
			put(statPartYouth, float64(mw.items[itemOrgMember]))
		} else {
			put(statPartAdults, float64(mw.items[itemOrgMember]))
		}
		if p.age >= employmentMinAge && p.age <= employmentMaxAge {
			put(statEmployment, indicator(mw.employed))
		}
		c := p.covariates(mw)
		x := xs[:len(qolModel.terms)]
		for i, t := range qolModel.terms {
			x[i] = t.value(&c)
		}
		xtx, xty := t.qolXtX[w], t.qolXty[w]
		for i := range x {
			xty[i] += x[i] * float64(mw.qol)
			for j := 0; j <= i; j++ {
				xtx[i*len(x)+j] += x[i] * x[j]
			}
		}
	}
}

// groupVars are the grouping variables of the truth, as data columns.
var groupVars = []string{"municipality", "programme", "background", "origin", "country_group", "gender", "age_group", "education"}

// bySets are the groupings the truth reports, including crossings.
var bySets = [][]string{
	{}, {"gender"}, {"age_group"}, {"education"}, {"background"}, {"origin"}, {"country_group"},
	{"municipality"}, {"programme"},
	{"gender", "background"}, {"gender", "country_group"}, {"age_group", "background"}, {"programme", "background"},
}

// levels decodes stratum h and cell c into the value of each groupVar.
func (acc *accumulator) levels(h, c int) [8]int {
	e := c % nEducation
	c /= nEducation
	ag := c % nAgeGroup
	c /= nAgeGroup
	g := c % nGender
	k := c / nGender
	bg, o := bgNorway, 1
	if k > 0 {
		bg, o = bgImmigrant+(k-1)/(nOrigin-1), 2+(k-1)%(nOrigin-1)
	}
	m := acc.design[h].m
	return [8]int{m.code, int(indicator(m.programme)), bg, o, originGroup(o), g + 1, ag + 1, e + 1}
}

// group is the sums of one level combination of a by-set.
type group struct {
	levels []int
	sums   []float64 // [wave][stat]{sum, n}
	count  float64
}

// aggregate sums the cells into the groups of one by-set, sorted by level.
func (acc *accumulator) aggregate(by []string) []*group {
	vars := make([]int, len(by))
	for i, v := range by {
		vars[i] = slices.Index(groupVars, v)
	}
	idx := map[[8]int]*group{}
	for h := range acc.design {
		for c := range nCells {
			cell := h*nCells + c
			if acc.counts[cell] == 0 {
				continue
			}
			lev := acc.levels(h, c)
			var key [8]int
			for i, v := range vars {
				key[i] = lev[v]
			}
			g := idx[key]
			if g == nil {
				g = &group{levels: slices.Clone(key[:len(by)]), sums: make([]float64, acc.waves*nStats*2)}
				idx[key] = g
			}
			g.count += acc.counts[cell]
			base := cell * acc.waves * nStats * 2
			for i := range g.sums {
				g.sums[i] += acc.sums[base+i]
			}
		}
	}
	groups := make([]*group, 0, len(idx))
	for _, g := range idx {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *group) int { return slices.Compare(a.levels, b.levels) })
	return groups
}

func byMap(by []string, levels []int) map[string]string {
	m := make(map[string]string, len(by))
	for i, v := range by {
		m[v] = strconv.Itoa(levels[i])
	}
	return m
}

func (acc *accumulator) truth(pl *plan) *Truth {
	t := &Truth{Seed: pl.opts.Seed, Respondents: pl.opts.Respondents, Waves: pl.opts.Waves, Strata: acc.strata, Items: items[:], Achieved: acc.achieved}
	for _, st := range pl.strata {
		t.Population += st.population
	}
	t.Design = Design{AllocationPower: allocationPower, PerArea: perArea, MaxAreaFraction: maxAreaFraction, MaxRate: maxRate,
		Oversampling: oversampling, ItemNonresponse: itemNonresponse, MeanAreaSize: meanAreaSize, AreaSD: areaSD}
	t.Latent = Latent{Dimensions: dimNames, Correlation: latentCorr, Terms: latentTerms, Municipality: map[string][3]float64{}}
	for _, st := range pl.strata {
		m := st.m
		t.Latent.Municipality[strconv.Itoa(m.code)] = m.effect
		if m.programme {
			t.Programme.Municipalities = append(t.Programme.Municipalities, m.code)
		}
	}
	t.Latent.DIF.Item, t.Latent.DIF.Group, t.Latent.DIF.Shift = "trust_municipality", "background == 2 & country_group == 3", difShift
	t.Programme.Trend, t.Programme.LatentEffect, t.Programme.ActivityLift = trend, programmeEffect, programmeActivityLift
	t.Programme.Participation.ByBackground = participation

	for _, by := range bySets {
		for _, g := range acc.aggregate(by) {
			for w := range acc.waves {
				for s, name := range statNames {
					sum, n := g.sums[(w*nStats+s)*2], g.sums[(w*nStats+s)*2+1]
					if n == 0 || !isValueStat(name) {
						continue
					}
					t.Values = append(t.Values, Value{Wave: w + 1, Variable: name, Statistic: "mean", By: byMap(by, g.levels), Value: sum / n, Population: n})
				}
			}
		}
	}
	t.Programme.DiffInDiff = acc.diffInDiff()
	t.IndicatorDefinitions, t.Children = indicatorDefs, childActivity
	t.Indicators = acc.indicatorValues()
	if acc.waves == 2 {
		t.Programme.IndicatorDiD = indicatorDiD(t.Indicators)
	}
	t.Models = acc.models()
	t.Margins = acc.margins()
	return t
}

// isValueStat reports whether a statistic is reported among the Values: a
// mean of a column or a latent dimension.
func isValueStat(name string) bool {
	return !strings.HasPrefix(name, "ame") && !strings.HasPrefix(name, "ind:")
}

// diffInDiff is, per variable, (programme wave 2 − wave 1) − (comparison
// wave 2 − wave 1), overall and by background.
func (acc *accumulator) diffInDiff() []Effect {
	if acc.waves < 2 {
		return nil
	}
	var out []Effect
	for _, by := range [][]string{{"programme"}, {"programme", "background"}} {
		groups := acc.aggregate(by)
		for _, prog := range groups {
			if prog.levels[0] != 1 {
				continue
			}
			i := slices.IndexFunc(groups, func(g *group) bool {
				return g.levels[0] == 0 && slices.Equal(g.levels[1:], prog.levels[1:])
			})
			comp := groups[i]
			for s, name := range statNames {
				if !isValueStat(name) {
					continue
				}
				mean := func(g *group, w int) float64 { return g.sums[(w*nStats+s)*2] / g.sums[(w*nStats+s)*2+1] }
				did := (mean(prog, 1) - mean(prog, 0)) - (mean(comp, 1) - mean(comp, 0))
				out = append(out, Effect{Variable: name, By: byMap(by[1:], prog.levels[1:]), Estimate: did})
			}
		}
	}
	return out
}

// models copies the model definitions and adds the true average marginal
// effects of the immigrant employment model (by country group) and the
// census least-squares coefficients of the observed quality of life.
func (acc *accumulator) models() []Model {
	var out []Model
	for _, m := range []*Model{employmentImmigrants, employmentOthers, jobMatchModel, qolModel, friendsNorModel, responseModel} {
		c := *m
		c.Coefficients = slices.Clone(m.Coefficients)
		switch m {
		case employmentImmigrants:
			for _, by := range [][]string{{}, {"country_group"}} {
				for _, g := range acc.aggregate(by) {
					for w := range acc.waves {
						for _, s := range []int{statAMEFriends, statAMEOrg, statAME20Friends, statAME20Org} {
							sum, n := g.sums[(w*nStats+s)*2], g.sums[(w*nStats+s)*2+1]
							if n == 0 {
								continue
							}
							term, population := strings.TrimPrefix(statNames[s], "ame:"), ""
							if s >= statAME20Friends {
								term, population = strings.TrimPrefix(statNames[s], "ame20:"), "background == 2 & age >= 20 & age <= 66"
							}
							c.MarginalEffects = append(c.MarginalEffects, Effect{Term: term, Wave: w + 1, Population: population, By: byMap(by, g.levels), Estimate: sum / n})
						}
					}
				}
			}
		case qolModel:
			for w := range acc.waves {
				beta := solveSymmetric(acc.qolXtX[w], acc.qolXty[w])
				for i, t := range qolModel.terms {
					c.Census = append(c.Census, Effect{Term: t.name(), Wave: w + 1, By: map[string]string{}, Estimate: beta[i]})
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// solveSymmetric solves A x = b for a symmetric positive definite A given
// by its lower triangle (row-major, n×n) by Cholesky decomposition
// (Golub & Van Loan, Matrix Computations, 4th ed., alg. 4.2.1).
func solveSymmetric(a, b []float64) []float64 {
	n := len(b)
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	x := slices.Clone(b)
	for i := range n {
		for k := range i {
			x[i] -= l[i*n+k] * x[k]
		}
		x[i] /= l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		for k := i + 1; k < n; k++ {
			x[i] -= l[k*n+i] * x[k]
		}
		x[i] /= l[i*n+i]
	}
	return x
}

// marginVars are the variables with calibration margins: register
// variables every respondent has (education is self-reported and may be
// missing, which calibration cannot use).
var marginVars = []string{"municipality", "gender", "age_group", "background", "origin", "country_group"}

func (acc *accumulator) margins() []Margin {
	var out []Margin
	for _, v := range marginVars {
		for _, g := range acc.aggregate([]string{v}) {
			out = append(out, Margin{Variable: v, Level: strconv.Itoa(g.levels[0]), Total: g.count})
		}
	}
	return out
}

// WriteMargins writes the population margins as CSV with the header
// variable,level,total (the format socap's calibration reads). The totals
// are of one wave's population.
func (t *Truth) WriteMargins(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"variable", "level", "total"}); err != nil {
		return err
	}
	for _, m := range t.Margins {
		if err := cw.Write([]string{m.Variable, m.Level, strconv.FormatFloat(m.Total, 'f', -1, 64)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the truth as indented JSON.
func (t *Truth) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// Find returns the true value of variable in wave for the group by (nil for
// the whole population), and whether there is one.
func (t *Truth) Find(wave int, variable string, by map[string]string) (Value, bool) {
	i := slices.IndexFunc(t.Values, func(v Value) bool {
		return v.Wave == wave && v.Variable == variable && maps.Equal(v.By, by)
	})
	if i < 0 {
		return Value{}, false
	}
	return t.Values[i], true
}
