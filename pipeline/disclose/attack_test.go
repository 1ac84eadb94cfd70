package disclose

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// interiorAttacker is an intruder written apart from the package's model:
// its unknowns are the suppressed cells of the full crossing (every other
// cell is a sum of those), its constraints are the published cells, its
// prior is sw ≥ 0 and min·sw ≤ t ≤ max·sw for every finest cell.
type interiorAttacker struct {
	t        *Table
	marks    []Mark
	coords   [][]int // per cell, -1 for a variable not in the group set
	full     []int   // cells of the full crossing
	unknown  []int   // suppressed cells of the full crossing
	col      map[int]int
	a        *mat.Dense
	b        []float64
	sScale   float64
	tScale   float64
	lo, span float64
	basis    []int
}

func newInteriorAttacker(t *Table, marks []Mark, k int) *interiorAttacker {
	at := &interiorAttacker{t: t, marks: marks, col: map[int]int{}}
	at.lo, at.span = 0, 1
	if t.Kind == Mean {
		at.lo, at.span = t.Min, t.Max-t.Min
	}
	for i, c := range t.Cells {
		co := []int{-1, -1, -1}[:k]
		for j, v := range c.Vars {
			d, _ := strconv.Atoi(strings.TrimPrefix(v, "v"))
			co[d], _ = strconv.Atoi(strings.TrimPrefix(c.Values[j], "l"))
		}
		at.coords = append(at.coords, co)
		if len(c.Vars) == k {
			at.full = append(at.full, i)
			if !marks[i].Publishable() {
				at.col[i] = len(at.unknown)
				at.unknown = append(at.unknown, i)
				at.sScale = math.Max(at.sScale, c.SumWeights)
			}
		}
	}
	if at.sScale == 0 {
		at.sScale = 1
	}
	at.tScale = at.sScale * at.span
	n := len(at.unknown)
	var rows [][]float64
	for i, c := range t.Cells {
		if !marks[i].Publishable() || len(c.Vars) == k {
			continue
		}
		sw, tt := make([]float64, 3*n+1), make([]float64, 3*n+1)
		rhsSW, rhsT := c.SumWeights, c.Estimate*c.SumWeights
		any := false
		for _, f := range at.inside(i) {
			fc := t.Cells[f]
			if j, ok := at.col[f]; ok {
				sw[j] = 1
				tt[j], tt[n+j] = at.lo/at.span, 1
				any = true
			} else {
				rhsSW -= fc.SumWeights
				rhsT -= fc.Estimate * fc.SumWeights
			}
		}
		if any {
			sw[3*n], tt[3*n] = rhsSW/at.sScale, rhsT/at.tScale
			rows = append(rows, sw, tt)
		}
	}
	for j := 0; j < n; j++ {
		r := make([]float64, 3*n+1)
		r[j], r[n+j], r[2*n+j] = -1, 1, 1
		rows = append(rows, r)
	}
	rows, err := echelon(rows, 3*n)
	if err != nil {
		panic(err)
	}
	if n > 0 {
		at.a = mat.NewDense(len(rows), 3*n, nil)
		at.b = make([]float64, len(rows))
		for i, r := range rows {
			for j := 0; j < 3*n; j++ {
				at.a.Set(i, j, r[j])
			}
			at.b[i] = r[3*n]
		}
	}
	return at
}

