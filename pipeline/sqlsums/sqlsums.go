// Package sqlsums is the DuckDB producer of the survey engine's sufficient statistics:
// the per (domain, sampling unit) sums of survey.Cell computed by GROUP BY over the
// rows where they lie (a table of the store, CSV or Parquet files, hive-partitioned
// folders and globs, read through pipeline/load), so that only the sums enter Go.
//
// Prepare types the columns a run needs in one query (for a CSV read in place, the one
// pass that stages them into a temporary Parquet file, see load.OpenInPlace). Then
// two queries do the work. The first groups the rows by their finest sampling unit —
// the key (stratum, PSU[, SSU…], fpc…), or the row itself for ids=~1 — into a table of
// units, numbered in order of first appearance; its rows, with the sum of the weights,
// are the frame survey.NewDesign builds the design on, so that stratum, PSU and fpc
// structure, lonely-PSU checks and degrees of freedom are the engine's own. The second,
// one per Estimate call, sums, for every item,
//
//	N = count, NW = count(w ≠ 0), W = Σ w, A = Σ w·a, AA = Σ w·a², B = Σ w·b, BB = Σ w·b², AB = Σ w·a·b
//
// over the rows with a (and b) not missing, GROUP BY unit key, by-variables, over a
// projection that computes each typed value once; the unit keys of its rows are mapped
// to the units in Go, so that the query needs no join. A design with
// supplied replicate weights groups the rows by their weight and replicate weights
// instead: within such a group every weight is constant, so the unweighted Σ a, Σ a²…
// times the group's weights give the cells and the replicate sums
// Σ w_r, Σ w_r·a, Σ w_r·b with one query whatever the number of replicates. The same
// holds for a design without a weight column (weights 1, or 1/Π n/N from the fpc,
// constant within a unit). Sums are Kahan–Babuška sums (DuckDB's fsum), so that they
// do not depend on how DuckDB splits the scan over threads.
//
// Quantiles (survey.QuantileSource) take one more query per variable, the weighted
// distribution GROUP BY by-variables, value (Σ w, count and the last row's weight per
// distinct value, given to the engine's rules by survey.TiedWeights), and one per
// probability, the Woodruff indicator 1{y ≤ q̂_domain} summed as above,
// with the domains' estimates brought to the rows by a LEFT JOIN of a VALUES list.
package sqlsums

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"socap/indicators/survey"
	"socap/pipeline/load"
	"socap/pipeline/store"
)

// Source is a survey.RowSource over the rows of a load.Table, for the design Design
// built. It is bound to one context: the engine's interface carries none.
type Source struct {
	ctx      context.Context
	t        *load.Table
	spec     survey.Spec
	units    string   // table of units in t's store, while Design builds the design
	keys     []string // unit key: the rows' expressions, the units' columns k0, k1, …
	weight   string   // the rows' weight expression ("1" when scaled)
	scaled   bool     // sums unweighted, times the unit's weights (see package doc)
	supplied bool     // supplied replicate weights
	names    *survey.Frame
	unitOf   map[string]int32 // unit key (unitKey) → unit row
}

var tables atomic.Int64

// trace, when set (by a test), sees every query before it runs.
var trace func(query string)

func traced(q string) string {
	if trace != nil {
		trace(q)
	}
	return q
}

