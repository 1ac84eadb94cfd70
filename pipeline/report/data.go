package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/harmonize"
	"socap/pipeline/mentoring"
	"socap/pipeline/model"
	"socap/pipeline/store"
)

// record is one row of a store table, by column name; NULL is nil.
type record map[string]any

// rowRef is the key of a record's reference "<table>#<index>": its place in
// the table as read (ordered by every column), which the report writes
// beside every number (data-cell) so that a test can find the row.
const rowRef = "\x00ref"

// str is column k as text ("" for NULL); codes that are whole numbers
// stored as DOUBLE read as the codebook writes them ("1", not "1.0").
func (r record) str(k string) string {
	switch v := r[k].(type) {
	case nil:
		return ""
	case string:
		return canonCode(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// num is column k as a number, NaN for NULL.
func (r record) num(k string) float64 {
	switch v := r[k].(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case int:
		return float64(v)
	}
	return math.NaN()
}

// int is column k as an integer, 0 for NULL.
func (r record) int(k string) int64 {
	x := r.num(k)
	if math.IsNaN(x) {
		return 0
	}
	return int64(x)
}

// published reports whether disclosure control let the row's numbers out.
func (r record) published() bool { return r.str("status") == "published" || r.str("status") == "ok" }

// canonCode writes a code that is a whole number without decimals.
func canonCode(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && !strings.ContainsAny(s, "eE") && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return s
}

// table is a store table read whole: its columns in order and its rows.
type table struct {
	name    string
	columns []string
	rows    []record
}

// data is everything the reports show, read from the store once.
type data struct {
	estimates, comparisons, effects, coefficients, models, programme, designs, runs table
	// mentors are the mentoring stage's mentor_effects (empty without it).
	mentors table
	// reliability and invariance are nil when the store has no such table.
	reliability, invariance *table
	// groupVars are the grouping variables of the estimates table.
	groupVars []string
	// byKey finds an estimate by indicator, wave and its groups (estKey).
	byKey map[string]record
	// compared finds a comparison by compKey.
	compared map[string]record
	// valueCache holds values' answers.
	valueCache map[string][]string
	// runID is the run that wrote the estimates.
	runID int64
	// duckdb is the store's DuckDB version.
	duckdb string
	// rejects counts rejected rows per source and rule.
	rejects []record
	// accounting is ingest's row accounting; accountingErr says why there
	// is none (harmonize has not run).
	accounting    []harmonize.Count
	accountingErr string
}

// Tables of other stages the report reads besides those named by their
// packages.
const (
	reliabilityTable = "reliability"
	invarianceTable  = "invariance"
)

// load reads the result tables of the store. estimates must exist; a
// missing other result table reads as empty (reliability and invariance as
// absent).
func load(ctx context.Context, st *store.Store) (*data, error) {
	db := st.DB()
	d := &data{byKey: map[string]record{}, compared: map[string]record{}, valueCache: map[string][]string{}}
	have, err := tableNames(ctx, db)
	if err != nil {
		return nil, err
	}
	if !have[estimate.Table] {
		return nil, fmt.Errorf("no %s table: run socap run first", estimate.Table)
	}
	read := func(dst *table, name, order string) error {
		dst.name = name
		if !have[name] {
			return nil
		}
		return readTable(ctx, db, dst, "SELECT * FROM "+store.QuoteIdent(name)+" ORDER BY "+order)
	}
	steps := []struct {
		dst         *table
		name, order string
	}{
		{&d.estimates, estimate.Table, "ALL"},
		{&d.comparisons, compare.Table, "ALL"},
		{&d.effects, model.EffectsTable, "ALL"},
		{&d.coefficients, model.CoefficientsTable, "ALL"},
		{&d.models, model.ModelsTable, "ALL"},
		{&d.programme, evaluate.Table, "ALL"},
		{&d.mentors, mentoring.Table, "wave, kind DESC, mentor"},
		{&d.designs, design.Table, "ALL"},
	}
	for _, s := range steps {
		if err := read(s.dst, s.name, s.order); err != nil {
			return nil, err
		}
	}
	for _, opt := range []struct {
		dst  **table
		name string
	}{{&d.reliability, reliabilityTable}, {&d.invariance, invarianceTable}} {
		if have[opt.name] {
			*opt.dst = &table{}
			if err := read(*opt.dst, opt.name, "ALL"); err != nil {
				return nil, err
			}
		}
	}
	fixed := map[string]bool{}
	for _, c := range []string{"run_id", "indicator", "wave", "group_set", "statistic", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "n_shown", "sum_weights", "flags", "status", "reason"} {
		fixed[c] = true
	}
	for _, c := range d.estimates.columns {
		if !fixed[c] {
			d.groupVars = append(d.groupVars, c)
		}
	}
	for _, r := range d.estimates.rows {
		d.byKey[estKey(r.str("indicator"), int(r.int("wave")), d.groups(r))] = r
		d.runID = max(d.runID, r.int("run_id"))
	}
	for _, r := range d.comparisons.rows {
		k := compKey(r.str("indicator"), r.str("kind"), int(r.int("wave")), r.str("variable"), r.str("group"), r.str("reference"))
		if _, dup := d.compared[k]; !dup {
			d.compared[k] = r
		}
	}
	// The report's own run is still being recorded: only the run that wrote
	// the estimates is shown, so the same store gives the same report.
	d.runs.name = "runs"
	if err := readTable(ctx, db, &d.runs, `SELECT stage, version, config_hash, started_at, finished_at, rows_in, rows_out, status
		FROM runs WHERE run_id = ? AND stage <> 'report' ORDER BY started_at, stage`, d.runID); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&d.duckdb); err != nil {
		return nil, fmt.Errorf("duckdb version: %w", err)
	}
	if have["rejects"] {
		var rj table
		if err := readTable(ctx, db, &rj, `SELECT source_id, rule, count(*) AS rows FROM rejects WHERE level = 'row' GROUP BY ALL ORDER BY ALL`); err != nil {
			return nil, err
		}
		d.rejects = rj.rows
	}
	if d.accounting, err = harmonize.Accounting(ctx, st); err != nil {
		d.accountingErr = err.Error()
	}
	return d, nil
}

// tableNames are the tables of the store's main schema.
func tableNames(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	return have, rows.Err()
}

// readTable runs q into dst.
func readTable(ctx context.Context, db *sql.DB, dst *table, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", dst.name, err)
	}
	defer rows.Close()
	if dst.columns, err = rows.Columns(); err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(dst.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", dst.name, err)
		}
		r := make(record, len(vals)+1)
		for i, c := range dst.columns {
			r[c] = vals[i]
		}
		r[rowRef] = fmt.Sprintf("%s#%d", dst.name, len(dst.rows))
		dst.rows = append(dst.rows, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", dst.name, err)
	}
	return nil
}

// groups are an estimate's grouping variables and values, sorted by variable.
func (d *data) groups(r record) []kv {
	var g []kv
	for _, v := range d.groupVars {
		if s := r.str(v); s != "" {
			g = append(g, kv{v, s})
		}
	}
	return g
}

// kv is one grouping variable and its value.
type kv struct{ Var, Val string }

// estKey identifies an estimate; groups sorted by variable.
func estKey(indicator string, wave int, groups []kv) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d", indicator, wave)
	for _, g := range groups {
		b.WriteString("|" + g.Var + "=" + g.Val)
	}
	return b.String()
}