// inside lists the full-crossing cells that add up to cell i.
func (at *interiorAttacker) inside(i int) []int {
	var out []int
	for _, f := range at.full {
		ok := true
		for d, c := range at.coords[i] {
			if c >= 0 && at.coords[f][d] != c {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}

// interval is the tightest interval of cell i's sum of weights (q = 0) or
// weighted total (q = 1).
func (at *interiorAttacker) interval(t *testing.T, i, q int) (lo, hi float64) {
	n := len(at.unknown)
	c := make([]float64, 3*n)
	known := 0.0
	for _, f := range at.inside(i) {
		fc := at.t.Cells[f]
		j, ok := at.col[f]
		switch {
		case !ok && q == 0:
			known += fc.SumWeights
		case !ok && q == 1:
			known += fc.Estimate * fc.SumWeights
		case !ok:
			known += (at.lo+at.span)*fc.SumWeights - fc.Estimate*fc.SumWeights
		case q == 0:
			c[j] = 1
		case q == 1:
			c[j], c[n+j] = at.lo/at.span, 1
		default:
			c[2*n+j] = 1
		}
	}
	scale := at.sScale
	if q > 0 {
		scale = at.tScale
	}
	solve := func(sign float64) float64 {
		cc := make([]float64, len(c))
		for j := range c {
			cc[j] = sign * c[j]
		}
		if at.basis != nil {
			if f, err, ok := simplexFrom(cc, at.a, at.b, at.basis); ok && err == nil {
				return f
			}
		}
		f, x, err := lp.Simplex(cc, at.a, at.b, 1e-10, nil)
		if err == nil {
			at.basis = basisOf(at.a, x)
		}
		if errors.Is(err, lp.ErrUnbounded) {
			return math.Inf(-1)
		}
		if err != nil {
			t.Fatalf("attacker LP: %v", err)
		}
		return f
	}
	return known + solve(1)*scale, known - solve(-1)*scale
}

// TestAttacker publishes random tables of 1–3 crossed variables of 2–15
// levels with many small cells, for several seeds, attacks the published
// cells by linear programming, and requires every sensitive cell's
// intervals to reach the protection level on both sides; Audit must find
// the same intervals.
func TestAttacker(t *testing.T) {
	rules := DefaultRules()
	seeds, tables := []uint64{11, 12, 13, 14, 15}, 40
	if testing.Short() {
		seeds, tables = seeds[:1], 10
	}
	for _, seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 1))
		sensitive, secondary := 0, 0
		for ti := 0; ti < tables; ti++ {
			levels := randomLevels(rng, 64)
			tab := genTable(rng, "t"+strconv.Itoa(ti), levels, Kind(ti%2), smallCells(rng))
			marked, rep, err := Apply([]Table{tab}, rules)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Unprotected != 0 {
				t.Errorf("seed %d table %d %v: %d cells left unprotected: %v", seed, ti, levels, rep.Unprotected, rep.UnprotectedCells)
			}
			secondary += rep.Totals.Secondary
			sensitive += attack(t, fmt.Sprintf("seed %d table %d %v", seed, ti, levels), tab, marked[0], rules)
		}
		if sensitive < 5*tables || secondary == 0 {
			t.Errorf("seed %d: the random tables are too easy: %d sensitive cells, %d secondary in %d tables", seed, sensitive, secondary, tables)
		}
		t.Logf("seed %d: %d tables, %d sensitive cells, %d secondary suppressions", seed, tables, sensitive, secondary)
	}
}

// TestRepairAlone skips the search: the audit-and-repair loop on its own,
// from primary suppression only, must protect every sensitive cell
// against the attacker and end.
func TestRepairAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	rules := DefaultRules()
	tables := 30
	if testing.Short() {
		tables = 8
	}
	repaired := 0
	for ti := 0; ti < tables; ti++ {
		levels := randomLevels(rng, 64)
		tab := genTable(rng, "r"+strconv.Itoa(ti), levels, Kind(ti%2), smallCells(rng))
		tb := newTableState(&tab, rules)
		for i := range tb.cells {
			if tb.cells[i].valid && tb.cells[i].status == Primary && !tb.repair(int32(i)) {
				t.Errorf("table %d %v: repair could not protect %s", ti, levels, tb.cells[i].label)
			}
		}
		for _, c := range tb.cells {
			if c.status == Secondary {
				repaired++
			}
		}
		attack(t, fmt.Sprintf("repair only, table %d %v", ti, levels), tab, tb.marks(), rules)
	}
	if repaired == 0 {
		t.Error("the repair suppressed nothing")
	}
}

