package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
)

// Sampling design constants.
const (
	// allocationPower allocates respondents to municipalities in proportion
	// to adults^0.7: small municipalities are oversampled, so each has
	// enough respondents for its own estimates.
	allocationPower = 0.7
	// perArea is the expected number of respondents per sampled area.
	perArea = 10
	// maxAreaFraction caps the share of a municipality's areas drawn.
	maxAreaFraction = 0.5
	// maxRate caps the within-area selection probability of persons who
	// are not oversampled.
	maxRate = 0.5
)

// oversampling is the relative selection probability within an area by
// background: immigrants and Norwegian-born to immigrant parents fourfold
// (capped at certainty).
var oversampling = [nBackground]float64{1, 4, 4}

// responseModel is the probability of responding once selected; it depends
// on background only, so the data are missing at random given background
// and the weight, which divides by it, removes the bias. Immigrants, youth,
// men and the less educated respond less and the old more, as in most
// Norwegian surveys.
var responseModel = newModel(Model{
	Name: "response", Family: "binomial", Population: "selected persons",
	Formula: "responded ~ factor(background) + factor(country_group) + factor(age_group) + factor(education) + factor(gender)",
}, []term{
	tm(),
	tm(lv(cvBackground, 2)), tm(lv(cvBackground, 3)),
	tm(lv(cvCountryGroup, 3)),
	tm(lv(cvAgeGroup, 1)), tm(lv(cvAgeGroup, 4)), tm(lv(cvAgeGroup, 5)),
	tm(lv(cvEducation, 1)), tm(lv(cvEducation, 3)),
	tm(lv(cvGender, 2)),
}, 0.2, -0.9, -0.5, -0.3, -0.7, 0.3, 0.8, -0.7, 0.5, 0.15)

// itemNonresponse is the probability that a respondent skips an item: of it,
// 60 % answer "don't know", 30 % refuse and 10 % leave the item blank.
const itemNonresponse = 0.025

// plan is the population and sample design before any person is drawn.
type plan struct {
	opts   Options
	strata []stratum
}

// stratum is one municipality's part of the plan.
type stratum struct {
	m          *municipality
	scale      int        // the population is scale × the real adults
	population int        // adults
	expected   float64    // expected respondents per wave
	mix        []cellMass // population composition by response cell
}

// Stratum is the design of one municipality in the truth file.
type Stratum struct {
	Municipality int    `json:"municipality"`
	Name         string `json:"name"`
	Programme    bool   `json:"programme"`
	Scale        int    `json:"scale"`
	Population   int    `json:"population"`
	Areas        int    `json:"areas"`
	// SampledAreas and Rate (the within-area selection probability of a
	// person without oversampling) per wave.
	SampledAreas []int     `json:"sampled_areas"`
	Rate         []float64 `json:"rate"`
	Expected     float64   `json:"expected_respondents_per_wave"`
}

// newPlan allocates the expected respondents to municipalities and scales a
// municipality's population up when its sample would otherwise exceed the
// design caps (maxAreaFraction of its areas, maxRate within areas). Only
// samples far larger than real surveys (for benchmarks) are scaled.
func newPlan(opts Options, ms []municipality) *plan {
	pl := &plan{opts: opts}
	perWave := float64(opts.Respondents) / float64(opts.Waves)
	total := 0.0
	for i := range ms {
		total += math.Pow(float64(ms[i].adults), allocationPower)
	}
	for i := range ms {
		st := stratum{m: &ms[i], mix: composition(&ms[i])}
		st.expected = perWave * math.Pow(float64(ms[i].adults), allocationPower) / total
		need := st.expected / (maxAreaFraction * float64(ms[i].adults) * respondRate(st.mix, maxRate))
		st.scale = max(1, int(math.Ceil(need)))
		st.population = ms[i].adults * st.scale
		pl.strata = append(pl.strata, st)
	}
	return pl
}

// cellMass is the population share of one combination of the variables the
// selection and response probabilities depend on.
type cellMass struct {
	share, oversampling, response float64
}

