package survey

import (
	"fmt"
	"math"
)

// Family is a GLM error distribution with its canonical link, as R's family objects:
// gaussian (identity), binomial and quasibinomial (logit), poisson and quasipoisson
// (log). Under a survey design the quasi and non-quasi versions give the same
// estimates and design-based standard errors (svyglm reports the same either way).
type Family string

const (
	Gaussian      Family = "gaussian"
	Binomial      Family = "binomial"
	Quasibinomial Family = "quasibinomial"
	Poisson       Family = "poisson"
	Quasipoisson  Family = "quasipoisson"
)

// link is a family's link and variance: μ = inv(η); dinv = dμ/dη, given η and μ (so
// that hot loops reuse μ); d2inv = d²μ/dη² (for marginal-effect gradients); V(μ) and
// the unit deviance.
type link struct {
	inv, d2inv func(eta float64) float64
	dinv       func(eta, mu float64) float64
	variance   func(mu float64) float64
	dev        func(y, mu float64) float64
	binary     bool // response a proportion in [0, 1]
	count      bool // response ≥ 0
}

// epsMu is R's .Machine$double.eps floor of μ.eta in binomial()/poisson().
const epsMu = 2.220446049250313e-16

func logistic(eta float64) float64 {
	if eta >= 0 {
		return 1 / (1 + math.Exp(-eta))
	}
	e := math.Exp(eta)
	return e / (1 + e)
}

// ylogy is y·log(y/μ) with 0·log 0 = 0 (R's y_log_y).
func ylogy(y, mu float64) float64 {
	if y == 0 {
		return 0
	}
	return y * math.Log(y/mu)
}

func (f Family) link() (link, error) {
	switch f {
	case Gaussian:
		return link{
			inv:      func(eta float64) float64 { return eta },
			dinv:     func(float64, float64) float64 { return 1 },
			d2inv:    func(float64) float64 { return 0 },
			variance: func(float64) float64 { return 1 },
			dev:      func(y, mu float64) float64 { return (y - mu) * (y - mu) },
		}, nil
	case Binomial, Quasibinomial:
		return link{
			inv:  logistic,
			dinv: func(_, m float64) float64 { return math.Max(m*(1-m), epsMu) },
			d2inv: func(eta float64) float64 {
				m := logistic(eta)
				return m * (1 - m) * (1 - 2*m)
			},
			variance: func(mu float64) float64 { return mu * (1 - mu) },
			dev:      func(y, mu float64) float64 { return 2 * (ylogy(y, mu) + ylogy(1-y, 1-mu)) },
			binary:   true,
		}, nil
	case Poisson, Quasipoisson:
		return link{
			inv:      math.Exp,
			dinv:     func(_, m float64) float64 { return math.Max(m, epsMu) },
			d2inv:    math.Exp,
			variance: func(mu float64) float64 { return mu },
			dev:      func(y, mu float64) float64 { return 2 * (ylogy(y, mu) - (y - mu)) },
			count:    true,
		}, nil
	}
	return link{}, fmt.Errorf("family %q: want gaussian, binomial, quasibinomial, poisson or quasipoisson", f)
}

// linkKind selects the inlined μ, dμ/dη and V(μ) of the canonical links in pass (the
// same arithmetic as the family's link functions).
type linkKind int

const (
	kindOther linkKind = iota
	kindIdentity
	kindLogit
	kindLog
)

func (f Family) kind() linkKind {
	switch f {
	case Gaussian:
		return kindIdentity
	case Binomial, Quasibinomial:
		return kindLogit
	case Poisson, Quasipoisson:
		return kindLog
	}
	return kindOther
}
