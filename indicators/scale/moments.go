package scale

import (
	"fmt"
	"math"
)

// Moments are the sufficient statistics of one group's item responses, gathered in
// one pass by Accumulate: pairwise-complete sums (for alpha, as psych), complete-case
// sums (for the CFA, listwise as lavaan) and weighted complete-case sums (for the
// weighted alpha). Everything else in the package works from them, so that the cost
// of the fits does not grow with the number of respondents.
type Moments struct {
	// Items names the items (for errors and output); Group names the group.
	Items []string
	Group string
	// Rows counts the respondents of the group who answered at least one item.
	Rows int

	k     int
	shift []float64 // sums are of x − shift, for accuracy

	// complete cases: count, Σ(x−c), lower triangle of Σ(x−c)(x−c)ᵀ (row major k×k)
	n    float64
	sum  []float64
	prod []float64
	// the same weighted by w
	sw    float64
	wsum  []float64
	wprod []float64
	// incomplete rows' pairwise contributions (row major k×k, both triangles):
	// count of rows with i and j, Σ(x_i−c_i) over them, Σ(x_i−c_i)(x_j−c_j)
	pn, ps, pp []float64
	// psych's total: the row mean of the answered items, its count, Σ and Σ².
	tn, ts, tss float64
}

// K is the number of items.
func (m *Moments) K() int { return m.k }

// N is the number of complete cases (respondents answering every item).
func (m *Moments) N() int { return int(m.n) }

func newMoments(names []string, shift []float64) *Moments {
	k := len(names)
	return &Moments{Items: names, k: k, shift: shift,
		sum: make([]float64, k), prod: make([]float64, k*k),
		wsum: make([]float64, k), wprod: make([]float64, k*k),
		pn: make([]float64, k*k), ps: make([]float64, k*k), pp: make([]float64, k*k)}
}

// Accumulate gathers the Moments of each group in one pass over the respondents.
// items[j][i] is item j of respondent i (NaN when not answered), names[j] its name;
// weights (nil for every weight 1) are survey weights, a respondent with weight 0
// counting nowhere (outside a subpopulation); group[i] in 0..groups−1 is the group of
// respondent i, −1 for none (nil: everyone in group 0 of 1).
func Accumulate(names []string, items [][]float64, weights []float64, group []int32, groups int) ([]*Moments, error) {
	a, err := NewAccumulator(names)
	if err != nil {
		return nil, err
	}
	if group == nil {
		groups = 1
	}
	if groups < 1 {
		return nil, fmt.Errorf("scale: %d groups", groups)
	}
	if err := a.Add(items, weights, group, groups); err != nil {
		return nil, err
	}
	ms := a.Moments()
	for g, m := range ms {
		m.Group = fmt.Sprint(g)
	}
	if group == nil {
		ms[0].Group = "all"
	}
	return ms, nil
}

// An Accumulator gathers the Moments of groups over respondents given a batch at a
// time (Add), so that a stage reading the respondents in batches never holds them
// all: the Moments equal, bit for bit, those Accumulate gathers from all the batches
// at once (the same sums in the same order, each item's shift its first answer).
type Accumulator struct {
	names []string
	shift []float64
	seen  []bool
	ms    []*Moments
	rows  int // respondents added, for errors
}

// NewAccumulator is an Accumulator for the items names (at least two).
func NewAccumulator(names []string) (*Accumulator, error) {
	if len(names) < 2 {
		return nil, fmt.Errorf("scale: %d item(s); a scale needs at least two", len(names))
	}
	k := len(names)
	return &Accumulator{names: names, shift: make([]float64, k), seen: make([]bool, k)}, nil
}

// Moments are the groups' Moments so far, by group code (groups never added to
// have none: every count 0).
func (a *Accumulator) Moments() []*Moments { return a.ms }

