package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"socap/pipeline/store"
)

// Detected types of a raw column, from its text.
const (
	TypeInteger = "integer" // every value parses as a 64-bit integer
	TypeNumber  = "number"  // every value parses as a number (with the source's decimal separator)
	TypeDate    = "date"    // every value is an ISO 8601 date
	TypeText    = "text"    // anything else
	TypeEmpty   = "empty"   // no values at all
)

// Summary describes one column of a loaded source: what describe prints.
type Summary struct {
	Column          // name and the file's metadata
	Detected string // TypeInteger, TypeNumber, TypeDate, TypeText or TypeEmpty
	Values   int64  // non-missing values
	Missing  int64  // missing values: NULL, empty or "NA" (see Present)
	Distinct int64  // distinct non-missing values
	// Min and Max are in the detected type, as text ("" for text and empty
	// columns).
	Min, Max string
	// Top is the most frequent values of a categorical column (see
	// Categorical), most frequent first; filled by TopValues.
	Top []TopValue
}

// TopValue is one of a column's most frequent values.
type TopValue struct {
	Value string // as in the file
	Label string // its value label, "" when it has none
	Count int64
}

// Present is the SQL for col, NULL when it is missing: NULL, empty or
// "NA" after trimming spaces, the rule socap estimate reads a cell by (R's
// write.csv writes NA for a missing value). Other values keep their text.
func Present(col string) string {
	return "CASE WHEN trim(" + col + ") NOT IN ('', 'NA') THEN " + col + " END"
}

// Describe summarises every column of a loaded source over its records
// without a _problem (those cannot be trusted to be in the right columns).
func Describe(ctx context.Context, st *store.Store, sourceID string) ([]Summary, error) {
	info, err := LoadedSource(ctx, st, sourceID)
	if err != nil {
		return nil, err
	}
	raw, err := describeColumns(ctx, st, info)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", sourceID, err)
	}
	out := make([]Summary, len(info.Columns))
	for i, c := range info.Columns {
		r := raw[i*perColumn : (i+1)*perColumn]
		var n [6]int64
		for k := range n {
			fmt.Sscan(r[k].String, &n[k])
		}
		s := Summary{Column: c, Values: n[0], Missing: n[1], Distinct: n[2]}
		var minMax string
		switch {
		case s.Values == 0:
			s.Detected = TypeEmpty
		case n[3] == s.Values:
			s.Detected, minMax = TypeInteger, r[7].String
		case n[4] == s.Values:
			s.Detected, minMax = TypeNumber, r[6].String
		case n[5] == s.Values:
			s.Detected, minMax = TypeDate, r[8].String
		default:
			s.Detected = TypeText
		}
		s.Min, s.Max, _ = strings.Cut(minMax, "|")
		if s.Detected == TypeNumber {
			s.Min, s.Max = shortestNumber(s.Min), shortestNumber(s.Max)
		}
		out[i] = s
	}
	return out, nil
}

// perColumn is the number of figures describeColumns computes per column.
const perColumn = 9

// wideColumns is the most columns describeColumns summarises with one
// aggregate query over the raw table (describeWide); wider sources are
// unpivoted first (describeLong). One SELECT of nine aggregates per column
// took DuckDB tens of seconds and more than a gigabyte on ESS (~560 columns,
// each DISTINCT aggregate with its own hash table), where the long form takes
// a tenth of a second; on a tall narrow file (300,000 × 30) the wide query
// needs about 30% less CPU.
var wideColumns = 64

// describeColumns computes, in column order, the perColumn figures of every
// column of a loaded source over its records without a _problem: count,
// missing, distinct, then the counts of values read as integer, number and
// date, then min|max of the number, integer and date readings.
func describeColumns(ctx context.Context, st *store.Store, info *SourceInfo) ([]sql.NullString, error) {
	if len(info.Columns) <= wideColumns {
		return describeWide(ctx, st, info)
	}
	return describeLong(ctx, st, info)
}