// Prepare types, in one query, the columns spec's design reads (the replicate pattern
// matched against t's columns) and columns (the analysis and domain columns to come),
// leaving out names t does not have; for a CSV read in place this is the one pass
// that stages them (load.OpenInPlace), so that Design and the estimates after it do
// not parse the CSV again.
func Prepare(ctx context.Context, t *load.Table, spec survey.Spec, columns []string) error {
	names := t.Names()
	want := slices.Concat([]string{spec.Weights, spec.Strata}, spec.Clusters, spec.FPC, columns)
	if r := spec.Replicates; r != nil {
		want = append(want, r.Columns...)
		if re, err := regexp.Compile(r.Pattern); err == nil && r.Pattern != "" {
			for _, n := range names {
				if re.MatchString(n) {
					want = append(want, n)
				}
			}
		}
	}
	var cols []string
	for _, c := range want {
		if slices.Contains(names, c) && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	_, err := t.Numeric(ctx, cols)
	return err
}

// Design builds the design of spec over t's rows (see the package doc): the design is
// the engine's, on a frame of one row per unit, and the returned Source produces its
// sums. A replicate pattern is matched against t's columns in file order.
func Design(ctx context.Context, t *load.Table, spec survey.Spec) (*survey.Design, *Source, error) {
	names := survey.NewFrame()
	for _, n := range t.Names() {
		if err := names.AddString(n, nil); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", t.Path(), err)
		}
	}
	s := &Source{ctx: ctx, t: t, names: names, units: fmt.Sprintf("_sqlsums_units_%d", tables.Add(1))}
	var cols []string // unit-frame columns, named as spec names them
	if r := spec.Replicates; r != nil {
		rs := *r
		if rs.Pattern != "" {
			re, err := regexp.Compile(rs.Pattern)
			if err != nil {
				return nil, nil, fmt.Errorf("design: replicate pattern %q: %w", rs.Pattern, err)
			}
			for _, n := range t.Names() {
				if re.MatchString(n) {
					rs.Columns = append(rs.Columns, n)
				}
			}
			if len(rs.Columns) == 0 {
				return nil, nil, fmt.Errorf("design: replicate pattern %q: %w matches it", rs.Pattern, survey.ErrNoReplicates)
			}
			rs.Pattern = ""
		}
		spec.Replicates = &rs
		s.supplied = true
		cols = slices.Clone(rs.Columns)
		if spec.Weights != "" {
			cols = append(cols, spec.Weights)
		}
	} else {
		if spec.Strata != "" {
			cols = append(cols, spec.Strata)
		}
		stages := 1
		if len(spec.FPC) > 0 && len(spec.Clusters) > 1 {
			stages = len(spec.Clusters)
		}
		cols = append(cols, spec.Clusters[:min(stages, len(spec.Clusters))]...)
		cols = append(cols, spec.FPC...)
	}
	s.spec = spec
	s.scaled = s.supplied || spec.Weights == ""
	if err := Prepare(ctx, t, spec, nil); err != nil {
		return nil, nil, err
	}
	var keyCols []string // columns of the key (the weight is summed, not a key, when weighted)
	for _, c := range cols {
		if !slices.Contains(keyCols, c) && (s.scaled || c != spec.Weights) {
			keyCols = append(keyCols, c)
		}
	}
	numeric, err := s.numeric(append(slices.Clone(keyCols), spec.Weights))
	if err != nil {
		return nil, nil, err
	}
	s.weight = "1"
	if spec.Weights != "" {
		if !numeric[len(keyCols)] {
			return nil, nil, fmt.Errorf("design: weights: column %q: %w", spec.Weights, survey.ErrNotNumeric)
		}
		s.weight = t.Expr(spec.Weights, true)
	}
	var sel []string
	for k, c := range keyCols {
		s.keys = append(s.keys, t.Expr(c, numeric[k]))
		sel = append(sel, s.keys[k]+" AS _k"+strconv.Itoa(k))
	}
	if spec.Replicates == nil && len(spec.Clusters) == 0 {
		s.keys = append(s.keys, "_row") // ids=~1: every row its own PSU
		sel = append(sel, "_row AS _k"+strconv.Itoa(len(keyCols)))
	}
	q := fmt.Sprintf(`CREATE OR REPLACE TABLE %s AS SELECT row_number() OVER (ORDER BY _first) - 1 AS _u, * FROM (
SELECT %s, min(_row) AS _first, fsum(%s) AS _w, min(%s) AS _wmin, count(*) - count(%s) AS _wnull FROM %s GROUP BY ALL)`,
		s.units, strings.Join(sel, ", "), s.weight, s.weight, s.weight, t.From())
	if _, err := t.Store().DB().ExecContext(ctx, traced(q)); err != nil {
		return nil, nil, fmt.Errorf("%s: design: %w", t.Path(), err)
	}
	// Only Design reads the table of units: a project's store is left as it was.
	defer t.Store().DB().ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+s.units)
	if err := s.check(keyCols); err != nil {
		return nil, nil, err
	}
	frame, err := s.unitFrame(keyCols)
	if err != nil {
		return nil, nil, err
	}
	d, err := survey.NewDesign(frame, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t.Path(), err)
	}
	return d, s, nil
}

