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
	Missing  int64  // NULL (empty) values
	Distinct int64  // distinct non-missing values
	// Min and Max are in the detected type, as text ("" for text and empty
	// columns).
	Min, Max string
}

// Describe summarises every column of a loaded source over its records
// without a _problem (those cannot be trusted to be in the right columns).
func Describe(ctx context.Context, st *store.Store, sourceID string) ([]Summary, error) {
	info, err := LoadedSource(ctx, st, sourceID)
	if err != nil {
		return nil, err
	}
	const perColumn = 9
	var exprs []string
	for _, c := range info.Columns {
		col := store.QuoteIdent(c.Name)
		num := numericText(col, info.Decimal)
		exprs = append(exprs,
			"count("+col+")",
			"count(*) - count("+col+")",
			"count(DISTINCT "+col+")",
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
// is), named as in the file: for exports such as socap convert.
func TypedSelect(summaries []Summary, decimal string) string {
	sel := make([]string, len(summaries))
	for i, s := range summaries {
		col := store.QuoteIdent(s.Name)
		switch s.Detected {
		case TypeInteger:
			sel[i] = "CAST(trim(" + col + ") AS BIGINT) AS " + col
		case TypeNumber:
			sel[i] = "CAST(" + numericText(col, decimal) + " AS DOUBLE) AS " + col
		case TypeDate:
			sel[i] = "CAST(trim(" + col + ") AS DATE) AS " + col
		default:
			sel[i] = col
		}
	}
	return strings.Join(sel, ", ")
}