// TestRunSurvey5000 protects every table of the 5,000-respondent, 13
// municipality run of BenchmarkRun and audits it exactly: no sensitive
// cell may be exposed.
func TestRunSurvey5000(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole run's tables")
	}
	tables := synthRun(1, 5_000, 13)
	rules := DefaultRules()
	marked, rep, err := Apply(tables, rules)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unprotected != 0 {
		t.Errorf("%d cells unprotected: %v", rep.Unprotected, rep.UnprotectedCells)
	}
	audit, err := Audit(tables, marked, rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != rep.Totals.Primary {
		t.Errorf("audit of %d cells, %d primary", len(audit), rep.Totals.Primary)
	}
	for _, e := range audit {
		if !e.Protected || !e.Exact || e.Err != nil {
			t.Errorf("%s: %s exposed (exact %v, %v): sw %.6g in [%.6g, %.6g], total %.6g in [%.6g, %.6g]",
				tableLabel(&tables[e.Table]), e.Label, e.Exact, e.Err, e.SumWeights, e.SumWeightsLow, e.SumWeightsHigh, e.Total, e.TotalLow, e.TotalHigh)
		}
	}
	t.Logf("%d cells, %d primary, %d secondary, %.1f %% of cells and %.1f %% of the population suppressed",
		rep.Totals.Cells, rep.Totals.Primary, rep.Totals.Secondary, 100*rep.Totals.CellShare, 100*rep.Totals.PopulationShare)
}

