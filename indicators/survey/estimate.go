package survey

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Statistic names what a Request estimates.
type Statistic string

const (
	Mean     Statistic = "mean"     // Σ w y / Σ w (svymean)
	Total    Statistic = "total"    // Σ w y (svytotal)
	Ratio    Statistic = "ratio"    // Σ w y / Σ w x (svyratio)
	Prop     Statistic = "prop"     // mean of a 0/1 variable or of each level's indicator (svyciprop)
	Quantile Statistic = "quantile" // svyquantile with Woodruff intervals
)

// Request is one statistic of one variable.
type Request struct {
	Statistic Statistic
	// Variable is the analysis column (the numerator of a ratio).
	Variable string
	// Denominator is a ratio's denominator column.
	Denominator string
	// Levels restricts a proportion of a categorical (or numeric) variable to these
	// levels. Empty: a numeric 0/1 variable gives one proportion, anything else one per
	// level.
	Levels []string
	// Probs are the quantile probabilities.
	Probs []float64
}

// PropCI is a confidence-interval method for proportions, as svyciprop(method=...)
// (Korn & Graubard 1998; Lumley 2010, sec. 2.4.1).
type PropCI string

const (
	// CILogit: logit(p̂) ± t·SE/(p̂(1−p̂)), back-transformed; svyciprop's default (its glm
	// fit gives the same interval).
	CILogit PropCI = "logit"
	// CIXlogit: the same interval computed by the delta method on the mean (svycontrast).
	CIXlogit PropCI = "xlogit"
	// CIMean: p̂ ± t·SE, not truncated.
	CIMean PropCI = "mean"
	// CIAsin: sin²(asin(√p̂) ± t·SE/(2√(p̂(1−p̂)))).
	CIAsin PropCI = "asin"
	// CIBeta: Korn–Graubard: Clopper–Pearson with effective sample size
	// n* = p̂(1−p̂)/Var(p̂) · (t_{n−1}/t_df)², n the rows in the domain.
	CIBeta PropCI = "beta"
	// CIWilson: the Wilson score interval on the effective sample size (see propCI).
	CIWilson PropCI = "wilson"
	// CILikelihood: the Rao–Scott scaled profile-likelihood interval (see likelihoodCI).
	CILikelihood PropCI = "likelihood"
)

// QuantileRule chooses how a weighted quantile is read off the weighted CDF.
type QuantileRule string

const (
	// QRuleMath is survey's qrule_math (default): the smallest x with F̂(x) ≥ p.
	QRuleMath QuantileRule = "math"
	// QRuleHF7 is survey's qrule_hf7: linear interpolation as Hyndman & Fan type 7.
	QRuleHF7 QuantileRule = "hf7"
)

// Thresholds set the reliability flags; zero fields take the defaults.
type Thresholds struct {
	MinN  int     // flag "small_n" when n < MinN (default 30)
	MaxCV float64 // flag "high_cv" when |CV| > MaxCV (default 0.3)
	MinDF float64 // flag "low_df" when df < MinDF (default 8)
}

// Flags set on records.
const (
	FlagEmpty  = "empty"
	FlagSmallN = "small_n"
	FlagHighCV = "high_cv"
	FlagLowDF  = "low_df"
	FlagNoCI   = "no_ci"
	// FlagWeightsBelowN: the weights sum below the rows, so deff is NA (as in R).
	FlagWeightsBelowN = "weights_below_n"
	defaultMinN       = 30
)

// Options apply to every Request of an Estimate call.
type Options struct {
	By         []string     // domain variables; every crossing present in the data
	Level      float64      // confidence level (default 0.95)
	PropCI     PropCI       // proportion intervals (default logit)
	Rule       QuantileRule // quantile rule (default math)
	QuantileCI PropCI       // Woodruff interval for F(q̂): mean (default), xlogit, asin or beta
	Thresholds Thresholds
	// Producer computes the sufficient statistics (default MemoryProducer).
	Producer Producer
}

