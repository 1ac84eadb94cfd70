package survey

import (
	"fmt"
	"math"
	"sort"
)

// quantiles estimates weighted quantiles in every domain with Woodruff (1952) intervals
// as svyquantile in survey ≥ 4 (Lumley 2010, sec. 2.4.2): with q̂ the estimate, a
// confidence interval [L, U] for the proportion p̂ = F̂(q̂) (the design-based mean of
// 1{y ≤ q̂}) is mapped back through the quantile rule, Q(L) and Q(U), and the standard
// error is (Q(U) − Q(L)) / (2·t_{df,1−α/2}). A bound of the interval for p̂ outside
// [0, 1] gives NaN, as R.
func (d *Design) quantiles(rq Request, y []float64, dm *domains, opt *Options) ([]Record, error) {
	nDom := len(dm.labels)
	rows := domainRows(dm.code, y, nDom)
	xs := make([][]float64, nDom)
	ws := make([][]float64, nDom)
	for dd, idx := range rows {
		sort.SliceStable(idx, func(a, b int) bool { return y[idx[a]] < y[idx[b]] })
		for _, i := range idx {
			if d.w[i] != 0 {
				xs[dd] = append(xs[dd], y[i])
				ws[dd] = append(ws[dd], d.w[i])
			}
		}
	}
	return d.woodruff(rq, xs, ws, dm, opt, func(qhat []float64) (Item, *Sums, error) {
		ind := make([]float64, d.n)
		for i, dd := range dm.code {
			switch {
			case dd < 0 || math.IsNaN(y[i]):
				ind[i] = math.NaN()
			case y[i] <= qhat[dd]:
				ind[i] = 1
			}
		}
		it := Item{A: ind, Column: rq.Variable, AtMost: qhat}
		return it, opt.Producer.Accumulate(d, []Item{it}, dm.code, nDom)[0], nil
	})
}

// woodruff is quantiles from each domain's sorted values xs[dd] and their weights
// ws[dd] (rows of non-zero weight; ties may be compressed, see TiedWeights) and sums,
// which returns the Sums of the indicator 1{y ≤ q̂[domain]} for the estimates q̂.
func (d *Design) woodruff(rq Request, xs, ws [][]float64, dm *domains, opt *Options, sums func(qhat []float64) (Item, *Sums, error)) ([]Record, error) {
	nDom := len(dm.labels)
	rule := opt.Rule.rule()
	var out []Record
	for _, p := range rq.Probs {
		qhat := make([]float64, nDom)
		for dd := range qhat {
			qhat[dd] = math.NaN()
			if len(xs[dd]) > 0 {
				qhat[dd] = rule(xs[dd], ws[dd], p)
			}
		}
		it, s, err := sums(qhat)
		if err != nil {
			return nil, err
		}
		var tv *taylor
		if d.rep == nil {
			tv = d.newTaylor()
		}
		for dd := range dm.labels {
			l, err := d.linearStats(Mean, it, dm.code, s, dd, tv)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", dm.where(dd), err)
			}
			pp := p
			rec := Record{Variable: rq.Variable, Statistic: Quantile, P: &pp, By: dm.byMap(dd)}
			d.fill(&rec, l, opt)
			rec.Estimate = qhat[dd]
			if l.tot.N > 0 {
				pl, pu := d.propCI(opt.QuantileCI, l, l.df, opt.Level)
				rec.CILow, rec.CIHigh = math.NaN(), math.NaN()
				if !(math.IsNaN(pl) || pl < 0) {
					rec.CILow = rule(xs[dd], ws[dd], pl)
				}
				if !(math.IsNaN(pu) || pu > 1) {
					rec.CIHigh = rule(xs[dd], ws[dd], pu)
				}
				rec.SE = (rec.CIHigh - rec.CILow) / (2 * qt(1-(1-opt.Level)/2, l.df))
				rec.CV = rec.SE / rec.Estimate
			}
			rec.flag(opt.Thresholds)
			out = append(out, rec)
		}
	}
	return out, nil
}

// rule is the quantile rule's function of sorted values, their weights and p.
func (r QuantileRule) rule() func(x, w []float64, p float64) float64 {
	if r == QRuleHF7 {
		return qruleHF7
	}
	return qruleMath
}

// TiedWeights gives a domain's distribution to the quantile rules from rows grouped by
// value, for a source that sums in SQL: per distinct value x[j] (ascending), with
// weight sum sum[j] over its n[j] rows and last[j] the weight of its last row in row
// order, the entries (x, sum − last), (x, last) when n > 1 and (x, sum) when n = 1.
// Both rules give from these the quantile they give from the rows sorted stably:
// qrule_math reads the running sums C only where a run of ties ends, and whether the
// first run has more than one row (with no C ≤ p·ΣW it takes the second row's value);
// qrule_hf7 interpolates over p_k = C_{k−1}/C_{n−2}, constant within a run and linear
// between a run's last row, at C − last, and the next run's first, at C. Equal up to
// the rounding of the running sums: with fractional weights a p·ΣW within an ulp of a
// run's end may pick the next value on one side and not the other.
func TiedWeights(x, sum []float64, n []int64, last []float64) (xs, ws []float64) {
	for j := range x {
		if n[j] > 1 {
			xs = append(xs, x[j], x[j])
			ws = append(ws, sum[j]-last[j], last[j])
		} else {
			xs = append(xs, x[j])
			ws = append(ws, sum[j])
		}
	}
	return xs, ws
}

// domainRows lists, per domain, the rows in it with y not missing, in row order.
func domainRows(code []int32, y []float64, nDom int) [][]int {
	rows := make([][]int, nDom)
	for i, dd := range code {
		if dd >= 0 && !math.IsNaN(y[i]) {
			rows[dd] = append(rows[dd], i)
		}
	}
	return rows
}

// cumsum returns running sums accumulated in double-double precision and rounded to
// float64 at each step, as R's cumsum and sum accumulate in long double.
func cumsum(w []float64) []float64 {
	out := make([]float64, len(w))
	var hi, lo float64
	for i, x := range w {
		s := hi + x // TwoSum(hi, x)
		bp := s - hi
		e := (hi - (s - bp)) + (x - bp) + lo
		hi = s + e // FastTwoSum(s, e)
		lo = e - (hi - s)
		out[i] = hi
	}
	return out
}

// qruleMath is survey's qrule_math (via qs): with x sorted and C the running sums of the
// weights, pos is the last index with C ≤ p·ΣW (the first when there is none); the
// quantile is x[pos] when C[pos]/ΣW equals p exactly, else x[pos+1].
func qruleMath(x, w []float64, p float64) float64 {
	c := cumsum(w)
	total := c[len(c)-1]
	pos := 0
	for i, ci := range c {
		if ci <= p*total {
			pos = i
		}
	}
	if p-c[pos]/total == 0 {
		return x[pos]
	}
	return x[min(pos+1, len(x)-1)]
}

// qruleHF7 is survey's qrule_hf7: the weighted analogue of Hyndman & Fan's type 7,
// interpolating x linearly over p_k = C_{k−1}/C_{n−1} (p_1 = 0, p_n = 1), constant
// beyond the ends (R's approx(rule=2)).
func qruleHF7(x, w []float64, p float64) float64 {
	n := len(x)
	if n == 1 {
		return x[0]
	}
	c := cumsum(w)
	pk := make([]float64, n)
	for k := 1; k < n; k++ {
		pk[k] = c[k-1] / c[n-2]
	}
	if p < pk[0] {
		return x[0]
	}
	if p > pk[n-1] {
		return x[n-1]
	}
	return interpolate(pk, x, p)
}
