package survey

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// RepType is a replicate-weight method, as R's svrepdesign(type=...).
type RepType string

const (
	JK1       RepType = "JK1"       // delete-one-PSU jackknife, unstratified
	JKn       RepType = "JKn"       // stratified delete-one jackknife
	BRR       RepType = "BRR"       // balanced repeated replication, two PSUs per stratum
	Fay       RepType = "Fay"       // BRR with Fay's perturbation factor rho
	Bootstrap RepType = "bootstrap" // Rao–Wu rescaled bootstrap
	Other     RepType = "other"     // user-supplied scale and rscales
)

// ParseRepType reads a replicate type in any case ("jk1", "fay"); an unknown
// name comes back unchanged, for NewDesign to refuse with the known ones.
func ParseRepType(s string) RepType {
	for _, t := range []RepType{JK1, JKn, BRR, Fay, Bootstrap, Other} {
		if strings.EqualFold(s, string(t)) {
			return t
		}
	}
	return RepType(s)
}

// ReplicateSpec describes supplied replicate weights (R's svrepdesign).
type ReplicateSpec struct {
	// Pattern is a regular expression; every column whose name it matches (R's grep) is
	// a replicate, in frame order. Columns lists them explicitly instead.
	Pattern string
	Columns []string
	Type    RepType
	// Scale and RScales (one per replicate) give the variance
	// scale · Σ_r rscales_r (θ_r − θ̄)²; zero/nil take svrepdesign's default for Type:
	// BRR 1/R; Fay 1/(R(1−ρ)²); bootstrap 1/(R−1); JK1 (R−1)/R; other 1.
	Scale   float64
	RScales []float64
	// Rho is Fay's rho (required for Fay).
	Rho float64
	// MSE centres the replicates at the full-sample estimate instead of their mean.
	MSE bool
	// Multipliers says the replicate columns multiply Weights (R's
	// combined.weights=FALSE); by default they are the full analysis weights.
	Multipliers bool
}

// replicates holds replicate analysis weights either as full columns (supplied) or as
// per-PSU multipliers of the sampling weight (converted designs).
type replicates struct {
	typ     RepType
	r       int
	scale   float64
	rscales []float64
	mse     bool
	names   []string

	cols    [][]float64 // cols[r][i]: analysis weight of row i in replicate r
	factors [][]float64 // factors[r][u]: multiplier for PSU u in replicate r

	// Rank-based degrees of freedom: distinct row patterns of the analysis weights.
	patternOf []int32     // per row, -1 for an all-zero row (supplied columns)
	patterns  [][]float64 // per pattern, R values
}

// ErrNoReplicates is wrapped when a replicate pattern matches no column.
var ErrNoReplicates = errors.New("no replicate-weight columns")

func newSuppliedReplicates(f *Frame, w []float64, sp ReplicateSpec) (*replicates, error) {
	names := sp.Columns
	if sp.Pattern != "" {
		re, err := regexp.Compile(sp.Pattern)
		if err != nil {
			return nil, fmt.Errorf("design: replicate pattern %q: %w", sp.Pattern, err)
		}
		for _, n := range f.Names() {
			if re.MatchString(n) {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("design: replicate pattern %q: %w matches it", sp.Pattern, ErrNoReplicates)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("design: replicates: %w given", ErrNoReplicates)
	}
	rp := &replicates{typ: sp.Type, r: len(names), mse: sp.MSE, names: names}
	for _, n := range names {
		v, err := f.Float(n)
		if err != nil {
			return nil, fmt.Errorf("design: replicate weights: %w", err)
		}
		col := make([]float64, len(v))
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("design: replicate weights: column %q, row %d: missing value", n, i+1)
			}
			col[i] = x
			if sp.Multipliers {
				col[i] = x * w[i]
			}
		}
		rp.cols = append(rp.cols, col)
	}
	if err := rp.setScales(sp); err != nil {
		return nil, err
	}
	rp.buildPatterns(len(w))
	return rp, nil
}

func (rp *replicates) setScales(sp ReplicateSpec) error {
	R := float64(rp.r)
	rp.rscales = sp.RScales
	if rp.rscales != nil && len(rp.rscales) != rp.r {
		return fmt.Errorf("design: replicates: %d rscales for %d replicate columns", len(rp.rscales), rp.r)
	}
	scale := sp.Scale
	switch sp.Type {
	case BRR:
		scale = 1 / R
	case Fay:
		if sp.Rho <= 0 || sp.Rho >= 1 {
			return fmt.Errorf("design: replicates: Fay needs rho in (0, 1), got %v", sp.Rho)
		}
		scale = 1 / (R * (1 - sp.Rho) * (1 - sp.Rho))
	case Bootstrap:
		if scale == 0 {
			scale = 1 / (R - 1)
		}
	case JK1:
		if scale == 0 {
			scale = (R - 1) / R
		}
	case JKn:
		if rp.rscales == nil {
			return errors.New("design: replicates: JKn needs rscales, one (n_h−1)/n_h per replicate")
		}
	case Other:
	default:
		return fmt.Errorf("design: replicate type %q: want JK1, JKn, BRR, Fay, bootstrap or other", sp.Type)
	}
	if scale == 0 {
		scale = 1
	}
	rp.scale = scale
	if rp.rscales == nil {
		rp.rscales = make([]float64, rp.r)
		for i := range rp.rscales {
			rp.rscales[i] = 1
		}
	}
	return nil
}