func (o *Options) defaults() error {
	if o.Level == 0 {
		o.Level = 0.95
	}
	if !(o.Level > 0 && o.Level < 1) {
		return fmt.Errorf("confidence level %v: want a number between 0 and 1", o.Level)
	}
	if o.PropCI == "" {
		o.PropCI = CILogit
	}
	if o.PropCI != CILikelihood {
		if err := checkPropCI(o.PropCI); err != nil {
			return err
		}
	}
	if o.QuantileCI == "" {
		o.QuantileCI = CIMean
	}
	if err := checkPropCI(o.QuantileCI); err != nil {
		return fmt.Errorf("quantile interval: %w", err)
	}
	if o.Rule == "" {
		o.Rule = QRuleMath
	}
	if o.Rule != QRuleMath && o.Rule != QRuleHF7 {
		return fmt.Errorf("quantile rule %q: want math or hf7", o.Rule)
	}
	if o.Thresholds.MinN == 0 {
		o.Thresholds.MinN = defaultMinN
	}
	if o.Thresholds.MaxCV == 0 {
		o.Thresholds.MaxCV = 0.3
	}
	if o.Thresholds.MinDF == 0 {
		o.Thresholds.MinDF = 8
	}
	if o.Producer == nil {
		o.Producer = MemoryProducer{}
	}
	return nil
}

func checkPropCI(m PropCI) error {
	switch m {
	case CILogit, CIXlogit, CIMean, CIAsin, CIBeta, CIWilson:
		return nil
	}
	return fmt.Errorf("proportion interval %q: want logit, likelihood, xlogit, mean, asin, beta or wilson (likelihood not for quantiles)", m)
}

// Record is one estimate for one domain. NaN means "not available" and serialises as
// null; an empty domain has N = 0, NaN estimates and the flag "empty".
type Record struct {
	Variable   string            `json:"variable"`
	Statistic  Statistic         `json:"statistic"`
	Level      string            `json:"level,omitempty"`
	P          *float64          `json:"p,omitempty"`
	By         map[string]string `json:"by,omitempty"`
	Estimate   float64           `json:"estimate"`
	SE         float64           `json:"se"`
	CILow      float64           `json:"ci_low"`
	CIHigh     float64           `json:"ci_high"`
	DF         float64           `json:"df"`
	Deff       float64           `json:"deff"`
	CV         float64           `json:"cv"`
	N          int64             `json:"n"` // rows behind the estimate: in the domain, with a value and a non-zero weight
	SumWeights float64           `json:"sum_weights"`
	Flags      []string          `json:"flags"`
}

// MarshalJSON writes non-finite numbers as null and numbers at full precision.
func (r Record) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	head, err := json.Marshal(struct {
		Variable  string            `json:"variable"`
		Statistic Statistic         `json:"statistic"`
		Level     string            `json:"level,omitempty"`
		P         *float64          `json:"p,omitempty"`
		By        map[string]string `json:"by,omitempty"`
	}{r.Variable, r.Statistic, r.Level, r.P, r.By})
	if err != nil {
		return nil, err
	}
	b.Write(head[:len(head)-1])
	for _, f := range []struct {
		k string
		v float64
	}{{"estimate", r.Estimate}, {"se", r.SE}, {"ci_low", r.CILow}, {"ci_high", r.CIHigh},
		{"df", r.DF}, {"deff", r.Deff}, {"cv", r.CV}} {
		fmt.Fprintf(&b, ",%q:%s", f.k, jsonNumber(f.v))
	}
	fmt.Fprintf(&b, `,"n":%d,"sum_weights":%s`, r.N, jsonNumber(r.SumWeights))
	flags, err := json.Marshal(append([]string{}, r.Flags...))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, `,"flags":%s}`, flags)
	return []byte(b.String()), nil
}

func jsonNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ErrUnknownLevel is wrapped when a proportion asks for a level that no row has: its
// estimate would be a silent 0.
var ErrUnknownLevel = errors.New("no such level")