// numeric types cols, refusing an unknown one as the engine does ("" is numeric).
func (s *Source) numeric(cols []string) ([]bool, error) {
	var named []string
	for _, c := range cols {
		if c == "" {
			continue
		}
		if !s.names.Has(c) {
			_, err := s.names.Float(c)
			return nil, fmt.Errorf("%s: design: %w", s.t.Path(), err)
		}
		named = append(named, c)
	}
	got, err := s.t.Numeric(s.ctx, named)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(cols))
	k := 0
	for i, c := range cols {
		out[i] = c == ""
		if c != "" {
			out[i] = got[k]
			k++
		}
	}
	return out, nil
}

// check refuses missing design values and missing or negative weights, naming the
// first row, as NewDesign does for rows in memory.
func (s *Source) check(keyCols []string) error {
	db := s.t.Store().DB()
	for k, c := range keyCols {
		var row *int64
		q := fmt.Sprintf("SELECT min(_first) FROM %s WHERE _k%d IS NULL", s.units, k)
		if err := db.QueryRowContext(s.ctx, q).Scan(&row); err != nil {
			return fmt.Errorf("%s: design: %w", s.t.Path(), err)
		}
		if row != nil {
			q = fmt.Sprintf("SELECT min(_row) FROM %s WHERE %s IS NULL", s.t.From(), s.keys[k])
			if err := db.QueryRowContext(s.ctx, q).Scan(&row); err != nil {
				return fmt.Errorf("%s: design: %w", s.t.Path(), err)
			}
			return fmt.Errorf("%s: design: column %q, row %d: missing value", s.t.Path(), c, *row)
		}
	}
	if s.spec.Weights == "" {
		return nil
	}
	var bad *int64
	q := fmt.Sprintf("SELECT min(_first) FROM %s WHERE _wnull > 0 OR _wmin < 0", s.units)
	if err := db.QueryRowContext(s.ctx, q).Scan(&bad); err != nil || bad == nil {
		return err
	}
	var row int64
	var w *float64
	q = fmt.Sprintf("SELECT _row, %s FROM %s WHERE %s IS NULL OR %s < 0 ORDER BY _row LIMIT 1", s.weight, s.t.From(), s.weight, s.weight)
	if err := db.QueryRowContext(s.ctx, q).Scan(&row, &w); err != nil {
		return fmt.Errorf("%s: design: %w", s.t.Path(), err)
	}
	if w == nil {
		return fmt.Errorf("%s: design: weights: column %q, row %d: missing weight", s.t.Path(), s.spec.Weights, row)
	}
	return fmt.Errorf("%s: design: weights: column %q, row %d: negative weight %v", s.t.Path(), s.spec.Weights, row, *w)
}

