package survey

import (
	"errors"
	"fmt"
	"math"
)

// Domain is a set of rows to estimate in: Rows[i] says whether row i belongs to it; nil
// Rows is the whole sample. As everywhere in the engine a domain keeps the other rows
// in the design with weight zero, never a subset (Lumley 2010, sec. 2.3.1), and rows
// with a missing analysis value are outside it (na.rm=TRUE).
type Domain struct {
	Name string
	Rows []bool
}

// GroupDomains returns one domain per value of column by, in the order of Estimate's
// domains (levels sorted, numerically when all numeric), each named by its value. Rows
// with a missing value belong to none.
func (d *Design) GroupDomains(by string) ([]Domain, error) {
	dm, err := d.domains([]string{by})
	if err != nil {
		return nil, fmt.Errorf("group domains of %q: %w", by, err)
	}
	out := make([]Domain, len(dm.labels))
	for k, lab := range dm.labels {
		out[k] = Domain{Name: lab[0], Rows: make([]bool, d.n)}
	}
	for i, c := range dm.code {
		if c >= 0 {
			out[c].Rows[i] = true
		}
	}
	return out, nil
}

// DomainSet is one statistic estimated in several (possibly overlapping) domains with
// the joint covariance matrix of those estimates, the input of Contrast.
type DomainSet struct {
	Statistic  Statistic
	Variable   string // the analysis column ("num/den" for a ratio)
	Level      string // the proportion's level, when it has one
	Names      []string
	Estimate   []float64
	N          []int64   // rows with a value and a non-zero weight, per domain
	SumWeights []float64 // Σ w over those rows
	// DF is the design degrees of freedom of the whole sample (Design.DF), which
	// svycontrast's confint(..., df = degf(design)) uses for every contrast.
	DF float64

	// combination is the design variance of Σ_k c_k θ_k; the covariance matrix is
	// never formed, so that 357 municipalities cost 357 columns of unit totals, not
	// a 358×358 matrix of variances.
	combination func(c []float64) float64
}

// Cov is the covariance of the estimates of domains j and k (the variance when j ==
// k), NaN when either domain is empty. Off the diagonal it follows by polarisation,
//
//	C_jk = (V(θ_j/s_j + θ_k/s_k) − V(θ_j)/s_j² − V(θ_k)/s_k²)/2 · s_j s_k,  s_j = √V(θ_j),
//
// the scaling keeping it accurate whatever the estimates' sizes.
func (s *DomainSet) Cov(j, k int) float64 {
	if s.N[j] == 0 || s.N[k] == 0 {
		return math.NaN()
	}
	c := make([]float64, len(s.Estimate))
	c[j] = 1
	vj := s.combination(c)
	if j == k {
		return vj
	}
	c[j] = 0
	c[k] = 1
	vk := s.combination(c)
	sj, sk := scaleOf(vj), scaleOf(vk)
	c[j], c[k] = 1/sj, 1/sk
	both := s.combination(c)
	return (both - vj/(sj*sj) - vk/(sk*sk)) / 2 * sj * sk
}

// scaleOf is √v, or 1 when that is not a positive finite number.
func scaleOf(v float64) float64 {
	s := math.Sqrt(v)
	if !(s > 0) || math.IsInf(s, 0) {
		return 1
	}
	return s
}

// ErrEmptyDomain is wrapped when a contrast puts weight on a domain without rows.
var ErrEmptyDomain = errors.New("domain has no rows")

