package scale

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Chen's (2007) cut-offs for a change in fit between nested invariance models.
const (
	ChenCFI         = -0.010 // ΔCFI ≥
	ChenRMSEA       = 0.015  // ΔRMSEA ≤
	ChenSRMRMetric  = 0.030  // ΔSRMR ≤, metric against configural
	ChenSRMRScalar  = 0.015  // ΔSRMR ≤, scalar against metric
	minEqualAnchors = 2      // partial models keep at least this many equal parameters
)

// InvarianceOptions tune Invariance.
type InvarianceOptions struct {
	// MaxFree bounds how many items' parameters are freed in the partial models;
	// 0 means k − 2.
	MaxFree int
}

// Delta is the change from the previous model: the likelihood-ratio test and the
// differences of the fit indices (this model minus the previous one).
type Delta struct {
	ChiSq  float64 `json:"chisq"`
	DF     float64 `json:"df"`
	PValue float64 `json:"pvalue"`
	CFI    float64 `json:"cfi"`
	RMSEA  float64 `json:"rmsea"`
	SRMR   float64 `json:"srmr"`
}

// ModelFit is one invariance model: its fit, the change from the model it is
// compared with, and whether invariance holds by Chen's criteria (nil for the
// configural model).
type ModelFit struct {
	Model string `json:"model"` // configural, metric, scalar, partial metric, partial scalar
	Fit
	Delta *Delta `json:"delta,omitempty"`
	Holds *bool  `json:"holds,omitempty"`
	// Free lists the parameters freed across groups in a partial model
	// ("item=~" a loading, "item~1" an intercept, as lavaan's group.partial).
	Free      []string         `json:"free,omitempty"`
	Estimates []GroupEstimates `json:"-"`
}

// ScoreTest is the score (Lagrange multiplier) test of releasing the equality of one
// item's loadings or intercepts across the groups.
type ScoreTest struct {
	Item      string  `json:"item"`
	Parameter string  `json:"parameter"` // "loading" or "intercept"
	ChiSq     float64 `json:"chisq"`
	DF        float64 `json:"df"`
	PValue    float64 `json:"pvalue"`
}

// FreeStep is one step of the search for a partial invariance model: the item whose
// parameter was freed (the largest score test in the model before) and the partial
// model after freeing it.
type FreeStep struct {
	ScoreTest
	Result ModelFit `json:"model"`
}

// InvarianceResult is the outcome of Invariance.
type InvarianceResult struct {
	Items  []string   `json:"items"`
	Groups []string   `json:"groups"`
	Models []ModelFit `json:"models"` // configural, metric, scalar
	// InterceptScores and LoadingScores are the score tests of the scalar and metric
	// models, largest first.
	InterceptScores []ScoreTest `json:"intercept_scores"`
	LoadingScores   []ScoreTest `json:"loading_scores"`
	// ItemsToFree are the steps to partial invariance, empty when the full models hold.
	ItemsToFree []FreeStep `json:"items_to_free"`

	data         []*groupData
	freeLoadings []int // loadings freed to reach partial metric invariance
	metric       ModelFit
}

type level int

const (
	configural level = iota
	metric
	scalar
)

// buildModel is the multi-group one-factor model at the level of invariance, with the
// loadings of items freeLam and the intercepts of items freeNu free across groups.
func buildModel(data []*groupData, items []string, lv level, freeLam, freeNu []int) *model {
	k := len(items)
	q := qOf(k)
	md := &model{k: k, items: items, data: data, means: true, shared: lv >= metric}
	for _, d := range data {
		md.n += d.n
	}
	next := 0
	shared := make([]int, q)
	for a := range shared {
		shared[a] = -1
	}
	take := func(a int, share bool) int {
		if !share {
			next++
			return next - 1
		}
		if shared[a] < 0 {
			shared[a] = next
			next++
		}
		return shared[a]
	}
	for g := range data {
		ix := make([]int, q)
		fx := make([]float64, q)
		for j := range k {
			ix[j] = take(j, lv >= metric && !slices.Contains(freeLam, j))
			ix[k+j] = take(k+j, false)
			ix[2*k+j] = take(2*k+j, lv >= scalar && !slices.Contains(freeNu, j))
		}
		ix[3*k], fx[3*k] = -1, 1
		if lv >= metric && g > 0 {
			ix[3*k] = take(3*k, false)
		}
		ix[3*k+1] = -1
		if lv >= scalar && g > 0 {
			ix[3*k+1] = take(3*k+1, false)
		}
		md.index = append(md.index, ix)
		md.fixed = append(md.fixed, fx)
	}
	md.npar = next
	md.name = [...]string{"configural", "metric", "scalar"}[lv] + " model"
	if len(freeLam) > 0 || len(freeNu) > 0 {
		md.name = "partial " + md.name
	}
	return md
}