// unitFrame reads the table of units, in unit order, as a frame with the design's
// column names (and the sum of the weights as the weight column).
func (s *Source) unitFrame(keyCols []string) (*survey.Frame, error) {
	sel := []string{"_w"}
	for k := range s.keys {
		sel = append(sel, "_k"+strconv.Itoa(k))
	}
	cols := make([]any, len(sel)) // []float64 or []string per column
	s.unitOf = map[string]int32{}
	var kb strings.Builder
	err := s.t.Store().QueryArrow(s.ctx, 0, func(rec arrow.RecordBatch) error {
		for k := range sel {
			cols[k] = appendColumn(cols[k], rec.Column(k))
		}
		for i := range int(rec.NumRows()) {
			s.unitOf[unitKey(&kb, rec, 1, len(s.keys), i)] = int32(len(s.unitOf))
		}
		return nil
	}, "SELECT "+strings.Join(sel, ", ")+" FROM "+s.units+" ORDER BY _u")
	if err != nil {
		return nil, fmt.Errorf("%s: design: %w", s.t.Path(), err)
	}
	f := survey.NewFrame()
	add := func(name string, v any) error {
		if x, ok := v.([]float64); ok {
			return f.AddFloat(name, x)
		}
		x, _ := v.([]string)
		return f.AddString(name, x)
	}
	for k, c := range keyCols {
		if err := add(c, cols[k+1]); err != nil {
			return nil, fmt.Errorf("%s: design: %w", s.t.Path(), err)
		}
	}
	if s.spec.Weights != "" && !s.scaled {
		if err := add(s.spec.Weights, cols[0]); err != nil {
			return nil, fmt.Errorf("%s: design: %w", s.t.Path(), err)
		}
	}
	if f.Rows() == 0 { // no design column: a row per unit all the same
		v, _ := cols[0].([]float64)
		if err := f.AddFloat("_unit", v); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// appendColumn appends an Arrow column of numbers (NaN for null) or text ("" for null)
// to v.
func appendColumn(v any, col arrow.Array) any {
	switch a := col.(type) {
	case *array.Float64:
		x, _ := v.([]float64)
		for i := range a.Len() {
			if a.IsValid(i) {
				x = append(x, a.Value(i))
			} else {
				x = append(x, math.NaN())
			}
		}
		return x
	case *array.Int64:
		x, _ := v.([]float64)
		for i := range a.Len() {
			x = append(x, float64(a.Value(i)))
		}
		return x
	case *array.String:
		x, _ := v.([]string)
		for i := range a.Len() {
			x = append(x, a.Value(i))
		}
		return x
	}
	return v
}

// Numeric implements survey.RowSource.
func (s *Source) Numeric(column string) (bool, error) {
	v, err := s.numeric([]string{column})
	if err != nil {
		return false, err
	}
	return v[0], nil
}

// Distinct implements survey.RowSource: SELECT DISTINCT over the rows.
func (s *Source) Distinct(columns []string) (*survey.Frame, error) {
	numeric, err := s.numeric(columns)
	if err != nil {
		return nil, err
	}
	var sel, where []string
	for k, c := range columns {
		e := s.t.Expr(c, numeric[k])
		sel = append(sel, e)
		where = append(where, e+" IS NOT NULL")
	}
	cols := make([]any, len(columns))
	err = s.t.Store().QueryArrow(s.ctx, 0, func(rec arrow.RecordBatch) error {
		for k := range columns {
			cols[k] = appendColumn(cols[k], rec.Column(k))
		}
		return nil
	}, traced("SELECT DISTINCT "+strings.Join(sel, ", ")+" FROM "+s.t.From()+" WHERE "+strings.Join(where, " AND ")+" ORDER BY ALL"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.t.Path(), err)
	}
	f := survey.NewFrame()
	for k, c := range columns {
		if numeric[k] {
			v, _ := cols[k].([]float64)
			err = f.AddFloat(c, v)
		} else {
			v, _ := cols[k].([]string)
			err = f.AddString(c, v)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.t.Path(), err)
		}
	}
	return f, nil
}

// itemSQL is the SQL of an item's a and b (b "" without a denominator).
// A quantile's Woodruff item (AtMost) is 1{x ≤ q}, q the SQL of its domain's estimate.
func (s *Source) itemSQL(it survey.Item, q string) (a, b string, err error) {
	num, err := s.numeric([]string{it.Column, it.Denominator})
	if err != nil {
		return "", "", err
	}
	x := s.t.Expr(it.Column, num[0])
	a = x
	switch {
	case it.AtMost != nil:
		a = "CASE WHEN " + x + " IS NULL OR isnan(" + x + ") THEN NULL WHEN " + x + " <= " + q + " THEN 1.0 ELSE 0.0 END"
	case it.Level != nil:
		lit := store.QuoteString(*it.Level)
		if num[0] {
			lit = "CAST(" + lit + " AS DOUBLE)"
		}
		a = "CASE WHEN " + x + " IS NULL THEN NULL WHEN " + x + " = " + lit + " THEN 1.0 ELSE 0.0 END"
	}
	if it.Denominator != "" {
		b = s.t.Expr(it.Denominator, num[1])
	}
	return a, b, nil
}

// Accumulate implements survey.RowSource with one GROUP BY unit key, by-variables
// (see the package doc): an inner projection computes each typed value once, and the
// unit keys of the result are mapped to the units in Go, so that no join is needed.
func (s *Source) Accumulate(d *survey.Design, items []survey.Item, by []string, crossings *survey.Frame, domainOf []int32, nDom int) ([]*survey.Sums, error) {
	w := "_w"
	if s.scaled {
		w = "1.0"
	}
	inner := []string{s.weight + " AS _w"}
	var outer, where []string
	for k, e := range s.keys {
		inner = append(inner, e+" AS _k"+strconv.Itoa(k))
		outer = append(outer, "_k"+strconv.Itoa(k))
	}
	var numericBy []bool
	if len(by) > 0 {
		var err error
		if numericBy, err = s.numeric(by); err != nil {
			return nil, err
		}
	}
	for k, c := range by {
		e := s.t.Expr(c, numericBy[k])
		inner = append(inner, e+" AS _d"+strconv.Itoa(k))
		outer = append(outer, "_d"+strconv.Itoa(k))
		where = append(where, e+" IS NOT NULL")
	}
	first := len(outer)
	qs, join := s.atMost(items, by, numericBy, crossings, domainOf)
	for i, it := range items {
		a, b, err := s.itemSQL(it, qs[i])
		if err != nil {
			return nil, err
		}
		ai, bi := "_a"+strconv.Itoa(i), "_b"+strconv.Itoa(i)
		if b == "" {
			inner = append(inner, a+" AS "+ai)
		} else { // a row counts for a ratio when both are present
			inner = append(inner, "CASE WHEN ("+b+") IS NOT NULL THEN "+a+" END AS "+ai, "CASE WHEN ("+a+") IS NOT NULL THEN "+b+" END AS "+bi)
		}
		f := func(e string) string { return "coalesce(fsum(" + e + "), 0)" }
		outer = append(outer, "count("+ai+")", "count(CASE WHEN "+w+" <> 0 THEN "+ai+" END)",
			f("CASE WHEN "+ai+" IS NOT NULL THEN "+w+" END"), f(w+"*"+ai), f(w+"*"+ai+"*"+ai))
		if b != "" {
			outer = append(outer, f(w+"*"+bi), f(w+"*"+bi+"*"+bi), f(w+"*"+ai+"*"+bi))
		}
	}
	q := "SELECT " + strings.Join(inner, ", ") + " FROM " + s.t.From() + join
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q = "SELECT " + strings.Join(outer, ", ") + " FROM (" + q + ") GROUP BY ALL"
	dom := domainIndex(crossings, by, domainOf)
	var groups []group
	err := s.t.Store().QueryArrow(s.ctx, 0, func(rec arrow.RecordBatch) error {
		var err error
		groups, err = s.readGroups(groups, rec, len(by), first, items, dom)
		return err
	}, traced(q))
	if err != nil {
		return nil, fmt.Errorf("%s: sums: %w", s.t.Path(), err)
	}
	if s.supplied {
		return s.replicateSums(d, items, groups, nDom), nil
	}
	return s.unitSums(d, items, groups, nDom), nil
}

// atMost is, per item, the SQL of its domain's quantile estimate for a Woodruff item
// (AtMost; "" for others), and the join that brings the estimates to the rows: a
// VALUES list of the crossings' by-values and estimates, LEFT JOINed on the by-values
// (without by, the one estimate is a literal). A NaN estimate (a domain without rows
// of non-zero weight) is NULL, so that no row is at most it, as in memory.
func (s *Source) atMost(items []survey.Item, by []string, numericBy []bool, crossings *survey.Frame, domainOf []int32) ([]string, string) {
	qs := make([]string, len(items))
	var cols []string
	for i, it := range items {
		if it.AtMost == nil {
			continue
		}
		if len(by) == 0 {
			qs[i] = number(it.AtMost[0])
			continue
		}
		qs[i] = "_qv._q" + strconv.Itoa(i)
		cols = append(cols, "_q"+strconv.Itoa(i))
	}
	if len(cols) == 0 {
		return qs, ""
	}
	if crossings.Rows() == 0 {
		for i := range qs {
			if qs[i] != "" {
				qs[i] = "CAST(NULL AS DOUBLE)"
			}
		}
		return qs, ""
	}
	var rows, on, names []string
	text := make([][]string, len(by))
	for j, c := range by {
		text[j], _ = crossings.Strings(c)
		names = append(names, "_qd"+strconv.Itoa(j))
		on = append(on, "_qv._qd"+strconv.Itoa(j)+" = "+s.t.Expr(c, numericBy[j]))
	}
	for k := range crossings.Rows() {
		var row []string
		for j, c := range by {
			if numericBy[j] {
				v, _ := crossings.Float(c)
				row = append(row, number(v[k]))
			} else {
				row = append(row, store.QuoteString(text[j][k]))
			}
		}
		for _, it := range items {
			if it.AtMost != nil {
				row = append(row, number(it.AtMost[domainOf[k]]))
			}
		}
		rows = append(rows, "("+strings.Join(row, ", ")+")")
	}
	return qs, " LEFT JOIN (VALUES " + strings.Join(rows, ", ") + ") _qv(" + strings.Join(append(names, cols...), ", ") + ") ON " + strings.Join(on, " AND ")
}

// number is the SQL of a DOUBLE, exactly (shortest round-trip text); NULL for NaN.
func number(v float64) string {
	if math.IsNaN(v) {
		return "CAST(NULL AS DOUBLE)"
	}
	return "CAST('" + strconv.FormatFloat(v, 'g', -1, 64) + "' AS DOUBLE)"
}

// Distribution implements survey.QuantileSource: per domain, the distinct values of
// column among the rows with a value and a non-zero weight, with their weight sums, row
// counts and the weight of the last row (by _row), from one GROUP BY by-variables,
// value — or, when weights are the units' (supplied replicates, weights from the fpc),
// by-variables, value, unit — and given to the rules by survey.TiedWeights. What enters
// Go is one row per distinct (domain, value): few for the integer scores of a survey,
// up to one per row for a continuous variable.
func (s *Source) Distribution(d *survey.Design, column string, by []string, crossings *survey.Frame, domainOf []int32, nDom int) ([][]float64, [][]float64, error) {
	num, err := s.numeric(append([]string{column}, by...))
	if err != nil {
		return nil, nil, err
	}
	inner := []string{s.t.Expr(column, true) + " AS _y", s.weight + " AS _w", "_row"}
	var keys, where []string
	for j, c := range by {
		e := s.t.Expr(c, num[1+j])
		inner = append(inner, e+" AS _d"+strconv.Itoa(j))
		keys = append(keys, "_d"+strconv.Itoa(j))
		where = append(where, e+" IS NOT NULL")
	}
	keys = append(keys, "_y")
	agg := "fsum(_w), count(*), arg_max(_w, _row), max(_row)"
	cond := "_y IS NOT NULL AND NOT isnan(_y)"
	if s.scaled {
		for k, e := range s.keys {
			inner = append(inner, e+" AS _k"+strconv.Itoa(k))
			keys = append(keys, "_k"+strconv.Itoa(k))
		}
		agg = "count(*), count(*), CAST(NULL AS DOUBLE), max(_row)"
	} else {
		cond += " AND _w <> 0"
	}
	q := "SELECT " + strings.Join(inner, ", ") + " FROM " + s.t.From()
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q = "SELECT " + strings.Join(keys, ", ") + ", " + agg + " FROM (" + q + ") WHERE " + cond + " GROUP BY ALL"
	type run struct {
		dom     int32
		y       float64
		sum     float64
		n       int64
		last    float64
		lastRow int64
	}
	type key struct {
		dom int32
		y   float64
	}
	runs := map[key]*run{}
	dom := domainIndex(crossings, by, domainOf)
	weights := d.Weights()
	nBy := len(by)
	err = s.t.Store().QueryArrow(s.ctx, 0, func(rec arrow.RecordBatch) error {
		parts := make([]string, nBy)
		var kb strings.Builder
		c := nBy + 1 // the aggregates
		if s.scaled {
			c += len(s.keys)
		}
		for i := range int(rec.NumRows()) {
			dd, err := domainOfRow(rec, 0, parts, i, dom)
			if err != nil {
				return err
			}
			y := floatAt(rec, nBy, i)
			if y == 0 {
				y = 0 // −0 and 0 are one value
			}
			r := run{dom: dd, y: y, sum: floatAt(rec, c, i), n: int64(floatAt(rec, c+1, i)), last: floatAt(rec, c+2, i), lastRow: int64(floatAt(rec, c+3, i))}
			if s.scaled {
				u, ok := s.unitOf[unitKey(&kb, rec, nBy+1, len(s.keys), i)]
				if !ok {
					return fmt.Errorf("row %d of the distribution: a unit key not among the units", i)
				}
				if weights[u] == 0 {
					continue
				}
				r.sum, r.last = float64(r.n)*weights[u], weights[u]
			}
			g := runs[key{dd, y}]
			switch {
			case g == nil:
				runs[key{dd, y}] = &r
			default:
				g.sum += r.sum
				g.n += r.n
				if r.lastRow > g.lastRow {
					g.last, g.lastRow = r.last, r.lastRow
				}
			}
		}
		return nil
	}, traced(q))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: distribution of %s: %w", s.t.Path(), column, err)
	}
	byDom := make([][]*run, nDom)
	for _, r := range runs {
		byDom[r.dom] = append(byDom[r.dom], r)
	}
	xs, ws := make([][]float64, nDom), make([][]float64, nDom)
	for dd, rs := range byDom {
		sort.Slice(rs, func(a, b int) bool { return rs[a].y < rs[b].y })
		x, sum, last := make([]float64, len(rs)), make([]float64, len(rs)), make([]float64, len(rs))
		n := make([]int64, len(rs))
		for j, r := range rs {
			x[j], sum[j], n[j], last[j] = r.y, r.sum, r.n, r.last
		}
		xs[dd], ws[dd] = survey.TiedWeights(x, sum, n, last)
	}
	return xs, ws, nil
}