// EstimateDomains estimates rq (a mean, total, ratio or a proportion of one level) in
// each domain and the covariance matrix of the estimates, accounting for their overlap
// (a municipality is part of the whole sample) and for the design's strata, stages,
// fpc, lonely-PSU rule and calibration. This is R's
//
//	svyby(~y, ~g, design, svymean, covmat = TRUE, na.rm = TRUE)
//
// extended to any domains: with Taylor linearisation, the influence functions of the
// domain estimates (Binder 1983; Deville 1999) are stacked as columns,
//
//	mean, proportion  z_ik = w_i 1{i ∈ D_k} (y_i − θ_k) / Σ_{D_k} w
//	total             z_ik = w_i 1{i ∈ D_k} y_i
//	ratio             z_ik = w_i 1{i ∈ D_k} (y_i − θ_k x_i) / Σ_{D_k} w x
//
// and their covariance is svyrecvar's on the whole design (influenceCov), as svyby
// does with the influence functions of each group; the same numbers follow from the
// delta method on svytotal, svycontrast(svytotal(~I(y*m) + m + y + one), quote(...)).
// Because the covariance is computed on the whole design, a domain's variance here is
// the one svyby(covmat=TRUE) reports: under AdjustDomainLonely it does not apply the
// domain lonely-PSU rule that Estimate (svymean on the subset) applies. Replicate
// designs recompute every domain estimate with each replicate's weights and take
// svrVar of the replicate vectors (replicateCov), as svyby(covmat=TRUE) on a
// svyrep.design.
func (d *Design) EstimateDomains(rq Request, doms []Domain) (*DomainSet, error) {
	where := fmt.Sprintf("domain estimates of %s of %s", rq.Statistic, rq.name())
	if len(doms) == 0 {
		return nil, fmt.Errorf("%s: no domains", where)
	}
	switch rq.Statistic {
	case Mean, Total, Ratio, Prop:
	default:
		return nil, fmt.Errorf("%s: statistic %q: want mean, total, ratio or prop", where, rq.Statistic)
	}
	js, err := d.jobs(rq)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if len(js) != 1 {
		return nil, fmt.Errorf("%s: %d levels; name one level of a categorical proportion", where, len(js))
	}
	for _, dm := range doms {
		if dm.Rows != nil && len(dm.Rows) != d.n {
			return nil, fmt.Errorf("%s: domain %q has %d rows, the design has %d", where, dm.Name, len(dm.Rows), d.n)
		}
	}
	ds, err := d.domainSet(js[0], doms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return ds, nil
}

// domainMembers lists, per domain, the rows in it that have the item's values.
func (d *Design) domainMembers(it Item, doms []Domain) [][]int32 {
	ok := func(i int) bool {
		return !math.IsNaN(it.A[i]) && (it.B == nil || !math.IsNaN(it.B[i]))
	}
	rows := make([][]int32, len(doms))
	for k, dm := range doms {
		for i := 0; i < d.n; i++ {
			if (dm.Rows == nil || dm.Rows[i]) && ok(i) {
				rows[k] = append(rows[k], int32(i))
			}
		}
	}
	return rows
}

// domainEstimates is θ_k of every domain with weights w, and the sums Σw, Σw·x (the
// denominators of the influence functions).
func domainEstimates(stat Statistic, it Item, rows [][]int32, w []float64) (est, sw, den []float64) {
	p := len(rows)
	est, sw, den = make([]float64, p), make([]float64, p), make([]float64, p)
	for k, rs := range rows {
		var a float64
		for _, i := range rs {
			sw[k] += w[i]
			a += w[i] * it.A[i]
			if it.B != nil {
				den[k] += w[i] * it.B[i]
			}
		}
		switch stat {
		case Total:
			est[k], den[k] = a, 1
		case Ratio:
			est[k] = a / den[k]
		default:
			est[k], den[k] = a/sw[k], sw[k]
		}
	}
	return est, sw, den
}

func (d *Design) domainSet(j job, doms []Domain) (*DomainSet, error) {
	it, p := j.item, len(doms)
	rows := d.domainMembers(it, doms)
	est, sw, den := domainEstimates(j.stat, it, rows, d.w)
	s := &DomainSet{Statistic: j.stat, Variable: j.name, Level: j.level, Names: make([]string, p),
		Estimate: est, N: make([]int64, p), SumWeights: sw, DF: d.DF()}
	empty := make([]bool, p)
	for k, rs := range rows {
		s.Names[k] = doms[k].Name
		for _, i := range rs {
			if d.w[i] != 0 {
				s.N[k]++
			}
		}
		empty[k] = s.N[k] == 0
		if empty[k] {
			est[k] = math.NaN()
			continue
		}
		if j.stat == Ratio && den[k] == 0 {
			return nil, fmt.Errorf("domain %q: %d rows, sum of weighted denominator is 0: %w", doms[k].Name, s.N[k], ErrZeroWeight)
		}
	}
	if d.rep != nil {
		theta := make([][]float64, d.rep.r)
		wr := make([]float64, d.n)
		for r := range theta {
			d.repWeights(r, wr)
			theta[r], _, _ = domainEstimates(j.stat, it, rows, wr)
		}
		s.combination = d.rep.combinationVariance(theta, est)
		return s, nil
	}
	// unit totals of the influence functions, column k for domain k
	cells := d.unitCells(nil)
	unit := d.unit[d.finest()]
	tot := make([]float64, len(cells)*p)
	influence := func(k int, i int32) float64 {
		y := it.A[i]
		switch j.stat {
		case Ratio:
			y -= est[k] * it.B[i]
		case Mean, Prop:
			y -= est[k]
		}
		return d.w[i] * y / den[k]
	}
	if len(d.cal) > 0 {
		// calibration residuals are not zero outside the domain: every row counts
		x := make([]float64, d.n*p)
		for k, rs := range rows {
			if !empty[k] {
				for _, i := range rs {
					x[int(i)*p+k] = influence(k, i)
				}
			}
		}
		x = d.calResiduals(x, p)
		for i, u := range unit {
			t := tot[int(u)*p : int(u+1)*p]
			for k, v := range x[i*p : (i+1)*p] {
				t[k] += v
			}
		}
	} else {
		for k, rs := range rows {
			if !empty[k] {
				for _, i := range rs {
					tot[int(unit[i])*p+k] += influence(k, i)
				}
			}
		}
	}
	s.combination = d.totalsVariance(tot, p, cells)
	return s, nil
}

// Contrast is a linear combination of estimates with its standard error and t interval.
type Contrast struct {
	Estimate, SE, DF, CILow, CIHigh float64
}

// Contrast returns Σ_k c_k θ_k with variance cᵀ Σ c (Σ = Cov, computed as the design
// variance of the combined influence functions, not from the matrix) and the t interval on the
// design df at the given confidence level: R's svycontrast(stat, c) followed by
// confint(..., df = degf(design)). Domains with c_k = 0 do not enter, so an empty domain
// matters only when the contrast uses it (ErrEmptyDomain). A variance that rounding
// makes slightly negative (a domain that is the whole sample) counts as 0.
func (s *DomainSet) Contrast(c []float64, level float64) (Contrast, error) {
	if len(c) != len(s.Estimate) {
		return Contrast{}, fmt.Errorf("contrast: %d coefficients for %d domains", len(c), len(s.Estimate))
	}
	if !(level > 0 && level < 1) {
		return Contrast{}, fmt.Errorf("contrast: confidence level %v: want a number between 0 and 1", level)
	}
	var est float64
	for j, cj := range c {
		if cj == 0 {
			continue
		}
		if s.N[j] == 0 {
			return Contrast{}, fmt.Errorf("contrast: domain %q: %w", s.Names[j], ErrEmptyDomain)
		}
		est += cj * s.Estimate[j]
	}
	return newContrast(est, math.Max(s.combination(c), 0), s.DF, level), nil
}

// Difference is the contrast θ_a − θ_b of domains a and b (indices into Names).
func (s *DomainSet) Difference(a, b int, level float64) (Contrast, error) {
	if a < 0 || b < 0 || a >= len(s.Estimate) || b >= len(s.Estimate) {
		return Contrast{}, fmt.Errorf("difference: domains %d and %d of %d", a, b, len(s.Estimate))
	}
	c := make([]float64, len(s.Estimate))
	c[a]++
	c[b]--
	return s.Contrast(c, level)
}

func newContrast(est, v, df, level float64) Contrast {
	se := math.Sqrt(v)
	lo, hi := tInterval(est, se, df, level)
	return Contrast{Estimate: est, SE: se, DF: df, CILow: lo, CIHigh: hi}
}

// IndependentDifference is a − b for estimates from independent samples (two waves
// drawn separately): the variances add, SE = √(SE_a² + SE_b²), and the t interval takes
// the Welch–Satterthwaite degrees of freedom (Satterthwaite 1946)
//
//	df = (v_a + v_b)² / (v_a²/df_a + v_b²/df_b),
//
// which lie between min(df_a, df_b) and df_a + df_b (infinite df contribute 0 to the
// denominator; with both variances 0, df is the smaller df).
func IndependentDifference(a, b Contrast, level float64) (Contrast, error) {
	if !(level > 0 && level < 1) {
		return Contrast{}, fmt.Errorf("independent difference: confidence level %v: want a number between 0 and 1", level)
	}
	va, vb := a.SE*a.SE, b.SE*b.SE
	df := math.Min(a.DF, b.DF)
	if va+vb > 0 {
		df = (va + vb) * (va + vb) / (va*va/a.DF + vb*vb/b.DF)
	}
	return newContrast(a.Estimate-b.Estimate, va+vb, df, level), nil
}