// composition is the municipality's population by background, country
// group, gender, age group and education (ignoring the spread of immigrant
// shares across areas).
func composition(m *municipality) []cellMass {
	var cells []cellMass
	for bg := 1; bg <= nBackground; bg++ {
		pBg := 1 - m.immShare
		if bg == bgImmigrant {
			pBg = m.immShare * (1 - nbShare)
		} else if bg == bgNorBorn {
			pBg = m.immShare * nbShare
		}
		for cg := 1; cg <= nCountryGrp; cg++ {
			var pCg float64
			switch {
			case bg == bgNorway:
				pCg = indicator(cg == 1)
			case cg == 2:
				pCg = m.euShare
			case cg == 3:
				pCg = 1 - m.euShare
			}
			if pCg == 0 {
				continue
			}
			for g := 1; g <= nGender; g++ {
				pG := femaleShare[cg-1]
				if g == 1 {
					pG = 1 - pG
				}
				for ag := 1; ag <= nAgeGroup; ag++ {
					edu := educationShares[cg-1]
					if ag == 1 {
						edu = youthEducation
					}
					for e := 1; e <= nEducation; e++ {
						c := covariates{cvBackground: float64(bg), cvCountryGroup: float64(cg), cvGender: float64(g), cvAgeGroup: float64(ag), cvEducation: float64(e)}
						cells = append(cells, cellMass{
							share:        pBg * pCg * pG * ageShares[bg-1][ag-1] * edu[e-1],
							oversampling: oversampling[bg-1],
							response:     logistic(responseModel.eta(&c)),
						})
					}
				}
			}
		}
	}
	return cells
}

// respondRate is the expected share of a drawn area's persons who are
// selected and respond when the base rate is rate: Σ share·min(1, rate·o)·ρ.
func respondRate(mix []cellMass, rate float64) float64 {
	s := 0.0
	for _, c := range mix {
		s += c.share * min(1, rate*c.oversampling) * c.response
	}
	return s
}