// floatAt is column c of row i as a number (NaN when null).
func floatAt(rec arrow.RecordBatch, c, i int) float64 {
	switch a := rec.Column(c).(type) {
	case *array.Float64:
		if a.IsValid(i) {
			return a.Value(i)
		}
	case *array.Int64:
		if a.IsValid(i) {
			return float64(a.Value(i))
		}
	}
	return math.NaN()
}

// domainOfRow is the domain of row i's by-values, columns from col on (len(parts) of
// them), as the crossings' text gives them.
func domainOfRow(rec arrow.RecordBatch, col int, parts []string, i int, dom map[string]int32) (int32, error) {
	for j := range parts {
		switch a := rec.Column(col + j).(type) {
		case *array.Float64:
			parts[j] = strconv.FormatFloat(a.Value(i), 'g', -1, 64)
		case *array.String:
			parts[j] = a.Value(i)
		}
	}
	dd, ok := dom[strings.Join(parts, "\x00")]
	if !ok {
		return 0, fmt.Errorf("by-values %q are not among the distinct crossings", parts)
	}
	return dd, nil
}

// unitKey is the text of row i's unit key, columns from col on (len(s.keys) of them),
// as unitOf holds it: numbers by their bits (0 and −0 one key), text as it is.
func unitKey(b *strings.Builder, rec arrow.RecordBatch, col, n, i int) string {
	b.Reset()
	for k := range n {
		switch a := rec.Column(col + k).(type) {
		case *array.Float64:
			v := a.Value(i)
			if v == 0 {
				v = 0
			}
			b.WriteString(strconv.FormatUint(math.Float64bits(v), 16))
		case *array.Int64:
			b.WriteString(strconv.FormatUint(math.Float64bits(float64(a.Value(i))), 16))
		case *array.String:
			b.WriteString(a.Value(i))
		}
		b.WriteByte(0)
	}
	return b.String()
}