// fitFrom fits md starting from per-group parameter values.
func fitFrom(md *model, start [][]float64) (*solution, error) {
	sol, err := md.fit(md.startFrom(start))
	if err != nil {
		return nil, err
	}
	return sol, sol.check()
}

func (s *solution) groupParamsAll() [][]float64 {
	out := make([][]float64, len(s.md.data))
	for g := range out {
		out[g] = s.md.groupParams(s.theta, g)
	}
	return out
}

func (s *solution) modelFit(name string, free []string) ModelFit {
	return ModelFit{Model: name, Fit: s.fitMeasures(), Free: free, Estimates: s.estimates()}
}

// compare fills m's Delta against prev and, with srmrCut > 0, Holds by Chen's criteria.
func (m *ModelFit) compare(prev ModelFit, srmrCut float64) {
	d := &Delta{ChiSq: m.ChiSq - prev.ChiSq, DF: m.DF - prev.DF, CFI: m.CFI - prev.CFI,
		RMSEA: m.RMSEA - prev.RMSEA, SRMR: m.SRMR - prev.SRMR, PValue: math.NaN()}
	if d.DF > 0 {
		d.PValue = distuv.ChiSquared{K: d.DF}.Survival(math.Max(d.ChiSq, 0))
	}
	m.Delta = d
	holds := d.CFI >= ChenCFI && d.RMSEA <= ChenRMSEA && d.SRMR <= srmrCut
	m.Holds = &holds
}

// Invariance fits the configural, metric and scalar models to the groups' complete
// cases (package doc, Measurement invariance), compares them, and when metric or
// scalar invariance fails, frees the loadings or intercepts of the items with the
// largest score tests one at a time until the partial model holds.
func Invariance(groups []*Moments, opt InvarianceOptions) (*InvarianceResult, error) {
	if len(groups) < 2 {
		return nil, fmt.Errorf("invariance: %d group(s); it compares two or more", len(groups))
	}
	items := groups[0].Items
	k := len(items)
	if k < 3 {
		return nil, fmt.Errorf("invariance: %d items; a one-factor model needs at least three", k)
	}
	res := &InvarianceResult{Items: items}
	for _, m := range groups {
		d, err := newGroupData(m, items)
		if err != nil {
			return nil, fmt.Errorf("invariance: %w", err)
		}
		res.data = append(res.data, d)
		res.Groups = append(res.Groups, m.Group)
	}
	maxFree := opt.MaxFree
	if maxFree <= 0 || maxFree > k-minEqualAnchors {
		maxFree = k - minEqualAnchors
	}
	starts := make([][]float64, len(res.data))
	for g, d := range res.data {
		starts[g] = startGroup(d, k)
	}
	conf, err := fitFrom(buildModel(res.data, items, configural, nil, nil), starts)
	if err != nil {
		return nil, fmt.Errorf("invariance: %w", err)
	}
	cfit := conf.modelFit("configural", nil)
	met, err := fitFrom(buildModel(res.data, items, metric, nil, nil), conf.groupParamsAll())
	if err != nil {
		return nil, fmt.Errorf("invariance: %w", err)
	}
	mfit := met.modelFit("metric", nil)
	mfit.compare(cfit, ChenSRMRMetric)
	sca, err := fitFrom(buildModel(res.data, items, scalar, nil, nil), met.groupParamsAll())
	if err != nil {
		return nil, fmt.Errorf("invariance: %w", err)
	}
	sfit := sca.modelFit("scalar", nil)
	sfit.compare(mfit, ChenSRMRScalar)
	res.Models = []ModelFit{cfit, mfit, sfit}
	if res.LoadingScores, err = scoreTests(met, metric, nil, nil); err != nil {
		return nil, err
	}
	if res.InterceptScores, err = scoreTests(sca, scalar, nil, nil); err != nil {
		return nil, err
	}

	// partial metric invariance, then partial scalar invariance on top of it
	res.metric = mfit
	base, baseSol := mfit, met
	if !*mfit.Holds {
		steps, last, sol, freed, err := freeSteps(res, metric, nil, nil, cfit, maxFree, met)
		if err != nil {
			return nil, err
		}
		res.ItemsToFree = append(res.ItemsToFree, steps...)
		res.freeLoadings = freed
		if last != nil {
			base, baseSol = *last, sol
		}
		res.metric = base
	}
	if !*sfit.Holds || len(res.freeLoadings) > 0 {
		start := baseSol
		cur, err := fitFrom(buildModel(res.data, items, scalar, res.freeLoadings, nil), start.groupParamsAll())
		if err != nil {
			return nil, fmt.Errorf("invariance: %w", err)
		}
		curFit := cur.modelFit("partial scalar", freeNames(items, res.freeLoadings, nil))
		curFit.compare(base, ChenSRMRScalar)
		if !*curFit.Holds {
			steps, _, _, _, err := freeSteps(res, scalar, res.freeLoadings, nil, base, maxFree, cur)
			if err != nil {
				return nil, err
			}
			res.ItemsToFree = append(res.ItemsToFree, steps...)
		}
	}
	return res, nil
}

