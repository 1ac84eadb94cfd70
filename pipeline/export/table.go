package export

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"socap/pipeline/codebook"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// kind is how a column's values are held: string, int64, float64 or bool
// (nil for a missing value).
type kind uint8

const (
	textKind kind = iota
	intKind
	floatKind
	boolKind
)

// kindOf maps a DuckDB type to the kind its values are exported as; types
// without a kind of their own (dates, lists …) are exported as text.
func kindOf(dbType string) kind {
	switch {
	case dbType == "BOOLEAN":
		return boolKind
	case slices.Contains([]string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}, dbType):
		return intKind
	case dbType == "FLOAT", dbType == "DOUBLE", dbType == "HUGEINT", dbType == "UBIGINT", strings.HasPrefix(dbType, "DECIMAL"):
		return floatKind
	}
	return textKind
}

// sqlType is the DuckDB type of a kind.
func (k kind) sqlType() string {
	return [...]string{"VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"}[k]
}

// numeric reports whether a kind holds numbers.
func (k kind) numeric() bool { return k == intKind || k == floatKind }

// column is one column of an exported table.
type column struct {
	name string
	kind kind
	// withheld marks a number that suppressed rows do not carry: shown as
	// ":" in the workbook.
	withheld bool
	// head and about are the column's header and explanation in the
	// report language.
	head, about string
}

// table is a store table as it is exported: its columns, rows in export
// order (values of the columns' kinds, nil for missing) and, per row,
// whether disclosure control suppressed it.
type table struct {
	name       string
	cols       []column
	rows       [][]any
	suppressed []bool
}

// keyColumns are numeric columns that identify a row rather than measure
// something (which waves a comparison or effect is between), so a
// suppressed row keeps them.
var keyColumns = []string{"wave", "run_id", "reference_wave", "baseline", "follow_up"}

// estimateColumns are the columns of the estimates export around the
// grouping columns, as issue 12 lists them.
var (
	estimateHead = []string{"indicator", "wave", "group_set"}
	estimateTail = []string{"statistic", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "sum_weights", "flags"}
)

// storeColumn is a column of a store table.
type storeColumn struct {
	name string
	kind kind
}