// firstLabels is labels, or its first n and "…".
func firstLabels(labels []string, n int) []string {
	if len(labels) <= n {
		return labels
	}
	return append(slices.Clone(labels[:n]), "…")
}

// ErrZeroWeight is wrapped when a domain has rows but their weights sum to zero.
var ErrZeroWeight = errors.New("total weight is zero")

// Estimate computes every request overall (no By) or in every domain, returning records
// in request order, then level or probability, then domain order. Domains are rows with
// zero weight elsewhere, never subsets: strata and PSUs outside a domain still count,
// as R's svyby on a survey.design2. Missing values of the analysis variable(s) put a row
// outside the domain (na.rm=TRUE).
func (d *Design) Estimate(reqs []Request, opt Options) ([]Record, error) {
	if err := opt.defaults(); err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	dm, err := d.domains(opt.By)
	if err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	var jobs []job
	var items []Item
	for _, rq := range reqs {
		js, err := d.jobs(rq)
		if err != nil {
			return nil, fmt.Errorf("estimate %s of %s: %w", rq.Statistic, rq.name(), err)
		}
		for _, j := range js {
			if j.stat != Quantile {
				items = append(items, j.item)
			}
		}
		jobs = append(jobs, js...)
	}
	sums := opt.Producer.Accumulate(d, items, dm.code, len(dm.labels))
	var out []Record
	k := 0
	for _, j := range jobs {
		var recs []Record
		var err error
		if j.stat == Quantile {
			recs, err = d.quantiles(j.rq, j.item.A, dm, &opt)
		} else {
			recs, err = d.linear(j, sums[k], dm, &opt)
			k++
		}
		if err != nil {
			return nil, fmt.Errorf("estimate %s of %s: %w", j.rq.Statistic, j.rq.name(), err)
		}
		out = append(out, recs...)
	}
	return out, nil
}

func (rq Request) name() string {
	if rq.Statistic == Ratio {
		return rq.Variable + "/" + rq.Denominator
	}
	return rq.Variable
}

// job is one statistic of one item: a request expands to one job per level.
type job struct {
	rq    Request
	stat  Statistic
	name  string
	level string
	item  Item
}

func (d *Design) jobs(rq Request) ([]job, error) {
	one := func(it Item) []job { return []job{{rq: rq, stat: rq.Statistic, name: rq.name(), item: it}} }
	switch rq.Statistic {
	case Mean, Total, Quantile:
		y, err := d.frame.Float(rq.Variable)
		if err != nil {
			return nil, err
		}
		if rq.Statistic == Quantile {
			if err := checkProbs(rq.Probs); err != nil {
				return nil, err
			}
		}
		return one(Item{A: y, Column: rq.Variable}), nil
	case Ratio:
		y, err := d.frame.Float(rq.Variable)
		if err != nil {
			return nil, err
		}
		x, err := d.frame.Float(rq.Denominator)
		if err != nil {
			return nil, err
		}
		return one(Item{A: y, B: x, Column: rq.Variable, Denominator: rq.Denominator}), nil
	case Prop:
		return d.proportions(rq)
	}
	return nil, fmt.Errorf("statistic %q: want mean, total, ratio, prop or quantile", rq.Statistic)
}

