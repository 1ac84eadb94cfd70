package scale

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// ErrNoVariance is wrapped when an item has no variance (psych drops such an item
// with a warning; socap refuses the scale, naming the item).
var ErrNoVariance = errors.New("has no variance")

// ErrTooFew is wrapped when a group has too few respondents for a statistic.
var ErrTooFew = errors.New("too few respondents")

// AlphaResult is psych::alpha's output for one group (package doc, Alpha).
type AlphaResult struct {
	Raw      float64 `json:"raw"`
	Std      float64 `json:"std"`
	G6       float64 `json:"g6"`
	AverageR float64 `json:"average_r"`
	MedianR  float64 `json:"median_r"`
	SN       float64 `json:"s_n"`
	ASE      float64 `json:"ase"`
	// Mean and SD of the total score, the mean of each respondent's answered items.
	Mean  float64     `json:"mean"`
	SD    float64     `json:"sd"`
	Items []ItemAlpha `json:"items"`
}

// ItemAlpha is psych's alpha.drop and item.stats row of one item.
type ItemAlpha struct {
	Item string `json:"item"`
	// AlphaIfDeleted, StdIfDeleted and AverageRIfDeleted are raw alpha, standardised
	// alpha and the average inter-item correlation without this item.
	AlphaIfDeleted    float64 `json:"alpha_if_deleted"`
	StdIfDeleted      float64 `json:"std_alpha_if_deleted"`
	AverageRIfDeleted float64 `json:"average_r_if_deleted"`
	RDrop             float64 `json:"r_drop"`
	StdR              float64 `json:"std_r"`
	Mean              float64 `json:"mean"`
	SD                float64 `json:"sd"`
	N                 int     `json:"n"`
}

// alphaParts are psych's alpha.1 of a covariance matrix c and its correlations r.
type alphaParts struct{ raw, std, g6, avr, medr, sn, q float64 }

func alpha1(c, r []float64, k int) alphaParts {
	var trC, sumC, sumR, trCC, sumCC float64
	for a := range k {
		trC += c[a*k+a]
		for b := range k {
			sumC += c[a*k+b]
			sumR += r[a*k+b]
			trCC += c[a*k+b] * c[b*k+a]
		}
	}
	for a := range k { // Σ(C²): the sum of every element of the matrix product C·C
		for b := range k {
			s := 0.0
			for l := range k {
				s += c[a*k+l] * c[l*k+b]
			}
			sumCC += s
		}
	}
	kf := float64(k)
	p := alphaParts{
		raw: (1 - trC/sumC) * kf / (kf - 1),
		std: (1 - kf/sumR) * kf / (kf - 1),
		avr: (sumR - kf) / (kf * (kf - 1)),
	}
	p.sn = kf * p.avr / (1 - p.avr)
	p.q = 2 * kf * kf / ((kf - 1) * (kf - 1) * sumC * sumC * sumC) * (sumC*(trCC+trC*trC) - 2*trC*sumCC)
	p.g6 = 1 - (kf-sumSMC(r, k))/sumR
	var lower []float64
	for a := range k {
		for b := range a {
			lower = append(lower, r[a*k+b])
		}
	}
	p.medr = median(lower)
	return p
}

// sumSMC is Σ_j smc_j, the squared multiple correlations 1 − 1/(R⁻¹)_jj (psych's smc;
// when R is singular, as psych, the largest absolute correlation of each item).
func sumSMC(r []float64, k int) float64 {
	var inv mat.Dense
	if err := inv.Inverse(mat.NewDense(k, k, slices.Clone(r))); err == nil {
		s := 0.0
		for j := range k {
			s += 1 - 1/inv.At(j, j)
		}
		return s
	}
	s := 0.0
	for a := range k {
		m := 0.0
		for b := range k {
			if a != b {
				m = max(m, math.Abs(r[a*k+b]))
			}
		}
		s += m
	}
	return s
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}

// cov2cor is R's cov2cor.
func cov2cor(c []float64, k int) []float64 {
	r := make([]float64, k*k)
	for a := range k {
		for b := range k {
			r[a*k+b] = c[a*k+b] / math.Sqrt(c[a*k+a]*c[b*k+b])
		}
		r[a*k+a] = 1
	}
	return r
}

// without is the (k−1)×(k−1) matrix c without row and column j.
func without(c []float64, k, j int) []float64 {
	out := make([]float64, 0, (k-1)*(k-1))
	for a := range k {
		if a == j {
			continue
		}
		for b := range k {
			if b != j {
				out = append(out, c[a*k+b])
			}
		}
	}
	return out
}

// checkVariance refuses a covariance matrix with an item of no (or undefined) variance.
func (m *Moments) checkVariance(c []float64) error {
	for a := range m.k {
		if v := c[a*m.k+a]; !(v > 0) {
			return fmt.Errorf("group %s: item %s %w (variance %v)", m.Group, m.Items[a], ErrNoVariance, v)
		}
	}
	return nil
}