// freeNames names freed parameters as lavaan's group.partial.
func freeNames(items []string, lam, nu []int) []string {
	var out []string
	for _, j := range lam {
		out = append(out, items[j]+"=~")
	}
	for _, j := range nu {
		out = append(out, items[j]+"~1")
	}
	return out
}

// freeSteps frees, at level lv (metric: loadings, scalar: intercepts), the parameter
// with the largest score test one item at a time, refitting, until the partial model
// holds against prev or maxFree items are free. It returns the steps, the last partial
// model and its solution, and the freed items.
func freeSteps(res *InvarianceResult, lv level, freeLam, freeNu []int, prev ModelFit, maxFree int, sol *solution) ([]FreeStep, *ModelFit, *solution, []int, error) {
	var steps []FreeStep
	var last *ModelFit
	var freed []int
	srmrCut := ChenSRMRScalar
	if lv == metric {
		srmrCut = ChenSRMRMetric
	}
	for len(freed) < maxFree {
		tests, err := scoreTests(sol, lv, freeLam, freeNu)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if len(tests) == 0 {
			break
		}
		top := tests[0]
		j := slices.Index(res.Items, top.Item)
		freed = append(freed, j)
		if lv == metric {
			freeLam = append(slices.Clone(freeLam), j)
		} else {
			freeNu = append(slices.Clone(freeNu), j)
		}
		next, err := fitFrom(buildModel(res.data, res.Items, lv, freeLam, freeNu), sol.groupParamsAll())
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("invariance: %w", err)
		}
		name := "partial metric"
		if lv == scalar {
			name = "partial scalar"
		}
		mf := next.modelFit(name, freeNames(res.Items, freeLam, freeNu))
		mf.compare(prev, srmrCut)
		steps = append(steps, FreeStep{ScoreTest: top, Result: mf})
		last, sol = &steps[len(steps)-1].Result, next
		if *mf.Holds {
			break
		}
	}
	return steps, last, sol, freed, nil
}

// scoreTests are the score tests, largest first, of releasing each still-equal
// item's loadings (lv metric) or intercepts (lv scalar) across groups in the fitted
// model sol: LM = (N/2)·gᵀI⁻¹g in the model with that item's parameters free, at
// sol's estimates (lavaan's lavTestScore with expected information).
func scoreTests(sol *solution, lv level, freeLam, freeNu []int) ([]ScoreTest, error) {
	md := sol.md
	var out []ScoreTest
	start := sol.groupParamsAll()
	for j, item := range md.items {
		lam, nu := freeLam, freeNu
		param := "loading"
		if lv == metric {
			if slices.Contains(freeLam, j) {
				continue
			}
			lam = append(slices.Clone(freeLam), j)
		} else {
			if slices.Contains(freeNu, j) {
				continue
			}
			nu = append(slices.Clone(freeNu), j)
			param = "intercept"
		}
		ext := buildModel(md.data, md.items, lv, lam, nu)
		_, grad, info := ext.eval(ext.startFrom(start), true)
		x, ok := solveSym(info, grad, ext.npar)
		if !ok {
			return nil, fmt.Errorf("invariance: score test of %s's %ss: the information matrix is singular", item, param)
		}
		lm := 0.0
		for a := range x {
			lm += grad[a] * x[a]
		}
		lm *= md.n / 2
		df := float64(ext.npar - md.npar)
		out = append(out, ScoreTest{Item: item, Parameter: param, ChiSq: lm, DF: df,
			PValue: distuv.ChiSquared{K: df}.Survival(lm)})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ChiSq > out[b].ChiSq })
	return out, nil
}

// fitPartial fits the scalar model with the intercepts of the named items free (and
// the loadings the search freed), compared with the (partial) metric model.
func (r *InvarianceResult) fitPartial(items ...string) (ModelFit, error) {
	var nu []int
	for _, it := range items {
		j := slices.Index(r.Items, it)
		if j < 0 {
			return ModelFit{}, fmt.Errorf("invariance: no item %s", it)
		}
		nu = append(nu, j)
	}
	starts := make([][]float64, len(r.data))
	for g, e := range r.metric.Estimates {
		starts[g] = slices.Concat(e.Loadings, e.Residuals, e.Intercepts, []float64{e.FactorVar, e.FactorMean})
	}
	sol, err := fitFrom(buildModel(r.data, r.Items, scalar, r.freeLoadings, nu), starts)
	if err != nil {
		return ModelFit{}, fmt.Errorf("invariance: %w", err)
	}
	mf := sol.modelFit("partial scalar", freeNames(r.Items, r.freeLoadings, nu))
	mf.compare(r.metric, ChenSRMRScalar)
	return mf, nil
}