// group is one result row: a unit row of the table of units in a domain, and the
// per-item cells (unweighted sums when scaled).
type group struct {
	u, dom int32
	cells  []survey.Cell
}

// domainIndex maps a crossing's by-values, as text, to its domain.
func domainIndex(crossings *survey.Frame, by []string, domainOf []int32) map[string]int32 {
	m := map[string]int32{}
	if len(by) == 0 {
		m[""] = 0
		return m
	}
	cols := make([][]string, len(by))
	for j, c := range by {
		cols[j], _ = crossings.Strings(c)
	}
	parts := make([]string, len(by))
	for k := range domainOf {
		for j := range by {
			parts[j] = cols[j][k]
		}
		m[strings.Join(parts, "\x00")] = domainOf[k]
	}
	return m
}

// readGroups appends the groups of one record batch: the unit key's columns, then nBy
// by-values, then from column first each item's N, NW, W, A, AA (and B, BB, AB).
func (s *Source) readGroups(out []group, rec arrow.RecordBatch, nBy, first int, items []survey.Item, dom map[string]int32) ([]group, error) {
	nk := len(s.keys)
	var kb strings.Builder
	n := int(rec.NumRows())
	num := func(c, i int) float64 {
		switch a := rec.Column(c).(type) {
		case *array.Float64:
			return a.Value(i)
		case *array.Int64:
			return float64(a.Value(i))
		}
		return math.NaN()
	}
	parts := make([]string, nBy)
	for i := range n {
		dd, err := domainOfRow(rec, nk, parts, i, dom)
		if err != nil {
			return nil, err
		}
		u, ok := s.unitOf[unitKey(&kb, rec, 0, nk, i)]
		if !ok {
			return nil, fmt.Errorf("row %d of the sums: a unit key not among the units", i)
		}
		g := group{u: u, dom: dd, cells: make([]survey.Cell, len(items))}
		c := first
		for k, it := range items {
			cell := &g.cells[k]
			cell.N, cell.NW = int64(num(c, i)), int64(num(c+1, i))
			cell.W, cell.A, cell.AA = num(c+2, i), num(c+3, i), num(c+4, i)
			c += 5
			if it.Denominator != "" {
				cell.B, cell.BB, cell.AB = num(c, i), num(c+1, i), num(c+2, i)
				c += 3
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// scale turns an unweighted cell into the cell of rows of weight w.
func scale(c survey.Cell, w float64) survey.Cell {
	c.W, c.A, c.AA, c.B, c.BB, c.AB = w*c.W, w*c.A, w*c.AA, w*c.B, w*c.BB, w*c.AB
	if w == 0 {
		c.NW = 0
	}
	return c
}

// unitSums orders the groups by domain and design unit, merging unit rows that are
// one unit of the design (a converted design's PSU), into Sums as MemoryProducer lays
// them out.
func (s *Source) unitSums(d *survey.Design, items []survey.Item, groups []group, nDom int) []*survey.Sums {
	unit, nu := d.Units()
	weights := d.Weights()
	for i := range groups {
		g := &groups[i]
		if s.scaled {
			for k := range g.cells {
				g.cells[k] = scale(g.cells[k], weights[g.u])
			}
		}
		g.u = unit[g.u]
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		return a.dom < b.dom || a.dom == b.dom && a.u < b.u
	})
	start := make([]int, nDom+1)
	var units []int32
	out := make([]*survey.Sums, len(items))
	for k := range out {
		out[k] = &survey.Sums{Domains: nDom, Units: nu, Start: start}
	}
	for i, g := range groups {
		merge := i > 0 && groups[i-1].dom == g.dom && groups[i-1].u == g.u
		if !merge {
			units = append(units, g.u)
			start[g.dom+1]++
		}
		for k, c := range g.cells {
			cells := &out[k].Cells
			if merge {
				add(&(*cells)[len(*cells)-1], &c)
			} else {
				*cells = append(*cells, c)
			}
		}
	}
	for dd := range nDom {
		start[dd+1] += start[dd]
	}
	for _, sm := range out {
		sm.Unit = units
		d.FoldReplicates(sm)
	}
	return out
}

// replicateSums lays out the sums of a design with supplied replicate weights: one
// cell per domain and, per replicate r, W, A, B with the replicate's weights (B = Σ w_r
// without a denominator, as MemoryProducer).
func (s *Source) replicateSums(d *survey.Design, items []survey.Item, groups []group, nDom int) []*survey.Sums {
	reps := d.ReplicateWeights()
	R := len(reps)
	weights := d.Weights()
	out := make([]*survey.Sums, len(items))
	start := make([]int, nDom+1)
	for dd := range start {
		start[dd] = min(dd, nDom)
	}
	unit := make([]int32, nDom)
	for k := range out {
		out[k] = &survey.Sums{Domains: nDom, Units: 1, R: R, Start: start, Unit: unit,
			Cells: make([]survey.Cell, nDom), Rep: make([]survey.Cell, nDom*R)}
	}
	for _, g := range groups {
		for k, c := range g.cells {
			if c.N == 0 {
				continue
			}
			sm := out[k]
			sc := scale(c, weights[g.u])
			add(&sm.Cells[g.dom], &sc)
			sm.MarkReplicateRow(d, int(g.dom), int(g.u))
			b := c.B
			if items[k].Denominator == "" {
				b = float64(c.N)
			}
			for r := range R {
				wr := reps[r][g.u]
				rc := &sm.Rep[int(g.dom)*R+r]
				rc.W += wr * float64(c.N)
				rc.A += wr * c.A
				rc.B += wr * b
			}
		}
	}
	return out
}

// add adds cell o to c.
func add(c, o *survey.Cell) {
	c.W += o.W
	c.A += o.A
	c.B += o.B
	c.AA += o.AA
	c.BB += o.BB
	c.AB += o.AB
	c.N += o.N
	c.NW += o.NW
}
