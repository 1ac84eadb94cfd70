package survey

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LonelyPSU says what to do with a stratum that has a single PSU, as R's
// options(survey.lonely.psu=...) (Lumley 2010, section 2.2; survey's onestrat).
type LonelyPSU string

const (
	// LonelyFail refuses the design, naming the stratum (R's default).
	LonelyFail LonelyPSU = "fail"
	// LonelyRemove lets the stratum contribute nothing to the variance.
	LonelyRemove LonelyPSU = "remove"
	// LonelyCertainty treats the PSU as sampled with certainty: no contribution.
	LonelyCertainty LonelyPSU = "certainty"
	// LonelyAdjust centres the stratum's PSU total at zero, the grand mean of the
	// influence function, instead of at the stratum mean (conservative).
	LonelyAdjust LonelyPSU = "adjust"
	// LonelyAverage replaces the stratum's contribution by the average of the other
	// strata: the variance summed over ordinary strata is scaled by
	// (strata present)/(strata with more than one PSU).
	LonelyAverage LonelyPSU = "average"
)

// ErrLonelyPSU is wrapped by the error for a single-PSU stratum under LonelyFail.
var ErrLonelyPSU = errors.New("stratum has only one PSU")

// Spec describes a survey design with R's svydesign / svrepdesign vocabulary. Column
// names refer to a Frame.
type Spec struct {
	// Weights is the sampling-weight column; empty means weights from the fpc (the
	// inverse of the product of the stages' sampling fractions), or 1 without fpc.
	Weights string
	// Strata is the first-stage stratum column; empty means one stratum.
	Strata string
	// Clusters are the sampling-unit columns, one per stage (PSU, SSU, ...); empty means
	// every row is its own PSU (R's ids=~1).
	Clusters []string
	// FPC gives one column per stage: the population size of the stratum (values > 1) or
	// the sampling fraction (all values <= 1), as R's as.fpc. Empty means sampling with
	// replacement. With fpc at every stage the variance is the full multistage one
	// (svyrecvar); without, only the first stage counts (ultimate cluster).
	FPC []string
	// Nest makes cluster ids relative to their stratum (R's nest=TRUE). Without it a PSU
	// id found in two strata is an error.
	Nest bool
	// LonelyPSU is the single-PSU rule (default LonelyFail).
	LonelyPSU LonelyPSU
	// AdjustDomainLonely applies LonelyPSU also to a stratum that has several PSUs but
	// only one of them in a domain (R's options(survey.adjust.domain.lonely=TRUE)).
	AdjustDomainLonely bool
	// DF overrides the design degrees of freedom when > 0 (use math.Inf(1) for normal
	// intervals).
	DF float64
	// Replicates, when set, makes this a replicate-weight design (svrepdesign); Strata,
	// Clusters and FPC must then be empty.
	Replicates *ReplicateSpec
}

// Design is a survey design bound to the rows of a Frame. It is immutable and safe
// for concurrent use.
type Design struct {
	spec  Spec
	frame *Frame
	n     int
	w     []float64

	// Linearisation structure. Stage k (0-based) has units coded 0..nUnits[k]-1 and
	// unit[k][i] is row i's unit. The "stratum" of a stage-k unit is parent[k][u]: a
	// first-stage stratum for k = 0, the enclosing stage-(k-1) unit after that (R's
	// svydesign makes later-stage strata the interaction with the earlier unit).
	stages   int
	unit     [][]int32
	parent   [][]int32
	nUnits   []int
	nParents []int
	children [][][]int32 // children[k][p]: stage-k units of parent p, in the full design
	fpcF     [][]float64 // fpcF[k][p]: (N-n)/N, or 1 without fpc
	frac     [][]float64 // frac[k][p]: n/N, or 0 without fpc (weights later stages)
	mult     [][]float64 // mult[k][p]: product of the sampling fractions above stage k

	strataLabels []string
	psuLabels    []string

	rep *replicates

	// cal lists the calibrations applied, in order (calibrate.go): linearisation
	// variances take residuals of the influence functions on them (svyrecvar's postStrata).
	cal []calStep

	subset string // which rows Subset kept, for Summary ("" for the whole sample)
}

// NewDesign checks spec against f and builds the design. Errors name the column, the
// row or the stratum at fault.
func NewDesign(f *Frame, spec Spec) (*Design, error) {
	if spec.LonelyPSU == "" {
		spec.LonelyPSU = LonelyFail
	}
	switch spec.LonelyPSU {
	case LonelyFail, LonelyRemove, LonelyCertainty, LonelyAdjust, LonelyAverage:
	default:
		return nil, fmt.Errorf("design: lonely psu rule %q: want fail, remove, adjust, certainty or average", spec.LonelyPSU)
	}
	if spec.DF < 0 || math.IsNaN(spec.DF) {
		return nil, fmt.Errorf("design: degrees of freedom %v: want a positive number", spec.DF)
	}
	d := &Design{spec: spec, frame: f, n: f.Rows()}
	if d.n == 0 {
		return nil, errors.New("design: no rows")
	}
	w, err := d.weights()
	if err != nil {
		return nil, err
	}
	d.w = w
	if spec.Replicates != nil {
		if spec.Strata != "" || len(spec.Clusters) > 0 || len(spec.FPC) > 0 {
			return nil, errors.New("design: replicate weights replace strata, clusters and fpc; give one or the other")
		}
		r, err := newSuppliedReplicates(f, d.w, *spec.Replicates)
		if err != nil {
			return nil, err
		}
		d.rep = r
		return d, nil
	}
	if err := d.buildStages(); err != nil {
		return nil, err
	}
	return d, nil
}

// firstText names the first row of a text column whose value is not a number,
// for a column that must be numeric.
func (d *Design) firstText(col string, err error) error {
	text, serr := d.frame.Strings(col)
	if serr == nil {
		for i, v := range text {
			if _, perr := strconv.ParseFloat(strings.TrimSpace(v), 64); v != "" && perr != nil {
				return fmt.Errorf("design: weights: column %q, row %d: %q is not a number: %w", col, i+1, v, err)
			}
		}
	}
	return fmt.Errorf("design: weights: %w", err)
}

func (d *Design) weights() ([]float64, error) {
	if d.spec.Weights == "" {
		w := make([]float64, d.n)
		for i := range w {
			w[i] = 1
		}
		return w, nil
	}
	w, err := d.frame.Float(d.spec.Weights)
	if errors.Is(err, ErrNotNumeric) {
		return nil, d.firstText(d.spec.Weights, err)
	}
	if err != nil {
		return nil, fmt.Errorf("design: weights: %w", err)
	}
	for i, x := range w {
		switch {
		case math.IsNaN(x):
			return nil, fmt.Errorf("design: weights: column %q, row %d: missing weight", d.spec.Weights, i+1)
		case x < 0:
			return nil, fmt.Errorf("design: weights: column %q, row %d: negative weight %v", d.spec.Weights, i+1, x)
		case math.IsInf(x, 0):
			return nil, fmt.Errorf("design: weights: column %q, row %d: infinite weight", d.spec.Weights, i+1)
		}
	}
	return w, nil
}

// designCodes returns dense codes for a design column, refusing missing values.
func (d *Design) designCodes(role, name string) ([]int32, []string, error) {
	c, labels, err := d.frame.Codes(name)
	if err != nil {
		return nil, nil, fmt.Errorf("design: %s: %w", role, err)
	}
	for i, x := range c {
		if x < 0 {
			return nil, nil, fmt.Errorf("design: %s: column %q, row %d: missing value", role, name, i+1)
		}
	}
	return c, labels, nil
}

func (d *Design) buildStages() error {
	sp := d.spec
	strata := make([]int32, d.n)
	d.strataLabels = []string{"1"}
	if sp.Strata != "" {
		c, labels, err := d.designCodes("strata", sp.Strata)
		if err != nil {
			return err
		}
		strata, d.strataLabels = c, labels
	}
	ids := sp.Clusters
	if len(sp.FPC) > 0 && len(ids) > 0 && len(sp.FPC) != len(ids) {
		return fmt.Errorf("design: fpc: %d columns for %d sampling stages; give one per stage (or none)", len(sp.FPC), len(ids))
	}
	if len(sp.FPC) > 1 && len(ids) == 0 {
		return fmt.Errorf("design: fpc: %d columns for 1 sampling stage", len(sp.FPC))
	}
	d.stages = 1
	if len(sp.FPC) > 0 && len(ids) > 1 {
		d.stages = len(ids)
	}
	prev := strata
	nPrev := len(d.strataLabels)
	for k := 0; k < d.stages; k++ {
		var idc []int32
		var labels []string
		if len(ids) == 0 {
			idc = make([]int32, d.n)
			for i := range idc {
				idc[i] = int32(i)
			}
		} else {
			c, l, err := d.designCodes(fmt.Sprintf("cluster stage %d", k+1), ids[k])
			if err != nil {
				return err
			}
			idc, labels = c, l
		}
		nest := k > 0 || sp.Nest
		if k == 0 && !sp.Nest && sp.Strata != "" && len(ids) > 0 {
			if err := checkNested(idc, strata, labels, d.strataLabels, ids[0]); err != nil {
				return err
			}
		}
		nid := d.n
		if labels != nil {
			nid = len(labels)
		}
		unit, parent, nu := nestCodes(prev, idc, nid, nest)
		if k == 0 {
			d.psuLabels = make([]string, nu)
			for i, u := range unit {
				if d.psuLabels[u] == "" {
					if labels != nil {
						d.psuLabels[u] = labels[idc[i]]
					} else {
						d.psuLabels[u] = fmt.Sprintf("row %d", i+1)
					}
				}
			}
		}
		d.unit = append(d.unit, unit)
		d.parent = append(d.parent, parent)
		d.nUnits = append(d.nUnits, nu)
		d.nParents = append(d.nParents, nPrev)
		ch := make([][]int32, nPrev)
		for u, p := range parent {
			ch[p] = append(ch[p], int32(u))
		}
		d.children = append(d.children, ch)
		prev, nPrev = unit, nu
	}
	if d.nUnits[0] == 1 && !(sp.Nest && sp.Strata != "") {
		return errors.New("design: only one primary sampling unit")
	}
	if err := d.buildFPC(); err != nil {
		return err
	}
	if sp.Weights == "" && len(sp.FPC) > 0 {
		d.fpcWeights()
	}
	return d.checkLonely()
}

// fpcWeights sets the weights a design without a weight column gets from its fpc, as
// svydesign: 1 / Π_k (n_k/N_k) over the stages.
func (d *Design) fpcWeights() {
	for i := range d.w {
		prob := 1.0
		for k := 0; k < d.stages; k++ {
			prob *= d.frac[k][d.stratumOf(k, i)]
		}
		d.w[i] = 1 / prob
	}
}

// checkNested refuses a PSU id that appears in two strata when nest is off, as
// svydesign's check.strata.
func checkNested(ids, strata []int32, idLabels, strataLabels []string, col string) error {
	first := map[int32]int32{}
	for i, id := range ids {
		s, ok := first[id]
		if !ok {
			first[id] = strata[i]
			continue
		}
		if s != strata[i] {
			lab := fmt.Sprint(id)
			if idLabels != nil {
				lab = idLabels[id]
			}
			return fmt.Errorf("design: cluster column %q: PSU %q appears in strata %q and %q; set nest if ids repeat across strata",
				col, lab, strataLabels[s], strataLabels[strata[i]])
		}
	}
	return nil
}

// nestCodes codes the units (prev, id) (or id alone when !nest) densely in order of
// first appearance and returns each unit's prev code. ids are dense codes 0..nid−1; an
// id seen under one prev only (the usual case) needs no hashing.
func nestCodes(prev, id []int32, nid int, nest bool) (unit []int32, parent []int32, n int) {
	unit = make([]int32, len(id))
	first := make([]int32, nid) // unit of the id's first (prev, id), −1 unseen
	for j := range first {
		first[j] = -1
	}
	var other map[uint64]int32 // further (prev, id) pairs of an id
	for i, x := range id {
		u := first[x]
		switch {
		case u < 0:
			u = int32(len(parent))
			first[x] = u
			parent = append(parent, prev[i])
		case nest && parent[u] != prev[i]:
			key := uint64(uint32(prev[i]))<<32 | uint64(uint32(x))
			v, ok := other[key]
			if !ok {
				if other == nil {
					other = map[uint64]int32{}
				}
				v = int32(len(parent))
				other[key] = v
				parent = append(parent, prev[i])
			}
			u = v
		}
		unit[i] = u
	}
	return unit, parent, len(parent)
}

func (d *Design) buildFPC() error {
	d.fpcF = make([][]float64, d.stages)
	d.frac = make([][]float64, d.stages)
	for k := 0; k < d.stages; k++ {
		d.fpcF[k] = make([]float64, d.nParents[k])
		d.frac[k] = make([]float64, d.nParents[k])
		for p := range d.fpcF[k] {
			d.fpcF[k][p] = 1
		}
	}
	if len(d.spec.FPC) == 0 {
		return nil
	}
	if err := d.readFPC(); err != nil {
		return err
	}
	d.mult = make([][]float64, d.stages)
	for k := 1; k < d.stages; k++ {
		d.mult[k] = make([]float64, d.nParents[k])
		for p := range d.mult[k] {
			q := d.parent[k-1][p]
			up := 1.0
			if k > 1 {
				up = d.mult[k-1][q]
			}
			d.mult[k][p] = up * d.frac[k-1][q]
		}
	}
	return nil
}

func (d *Design) readFPC() error {
	cols := make([][]float64, len(d.spec.FPC))
	popsize := true
	anyBig, allBig := false, true
	for k, name := range d.spec.FPC {
		v, err := d.frame.Float(name)
		if err != nil {
			return fmt.Errorf("design: fpc: %w", err)
		}
		for i, x := range v {
			if math.IsNaN(x) || x < 0 {
				return fmt.Errorf("design: fpc: column %q, row %d: value %v is not a population size or fraction", name, i+1, x)
			}
			anyBig = anyBig || x > 1
			allBig = allBig && x >= 1
		}
		cols[k] = v
	}
	if anyBig != allBig {
		return errors.New("design: fpc: mix of population sizes (> 1) and sampling fractions (< 1); give all of one kind")
	}
	popsize = anyBig
	for k := 0; k < len(cols) && k < d.stages; k++ {
		N := make([]float64, d.nParents[k])
		set := make([]bool, d.nParents[k])
		for i, x := range cols[k] {
			p := d.stratumOf(k, i)
			n := float64(len(d.children[k][p]))
			pop := x
			if !popsize {
				pop = n / x
			}
			if !set[p] {
				N[p], set[p] = pop, true
			} else if N[p] != pop {
				return fmt.Errorf("design: fpc: column %q varies within %s (row %d)", d.spec.FPC[k], d.stratumName(k, p), i+1)
			}
		}
		for p := range N {
			n := float64(len(d.children[k][p]))
			if N[p] < n {
				return fmt.Errorf("design: fpc: column %q: population size %v is smaller than the %v sampled units in %s",
					d.spec.FPC[k], N[p], n, d.stratumName(k, int32(p)))
			}
			if math.IsInf(N[p], 1) {
				continue
			}
			d.fpcF[k][p] = (N[p] - n) / N[p]
			d.frac[k][p] = n / N[p]
		}
	}
	return nil
}

// stratumOf returns the stage-k stratum (parent) of row i.
func (d *Design) stratumOf(k, i int) int32 { return d.parent[k][d.unit[k][i]] }

// stratumName names a stage-k stratum for messages.
func (d *Design) stratumName(k int, p int32) string {
	if k == 0 {
		return fmt.Sprintf("stratum %q", d.strataLabels[p])
	}
	if k == 1 {
		return fmt.Sprintf("PSU %q", d.psuLabels[p])
	}
	return fmt.Sprintf("stage-%d unit %d", k, p+1)
}

// checkLonely refuses single-unit strata under LonelyFail, unless sampled with certainty
// (fpc equal to the sample size), as survey's onestrat.
func (d *Design) checkLonely() error {
	if d.spec.LonelyPSU != LonelyFail {
		return nil
	}
	var bad []string
	stage := 0
	for k := 0; k < d.stages && len(bad) == 0; k++ {
		for p, ch := range d.children[k] {
			if len(ch) == 1 && d.fpcF[k][p] >= certaintyTol {
				bad = append(bad, d.stratumName(k, int32(p)))
				stage = k + 1
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	more := ""
	if len(bad) > 3 {
		more = fmt.Sprintf(" and %d more", len(bad)-3)
		bad = bad[:3]
	}
	return fmt.Errorf("design: %s%s at stage %d: %w (choose a lonely psu rule: remove, adjust, certainty or average)",
		strings.Join(bad, ", "), more, stage, ErrLonelyPSU)
}

// certaintyTol is survey's threshold below which a stratum's finite population
// correction counts as zero (all PSUs taken).
const certaintyTol = 1e-7

// Subset returns the design of the subpopulation of the rows with keep[i], as R's
// subset() of a survey design: the other rows stay in the design with weight zero (and
// zero replicate weights), so that variances count the sampling of the subpopulation
// as well as of its members (domain estimation; Lumley 2010, sec. 2.3.1). Degrees of
// freedom follow from the rows of non-zero weight, as R's degf of the subset.
// description says which rows, e.g. "gndr = 2", for Summary; subsets of subsets
// keep the rows in all of them.
func (d *Design) Subset(keep []bool, description string) (*Design, error) {
	if len(keep) != d.n {
		return nil, fmt.Errorf("subset: %d rows to keep or not, the design has %d", len(keep), d.n)
	}
	s := *d
	s.w = make([]float64, d.n)
	kept := false
	for i, k := range keep {
		if k {
			s.w[i] = d.w[i]
			kept = kept || d.w[i] != 0
		}
	}
	if !kept {
		return nil, errors.New("subset: no row with a non-zero weight is kept")
	}
	s.subset = description
	if d.subset != "" {
		s.subset = d.subset + " & " + description
	}
	if d.rep != nil && d.rep.cols != nil { // supplied replicate weights; derived ones follow w
		rp := *d.rep
		rp.cols = make([][]float64, len(d.rep.cols))
		for r, col := range d.rep.cols {
			rp.cols[r] = make([]float64, d.n)
			for i, k := range keep {
				if k {
					rp.cols[r][i] = col[i]
				}
			}
		}
		s.rep = &rp
	}
	return &s, nil
}

// WithDF returns the design with every interval on df degrees of freedom (+Inf for
// the normal distribution), as Spec.DF: WithDF(d.DF()) puts every domain on the whole
// design's df (#PSU − #strata), as Stata's svy does, instead of the domain's own
// (svyby's). d itself is unchanged.
func (d *Design) WithDF(df float64) (*Design, error) {
	if !(df > 0) {
		return nil, fmt.Errorf("design: degrees of freedom %v: want a positive number", df)
	}
	c := *d
	c.spec.DF = df
	return &c, nil
}

// Rows returns the number of rows in the design.
func (d *Design) Rows() int { return d.n }

// IsReplicate reports whether variances come from replicate weights.
func (d *Design) IsReplicate() bool { return d.rep != nil }

// DF returns the design degrees of freedom of the whole sample: the override if set,
// else as R's degf — for a linearisation design the number of PSUs minus the number of
// strata among rows with non-zero weight, for a replicate design the rank of the
// replicate analysis weights minus one.
func (d *Design) DF() float64 {
	if d.spec.DF > 0 {
		return d.spec.DF
	}
	s := MemoryProducer{}.Sums(d, Item{A: make([]float64, d.n)}, make([]int32, d.n), 1)
	return d.domainDF(s, 0, nil)
}

// domainDF returns the degrees of freedom of domain dd (tv, when not nil, already holds
// the domain's totals).
func (d *Design) domainDF(s *Sums, dd int, tv *taylor) float64 {
	if d.spec.DF > 0 {
		return d.spec.DF
	}
	if d.rep != nil {
		return d.rep.domainDF(s, dd)
	}
	if tv == nil {
		tv = d.newTaylor()
		cells, units := s.domain(dd)
		tv.loadSparse(cells, units, func(*Cell) float64 { return 0 })
	}
	return tv.df()
}
