package survey

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// qt is the Student t quantile with df degrees of freedom (R's qt); df = +Inf gives the
// normal quantile and df ≤ 0 or NaN gives NaN.
//
// gonum's StudentsT.Quantile fails far in the tails (at p = 1.7e-16 with 1,256 df it
// gives −9.18 where the quantile is −8.27; at p = 1.3e-17, −3.6e9), while its CDF keeps
// full relative accuracy there. So for p < tailP the quantile is found from the CDF:
// bracketed by doubling, bisected on a log scale to three digits, then polished by
// Newton's method on log F(t) = log p (step (log F(t) − log p)·F(t)/f(t)); p > 1 − tailP
// is taken by symmetry. The likelihood interval of a proportion with a large design
// effect needs such tail quantiles.
func qt(p, df float64) float64 {
	switch {
	case math.IsNaN(df) || df <= 0:
		return math.NaN()
	case math.IsInf(df, 1):
		return distuv.UnitNormal.Quantile(p)
	}
	const tailP = 1e-8
	if p > 1-tailP && p < 1 {
		return -qt(1-p, df)
	}
	d := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	if !(p > 0 && p < tailP) {
		return d.Quantile(p)
	}
	hi, lo := -1.0, -2.0 // F(hi) > p ≥ F(lo)
	for d.CDF(lo) > p {
		if math.IsInf(lo, -1) {
			return lo
		}
		hi, lo = lo, 2*lo
	}
	for lo/hi > 1.001 {
		mid := -math.Sqrt(lo * hi)
		if d.CDF(mid) > p {
			hi = mid
		} else {
			lo = mid
		}
	}
	t, logp := (lo+hi)/2, math.Log(p)
	for range 50 {
		F := d.CDF(t)
		step := (math.Log(F) - logp) * F / d.Prob(t)
		t -= step
		if math.Abs(step) <= 1e-15*math.Abs(t) {
			break
		}
	}
	return t
}

// tInterval is survey's tconfint: est + SE·qt(α/2, df), est + SE·qt(1−α/2, df).
func tInterval(est, se, df, level float64) (lo, hi float64) {
	a := (1 - level) / 2
	return est + se*qt(a, df), est + se*qt(1-a, df)
}

func expit(x float64) float64 { return math.Exp(x) / (1 + math.Exp(x)) }

// propCI is svyciprop's interval for a proportion p with variance v, design df and n
// rows in the domain (Lumley 2010, sec. 2.4.1; Korn & Graubard 1998 for beta):
//
//	logit, xlogit: expit(logit(p) ± t·√v/(p(1−p)))
//	mean:          p ± t·√v
//	asin:          sin²(asin(√p) ± t·√v/(2√(p(1−p))))
//	beta:          n* = p(1−p)/v·(qt(α/2, n−1)/qt(α/2, df))²,
//	               [qbeta(α/2, n*p, n*(1−p)+1), qbeta(1−α/2, n*p+1, n*(1−p))]
//	wilson:        the Wilson score interval on the effective sample size
//	               n* = p(1−p)/v (n when v = 0) with t = qt(1−α/2, df):
//	               (p + t²/(2n*) ∓ t·√(p(1−p)/n* + t²/(4n*²))) / (1 + t²/n*)
//	               (Kish's effective n, as Stata's svy proportion citype(wilson); R's
//	               svyciprop has no Wilson method, so this one has no R reference)
//
// For a replicate design the logit interval takes the replicate variance of logit(θ_r),
// as svyglm refitted on each replicate does.
func (d *Design) propCI(m PropCI, l lin, df, level float64) (lo, hi float64) {
	p, v, n := l.est, l.v, d.modelRows(l.tot)
	se := math.Sqrt(v)
	switch m {
	case CIMean:
		return tInterval(p, se, df, level)
	case CIAsin:
		a, b := tInterval(math.Asin(math.Sqrt(p)), se/(2*math.Sqrt(p*(1-p))), df, level)
		return math.Pow(math.Sin(a), 2), math.Pow(math.Sin(b), 2)
	case CIWilson:
		neff := p * (1 - p) / v
		if v == 0 {
			neff = n
		}
		t := qt(1-(1-level)/2, df)
		t2 := t * t / neff
		mid := p + t2/2
		half := t * math.Sqrt(p*(1-p)/neff+t2/(4*neff))
		return (mid - half) / (1 + t2), (mid + half) / (1 + t2)
	case CIBeta:
		alpha := 1 - level
		neff := p * (1 - p) / v
		r := qt(alpha/2, n-1) / qt(alpha/2, df)
		neff *= r * r
		return qbeta(alpha/2, neff*p, neff*(1-p)+1), qbeta(1-alpha/2, neff*p+1, neff*(1-p))
	}
	lse := se / (p * (1 - p))
	if m == CILogit && d.rep != nil {
		lse = math.Sqrt(l.logitV)
	}
	a, b := tInterval(math.Log(p/(1-p)), lse, df, level)
	return expit(a), expit(b)
}

// qbeta is R's qbeta(p, a, b), with the limits R uses for a zero shape: all mass at 0
// when a = 0, at 1 when b = 0.
func qbeta(p, a, b float64) float64 {
	switch {
	case math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0):
		return math.NaN()
	case a == 0:
		return 0
	case b == 0:
		return 1
	}
	return distuv.Beta{Alpha: a, Beta: b}.Quantile(p)
}