// proportions makes one indicator item per level: 1 when the value equals the level, 0
// for other non-missing values, missing otherwise. A numeric column without levels must
// hold only 0 and 1 and is its own indicator.
func (d *Design) proportions(rq Request) ([]job, error) {
	if y, err := d.frame.Float(rq.Variable); err == nil && len(rq.Levels) == 0 {
		for i, v := range y {
			if !math.IsNaN(v) && v != 0 && v != 1 {
				return nil, fmt.Errorf("column %q, row %d: value %v is not 0 or 1; name the levels for a categorical proportion", rq.Variable, i+1, v)
			}
		}
		return []job{{rq: rq, stat: Prop, name: rq.Variable, item: Item{A: y, Column: rq.Variable}}}, nil
	}
	code, labels, err := d.frame.Codes(rq.Variable)
	if err != nil {
		return nil, err
	}
	levels := rq.Levels
	if len(levels) == 0 {
		levels = labels
	}
	var out []job
	for _, lev := range levels {
		want := int32(slices.Index(labels, lev))
		if want < 0 {
			return nil, fmt.Errorf("column %q has no value %q: %w (its values: %s)", rq.Variable, lev, ErrUnknownLevel, strings.Join(firstLabels(labels, 20), ", "))
		}
		ind := make([]float64, len(code))
		for i, c := range code {
			switch {
			case c < 0:
				ind[i] = math.NaN()
			case c == want:
				ind[i] = 1
			}
		}
		out = append(out, job{rq: rq, stat: Prop, name: rq.Variable, level: lev, item: Item{A: ind, Column: rq.Variable, Level: &lev}})
	}
	return out, nil
}

// lin is a linear statistic's estimate and variance in one domain.
type lin struct {
	est, v, df float64
	tot        Cell
	// logitV is, for a replicate design, the replicate variance of logit(θ_r): svyglm's
	// variance of the intercept, which svyciprop's logit interval uses.
	logitV float64
}

// linearStats computes estimate, variance and df of a mean, proportion, total or ratio
// in domain dd from the item's sums (and, on a calibrated design, its rows). Taylor linearisation uses the influence
// functions (Binder 1983; Lumley 2010, sec. 2.3): mean z_i = w_i(y_i − ȳ)/Σw, total
// z_i = w_i y_i, ratio z_i = w_i(y_i − R x_i)/Σ w x; replicate designs recompute the
// statistic with each replicate's weights and apply svrVar.
func (d *Design) linearStats(stat Statistic, it Item, dom []int32, s *Sums, dd int, tv *taylor) (lin, error) {
	t := s.domainTotal(dd)
	l := lin{tot: t, est: math.NaN(), v: math.NaN(), df: math.NaN()}
	if t.N == 0 {
		return l, nil
	}
	den := t.W
	if stat == Ratio {
		den = t.B
	}
	if den == 0 && stat != Total {
		what := "weights"
		if stat == Ratio {
			what = "weighted denominator"
		}
		return l, fmt.Errorf("%d rows, sum of %s is 0: %w", t.N, what, ErrZeroWeight)
	}
	est := func(c *Cell) float64 {
		switch stat {
		case Total:
			return c.A
		case Ratio:
			return c.A / c.B
		}
		return c.A / c.W
	}
	l.est = est(&t)
	if d.rep != nil {
		theta := make([]float64, s.R)
		for r := range theta {
			theta[r] = est(&s.Rep[dd*s.R+r])
		}
		l.v = d.rep.variance(theta, l.est)
		l.df = d.domainDF(s, dd, nil)
		if stat == Prop {
			for r, th := range theta {
				theta[r] = math.Log(th / (1 - th))
			}
			l.logitV = d.rep.variance(theta, math.Log(l.est/(1-l.est)))
		}
		return l, nil
	}
	e := l.est
	// infl is the influence function of one row, z its total over a cell.
	var infl func(w, y, x float64) float64
	var z func(c *Cell) float64
	switch stat {
	case Total:
		infl = func(w, y, _ float64) float64 { return w * y }
		z = func(c *Cell) float64 { return c.A }
	case Ratio:
		infl = func(w, y, x float64) float64 { return w * (y - e*x) / den }
		z = func(c *Cell) float64 { return (c.A - e*c.B) / den }
	default:
		infl = func(w, y, _ float64) float64 { return w * (y - e) / den }
		z = func(c *Cell) float64 { return (c.A - e*c.W) / den }
	}
	if len(d.cal) > 0 {
		l.v = d.calibratedVar(it, dom, dd, infl)
		l.df = d.domainDF(s, dd, nil)
		return l, nil
	}
	cells, units := s.domain(dd)
	tv.loadSparse(cells, units, z)
	l.v = tv.variance()
	l.df = d.domainDF(s, dd, tv)
	return l, nil
}