// describeWide is describeColumns as one row of aggregates.
func describeWide(ctx context.Context, st *store.Store, info *SourceInfo) ([]sql.NullString, error) {
	var exprs []string
	for _, c := range info.Columns {
		col := store.QuoteIdent(c.Name)
		num := numericText(col, info.Decimal)
		present := Present(col)
		exprs = append(exprs,
			"count("+present+")",
			"count(*) - count("+present+")",
			"count(DISTINCT "+present+")",
			"count("+strictCast(col, "BIGINT", integerPattern)+")",
			"count(TRY_CAST("+num+" AS DOUBLE))",
			"count("+strictCast(col, "DATE", datePattern)+")",
			minMax("TRY_CAST("+num+" AS DOUBLE)"),
			minMax(strictCast(col, "BIGINT", integerPattern)),
			minMax(strictCast(col, "DATE", datePattern)),
		)
	}
	query := "SELECT " + strings.Join(exprs, ", ") + " FROM " + store.QuoteIdent(info.Table) + " WHERE " + ColProblem + " IS NULL"
	raw := make([]sql.NullString, len(exprs))
	dest := make([]any, len(exprs))
	for i := range raw {
		dest[i] = &raw[i]
	}
	if err := st.DB().QueryRowContext(ctx, query).Scan(dest...); err != nil {
		return nil, err
	}
	return raw, nil
}

// describeLong is describeColumns over the raw table unpivoted to (name,
// value) pairs and grouped by name.
func describeLong(ctx context.Context, st *store.Store, info *SourceInfo) ([]sql.NullString, error) {
	table := store.QuoteIdent(info.Table)
	var rows int64
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE "+ColProblem+" IS NULL").Scan(&rows); err != nil {
		return nil, err
	}
	const v = "value"
	num := numericText(v, info.Decimal)
	exprs := []string{
		"count(" + v + ")",
		"count(DISTINCT " + v + ")",
		"count(" + strictCast(v, "BIGINT", integerPattern) + ")",
		"count(TRY_CAST(" + num + " AS DOUBLE))",
		"count(" + strictCast(v, "DATE", datePattern) + ")",
		minMax("TRY_CAST(" + num + " AS DOUBLE)"),
		minMax(strictCast(v, "BIGINT", integerPattern)),
		minMax(strictCast(v, "DATE", datePattern)),
	}
	// UNPIVOT leaves out NULL values, and the WHERE the other missing ones: a
	// column without any value has no group.
	query := "SELECT name, " + strings.Join(exprs, ", ") + " FROM (UNPIVOT (SELECT * EXCLUDE (" +
		strings.Join(provenanceColumns, ", ") + ") FROM " + table + " WHERE " + ColProblem + " IS NULL) ON COLUMNS(*) INTO NAME name VALUE " + v + ") WHERE " +
		Present(v) + " IS NOT NULL GROUP BY name"
	res, err := st.DB().QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	byName := map[string][]sql.NullString{}
	for res.Next() {
		var name string
		r := make([]sql.NullString, perColumn)
		dest := []any{&name, &r[0]}
		for i := 2; i < perColumn; i++ {
			dest = append(dest, &r[i])
		}
		if err := res.Scan(dest...); err != nil {
			return nil, err
		}
		byName[name] = r
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	raw := make([]sql.NullString, 0, len(info.Columns)*perColumn)
	for _, c := range info.Columns {
		r, ok := byName[c.Name]
		if !ok {
			r = make([]sql.NullString, perColumn)
			for _, k := range []int{0, 2, 3, 4, 5} { // the counts
				r[k] = sql.NullString{String: "0", Valid: true}
			}
		}
		var values int64
		fmt.Sscan(r[0].String, &values)
		r[1] = sql.NullString{String: strconv.FormatInt(rows-values, 10), Valid: true}
		raw = append(raw, r...)
	}
	return raw, nil
}

// Patterns a value must match in full to count as an integer or a date
// (DuckDB's casts alone accept "0.5" as an integer and a timestamp as a
// date).
const (
	integerPattern = `[+-]?[0-9]+`
	datePattern    = `[0-9]{4}-[0-9]{2}-[0-9]{2}`
)

// strictCast is SQL casting col to typ when its trimmed text matches
// pattern, NULL otherwise.
func strictCast(col, typ, pattern string) string {
	return "CASE WHEN regexp_full_match(trim(" + col + "), " + store.QuoteString(pattern) + ") THEN TRY_CAST(trim(" + col + ") AS " + typ + ") END"
}

// minMax is SQL giving "min|max" of expr as text.
func minMax(expr string) string {
	return "CAST(min(" + expr + ") AS VARCHAR) || '|' || CAST(max(" + expr + ") AS VARCHAR)"
}