// TestRunNational protects the first two tables of BenchmarkRun's
// national run with few respondents (200,000 over 357 municipalities:
// thousands of linked suppressed cells, too many for one exact program)
// and audits them: Apply must report no cell unprotected, and Audit, from
// the marks alone, must prove every sensitive cell protected. With six
// cubes per cell, the second table had 21 cells Apply could not protect.
func TestRunNational(t *testing.T) {
	if testing.Short() {
		t.Skip("national tables")
	}
	tables := synthRun(1, 200_000, 357)[:2]
	rules := DefaultRules()
	marked, rep, err := Apply(tables, rules)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unprotected != 0 {
		t.Errorf("%d cells unprotected: %v", rep.Unprotected, rep.UnprotectedCells[:min(5, len(rep.UnprotectedCells))])
	}
	audit, err := Audit(tables, marked, rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != rep.Totals.Primary || len(audit) < 1000 {
		t.Errorf("audit of %d cells, %d primary", len(audit), rep.Totals.Primary)
	}
	inexact := 0
	for _, e := range audit {
		if !e.Exact {
			inexact++
		}
		if !e.Protected || e.Err != nil {
			t.Errorf("%s: %s not proved protected (%v): sw %.6g in [%.6g, %.6g], total %.6g in [%.6g, %.6g]",
				tableLabel(&tables[e.Table]), e.Label, e.Err, e.SumWeights, e.SumWeightsLow, e.SumWeightsHigh, e.Total, e.TotalLow, e.TotalHigh)
		}
	}
	if inexact == 0 {
		t.Error("no linked set was too large for one program: the test no longer exercises the partial audits")
	}
	t.Logf("%d primary, %d secondary, %d audited over part of their linked set", rep.Totals.Primary, rep.Totals.Secondary, inexact)
}

// attack checks every sensitive cell of tab under marks with the
// independent attacker and against Audit, and returns how many there are.
func attack(t *testing.T, name string, tab Table, marks []Mark, rules Rules) (sensitive int) {
	t.Helper()
	kind := tab.Kind
	levels := 0
	for _, c := range tab.Cells {
		levels = max(levels, len(c.Vars))
	}
	at := newInteriorAttacker(&tab, marks, levels)
	audit, err := Audit([]Table{tab}, [][]Mark{marks}, rules)
	if err != nil {
		t.Fatal(err)
	}
	byCell := map[int]Exposure{}
	for _, e := range audit {
		byCell[e.Cell] = e
	}
	for i, c := range tab.Cells {
		if PrimaryReason(c.N, c.NAttr, kind == Proportion, rules) == "" {
			continue
		}
		sensitive++
		if marks[i].Status != Primary {
			t.Errorf("%s: sensitive cell %s is %v", name, Label(c), marks[i].Status)
			continue
		}
		swLo, swHi := at.interval(t, i, 0)
		tLo, tHi := at.interval(t, i, 1)
		cLo, cHi := at.interval(t, i, 2)
		sw, tot := c.SumWeights, c.Estimate*c.SumWeights
		comp := (at.lo+at.span)*sw - tot
		// The protection: ±20 % of each value, and for the totals at
		// least the weight of one average respondent times the range.
		floor := at.span * sw / float64(c.N)
		hSW := rules.Protection * sw
		hT := math.Max(rules.Protection*math.Abs(tot), floor)
		hC := math.Max(rules.Protection*math.Abs(comp), floor)
		tol := 1e-6 * (sw + 1)
		if swLo > sw-hSW+tol || swHi < sw+hSW-tol {
			t.Errorf("%s: %s sum of weights %.4g in [%.6g, %.6g], needs ±%.4g", name, Label(c), sw, swLo, swHi, hSW)
		}
		if tLo > math.Max(tot-hT, 0)+tol*at.span || tHi < tot+hT-tol*at.span {
			t.Errorf("%s: %s total %.4g in [%.6g, %.6g], needs ±%.4g", name, Label(c), tot, tLo, tHi, hT)
		}
		if cLo > math.Max(comp-hC, 0)+tol*at.span || cHi < comp+hC-tol*at.span {
			t.Errorf("%s: %s complement %.4g in [%.6g, %.6g], needs ±%.4g", name, Label(c), comp, cLo, cHi, hC)
		}
		e, ok := byCell[i]
		if !ok {
			t.Errorf("%s: Audit misses %s", name, Label(c))
			continue
		}
		if !e.Protected || e.Err != nil {
			t.Errorf("%s: Audit says %s unprotected (%v)", name, Label(c), e.Err)
		}
		for _, p := range [][2]float64{{e.SumWeightsLow, swLo}, {e.SumWeightsHigh, swHi}, {e.TotalLow, tLo}, {e.TotalHigh, tHi}, {e.ComplementLow, cLo}, {e.ComplementHigh, cHi}} {
			if !(p[0] == p[1] || math.Abs(p[0]-p[1]) <= 1e-6*(math.Abs(p[1])+sw*at.span+1)) {
				t.Errorf("%s: %s: Audit bound %.9g, attacker %.9g", name, Label(c), p[0], p[1])
			}
		}
	}
	return sensitive
}

// simplexFrom solves from a known basis; ok is false when that failed
// (the basis is checked by gonum, which panics on a bad one).
func simplexFrom(c []float64, a *mat.Dense, b []float64, basis []int) (f float64, err error, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	f, _, err = lp.Simplex(c, a, b, 1e-10, basis)
	if errors.Is(err, lp.ErrUnbounded) {
		return math.Inf(-1), nil, true
	}
	if err != nil {
		return 0, nil, false
	}
	return f, nil, true
}

// basisOf returns the columns of a basic feasible solution x: its non-zero
// entries, completed to a basis of A's column space by other columns; nil
// when x is not a vertex.
func basisOf(a *mat.Dense, x []float64) []int {
	rows, cols := a.Dims()
	var basis []int
	var q [][]float64 // orthonormal basis of the chosen columns
	try := func(j int) bool {
		v := make([]float64, rows)
		norm0 := 0.0
		for i := range v {
			v[i] = a.At(i, j)
			norm0 += v[i] * v[i]
		}
		for pass := 0; pass < 2; pass++ {
			for _, u := range q {
				d := 0.0
				for i := range v {
					d += u[i] * v[i]
				}
				for i := range v {
					v[i] -= d * u[i]
				}
			}
		}
		norm := 0.0
		for _, e := range v {
			norm += e * e
		}
		if norm <= 1e-18*norm0 || norm == 0 {
			return false
		}
		norm = math.Sqrt(norm)
		for i := range v {
			v[i] /= norm
		}
		q = append(q, v)
		basis = append(basis, j)
		return true
	}
	for j, v := range x {
		if v > 1e-12 && !try(j) {
			return nil
		}
	}
	for j := 0; j < cols && len(basis) < rows; j++ {
		if x[j] <= 1e-12 {
			try(j)
		}
	}
	if len(basis) != rows {
		return nil
	}
	return basis
}