// calibratedVar is the linearisation variance on a calibrated design: the influence
// function of domain dd, row by row, replaced by its residuals on the calibrations
// (svyrecvar with postStrata; see Calibrate) before summing within units. Every row
// counts, as R keeps all rows of a calibrated design in a domain.
func (d *Design) calibratedVar(it Item, dom []int32, dd int, infl func(w, y, x float64) float64) float64 {
	x := make([]float64, d.n)
	for i, c := range dom {
		if int(c) != dd || math.IsNaN(it.A[i]) {
			continue
		}
		b := 0.0
		if it.B != nil {
			if b = it.B[i]; math.IsNaN(b) {
				continue
			}
		}
		x[i] = infl(d.w[i], it.A[i], b)
	}
	return d.influenceCov(x, 1, nil).At(0, 0)
}

// weightsBelowN reports whether the domain's weights sum below its number of rows
// with non-zero weight, where R's svymean gives no design effect (ESS's anweight sums to
// 436 over 1,406 rows): the finite-population factor 1 − n/N̂ would be negative.
func (d *Design) weightsBelowN(stat Statistic, t Cell) bool {
	return t.W < float64(t.NW) && (stat == Mean || stat == Prop) && d.rep == nil
}

// deff is the design effect of deff=TRUE (svymean/svytotal/svyratio): the variance over
// the variance under simple random sampling without replacement of the same number of
// observations, Var_srs = s²/n · (1 − n/N̂), s² = n/(n−1) Σw(y−ȳ)²/Σw with n the rows
// with non-zero weight (all rows in a replicate design) and N̂ = Σw; a total scales by N̂²,
// a ratio uses y − R x over Σ w x. R gives no design effect for a replicate ratio.
func (d *Design) deff(stat Statistic, l lin) float64 {
	t := l.tot
	n := float64(t.NW)
	if d.rep != nil {
		if stat == Ratio {
			return math.NaN()
		}
		n = float64(t.N)
	}
	var ss float64 // Σ w (u − ū)² / Σ w for the linearised variable u
	switch stat {
	case Ratio:
		r := l.est
		m := (t.A - r*t.B) / t.B / t.W
		ss = (t.AA-2*r*t.AB+r*r*t.BB)/(t.B*t.B)/t.W - m*m
	default:
		m := t.A / t.W
		ss = t.AA/t.W - m*m
	}
	s2 := n / (n - 1) * ss
	vsrs := s2 * (t.W - n) / (t.W * n)
	if stat != Mean && stat != Prop {
		vsrs *= t.W * t.W
	}
	if d.weightsBelowN(stat, t) {
		return math.NaN() // svymean: "sample size greater than population size"
	}
	return l.v / vsrs
}

func (d *Design) linear(j job, s *Sums, dm *domains, opt *Options) ([]Record, error) {
	stat := j.stat
	var tv *taylor
	if d.rep == nil {
		tv = d.newTaylor()
	}
	var lik []glmStart
	if stat == Prop && opt.PropCI == CILikelihood {
		tot := make([]Cell, len(dm.labels))
		for dd := range tot {
			tot[dd] = s.domainTotal(dd)
		}
		lik = d.glmStarts(j.item.A, dm.code, tot)
	}
	out := make([]Record, 0, len(dm.labels))
	for dd := range dm.labels {
		l, err := d.linearStats(stat, j.item, dm.code, s, dd, tv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dm.where(dd), err)
		}
		rec := Record{Variable: j.name, Statistic: stat, Level: j.level, By: dm.byMap(dd)}
		d.fill(&rec, l, opt)
		if l.tot.N > 0 {
			rec.Deff = d.deff(stat, l)
			switch {
			case lik != nil:
				rec.CILow, rec.CIHigh = d.likelihood(l, lik[dd], j.item, dm.code, s, dd, tv, rec.DF, opt.Level)
			case stat == Prop:
				rec.CILow, rec.CIHigh = d.propCI(opt.PropCI, l, rec.DF, opt.Level)
			}
		}
		rec.flag(opt.Thresholds)
		if l.tot.N > 0 && d.weightsBelowN(stat, l.tot) {
			rec.Flags = append(rec.Flags, FlagWeightsBelowN)
		}
		out = append(out, rec)
	}
	return out, nil
}

