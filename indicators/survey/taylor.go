package survey

import "math"

// taylor holds scratch space for the linearisation variance of one domain. For every
// stage it lists the units that have rows in the domain, with their totals of the
// influence function and row counts, so the work follows the domain's rows, not the
// number of units in the design.
type taylor struct {
	d     *Design
	units [][]int32   // per stage, the present units
	t     [][]float64 // their influence totals
	cnt   [][]int64   // their rows
	nw    [][]int64   // their rows with non-zero weight

	slot [][]int32 // slot[k][u]: position of unit u in units[k] plus one (roll-up)
	// per-parent scratch for one stage, reset after use
	pm      []int
	psum    []float64
	pss     []float64
	pctr    []float64
	touched []int32
}

func (d *Design) newTaylor() *taylor {
	tv := &taylor{d: d}
	np := 0
	for k := 0; k < d.stages; k++ {
		tv.units = append(tv.units, nil)
		tv.t = append(tv.t, nil)
		tv.cnt = append(tv.cnt, nil)
		tv.nw = append(tv.nw, nil)
		var slot []int32
		if k < d.stages-1 {
			slot = make([]int32, d.nUnits[k])
		}
		tv.slot = append(tv.slot, slot)
		np = max(np, d.nParents[k])
	}
	tv.pm = make([]int, np)
	tv.psum = make([]float64, np)
	tv.pss = make([]float64, np)
	tv.pctr = make([]float64, np)
	return tv
}

// load sets the finest-stage totals z from cells holding every unit in order (units
// without rows have N = 0) and rolls them up.
func (tv *taylor) load(cells []Cell, z func(c *Cell) float64) { tv.loadSparse(cells, nil, z) }

// loadSparse is load for cells of the given units only (a domain's cells in Sums);
// units == nil means cell j is unit j.
func (tv *taylor) loadSparse(cells []Cell, units []int32, z func(c *Cell) float64) {
	k := tv.d.stages - 1
	us, ts, cs, ws := tv.units[k][:0], tv.t[k][:0], tv.cnt[k][:0], tv.nw[k][:0]
	for j := range cells {
		c := &cells[j]
		if c.N == 0 {
			continue
		}
		u := int32(j)
		if units != nil {
			u = units[j]
		}
		us, ts, cs, ws = append(us, u), append(ts, z(c)), append(cs, c.N), append(ws, c.NW)
	}
	tv.units[k], tv.t[k], tv.cnt[k], tv.nw[k] = us, ts, cs, ws
	tv.rollUp()
}

// rollUp sums each stage's present units into their parents, the units of the stage
// before, in order of first appearance.
func (tv *taylor) rollUp() {
	d := tv.d
	for k := d.stages - 1; k > 0; k-- {
		slot := tv.slot[k-1]
		us, ts, cs, ws := tv.units[k-1][:0], tv.t[k-1][:0], tv.cnt[k-1][:0], tv.nw[k-1][:0]
		for j, u := range tv.units[k] {
			p := d.parent[k][u]
			if slot[p] == 0 {
				us, ts, cs, ws = append(us, p), append(ts, 0), append(cs, 0), append(ws, 0)
				slot[p] = int32(len(us))
			}
			i := slot[p] - 1
			ts[i] += tv.t[k][j]
			cs[i] += tv.cnt[k][j]
			ws[i] += tv.nw[k][j]
		}
		for _, p := range us {
			slot[p] = 0
		}
		tv.units[k-1], tv.t[k-1], tv.cnt[k-1], tv.nw[k-1] = us, ts, cs, ws
	}
}

// df is R's degf of the domain: PSUs minus strata among rows with non-zero weight.
func (tv *taylor) df() float64 {
	d := tv.d
	npsu, nstr := 0, 0
	for j, u := range tv.units[0] {
		if tv.nw[0][j] == 0 {
			continue
		}
		npsu++
		if h := d.parent[0][u]; tv.pm[h] == 0 {
			tv.pm[h] = 1
			tv.touched = append(tv.touched, h)
			nstr++
		}
	}
	tv.reset()
	return float64(npsu - nstr)
}

func (tv *taylor) reset() {
	for _, p := range tv.touched {
		tv.pm[p], tv.psum[p], tv.pss[p], tv.pctr[p] = 0, 0, 0, 0
	}
	tv.touched = tv.touched[:0]
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
	total := 0.0
	for k := 0; k < d.stages; k++ {
		sum, nstrat, nok := 0.0, 0, 0
		for _, p := range tv.strata(k) {
			v, ok := tv.onestrat(k, p)
			nstrat++
			if !ok {
				if k > 0 {
					// a later stage's stratum is one unit: survey's onestage then
					// scales 0 by 1/0
					tv.reset()
					return math.NaN()
				}
				continue
			}
			nok++
			if k > 0 {
				v *= d.mult[k][p]
			}
			sum += v
		}
		tv.reset()
		if k == 0 {
			// "average" rescales by present over usable strata
			sum *= float64(nstrat) / float64(nok)
		}
		total += sum
	}
	return total
}

// strata accumulates, for stage k, the present units' count, sum and (second pass)
// squared deviations from the centre onestrat uses, per parent, and returns the
// parents present.
func (tv *taylor) strata(k int) []int32 {
	d := tv.d
	units, t := tv.units[k], tv.t[k]
	for j, u := range units {
		p := d.parent[k][u]
		if tv.pm[p] == 0 {
			tv.touched = append(tv.touched, p)
		}
		tv.pm[p]++
		tv.psum[p] += t[j]
	}
	for _, p := range tv.touched {
		n := len(d.children[k][p])
		m := tv.pm[p]
		switch {
		case n == 1 || (m == 1 && d.spec.AdjustDomainLonely && d.spec.LonelyPSU == LonelyAdjust):
			tv.pctr[p] = 0 // adjust: centred at zero, not at the stratum mean
		default:
			tv.pctr[p] = tv.psum[p] / float64(n)
		}
	}
	for j, u := range units {
		p := d.parent[k][u]
		e := t[j] - tv.pctr[p]
		tv.pss[p] += e * e
	}
	return tv.touched
}

// onestrat is the contribution of stratum p at stage k (survey's onestrat), from the
// sums strata left; ok is false for an "NA" contribution.
func (tv *taylor) onestrat(k int, p int32) (v float64, ok bool) {
	d := tv.d
	f := d.fpcF[k][p]
	if f < certaintyTol {
		return 0, true
	}
	n := len(d.children[k][p])
	m := tv.pm[p]
	rule := d.spec.LonelyPSU
	if n == 1 {
		switch rule {
		case LonelyAdjust:
			return tv.pss[p] * f, true
		case LonelyAverage:
			return 0, false
		default: // remove, certainty (fail was refused by NewDesign)
			return 0, true
		}
	}
	if m == 1 && d.spec.AdjustDomainLonely && rule == LonelyAverage {
		return 0, false
	}
	c := tv.pctr[p]
	ss := tv.pss[p] + float64(n-m)*c*c
	return ss * f * float64(n) / float64(n-1), true
}