// compKey identifies a comparison.
func compKey(indicator, kind string, wave int, variable, group, reference string) string {
	return fmt.Sprintf("%s|%s|%d|%s|%s|%s", indicator, kind, wave, variable, group, reference)
}

// estimate finds an estimate (nil when the store has none).
func (d *data) estimate(indicator string, wave int, groups ...kv) record {
	g := slices.Clone(groups)
	slices.SortFunc(g, func(a, b kv) int { return cmp.Compare(a.Var, b.Var) })
	return d.byKey[estKey(indicator, wave, g)]
}

// waves are the waves of the estimates, ascending.
func (d *data) waves() []int {
	var w []int
	for _, r := range d.estimates.rows {
		w = append(w, int(r.int("wave")))
	}
	slices.Sort(w)
	return slices.Compact(w)
}

// codeOrder sorts codes as numbers when both are, else as text.
func codeOrder(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}

// values are the distinct values of variable among the estimates, in code
// order (computed once per variable: every page asks).
func (d *data) values(variable string) []string {
	if v, ok := d.valueCache[variable]; ok {
		return v
	}
	var out []string
	for _, r := range d.estimates.rows {
		if s := r.str(variable); s != "" {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, codeOrder)
	out = slices.Compact(out)
	d.valueCache[variable] = out
	return out
}

// find returns the rows of t for which match holds, in table order.
func (t *table) find(match func(record) bool) []record {
	var out []record
	for _, r := range t.rows {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}
