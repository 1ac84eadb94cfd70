package survey

import "math"

// taylor holds scratch space for the linearisation variance of one domain: per stage,
// the totals of the influence function and the number of rows present in each unit.
type taylor struct {
	d   *Design
	t   [][]float64
	cnt [][]int64
	nw  []int64 // stage-0 units: rows with non-zero weight
}

func (d *Design) newTaylor() *taylor {
	tv := &taylor{d: d, nw: make([]int64, d.nUnits[0])}
	for k := 0; k < d.stages; k++ {
		tv.t = append(tv.t, make([]float64, d.nUnits[k]))
		tv.cnt = append(tv.cnt, make([]int64, d.nUnits[k]))
	}
	return tv
}

// load sets the finest-stage totals z[u] for the cells of one domain and rolls totals,
// counts and non-zero-weight counts up to the PSUs.
func (tv *taylor) load(cells []Cell, z func(c *Cell) float64) {
	d := tv.d
	k := d.stages - 1
	for u := range cells {
		tv.t[k][u] = z(&cells[u])
		tv.cnt[k][u] = cells[u].N
	}
	for ; k > 0; k-- {
		up, upc := tv.t[k-1], tv.cnt[k-1]
		clear(up)
		clear(upc)
		for u, p := range d.parent[k] {
			up[p] += tv.t[k][u]
			upc[p] += tv.cnt[k][u]
		}
	}
	clear(tv.nw)
	k = d.stages - 1
	for u := range cells {
		tv.nw[d.ancestor(k, int32(u))] += cells[u].NW
	}
}

// ancestor returns the stage-0 unit above stage-k unit u.
func (d *Design) ancestor(k int, u int32) int32 {
	for ; k > 0; k-- {
		u = d.parent[k][u]
	}
	return u
}

// df is R's degf of the domain: PSUs minus strata among rows with non-zero weight.
func (tv *taylor) df() float64 {
	d := tv.d
	seen := make([]bool, d.nParents[0])
	npsu, nstr := 0, 0
	for u, nw := range tv.nw {
		if nw == 0 {
			continue
		}
		npsu++
		if s := d.parent[0][u]; !seen[s] {
			seen[s] = true
			nstr++
		}
	}
	return float64(npsu - nstr)
}

// variance is survey's svyrecvar for the loaded totals (Lumley 2010, sec. 2.3 and
// appendix; the multistage formula is Särndal, Swensson & Wretman 1992, result 4.3.1):
//
//	V = Σ_h f_h n_h/(n_h−1) Σ_i (t_hi − t̄_h)²
//	  + Σ_h (n_h/N_h) Σ_i V_2(i) + …
//
// with f_h = 1 − n_h/N_h (1 without fpc), n_h the PSUs of stratum h in the whole design
// (PSUs outside the domain count with total zero), and V_2(i) the same formula applied
// to the second-stage units of PSU i (only when fpc is given for every stage). Single
// PSU strata follow the design's LonelyPSU rule as survey's onestrat/onestage do,
// including survey.adjust.domain.lonely. Strata without rows in the domain are left out,
// which matters only for the "average" rule.
func (tv *taylor) variance() float64 {
	d := tv.d
	// Stage 0: strata are the parents; "average" rescales by present/usable strata.
	sum, nstrat, nok := 0.0, 0, 0
	for h := range d.children[0] {
		v, present, ok := tv.onestrat(0, h)
		if !present {
			continue
		}
		nstrat++
		if ok {
			nok++
			sum += v
		}
	}
	total := sum * float64(nstrat) / float64(nok)
	// Later stages: every unit of stage k−1 is its own stratum for stage k.
	for k := 1; k < d.stages; k++ {
		for p := range d.children[k] {
			v, present, ok := tv.onestrat(k, p)
			if !present {
				continue
			}
			if !ok {
				return math.NaN()
			}
			total += v * d.mult[k][p]
		}
	}
	return total
}

// onestrat is the contribution of stratum p at stage k (survey's onestrat); present is
// false when no unit of p has rows in the domain, ok false for an "NA" contribution.
func (tv *taylor) onestrat(k, p int) (v float64, present, ok bool) {
	d := tv.d
	ch := d.children[k][p]
	t, cnt := tv.t[k], tv.cnt[k]
	m := 0
	sum := 0.0
	for _, u := range ch {
		if cnt[u] > 0 {
			m++
			sum += t[u]
		}
	}
	if m == 0 {
		return 0, false, true
	}
	f := d.fpcF[k][p]
	if f < certaintyTol {
		return 0, true, true
	}
	n := len(ch)
	rule := d.spec.LonelyPSU
	adjDomain := d.spec.AdjustDomainLonely
	if m == 1 && n > 1 && adjDomain && rule == LonelyAverage {
		return 0, true, false
	}
	if n == 1 {
		switch rule {
		case LonelyAdjust:
			return t[ch[0]] * t[ch[0]] * f, true, true
		case LonelyAverage:
			return 0, true, false
		default: // remove, certainty (fail was refused by NewDesign)
			return 0, true, true
		}
	}
	mean := sum / float64(n)
	if rule == LonelyAdjust && m == 1 && adjDomain {
		mean = 0
	}
	ss := float64(n-m) * mean * mean
	for _, u := range ch {
		if cnt[u] > 0 {
			e := t[u] - mean
			ss += e * e
		}
	}
	return ss * f * float64(n) / float64(n-1), true, true
}