// describe lists the columns of a store table in table order; none when
// the table does not exist.
func describe(ctx context.Context, st *store.Store, name string) ([]storeColumn, error) {
	rows, err := st.DB().QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns()
		WHERE table_name = ? AND schema_name = 'main' AND NOT internal ORDER BY column_index`, name)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", name, err)
	}
	defer rows.Close()
	var cols []storeColumn
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			return nil, fmt.Errorf("describe %s: %w", name, err)
		}
		cols = append(cols, storeColumn{c, kindOf(t)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("describe %s: %w", name, err)
	}
	return cols, nil
}

// reader reads store tables for export: their values labelled with the
// codebook in the report language, indicators in report order.
type reader struct {
	st   *store.Store
	cb   *codebook.Codebook
	lang string
	// indicators are the indicator ids in report order.
	indicators []string
}

// read reads a store table with the columns it has (cols, from describe).
// A table with a status column withholds, in every row that disclosure
// control suppressed (status primary or secondary, or no status), each
// number but the keys (wave, run_id); other statuses (a model's ok or
// failed, a reliability's not_estimable) say how a number was computed,
// not whether it may be shown. With
// estimates set, it is read in the layout of issue 12 (estimateHead, the
// grouping columns, estimateTail and suppressed: the reason a row is
// withheld, empty when published) instead of with every column. Beside
// every column that is a codebook variable with labelled values comes its
// <name>_label. Rows are ordered by every column in turn: indicators in
// report order, text that reads as numbers by number.
func (r *reader) read(ctx context.Context, name string, cols []storeColumn, estimates bool) (*table, error) {
	byName := map[string]storeColumn{}
	for _, c := range cols {
		byName[c.name] = c
	}
	_, hasStatus := byName["status"]
	published := fmt.Sprintf("coalesce(status NOT IN (%s, %s), false)", store.QuoteString(disclose.Primary.String()), store.QuoteString(disclose.Secondary.String()))
	if !hasStatus {
		published = "true"
	}
	selected := cols
	if estimates {
		var err error
		if selected, err = r.estimateLayout(name, cols, byName); err != nil {
			return nil, err
		}
	}
	t := &table{name: name}
	var exprs []string
	for _, c := range selected {
		expr := fmt.Sprintf("CAST(%s AS %s)", store.QuoteIdent(c.name), c.kind.sqlType())
		withheld := hasStatus && c.kind.numeric() && !slices.Contains(keyColumns, c.name)
		if withheld {
			expr = fmt.Sprintf("CASE WHEN %s THEN %s END", published, expr)
		}
		exprs = append(exprs, expr+" AS "+store.QuoteIdent(c.name))
		t.cols = append(t.cols, column{name: c.name, kind: c.kind, withheld: withheld, head: head(c.name, r.lang), about: about(c.name, r.lang)})
	}
	if estimates {
		exprs = append(exprs, fmt.Sprintf("CASE WHEN %s THEN '' ELSE coalesce(reason, status, 'unmarked') END AS suppressed", published))
		t.cols = append(t.cols, column{name: "suppressed", kind: textKind, head: head("suppressed", r.lang), about: about("suppressed", r.lang)})
	}
	exprs = append(exprs, fmt.Sprintf("NOT (%s) AS socap_export_suppressed", published))
	q := "SELECT * FROM (SELECT " + strings.Join(exprs, ", ") + " FROM " + store.QuoteIdent(name) + ") ORDER BY " + r.order(t.cols)
	if err := r.scan(ctx, t, q); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	r.addLabels(t)
	return t, nil
}

// estimateLayout picks the columns of the estimates layout from a table's
// columns: the grouping columns are its codebook variables.
func (r *reader) estimateLayout(name string, cols []storeColumn, byName map[string]storeColumn) ([]storeColumn, error) {
	var out []storeColumn
	for _, n := range slices.Concat(estimateHead, estimateTail, []string{"status", "reason"}) {
		if _, ok := byName[n]; !ok {
			return nil, fmt.Errorf("read %s: no column %s", name, n)
		}
	}
	for _, n := range estimateHead {
		out = append(out, byName[n])
	}
	for _, c := range cols {
		if r.cb.Variable(c.name) != nil && !slices.Contains(estimateHead, c.name) && !slices.Contains(estimateTail, c.name) {
			out = append(out, c)
		}
	}
	for _, n := range estimateTail {
		out = append(out, byName[n])
	}
	return out, nil
}

// order is the ORDER BY clause over cols: the indicator column in report
// order (unknown ids after, by name), text by number when it reads as one
// and then as text, missing values first.
func (r *reader) order(cols []column) string {
	var terms []string
	for _, c := range cols {
		q := store.QuoteIdent(c.name)
		switch {
		case c.name == "indicator" && c.kind == textKind:
			ids := make([]string, len(r.indicators))
			for i, id := range r.indicators {
				ids[i] = store.QuoteString(id)
			}
			terms = append(terms, "list_position(["+strings.Join(ids, ", ")+"]::VARCHAR[], "+q+") NULLS LAST", q+" NULLS FIRST")
		case c.kind == textKind:
			terms = append(terms, "TRY_CAST("+q+" AS DOUBLE) NULLS FIRST", q+" NULLS FIRST")
		default:
			terms = append(terms, q+" NULLS FIRST")
		}
	}
	return strings.Join(terms, ", ")
}

// scan runs q, whose last column says whether the row is suppressed, into
// t's rows.
func (r *reader) scan(ctx context.Context, t *table, q string) error {
	rows, err := r.st.DB().QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(t.cols)+1)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		suppressed, _ := vals[len(t.cols)].(bool)
		t.rows = append(t.rows, vals[:len(t.cols)])
		t.suppressed = append(t.suppressed, suppressed)
	}
	return rows.Err()
}

// addLabels inserts, after each column that is a codebook variable with
// labelled values, the column <name>_label with each value's label in the
// report language (empty when the value has none), unless the table
// already has a column of that name.
func (r *reader) addLabels(t *table) {
	for j := len(t.cols) - 1; j >= 0; j-- {
		c := t.cols[j]
		v := r.cb.Variable(c.name)
		name := c.name + "_label"
		if v == nil || len(v.Values) == 0 || slices.ContainsFunc(t.cols, func(c column) bool { return c.name == name }) {
			continue
		}
		labels := valueLabels(v, r.lang)
		head := v.Label.In(r.lang)
		if head == "" {
			head = c.name
		}
		t.cols[j].head = head + " (" + text.code.In(r.lang) + ")"
		t.cols = slices.Insert(t.cols, j+1, column{name: name, kind: textKind, head: head,
			about: fmt.Sprintf("%s: %s", c.name, text.label.In(r.lang))})
		for i, row := range t.rows {
			t.rows[i] = slices.Insert(row, j+1, any(labels.of(row[j])))
		}
	}
}

// labelSet finds the label of a value by its code as text or, for codes
// that are numbers, by number (so 2, "2" and "2.0" find code 2).
type labelSet struct {
	byCode   map[string]string
	byNumber map[float64]string
}

// valueLabels are the labels of v's values in lang.
func valueLabels(v *codebook.Variable, lang string) labelSet {
	ls := labelSet{byCode: map[string]string{}, byNumber: map[float64]string{}}
	for _, val := range v.Values {
		label := codebook.Text{NB: val.NB, EN: val.EN}.In(lang)
		ls.byCode[string(val.Code)] = label
		if x, ok := val.Code.Float(); ok {
			ls.byNumber[x] = label
		}
	}
	return ls
}

// of is the label of value (a string or a number), or "" when it has none.
func (ls labelSet) of(value any) string {
	switch v := value.(type) {
	case string:
		if l, ok := ls.byCode[v]; ok {
			return l
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return ls.byNumber[x]
		}
	case float64:
		return ls.byNumber[v]
	case int64:
		return ls.byNumber[float64(v)]
	}
	return ""
}