// shortestNumber rewrites DuckDB's text of a DOUBLE ("2.0") as
// formatNumber does ("2").
func shortestNumber(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return formatNumber(v)
}

// numericText is the SQL text of col ready for a cast to DOUBLE: trimmed,
// with a decimal comma made a point.
func numericText(col, decimal string) string {
	if decimal == "," {
		return "replace(trim(" + col + "), ',', '.')"
	}
	return "trim(" + col + ")"
}

// TypedSelect is a select list that reads a source's raw table with each
// column cast to its detected type (BIGINT, DOUBLE, DATE, or VARCHAR as it
// is), named as in the file: for exports such as socap convert. A missing
// cell (see Present) of a typed column is NULL; text columns keep their text.
func TypedSelect(summaries []Summary, decimal string) string {
	sel := make([]string, len(summaries))
	for i, s := range summaries {
		col := store.QuoteIdent(s.Name)
		present := Present(col)
		switch s.Detected {
		case TypeInteger:
			sel[i] = "CAST(trim(" + present + ") AS BIGINT) AS " + col
		case TypeNumber:
			sel[i] = "CAST(" + numericText(present, decimal) + " AS DOUBLE) AS " + col
		case TypeDate:
			sel[i] = "CAST(trim(" + present + ") AS DATE) AS " + col
		default:
			sel[i] = col
		}
	}
	return strings.Join(sel, ", ")
}

// FewDistinct is the most distinct values a numeric column without value
// labels may have and still count as categorical.
const FewDistinct = 12

// Categorical reports whether describe lists s's most frequent values: a
// text column, a column with value labels, or an integer or number column
// with at most FewDistinct distinct values.
func Categorical(s Summary) bool {
	switch {
	case s.Values == 0:
		return false
	case s.Detected == TypeText, len(s.ValueLabels) > 0:
		return true
	case s.Detected == TypeInteger, s.Detected == TypeNumber:
		return s.Distinct <= FewDistinct
	}
	return false
}

// TopValues fills Top of every categorical summary (see Categorical) with
// its n most frequent non-missing values, with their counts and value
// labels: ties in the order of the values (numerically when they are
// numbers). It counts records as Describe does, without a _problem.
func TopValues(ctx context.Context, st *store.Store, sourceID string, summaries []Summary, n int) error {
	if n <= 0 {
		return nil
	}
	info, err := LoadedSource(ctx, st, sourceID)
	if err != nil {
		return err
	}
	index := map[string]int{}
	var cols []string
	for i, s := range summaries {
		if Categorical(s) {
			index[s.Name] = i
			cols = append(cols, store.QuoteIdent(s.Name))
		}
	}
	if len(cols) == 0 {
		return nil
	}
	const v = "value"
	query := "SELECT name, " + v + ", n FROM (SELECT name, " + v + ", count(*) AS n FROM (UNPIVOT (SELECT " + strings.Join(cols, ", ") +
		" FROM " + store.QuoteIdent(info.Table) + " WHERE " + ColProblem + " IS NULL) ON " + strings.Join(cols, ", ") +
		" INTO NAME name VALUE " + v + ") WHERE " + Present(v) + " IS NOT NULL GROUP BY name, " + v + ")" +
		" QUALIFY row_number() OVER (PARTITION BY name ORDER BY n DESC, TRY_CAST(trim(" + v + ") AS DOUBLE) NULLS LAST, " + v + ") <= " + strconv.Itoa(n) +
		" ORDER BY name, n DESC, TRY_CAST(trim(" + v + ") AS DOUBLE) NULLS LAST, " + v
	rows, err := st.DB().QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("top values of %s: %w", sourceID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var top TopValue
		if err := rows.Scan(&name, &top.Value, &top.Count); err != nil {
			return err
		}
		i, ok := index[name]
		if !ok {
			continue
		}
		top.Label = labelOf(summaries[i].ValueLabels, top.Value)
		summaries[i].Top = append(summaries[i].Top, top)
	}
	return rows.Err()
}

// labelOf is the label of value among labels: the same text, or else the
// same number ("1.0" is labelled as "1"); "" when none.
func labelOf(labels []ValueLabel, value string) string {
	for _, l := range labels {
		if l.Value == value {
			return l.Label
		}
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil {
		return ""
	}
	for _, l := range labels {
		if y, err := strconv.ParseFloat(strings.TrimSpace(l.Value), 64); err == nil && x == y {
			return l.Label
		}
	}
	return ""
}