// solveRate finds the base rate in (0, maxRate] at which respondRate is
// target, by bisection (respondRate increases with the rate).
func solveRate(mix []cellMass, target float64) float64 {
	lo, hi := 0.0, maxRate
	for range 60 {
		mid := (lo + hi) / 2
		if respondRate(mix, mid) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// splitmix64 is Vigna's SplitMix64 finaliser, used to derive stream seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream kinds, so that streams for different purposes never share a seed.
const (
	streamAreas = iota + 1
	streamSelect
	streamPersons
	streamSample
	streamChildren
	streamLateItems
)

// stream is the PCG generator for one purpose and place, derived from the
// root seed.
func (pl *plan) stream(kind int, parts ...int) *rand.Rand {
	s := splitmix64(pl.opts.Seed ^ splitmix64(uint64(kind)))
	for _, p := range parts {
		s = splitmix64(s ^ uint64(p))
	}
	return rand.New(rand.NewPCG(s, splitmix64(s)))
}

// areaSizes draws the sizes of stratum h's areas: lognormal around
// meanAreaSize, the last area taking the remainder.
func (pl *plan) areaSizes(h int) []int32 {
	r := pl.stream(streamAreas, h)
	left := pl.strata[h].population
	var sizes []int32
	for left > 0 {
		n := max(50, int(meanAreaSize*math.Exp(0.35*r.NormFloat64()-0.06125)))
		if n > left || left-n < 50 {
			n = left
		}
		sizes = append(sizes, int32(n))
		left -= n
	}
	return sizes
}

// selectAreas draws m of n areas by simple random sampling without
// replacement (a partial Fisher–Yates shuffle).
func selectAreas(r *rand.Rand, n, m int) []bool {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	chosen := make([]bool, n)
	for i := range m {
		j := i + r.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
		chosen[idx[i]] = true
	}
	return chosen
}

// waveDesign is the sample design of one stratum in one wave.
type waveDesign struct {
	stratum  int // wave × 10000 + municipality number
	areas    int
	sampled  int
	chosen   []bool
	rate     float64 // within-area selection probability before oversampling
	areaProb float64
}

// design draws the areas of stratum h in wave w (about perArea respondents
// each, at most maxAreaFraction of them, at least 2) and sets the base rate
// that yields the stratum's expected respondents.
func (pl *plan) design(h, w, areas int) waveDesign {
	st := &pl.strata[h]
	d := waveDesign{stratum: (w+1)*10000 + st.m.code, areas: areas}
	d.sampled = min(max(2, int(math.Round(st.expected/perArea))), max(2, int(maxAreaFraction*float64(areas))), areas)
	d.areaProb = float64(d.sampled) / float64(areas)
	d.rate = solveRate(st.mix, st.expected/(d.areaProb*float64(st.population)))
	d.chosen = selectAreas(pl.stream(streamSelect, h, w), areas, d.sampled)
	return d
}

// area returns the person stream of area a of stratum h and the area drawn
// from its start.
func (pl *plan) area(h, a int) (*rand.Rand, area) {
	r := pl.stream(streamPersons, h, a)
	return r, newArea(r, pl.strata[h].m)
}

// areasPerBlock is the unit of parallel work: the persons of a block of
// areas are drawn by one goroutine into their own tally and rows, and
// blocks are merged and written in order, so the output does not depend on
// the number of goroutines.
const areasPerBlock = 32

// block is the work of one block of areas.
type block struct {
	tally *tally
	rows  [2][]Row
}

// generateStratum draws every person of stratum h, adds them to the truth
// and writes the respondents of each wave. Blocks of areas are drawn by up
// to GOMAXPROCS goroutines; at most twice that many blocks are held at once.
func (pl *plan) generateStratum(h int, acc *accumulator, writers []RowWriter) error {
	st := &pl.strata[h]
	sizes := pl.areaSizes(h)
	designs := make([]waveDesign, pl.opts.Waves)
	for w := range designs {
		designs[w] = pl.design(h, w, len(sizes))
	}
	acc.addStratum(st, designs)
	nBlocks := (len(sizes) + areasPerBlock - 1) / areasPerBlock
	results := make([]chan *block, nBlocks)
	for b := range results {
		results[b] = make(chan *block, 1)
	}
	slots := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	done := make(chan struct{})
	defer close(done)
	go func() {
		for b := range nBlocks {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			go func() {
				results[b] <- pl.drawBlock(h, sizes, b*areasPerBlock, min(len(sizes), (b+1)*areasPerBlock), designs)
			}()
		}
	}()
	for b := range nBlocks {
		blk := <-results[b]
		acc.merge(h, blk.tally)
		for w := range designs {
			for i := range blk.rows[w] {
				if err := writers[w].WriteRow(&blk.rows[w][i]); err != nil {
					return fmt.Errorf("synth: write wave %d: %w", w+1, err)
				}
			}
			acc.achieved[w] += len(blk.rows[w])
		}
		<-slots
	}
	return nil
}

// drawBlock draws the persons of areas [from, to) of stratum h, tallies
// them and selects the respondents.
func (pl *plan) drawBlock(h int, sizes []int32, from, to int, designs []waveDesign) *block {
	st := &pl.strata[h]
	blk := &block{tally: newTally(pl.opts.Waves, 1)}
	var row Row
	var id []byte
	for a := from; a < to; a++ {
		ar, ap := pl.area(h, a)
		cr := pl.stream(streamChildren, h, a)
		var samplers, late [2]*rand.Rand
		for w := range designs {
			if designs[w].chosen[a] {
				samplers[w] = pl.stream(streamSample, h, a, w)
				late[w] = pl.stream(streamLateItems, h, a, w)
			}
		}
		for i := range int(sizes[a]) {
			p := newPerson(ar, st.m, &ap, pl.opts.Waves)
			p.drawChildren(cr, pl.opts.Waves)
			blk.tally.add(0, &p)
			if samplers[0] == nil && samplers[1] == nil {
				continue
			}
			c := p.background()
			pResp := logistic(responseModel.eta(&c))
			for w, d := range designs {
				r := samplers[w]
				if r == nil {
					continue
				}
				pSel := min(1, d.rate*oversampling[p.bg-1])
				selected, responds := r.Float64() < pSel, r.Float64() < pResp
				if !selected || !responds {
					continue
				}
				id = appendID(id[:0], w+1, st.m.code, a+1, i+1)
				row.ID = string(id)
				row.fill(&p, st.m, w, d.stratum, int64(d.stratum)*1_000_000+int64(a+1), d.areas, 1/(d.areaProb*pSel*pResp))
				row.skipItems(r, late[w], pl.opts.BlankMissing)
				blk.rows[w] = append(blk.rows[w], row)
			}
		}
	}
	return blk
}