// Add gathers a batch: items, weights and group as for Accumulate (nil group:
// everyone in group 0), group codes the same groups in every batch; groups is at
// least one more than the largest code, and the Accumulator grows to it.
func (a *Accumulator) Add(items [][]float64, weights []float64, group []int32, groups int) error {
	k, names := len(a.names), a.names
	if len(items) != k {
		return fmt.Errorf("scale: %d items for %d names", len(items), k)
	}
	n := len(items[0])
	for j := range items {
		if len(items[j]) != n {
			return fmt.Errorf("scale: item %s has %d rows, item %s %d", names[j], len(items[j]), names[0], n)
		}
	}
	if weights != nil && len(weights) != n {
		return fmt.Errorf("scale: %d weights for %d respondents", len(weights), n)
	}
	if group == nil {
		groups = max(groups, 1)
	} else if len(group) != n {
		return fmt.Errorf("scale: %d group codes for %d respondents", len(group), n)
	}
	for len(a.ms) < groups {
		a.ms = append(a.ms, newMoments(names, a.shift))
	}
	for j := range items {
		if a.seen[j] {
			continue
		}
		for _, x := range items[j] {
			if !math.IsNaN(x) {
				a.shift[j], a.seen[j] = x, true
				break
			}
		}
	}
	shift, first := a.shift, a.rows
	a.rows += n
	x := make([]float64, k)
	present := make([]int, 0, k)
	for i := range n {
		g := 0
		if group != nil {
			g = int(group[i])
			if g < 0 {
				continue
			}
			if g >= groups {
				return fmt.Errorf("scale: respondent %d: group code %d outside 0..%d", first+i+1, g, groups-1)
			}
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
			if w == 0 {
				continue
			}
			if !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("scale: respondent %d: weight %v, want a finite number ≥ 0", first+i+1, w)
			}
		}
		m := a.ms[g]
		present = present[:0]
		rowSum := 0.0
		for j := range k {
			v := items[j][i]
			if math.IsInf(v, 0) {
				return fmt.Errorf("scale: respondent %d: item %s is infinite", first+i+1, names[j])
			}
			if !math.IsNaN(v) {
				present = append(present, j)
				rowSum += v
				v -= shift[j]
			}
			x[j] = v
		}
		if len(present) == 0 {
			continue
		}
		m.Rows++
		mean := rowSum / float64(len(present))
		m.tn++
		m.ts += mean
		m.tss += mean * mean
		if len(present) == k {
			m.n++
			m.sw += w
			for a := range k {
				xa := x[a]
				m.sum[a] += xa
				m.wsum[a] += w * xa
				row := m.prod[a*k : a*k+a+1]
				wrow := m.wprod[a*k : a*k+a+1]
				for b, xb := range x[:a+1] {
					row[b] += xa * xb
					wrow[b] += w * xa * xb
				}
			}
			continue
		}
		for _, a := range present {
			for _, b := range present {
				m.pn[a*k+b]++
				m.ps[a*k+b] += x[a]
				m.pp[a*k+b] += x[a] * x[b]
			}
		}
	}
	return nil
}

// PairwiseCov is R's cov(x, use = "pairwise"): C[a*k+b] over the respondents
// answering items a and b, divisor n_ab − 1, and the count, mean and SD (over the
// respondents answering it) of each item.
func (m *Moments) PairwiseCov() (c []float64, n []int, mean, sd []float64) {
	k := m.k
	c = make([]float64, k*k)
	n = make([]int, k)
	mean = make([]float64, k)
	sd = make([]float64, k)
	for a := range k {
		for b := range k {
			lo, hi := max(a, b), min(a, b)
			nab := m.n + m.pn[a*k+b]
			sa := m.sum[a] + m.ps[a*k+b]
			sb := m.sum[b] + m.ps[b*k+a]
			pab := m.prod[lo*k+hi] + m.pp[a*k+b]
			c[a*k+b] = (pab - sa*sb/nab) / (nab - 1)
			if a == b {
				n[a] = int(nab)
				mean[a] = sa/nab + m.shift[a]
			}
		}
		sd[a] = math.Sqrt(c[a*k+a])
	}
	return c, n, mean, sd
}

// Complete is the listwise-complete sample: the count, the means and the covariance
// matrix with divisor N (the maximum-likelihood S lavaan fits).
func (m *Moments) Complete() (n float64, mean, cov []float64) {
	return m.n, meanOf(m.sum, m.n, m.shift), covOf(m.prod, m.sum, m.n, m.k)
}

// Weighted is the weighted complete-case sample: Σw, the weighted means and the
// weighted covariance with divisor Σw.
func (m *Moments) Weighted() (sw float64, mean, cov []float64) {
	return m.sw, meanOf(m.wsum, m.sw, m.shift), covOf(m.wprod, m.wsum, m.sw, m.k)
}

func meanOf(sum []float64, n float64, shift []float64) []float64 {
	mean := make([]float64, len(sum))
	for a, s := range sum {
		mean[a] = s/n + shift[a]
	}
	return mean
}

// covOf is the full covariance matrix, divisor n, from the lower triangle of the
// products and the sums (of shifted values).
func covOf(prod, sum []float64, n float64, k int) []float64 {
	c := make([]float64, k*k)
	for a := range k {
		for b := 0; b <= a; b++ {
			v := (prod[a*k+b] - sum[a]*sum[b]/n) / n
			c[a*k+b], c[b*k+a] = v, v
		}
	}
	return c
}

// Merge adds the moments of o (the same items, gathered with the same shift by one
// Accumulate) to m: the moments of the union of the two groups.
func (m *Moments) Merge(o *Moments) {
	m.Rows += o.Rows
	m.n += o.n
	m.sw += o.sw
	m.tn += o.tn
	m.ts += o.ts
	m.tss += o.tss
	for _, p := range [][2][]float64{{m.sum, o.sum}, {m.prod, o.prod}, {m.wsum, o.wsum}, {m.wprod, o.wprod}, {m.pn, o.pn}, {m.ps, o.ps}, {m.pp, o.pp}} {
		for i, v := range p[1] {
			p[0][i] += v
		}
	}
}

// Clone is a copy of m (for Merge into a new total).
func (m *Moments) Clone() *Moments {
	c := *m
	c.sum, c.prod, c.wsum, c.wprod = clone(m.sum), clone(m.prod), clone(m.wsum), clone(m.wprod)
	c.pn, c.ps, c.pp = clone(m.pn), clone(m.ps), clone(m.pp)
	return &c
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }
