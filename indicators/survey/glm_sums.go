package survey

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// This file is the GLM's half of the seam of DESIGN.md: Design.GLMSums fits the model of
// Design.GLM from sums a GLMSource computes over rows held elsewhere (pipeline/sqlglm:
// one SQL GROUP BY per IRLS iteration), so that only p×p cross-products and per-unit
// score totals enter Go. The algorithm is Design.GLM's: the same start, the same
// Newton steps and stopping rule, the same sandwich A⁻¹BA⁻¹ with B the design
// covariance (svyrecvar) of the finest-stage unit totals of the estimating functions.

// Expr is a formula variable's expression, for a source that evaluates it itself: Op is
// "var" (column Name), "num" (the number Val), "call" (function Name of Args[0]: I,
// log, log2, log10, log1p, exp, sqrt, abs), "neg", "paren", or one of + - * / ^ on
// Args[0] and Args[1].
type Expr struct {
	Op, Name string
	Val      float64
	Args     []Expr
}

func exportExpr(e *expr) Expr {
	x := Expr{Op: e.op, Name: e.name, Val: e.val}
	for _, a := range e.args {
		x.Args = append(x.Args, exportExpr(a))
	}
	return x
}

// ModelVar is a formula variable: numeric (Expr, a function of numeric columns) or a
// factor of Column with Levels, the reference first (set once the source has listed
// the levels present).
type ModelVar struct {
	Label  string
	Expr   Expr
	Factor bool
	Column string
	Levels []string
}

// ModelPart is one factor of a model-matrix column: numeric variable Var (Level < 0)
// or the indicator that factor Var is at Levels[Level].
type ModelPart struct {
	Var, Level int
}

// Model is a formula laid out as R's model.matrix with treatment contrasts, for a
// GLMSource: column j of the model matrix is the product of Cols[j] (empty: the
// intercept), named Names[j]. Vars[0] is the response. A row is complete when the
// response and every variable are present (numeric values not NaN); the fit uses the
// complete rows only (na.omit).
type Model struct {
	Family Family
	Vars   []ModelVar
	Cols   [][]ModelPart
	Names  []string
	// MeanWeight is the mean weight of the complete rows, which a start from R's
	// mustart needs (see GLMSource.Pass); set after Start.
	MeanWeight float64
}

// GLMStart is what a source reports from a first pass over the rows.
type GLMStart struct {
	// over the complete rows: count, with non-zero weight, Σw, Σw·y, min and max of y;
	// Infinite counts rows with an infinite value of a variable
	N, NW         int64
	SumW, SumWY   float64
	MinY, MaxY    float64
	Infinite      int64
	InfiniteLabel string // a variable with an infinite value
	// over every row of the design (complete or not): Σw and the rows with w ≠ 0
	AllW  float64
	AllNW int64
	// per model-matrix column made of factor levels only (an indicator), the rows with
	// w > 0 where it is 1 and the sum of y over them; NaN-free columns only
	IndicatorN   []int64
	IndicatorSum []float64
}

// GLMPass is one pass over the complete rows at β: the IRLS cross-products
// XᵀWX (p×p, row major, both triangles) and XᵀWz with W = w μ'(η)²/V(μ),
// z = η + (y − μ)/μ'(η), whether some z or W was not finite and whether a binomial
// fitted probability was within 1e-10 of 0 or 1 on a row with weight.
type GLMPass struct {
	XtWX     []float64
	XtWz     []float64
	Finite   bool
	Boundary bool
	// final pass only: Σ w d(y, μ) and, per finest sampling unit with complete rows,
	// its key (the design columns' values, as Frame.Strings gives them, in the order
	// of GLMSource.UnitKey), the complete rows and those with w ≠ 0, and the totals
	// of the estimating functions U_i = s_i x_i, s_i = w_i (y_i − μ_i) μ'(η_i)/V(μ_i)
	Dev   float64
	Units []UnitScores
}

// UnitScores are a sampling unit's sums in a GLM's final pass. On a design whose every
// row is its own PSU (Design.RowStrata) they are a stratum's instead: Key is the
// strata column's value (empty without strata) and UU holds Σ_i U_i U_iᵀ over its
// complete rows (p×p, row major).
type UnitScores struct {
	Key   []string
	N, NW int64
	U     []float64
	UU    []float64
}

// GLMSource computes a GLM's sums over rows it reads itself.
type GLMSource interface {
	// Numeric reports whether column holds numbers.
	Numeric(column string) (bool, error)
	// Levels returns, for every factor variable of m (nil for numeric ones), its
	// distinct values among the complete rows, as text (numbers formatted as
	// strconv.FormatFloat(x, 'g', -1, 64)), in any order.
	Levels(m *Model) ([][]string, error)
	// Start reports the GLMStart sums of m (its columns laid out).
	Start(m *Model) (*GLMStart, error)
	// Pass computes the cross-products at β (β nil: at R's mustart, see GLM's
	// startEta, with m.MeanWeight), and with final the deviance and unit scores.
	Pass(m *Model, beta []float64, final bool) (*GLMPass, error)
	// ReplicatePass is Pass (not final) for several replicate fits at once, on a
	// design with supplied replicate weights: element k holds the cross-products at
	// betas[k] with the analysis weights of replicate reps[k] (in the order of
	// Design.ReplicateColumns) in place of the sampling weights.
	ReplicatePass(m *Model, reps []int, betas [][]float64) ([]*GLMPass, error)
}

// RowStrata reports whether every row of d is its own PSU (R's ids=~1, no replicate
// weights), and its strata column ("" for one stratum): the final pass then sums the
// estimating functions' moments by stratum (UnitScores).
func (d *Design) RowStrata() (column string, ok bool) {
	return d.spec.Strata, d.rep == nil && len(d.spec.Clusters) == 0
}

// ReplicateColumns names the supplied replicate-weight columns of d in the order of
// its replicates, and whether they multiply the sampling weights (svrepdesign's
// combined.weights=FALSE) rather than being the analysis weights; nil for designs
// without supplied replicate weights.
func (d *Design) ReplicateColumns() (columns []string, multipliers bool) {
	if d.rep == nil || d.rep.cols == nil {
		return nil, false
	}
	return slices.Clone(d.rep.names), d.spec.Replicates.Multipliers
}

// UnitKey names the design columns whose values identify a finest-stage sampling
// unit of d (stratum, then the clusters of each stage), for GLMPass.Units. It is nil
// for designs whose units are not given by columns (every row its own PSU, see
// RowStrata; replicate weights).
func (d *Design) UnitKey() []string {
	if d.rep != nil || len(d.spec.Clusters) == 0 {
		return nil
	}
	var key []string
	if d.spec.Strata != "" {
		key = append(key, d.spec.Strata)
	}
	return append(key, d.spec.Clusters[:d.stages]...)
}

// GLMSums is Design.GLM with the rows read by src: the same coefficients, design-based
// covariance (A⁻¹BA⁻¹, B = svyrecvar of the unit totals of the estimating functions;
// on a design with supplied replicate weights svrVar of the replicate fits, see
// sumsReplicateFits), degrees of freedom (PSUs minus strata among complete rows of
// non-zero weight, or the replicate design's degf, + 1 − p) and deviance, from one
// src.Pass per IRLS iteration and a final one at β̂; on a design whose every row is
// its own PSU, B from the strata's moments of the estimating functions (rowPSUCov).
// Calibrated designs, replicate weights converted from a linearisation design and a
// text response are refused; the fit has no fitted values and no marginal effects
// (they need the rows).
func (d *Design) GLMSums(formula string, opt GLMOptions, src GLMSource) (*GLM, error) {
	switch {
	case d.rep != nil && d.rep.cols == nil:
		return nil, errors.New("glm: replicate weights converted from a linearisation design need the rows in memory")
	case len(d.cal) > 0:
		return nil, errors.New("glm: a calibrated design needs its rows in memory")
	}
	lk, f, err := opt.prepare(formula)
	if err != nil {
		return nil, err
	}
	m, model, err := sumsModelSpec(f, opt, src)
	if err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	g := &GLM{Formula: formula, Family: opt.Family, Level: opt.Level, d: d, m: m, lk: lk}
	if _, err := g.sumsFit(model, src, opt); err != nil {
		return nil, fmt.Errorf("glm %s: %w", formula, err)
	}
	return g, nil
}

// sumsModelSpec types the formula's variables through src, asks for the factor levels
// and lays out the model matrix as newModelSpec does.
func sumsModelSpec(f *Formula, opt GLMOptions, src GLMSource) (*modelSpec, *Model, error) {
	m := &modelSpec{f: f, data: map[string][]float64{}}
	model := &Model{Family: opt.Family}
	for k, e := range f.vars {
		v := &modelVar{label: e.deparse(), e: e}
		isFactorCall := e.op == "call" && (e.name == "factor" || e.name == "as.factor")
		text := false
		if e.op == "var" {
			num, err := src.Numeric(e.name)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", v.label, err)
			}
			text = !num
		}
		switch {
		case k == 0 && (isFactorCall || text):
			return nil, nil, fmt.Errorf("response %s: want a numeric column (a two-level text response needs the rows in memory)", v.label)
		case isFactorCall || text:
			v.factor = true
			v.col = e.name
			if isFactorCall {
				v.col = e.args[0].name
			}
		default:
			for _, c := range e.columns(nil) {
				num, err := src.Numeric(c)
				if err == nil && !num {
					err = fmt.Errorf("column %q: %w", c, ErrNotNumeric)
				}
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %w", v.label, err)
				}
			}
		}
		m.vars = append(m.vars, v)
		model.Vars = append(model.Vars, ModelVar{Label: v.label, Expr: exportExpr(e), Factor: v.factor, Column: v.col})
	}
	levels, err := src.Levels(model)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range m.vars {
		if !v.factor {
			continue
		}
		v.levels = slices.Clone(levels[k])
		sortLabels(v.levels)
		if ref, ok := opt.Refs[v.col]; ok {
			r := slices.Index(v.levels, ref)
			if r < 0 {
				return nil, nil, fmt.Errorf("reference level %q of %s: not among its levels %s", ref, v.label, strings.Join(quoteAll(v.levels), ", "))
			}
			v.levels = append([]string{ref}, slices.Delete(v.levels, r, r+1)...)
		}
		model.Vars[k].Levels = v.levels
	}
	for col := range opt.Refs {
		if !slices.ContainsFunc(m.vars, func(v *modelVar) bool { return v.factor && v.col == col }) {
			return nil, nil, fmt.Errorf("reference level for %q: no factor of that column in the formula", col)
		}
	}
	m.layout()
	model.Names = slices.Clone(m.names)
	for _, parts := range m.cols {
		c := []ModelPart{}
		for _, p := range parts {
			c = append(c, ModelPart{Var: p.v, Level: int(p.level)})
		}
		model.Cols = append(model.Cols, c)
	}
	return m, model, nil
}

// sumsFit runs IRLS on the source's passes (irls's algorithm) and the final pass.
func (g *GLM) sumsFit(model *Model, src GLMSource, opt GLMOptions) (*GLM, error) {
	d := g.d
	st, err := src.Start(model)
	if err != nil {
		return nil, err
	}
	switch {
	case st.Infinite > 0:
		return nil, fmt.Errorf("%s: %d rows with an infinite value", st.InfiniteLabel, st.Infinite)
	case st.N == 0:
		return nil, errors.New("no complete rows: every row misses the response or a predictor")
	case g.lk.binary && (st.MinY < 0 || st.MaxY > 1):
		return nil, fmt.Errorf("response %s: values from %v to %v, outside [0, 1] (binomial needs 0/1 or proportions)", g.m.vars[0].label, st.MinY, st.MaxY)
	case g.lk.count && st.MinY < 0:
		return nil, fmt.Errorf("response %s: negative value %v (poisson needs counts)", g.m.vars[0].label, st.MinY)
	}
	g.N = int(st.NW)
	model.MeanWeight = st.SumW / float64(st.N)
	p := len(g.m.names)
	if g.lk.binary {
		var bad []string
		for j := range p {
			if j < len(st.IndicatorN) && st.IndicatorN[j] > 0 && g.m.names[j] != "(Intercept)" {
				n, s := st.IndicatorN[j], st.IndicatorSum[j]
				if s == 0 || s == float64(n) {
					bad = append(bad, fmt.Sprintf("%s (all %d rows with it have outcome %g)", g.m.names[j], n, s/float64(n)))
				}
			}
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("%w: the outcome is perfectly predicted by %s; merge or drop those levels",
				ErrSeparation, strings.Join(bad, ", "))
		}
	}
	// the start: the null model's estimate when it exists (nullStart), else mustart
	beta := g.nullStartAt(st.SumWY / st.SumW)
	fit, err := g.newton(beta, opt, g.movingRaw, func(beta []float64) (passResult, error) {
		out, err := src.Pass(model, beta, false)
		if err != nil {
			return passResult{}, err
		}
		return passResult{finite: out.Finite, boundary: out.Boundary, xtwx: symOf(out.XtWX, p), xtwz: out.XtWz}, nil
	})
	if err != nil {
		return nil, err
	}
	g.beta, g.Iterations = fit.beta, fit.iter
	final, err := src.Pass(model, g.beta, true)
	if err != nil {
		return nil, err
	}
	g.Deviance = final.Dev / (st.AllW / float64(st.AllNW))
	if g.ainv, err = g.invert(symOf(final.XtWX, p)); err != nil {
		return nil, err
	}
	var df float64
	if d.rep != nil {
		if err := g.sumsReplicateFits(model, src, opt); err != nil {
			return nil, err
		}
		g.Cov = d.rep.replicateCov(g.repBeta, g.beta)
		df = d.DF()
	} else if _, rows := d.RowStrata(); rows {
		b, rdf, err := d.rowPSUCov(final.Units, p)
		if err != nil {
			return nil, err
		}
		g.Cov, df = sandwich(g.ainv, b), rdf
	} else {
		cells, tot, err := d.unitScores(final.Units, p)
		if err != nil {
			return nil, err
		}
		g.Cov = sandwich(g.ainv, d.totalsCov(tot, p, cells))
		df = d.spec.DF
		if df <= 0 {
			tv := d.newTaylor()
			tv.load(cells, func(*Cell) float64 { return 0 })
			df = tv.df()
		}
	}
	g.DFResidual = df + 1 - float64(p)
	g.Coef = make([]Coefficient, p)
	for j := range g.Coef {
		se := math.Sqrt(g.Cov.At(j, j))
		c := Coefficient{Term: g.m.names[j], Estimate: g.beta[j], SE: se, T: g.beta[j] / se}
		c.P = tTwoSided(c.T, g.DFResidual)
		c.CILow, c.CIHigh = tInterval(c.Estimate, se, g.DFResidual, opt.Level)
		g.Coef[j] = c
	}
	return g, nil
}

// sumsReplicateFits is replicateFits from sums: every replicate's model is refitted by
// newton from β̂ with the replicate's analysis weights (svyglm.svyrep.design refits
// with start = coef(full fit); the variance is then svrVar of the replicate
// coefficients). The fits run concurrently and a passBatch gathers their passes, so
// that each round of iterations is one src.ReplicatePass for every replicate still
// iterating. A failing replicate's error is the first in replicate order, as in memory.
func (g *GLM) sumsReplicateFits(model *Model, src GLMSource, opt GLMOptions) error {
	R := g.d.rep.r
	p := len(g.beta)
	b := &passBatch{active: R, pending: map[int][]float64{}, done: map[int]batchResult{},
		run: func(reps []int, betas [][]float64) ([]*GLMPass, error) { return src.ReplicatePass(model, reps, betas) }}
	b.cond = sync.NewCond(&b.mu)
	g.repBeta = make([][]float64, R)
	errs := make([]error, R)
	var wg sync.WaitGroup
	for r := range R {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.leave()
			fit, err := g.newton(slices.Clone(g.beta), opt, g.movingRaw, func(beta []float64) (passResult, error) {
				out, err := b.pass(r, beta)
				if err != nil {
					return passResult{}, err
				}
				return passResult{finite: out.Finite, boundary: out.Boundary, xtwx: symOf(out.XtWX, p), xtwz: out.XtWz}, nil
			})
			if err != nil {
				errs[r] = fmt.Errorf("replicate %d: %w", r+1, err)
				return
			}
			g.repBeta[r] = fit.beta
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// passBatch gathers the passes of concurrent fits into one call of run: a round runs,
// in the goroutine that completes it, once every fit still active waits for its pass.
type passBatch struct {
	mu      sync.Mutex
	cond    *sync.Cond
	active  int                 // fits not finished
	pending map[int][]float64   // fit → the β of its pass, this round
	done    map[int]batchResult // fit → its pass, until it takes it
	run     func(reps []int, betas [][]float64) ([]*GLMPass, error)
}

type batchResult struct {
	out *GLMPass
	err error
}

// pass is fit r's pass at β: it waits for the round.
func (b *passBatch) pass(r int, beta []float64) (*GLMPass, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending[r] = beta
	b.flush()
	for {
		if res, ok := b.done[r]; ok {
			delete(b.done, r)
			return res.out, res.err
		}
		b.cond.Wait()
	}
}

// leave marks a fit finished.
func (b *passBatch) leave() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	b.flush()
}

// flush runs the round when every active fit waits (b.mu held).
func (b *passBatch) flush() {
	if len(b.pending) == 0 || len(b.pending) < b.active {
		return
	}
	reps := slices.Sorted(maps.Keys(b.pending))
	betas := make([][]float64, len(reps))
	for k, r := range reps {
		betas[k] = b.pending[r]
	}
	outs, err := b.run(reps, betas)
	for k, r := range reps {
		res := batchResult{err: err}
		if err == nil {
			res.out = outs[k]
		}
		b.done[r] = res
	}
	clear(b.pending)
	b.cond.Broadcast()
}

// movingRaw is moving without the columns' standard deviations (which need the rows):
// the coefficients whose change in the last step is at least half the largest.
func (g *GLM) movingRaw(beta, prev []float64) []string {
	if prev == nil {
		return []string{"(all)"}
	}
	top := 0.0
	for j := range beta {
		top = math.Max(top, math.Abs(beta[j]-prev[j]))
	}
	var out []string
	for j := range beta {
		if math.Abs(beta[j]-prev[j]) >= top/2 {
			out = append(out, g.m.names[j])
		}
	}
	return out
}

// rowPSUCov is B of V(β̂) = A⁻¹BA⁻¹ on a design whose every row is its own PSU, from
// the strata's moments of the estimating functions (strata: UnitScores by stratum,
// with UU), as svyrecvar's one-stage formula with n_h the rows of stratum h in the
// design, m_h of them complete (U_i = 0 on the others) and f_h = 1 − n_h/N_h:
//
//	B = Σ_h f_h n_h/(n_h−1) (Σ_i U_i U_iᵀ − T_h T_hᵀ/n_h),  T_h = Σ_i U_i,
//
// which is Σ_i (U_i − T_h/n_h)(U_i − T_h/n_h)ᵀ over the n_h rows, with the lonely-PSU
// rules of taylor.onestrat: a stratum of one row adds f_h U Uᵀ (adjust: centred at
// zero), nothing (remove, certainty), or is left out with the others' sum scaled by
// strata present over strata used (average); with AdjustDomainLonely a stratum with
// one complete row of several is centred at zero (adjust) or left out (average). The
// degrees of freedom are the complete rows of non-zero weight minus the strata that
// have them (degf), or the design's override.
func (d *Design) rowPSUCov(strata []UnitScores, p int) (*mat.SymDense, float64, error) {
	code := map[string]int32{"": 0}
	if col := d.spec.Strata; col != "" {
		vals, err := d.frame.Strings(col)
		if err != nil {
			return nil, 0, err
		}
		for i, v := range vals {
			code[v] = d.parent[0][d.unit[0][i]]
		}
	}
	rule, domainLonely := d.spec.LonelyPSU, d.spec.AdjustDomainLonely
	b := make([]float64, p*p)
	present, used := 0, 0
	var rows, withRows int64
	for _, st := range strata {
		if st.N == 0 {
			continue
		}
		h, ok := code[strings.Join(st.Key, "\x00")]
		if !ok {
			return nil, 0, fmt.Errorf("glm: stratum %q of the sums is not a stratum of the design", st.Key)
		}
		if st.NW > 0 {
			rows += st.NW
			withRows++
		}
		present++
		n, f := float64(len(d.children[0][h])), d.fpcF[0][h]
		lonelyRow := n > 1 && st.N == 1 && domainLonely
		switch {
		case f < certaintyTol:
			used++
			continue
		case (n == 1 || lonelyRow) && rule == LonelyAverage:
			continue
		case n == 1 && rule != LonelyAdjust:
			used++
			continue
		}
		used++
		centred := !(n == 1 || lonelyRow && rule == LonelyAdjust) // else about zero
		scale := f
		if n > 1 {
			scale *= n / (n - 1)
		}
		for j := range p {
			for k := range p {
				ss := st.UU[j*p+k]
				if centred {
					ss -= st.U[j] * st.U[k] / n
				}
				b[j*p+k] += scale * ss
			}
		}
	}
	rescale := float64(present) / float64(used)
	out := mat.NewSymDense(p, nil)
	for j := range p {
		for k := 0; k <= j; k++ {
			out.SetSym(j, k, rescale*(b[j*p+k]+b[k*p+j])/2)
		}
	}
	df := float64(rows - withRows)
	if d.spec.DF > 0 {
		df = d.spec.DF
	}
	return out, df, nil
}

// symOf is the p×p row-major matrix a as a SymDense (its lower triangle).
func symOf(a []float64, p int) *mat.SymDense {
	s := mat.NewSymDense(p, nil)
	for j := range p {
		for k := 0; k <= j; k++ {
			s.SetSym(j, k, a[j*p+k])
		}
	}
	return s
}

// unitScores lays the units' sums out by the design's finest-stage units: the cells
// (N, NW) unitCells gives for the complete rows and the unit totals scoreTotals gives.
// A key names a unit by the UnitKey columns' values as the design's frame holds them.
func (d *Design) unitScores(units []UnitScores, p int) ([]Cell, []float64, error) {
	key := d.UnitKey()
	cols := make([][]string, len(key))
	for k, c := range key {
		var err error
		if cols[k], err = d.frame.Strings(c); err != nil {
			return nil, nil, err
		}
	}
	fin := d.unit[d.finest()]
	index := make(map[string]int32, d.nUnits[d.finest()])
	parts := make([]string, len(key))
	for i := range d.n {
		for k := range key {
			parts[k] = cols[k][i]
		}
		index[strings.Join(parts, "\x00")] = fin[i]
	}
	nu := d.nUnits[d.finest()]
	cells := make([]Cell, nu)
	tot := make([]float64, nu*p)
	for _, us := range units {
		u, ok := index[strings.Join(us.Key, "\x00")]
		if !ok {
			return nil, nil, fmt.Errorf("glm: sampling unit %q of the sums is not a unit of the design", us.Key)
		}
		cells[u].N += us.N
		cells[u].NW += us.NW
		for j, x := range us.U {
			tot[int(u)*p+j] += x
		}
	}
	return cells, tot, nil
}