// likelihood is the profile-likelihood interval of a proportion in domain dd, from the
// emulated glm fit. The design variance of β̂ is svy.varcoef's: the influence
// w(y−μ̂)/(μ.η·Σw) through the linearisation variance. Replicate designs get no
// interval: R's confint.svyglm cannot profile them either.
func (d *Design) likelihood(l lin, st glmStart, it Item, dom []int32, s *Sums, dd int, tv *taylor, df, level float64) (lo, hi float64) {
	t := l.tot
	if d.rep != nil || t.A <= 0 || t.A >= t.W {
		return math.NaN(), math.NaN()
	}
	n := d.modelRows(t)
	fit := fitIntercept(st, n, t.W, t.A)
	me := logitMuEta(fit.beta)
	var covU float64
	if len(d.cal) > 0 {
		covU = d.calibratedVar(it, dom, dd, func(w, y, _ float64) float64 { return w * (y - fit.mu) / (me * t.W) })
	} else {
		cells, units := s.domain(dd)
		tv.loadSparse(cells, units, func(c *Cell) float64 { return (c.A - fit.mu*c.W) / (me * t.W) })
		covU = tv.variance()
	}
	return likelihoodCI(fit, covU, n, float64(t.NW), t.W, t.A, df, level)
}

// modelRows is nrow(design) for a domain as R's svyciprop and svyglm see it: the
// domain's rows, or every row of a calibrated design (which keeps all rows in a subset).
func (d *Design) modelRows(t Cell) float64 {
	if len(d.cal) > 0 {
		return float64(d.n)
	}
	return float64(t.N)
}

// fill sets the fields common to every statistic; the interval is the t interval
// est ± t_{df,1−α/2}·SE (confint(..., df=degf(design))).
func (d *Design) fill(rec *Record, l lin, opt *Options) {
	rec.N = l.tot.NW
	rec.SumWeights = l.tot.W
	rec.Estimate = l.est
	rec.SE = math.Sqrt(l.v)
	rec.DF = l.df
	rec.Deff = math.NaN()
	rec.CV = rec.SE / rec.Estimate
	rec.CILow, rec.CIHigh = tInterval(rec.Estimate, rec.SE, rec.DF, opt.Level)
}

func (rec *Record) flag(th Thresholds) {
	rec.Flags = []string{}
	if rec.N == 0 {
		rec.Flags = append(rec.Flags, FlagEmpty)
	}
	if rec.N < int64(th.MinN) {
		rec.Flags = append(rec.Flags, FlagSmallN)
	}
	if math.Abs(rec.CV) > th.MaxCV {
		rec.Flags = append(rec.Flags, FlagHighCV)
	}
	if rec.DF < th.MinDF {
		rec.Flags = append(rec.Flags, FlagLowDF)
	}
	if rec.N > 0 && (math.IsNaN(rec.CILow) || math.IsNaN(rec.CIHigh)) {
		rec.Flags = append(rec.Flags, FlagNoCI)
	}
}

// where names domain dd for errors.
func (dm *domains) where(dd int) string {
	if len(dm.by) == 0 {
		return "whole sample"
	}
	parts := make([]string, len(dm.by))
	for j, name := range dm.by {
		parts[j] = fmt.Sprintf("%s=%q", name, dm.labels[dd][j])
	}
	return "domain " + strings.Join(parts, ", ")
}