// AlphaOf is psych::alpha(x) (use = "pairwise") of the group's responses; see the
// package doc for the formulas.
func AlphaOf(m *Moments) (*AlphaResult, error) {
	k := m.k
	c, n, mean, sd := m.PairwiseCov()
	for a := range k {
		if n[a] < 2 {
			return nil, fmt.Errorf("group %s: item %s: %d answer(s): %w for alpha", m.Group, m.Items[a], n[a], ErrTooFew)
		}
		for b := range a {
			if nab := m.n + m.pn[a*k+b]; nab < 2 || math.IsNaN(c[a*k+b]) {
				return nil, fmt.Errorf("group %s: items %s and %s: %v respondent(s) answer both: %w for alpha", m.Group, m.Items[b], m.Items[a], nab, ErrTooFew)
			}
		}
	}
	if err := m.checkVariance(c); err != nil {
		return nil, err
	}
	r := cov2cor(c, k)
	p := alpha1(c, r, k)
	res := &AlphaResult{Raw: p.raw, Std: p.std, G6: p.g6, AverageR: p.avr, MedianR: p.medr, SN: p.sn,
		ASE: math.Sqrt(p.q / float64(m.Rows))}
	res.Mean = m.ts / m.tn
	res.SD = math.Sqrt((m.tss - m.ts*m.ts/m.tn) / (m.tn - 1))
	sumR := 0.0
	for _, v := range r {
		sumR += v
	}
	for j := range k {
		it := ItemAlpha{Item: m.Items[j], Mean: mean[j], SD: sd[j], N: n[j]}
		if k > 2 {
			d := alpha1(without(c, k, j), without(r, k, j), k-1)
			it.AlphaIfDeleted, it.StdIfDeleted, it.AverageRIfDeleted = d.raw, d.std, d.avr
		} else { // psych: the other item's regression on this one, and r
			o := 1 - j
			it.AlphaIfDeleted = c[0*k+1] / c[o*k+o]
			it.StdIfDeleted, it.AverageRIfDeleted = r[1], r[1]
		}
		colC, colR, vDrop := 0.0, 0.0, 0.0
		for a := range k {
			colC += c[a*k+j]
			colR += r[a*k+j]
			for b := range k {
				if a != j && b != j {
					vDrop += c[a*k+b]
				}
			}
		}
		it.RDrop = (colC - c[j*k+j]) / math.Sqrt(c[j*k+j]*vDrop)
		it.StdR = colR / math.Sqrt(sumR)
		res.Items = append(res.Items, it)
	}
	return res, nil
}

// Alpha is AlphaOf on plain columns: items[j][i] is item j of respondent i.
func Alpha(names []string, items [][]float64) (*AlphaResult, error) {
	ms, err := Accumulate(names, items, nil, nil, 1)
	if err != nil {
		return nil, err
	}
	return AlphaOf(ms[0])
}

// WeightedAlphaOf is the weighted alpha of the group's complete cases (package doc):
// α_w = k/(k−1)(1 − tr C_w / 1ᵀC_w1).
func WeightedAlphaOf(m *Moments) (float64, error) {
	if m.n < 2 {
		return math.NaN(), fmt.Errorf("group %s: %v complete case(s): %w for alpha", m.Group, m.n, ErrTooFew)
	}
	_, _, c := m.Weighted()
	if err := m.checkVariance(c); err != nil {
		return math.NaN(), err
	}
	return alphaRaw(c, m.k), nil
}

func alphaRaw(c []float64, k int) float64 {
	var tr, sum float64
	for a := range k {
		tr += c[a*k+a]
		for b := range k {
			sum += c[a*k+b]
		}
	}
	return (1 - tr/sum) * float64(k) / float64(k-1)
}

// AlphaInfluence adds to z, for the respondents i with in(i) true who answered every
// item and have a non-zero weight, the linearisation z_i of the weighted alpha of m
// (package doc; m must be the Moments of exactly those respondents). The design
// variance of Σ_i w_i z_i (survey.Design.TotalCov) is then Var(α_w). items and
// weights are as for Accumulate.
func AlphaInfluence(m *Moments, items [][]float64, weights []float64, in func(i int) bool, z []float64) {
	k := m.k
	sw, mean, c := m.Weighted()
	ybar, a, b := 0.0, 0.0, 0.0
	for j := range k {
		ybar += mean[j]
		a += c[j*k+j]
		for l := range k {
			b += c[j*k+l]
		}
	}
	f := float64(k) / float64(k-1)
	for i := range z {
		if !in(i) || (weights != nil && weights[i] == 0) {
			continue
		}
		y, sumU := 0.0, 0.0
		complete := true
		for j := range k {
			x := items[j][i]
			if math.IsNaN(x) {
				complete = false
				break
			}
			y += x
			d := x - mean[j]
			sumU += d*d - c[j*k+j]
		}
		if !complete {
			continue
		}
		dy := y - ybar
		uy := dy*dy - b
		z[i] += f * (a*uy/(b*b) - sumU/b) / sw
	}
}

// AlphaReplicates is the weighted alpha of the respondents i with in(i) true under
// each replicate weight (repWeights[r][i]): the replicate estimates that R's
// withReplicates(design, alpha) computes.
func AlphaReplicates(names []string, items [][]float64, repWeights [][]float64, in func(i int) bool) ([]float64, error) {
	n := len(items[0])
	group := make([]int32, n)
	for i := range group {
		if !in(i) {
			group[i] = -1
		}
	}
	theta := make([]float64, len(repWeights))
	for r, w := range repWeights {
		ms, err := Accumulate(names, items, w, group, 1)
		if err != nil {
			return nil, fmt.Errorf("replicate %d: %w", r+1, err)
		}
		_, _, c := ms[0].Weighted()
		theta[r] = alphaRaw(c, len(names))
	}
	return theta, nil
}

// ReplicateVariance is survey's svrVar: scale · Σ_r rscales_r (θ_r − c)², c the
// full-sample estimate est when mse, else the mean of the replicates (those with
// rscales_r > 0); NaN replicates are dropped, as R's na.omit.
func ReplicateVariance(theta []float64, est, scale float64, rscales []float64, mse bool) float64 {
	c := est
	if !mse {
		s, n := 0.0, 0
		for r, t := range theta {
			if rscales[r] > 0 && !math.IsNaN(t) {
				s += t
				n++
			}
		}
		c = s / float64(n)
	}
	v := 0.0
	for r, t := range theta {
		if !math.IsNaN(t) {
			v += rscales[r] * (t - c) * (t - c)
		}
	}
	return scale * v
}