// buildPatterns dedupes the rows of the analysis-weight matrix up to scale: the rank of
// a row set depends neither on row scaling nor on repetition.
func (rp *replicates) buildPatterns(n int) {
	rp.patternOf = make([]int32, n)
	seen := map[string]int32{}
	row := make([]float64, rp.r)
	key := make([]byte, 0, 8*rp.r)
	for i := 0; i < n; i++ {
		big := 0.0
		for r := range row {
			row[r] = rp.cols[r][i]
			big = math.Max(big, math.Abs(row[r]))
		}
		if big == 0 {
			rp.patternOf[i] = -1
			continue
		}
		key = key[:0]
		for r := range row {
			q := math.Round(row[r] / big * 1e9)
			key = fmt.Appendf(key, "%g,", q)
		}
		id, ok := seen[string(key)]
		if !ok {
			id = int32(len(rp.patterns))
			seen[string(key)] = id
			p := make([]float64, rp.r)
			for r := range p {
				p[r] = row[r] / big
			}
			rp.patterns = append(rp.patterns, p)
		}
		rp.patternOf[i] = id
	}
}

// rankDF is R's degf for replicate designs: rank(analysis weights) − 1, with rank taken
// as the number of singular values above 1e-5 times the largest (qr(, tol=1e-5)). The
// singular values come from the smaller Gram matrix: patterns × patterns or replicates ×
// replicates.
func (rp *replicates) rankDF(present []bool) float64 {
	var rows [][]float64
	for p, ok := range present {
		if ok {
			rows = append(rows, rp.pattern(p))
		}
	}
	if len(rows) == 0 {
		return 0
	}
	var g *mat.SymDense
	if len(rows) <= rp.r {
		g = mat.NewSymDense(len(rows), nil)
		for i := range rows {
			for j := 0; j <= i; j++ {
				g.SetSym(i, j, floats.Dot(rows[i], rows[j]))
			}
		}
	} else {
		g = mat.NewSymDense(rp.r, nil)
		for _, row := range rows {
			g.SymRankOne(g, 1, mat.NewVecDense(rp.r, row))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(g, false) {
		return float64(min(len(rows), rp.r) - 1)
	}
	vals := eig.Values(nil)
	top := slices.Max(vals)
	rank := 0
	for _, v := range vals {
		if v > 1e-10*top {
			rank++
		}
	}
	return float64(rank - 1)
}

func (rp *replicates) pattern(p int) []float64 {
	if rp.factors != nil {
		v := make([]float64, rp.r)
		for r := range v {
			v[r] = rp.factors[r][p]
		}
		return v
	}
	return rp.patterns[p]
}

// accumulateColumns fills one cell per domain and the replicate sums from full
// replicate-weight columns, and marks the row patterns present per domain.
func (rp *replicates) accumulateColumns(s *Sums, d *Design, it Item, dom []int32) {
	s.Units = 1
	s.Cells = make([]Cell, s.Domains)
	s.Unit = make([]int32, s.Domains)
	s.Start = make([]int, s.Domains+1)
	for dd := range s.Start {
		s.Start[dd] = dd
	}
	s.Rep = make([]Cell, s.Domains*rp.r)
	np := len(rp.patterns)
	s.present = make([]bool, s.Domains*np)
	for i, dd := range dom {
		if dd < 0 {
			continue
		}
		y := it.A[i]
		x := 1.0
		if it.B != nil {
			x = it.B[i]
		}
		if math.IsNaN(y) || math.IsNaN(x) {
			continue
		}
		wi := d.w[i]
		c := &s.Cells[dd]
		c.N++
		c.W += wi
		c.A += wi * y
		c.AA += wi * y * y
		if it.B != nil {
			c.B += wi * x
			c.BB += wi * x * x
			c.AB += wi * y * x
		}
		if wi != 0 {
			c.NW++
		}
		if p := rp.patternOf[i]; p >= 0 {
			s.present[int(dd)*np+int(p)] = true
		}
		base := int(dd) * rp.r
		for r, col := range rp.cols {
			wr := col[i]
			rc := &s.Rep[base+r]
			rc.W += wr
			rc.A += wr * y
			rc.B += wr * x
		}
	}
}

// foldFactors turns per-PSU cells into replicate sums: a replicate's weight is the
// sampling weight times the PSU's multiplier.
func (rp *replicates) foldFactors(s *Sums) {
	s.Rep = make([]Cell, s.Domains*rp.r)
	for dd := 0; dd < s.Domains; dd++ {
		cells, units := s.domain(dd)
		for r, f := range rp.factors {
			rc := &s.Rep[dd*rp.r+r]
			for j, u := range units {
				c := &cells[j]
				rc.W += f[u] * c.W
				rc.A += f[u] * c.A
				rc.B += f[u] * c.B
			}
		}
	}
}

// domainDF returns the rank-based df of domain dd.
func (rp *replicates) domainDF(s *Sums, dd int) float64 {
	if rp.factors != nil {
		present := make([]bool, s.Units)
		cells, units := s.domain(dd)
		for j, u := range units {
			present[u] = cells[j].NW > 0
		}
		return rp.rankDF(present)
	}
	np := len(rp.patterns)
	return rp.rankDF(s.present[dd*np : (dd+1)*np])
}

// variance is survey's svrVar: scale · Σ_r rscales_r (θ_r − c)², c the full-sample
// estimate when mse, else the mean of the replicates with rscales > 0. Replicates giving
// NaN are dropped, as na.omit does in R.
func (rp *replicates) variance(theta []float64, est float64) float64 {
	c := est
	if !rp.mse {
		sum, k := 0.0, 0
		for r, t := range theta {
			if rp.rscales[r] > 0 && !math.IsNaN(t) {
				sum += t
				k++
			}
		}
		c = sum / float64(k)
	}
	v := 0.0
	for r, t := range theta {
		if !math.IsNaN(t) {
			v += (t - c) * (t - c) * rp.rscales[r]
		}
	}
	return v * rp.scale
}

// Conversion asks for replicate weights built from a linearisation design, as R's
// as.svrepdesign.
type Conversion struct {
	Type RepType // JK1, JKn, BRR, Fay or bootstrap
	// Replicates is the number of bootstrap replicates (default 50, as R).
	Replicates int
	// Seed seeds the bootstrap (PCG); the same seed gives the same weights.
	Seed uint64
	// Rho is Fay's rho for Fay.
	Rho float64
	MSE bool
}

// ToReplicates converts a linearisation design to a replicate-weight design
// (as.svrepdesign). JK1: replicate j drops PSU j and scales the others by n/(n−1);
// scale (n−1)/n·(1−n/N). JKn: the same within each stratum h, rscales (n_h−1)/n_h·(1−f_h);
// lonely strata follow the design's LonelyPSU as jknweights. BRR/Fay: two PSUs per
// stratum, half-samples from the rows 2.. of a Sylvester Hadamard matrix, weights 2−ρ
// and ρ, scale 1/(R(1−ρ)²) (Wolter 2007, ch. 3). Bootstrap: Rao–Wu, n_h PSUs drawn with
// replacement per stratum (without replacement from the population when fpc is given),
// multiplier = times drawn, scale n̄/((n̄−1)(R−1)) with n̄ the harmonic mean of n_h.
// Later-stage fpc is dropped, as R does.
func (d *Design) ToReplicates(c Conversion) (*Design, error) {
	if d.rep != nil {
		return nil, errors.New("to replicates: design already has replicate weights")
	}
	hasStrata := d.spec.Strata != ""
	switch c.Type {
	case JK1:
		if hasStrata {
			return nil, errors.New("to replicates: JK1 needs an unstratified design; use JKn")
		}
	case JKn, BRR, Fay:
		if !hasStrata {
			return nil, fmt.Errorf("to replicates: %s needs strata; use JK1 or bootstrap", c.Type)
		}
	case Bootstrap:
	default:
		return nil, fmt.Errorf("to replicates: type %q: want JK1, JKn, BRR, Fay or bootstrap", c.Type)
	}
	nd := *d
	nd.stages = 1
	nd.unit, nd.parent, nd.nUnits, nd.nParents = d.unit[:1], d.parent[:1], d.nUnits[:1], d.nParents[:1]
	nd.children, nd.fpcF, nd.frac = d.children[:1], d.fpcF[:1], d.frac[:1]
	rp := &replicates{typ: c.Type, mse: c.MSE}
	var err error
	switch c.Type {
	case JK1, JKn:
		err = d.jackknife(rp)
	case BRR, Fay:
		err = d.brr(rp, c.Rho)
	case Bootstrap:
		err = d.bootstrap(rp, c)
	}
	if err != nil {
		return nil, fmt.Errorf("to replicates: %w", err)
	}
	rp.r = len(rp.factors)
	nd.rep = rp
	nd.spec.Replicates = &ReplicateSpec{Type: c.Type, Scale: rp.scale, RScales: rp.rscales, Rho: c.Rho, MSE: c.MSE, Multipliers: true}
	return &nd, nil
}

func (d *Design) jackknife(rp *replicates) error {
	nPSU := d.nUnits[0]
	strata := d.children[0]
	ns := float64(len(strata))
	skipped := 0
	for h, psus := range strata {
		n := float64(len(psus))
		f := d.fpcF[0][h]
		if f == 0 {
			skipped += len(psus)
			continue
		}
		if len(psus) == 1 {
			switch d.spec.LonelyPSU {
			case LonelyFail:
				return fmt.Errorf("%s: %w", d.stratumName(0, int32(h)), ErrLonelyPSU)
			case LonelyAdjust:
				fac := make([]float64, nPSU)
				for u := range fac {
					if d.parent[0][u] != int32(h) {
						fac[u] = ns / (ns - 1)
					}
				}
				rp.factors = append(rp.factors, fac)
				rp.rscales = append(rp.rscales, (ns-1)/ns)
			default:
				skipped++
			}
			continue
		}
		for _, drop := range psus {
			fac := make([]float64, nPSU)
			for u := range fac {
				fac[u] = 1
			}
			for _, u := range psus {
				fac[u] = n / (n - 1)
			}
			fac[drop] = 0
			rp.factors = append(rp.factors, fac)
			rp.rscales = append(rp.rscales, f*(n-1)/n)
		}
	}
	if len(rp.factors) == 0 {
		return errors.New("every stratum was sampled exhaustively: no variance to estimate")
	}
	rp.scale = 1
	if rp.typ == JK1 {
		// jk1weights puts the finite population correction in scale, not rscales.
		rp.scale = rp.rscales[0]
		for r := range rp.rscales {
			rp.rscales[r] = 1
		}
	}
	if d.spec.LonelyPSU == LonelyAverage && skipped > 0 && rp.typ == JKn {
		rp.scale = float64(nPSU) / float64(len(rp.factors))
	}
	return nil
}

// sylvester returns the order-m (a power of two) Hadamard matrix entry (i, j) as 0/1:
// the parity of popcount(i & j).
func sylvester(i, j int) int {
	x, p := i&j, 0
	for x != 0 {
		p ^= x & 1
		x >>= 1
	}
	return p
}

func (d *Design) brr(rp *replicates, rho float64) error {
	if rp.typ == Fay && (rho <= 0 || rho >= 1) {
		return fmt.Errorf("Fay needs rho in (0, 1), got %v", rho)
	}
	if rp.typ == BRR {
		rho = 0
	}
	strata := d.children[0]
	for h, psus := range strata {
		if len(psus) != 2 {
			return fmt.Errorf("%s has %d PSUs; BRR needs exactly 2", d.stratumName(0, int32(h)), len(psus))
		}
	}
	m := 1
	for m < len(strata)+1 {
		m *= 2
	}
	for r := 0; r < m; r++ {
		fac := make([]float64, d.nUnits[0])
		for h, psus := range strata {
			first := sylvester(h+1, r)
			fac[psus[first]] = 2 - rho
			fac[psus[1-first]] = rho
		}
		rp.factors = append(rp.factors, fac)
		rp.rscales = append(rp.rscales, 1)
	}
	rp.scale = 1 / (float64(m) * (1 - rho) * (1 - rho))
	return nil
}

func (d *Design) bootstrap(rp *replicates, c Conversion) error {
	R := c.Replicates
	if R == 0 {
		R = 50
	}
	if R < 2 {
		return fmt.Errorf("bootstrap needs at least 2 replicates, got %d", R)
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x736f636170))
	strata := d.children[0]
	rp.factors = make([][]float64, R)
	for r := range rp.factors {
		rp.factors[r] = make([]float64, d.nUnits[0])
	}
	inv := 0.0
	for h, psus := range strata {
		n := len(psus)
		inv += 1 / float64(n)
		withFPC := d.frac[0][h] > 0
		N := 0
		if withFPC {
			N = int(math.Round(float64(n) / d.frac[0][h]))
		}
		pool := make([]int32, N)
		for r := 0; r < R; r++ {
			fac := rp.factors[r]
			if !withFPC {
				for k := 0; k < n; k++ {
					fac[psus[rng.IntN(n)]]++
				}
				continue
			}
			// n draws without replacement from the PSUs repeated to population size N.
			for k := range pool {
				pool[k] = psus[k%n]
			}
			for k := 0; k < n; k++ {
				j := k + rng.IntN(N-k)
				pool[k], pool[j] = pool[j], pool[k]
				fac[pool[k]]++
			}
		}
	}
	nbar := float64(len(strata)) / inv
	rp.scale = nbar / ((nbar - 1) * float64(R-1))
	rp.rscales = make([]float64, R)
	for r := range rp.rscales {
		rp.rscales[r] = 1
	}
	return nil
}
