package harmonize

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// The statements below build one temporary table, work, in a chain of
// SELECTs, each adding columns computed from the previous ones. For the
// codebook variable with index i:
//
//	t<i>  its text in the file, trimmed; NULL when empty or absent
//	n<i>  t<i> as a number (numeric and categorical variables)
//	c<i>  the canonical code (categorical variables)
//	e<i>  the rule it breaks, 'missing' for a missing code, else NULL
//	x<i>  the harmonised value: NULL unless e<i> is NULL
//	v<i>  t<i> when the cell is rejected, else NULL (kept in work)
//
// work keeps x, e and v of every variable plus what row-level rejects need.
const work = "_harmonize_work"

// statements returns the SQL that replaces respondents and rejects.
func (p *plan) statements() []string {
	qs := []string{
		"CREATE OR REPLACE TEMP TABLE " + work + " AS " + p.workQuery(),
		"CREATE OR REPLACE TABLE respondents AS " + p.respondentsQuery(),
		"DELETE FROM rejects",
		p.rowRejects(),
	}
	if q := p.cellRejects(); q != "" {
		qs = append(qs, q)
	}
	return append(qs, "DROP TABLE "+work)
}

func col(prefix string, i int) string { return prefix + strconv.Itoa(i) }

// layer wraps query in a SELECT that adds the columns cols.
func layer(query string, cols []string) string {
	if len(cols) == 0 {
		return query
	}
	return "SELECT *, " + strings.Join(cols, ", ") + " FROM (" + query + ")"
}

func (p *plan) workQuery() string {
	var parsed, coded, checked, valued []string
	for i := range p.cb.Variables {
		v := &p.cb.Variables[i]
		if v.Type.Numeric() || v.Type == codebook.Categorical {
			t := col("t", i)
			parsed = append(parsed, fmt.Sprintf("TRY_CAST(CASE WHEN _comma THEN replace(%s, ',', '.') ELSE %s END AS DOUBLE) AS %s", t, t, col("n", i)))
		}
		if v.Type == codebook.Categorical {
			coded = append(coded, canonicalCode(v, i)+" AS "+col("c", i))
		}
		checked = append(checked, p.ruleExpr(v, i)+" AS "+col("e", i))
		valued = append(valued, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s END AS %s", col("e", i), valueExpr(v, i), col("x", i)))
	}
	ts := make([]string, len(p.cb.Variables))
	for i := range ts {
		ts[i] = col("t", i)
	}
	id := col("x", p.id)
	valued = append(valued,
		"hash("+strings.Join(ts, ", ")+") AS _hash",
		"CASE WHEN _problem IS NULL THEN "+id+" END AS _key")
	ranked := "SELECT *, count(*) OVER d AS _dups, min(_hash) OVER d <> max(_hash) OVER d AS _conflict, " +
		"row_number() OVER o AS _rank, first_value(source_id) OVER o AS _first_source, first_value(_row) OVER o AS _first_row " +
		"FROM (" + layer(layer(layer(layer(p.union(), parsed), coded), checked), valued) + ") " +
		"WINDOW d AS (PARTITION BY wave, _key), o AS (PARTITION BY wave, _key ORDER BY _ord, _row)"
	rule := fmt.Sprintf(`CASE WHEN _problem IS NOT NULL THEN %s WHEN %s IS NULL THEN %s
		WHEN _dups > 1 AND _conflict THEN %s WHEN _dups > 1 AND _rank > 1 THEN %s`,
		lit(RuleMalformedRow), id, lit(RuleMissingID), lit(RuleDuplicateID), lit(RuleDuplicateRow))
	if p.weight >= 0 {
		rule += fmt.Sprintf(" WHEN %s IS NOT NULL THEN %s", col("e", p.weight), col("e", p.weight))
	}
	rule += " END"
	keep := []string{"source_id", "wave", "_ord", "_row", "_problem", "_dups", "_first_source", "_first_row", rule + " AS _rule",
		col("t", p.id) + " AS _id_text"}
	if p.weight >= 0 {
		keep = append(keep, col("t", p.weight)+" AS _weight_text")
	}
	for i := range p.cb.Variables {
		e := col("e", i)
		keep = append(keep, col("x", i),
			fmt.Sprintf("nullif(%s, %s) AS %s", e, lit(ruleMissing), e),
			fmt.Sprintf("CASE WHEN %s <> %s THEN %s END AS %s", e, lit(ruleMissing), col("t", i), col("v", i)))
	}
	return "SELECT " + strings.Join(keep, ", ") + " FROM (" + ranked + ")"
}

// union selects the trimmed text of every variable from every source's raw
// table, together with the source's id, wave, order and number format.
func (p *plan) union() string {
	parts := make([]string, len(p.sources))
	for k, src := range p.sources {
		hasWeight := p.weight >= 0 && src.has(p.cb.Variables[p.weight].Column(src.cfg.ID))
		cols := []string{
			lit(src.cfg.ID) + " AS source_id",
			strconv.Itoa(src.cfg.Wave) + " AS wave",
			strconv.Itoa(k) + " AS _ord",
			strconv.FormatBool(src.decimalComma) + " AS _comma",
			strconv.FormatBool(hasWeight) + " AS _has_weight",
			"_row", "_problem",
		}
		for i := range p.cb.Variables {
			c := p.cb.Variables[i].Column(src.cfg.ID)
			text := "NULL::VARCHAR"
			if src.has(c) {
				text = fmt.Sprintf("nullif(trim(%s), '')", store.QuoteIdent(c))
			}
			cols = append(cols, text+" AS "+col("t", i))
		}
		parts[k] = "SELECT " + strings.Join(cols, ", ") + " FROM " + store.QuoteIdent(src.rawTable)
	}
	return strings.Join(parts, " UNION ALL ")
}

func (s source) has(column string) bool { return slices.Contains(s.columns, column) }

// canonicalCode is the code of a categorical cell as the codebook writes
// it: the text itself when it is one of the codebook's codes ("0301"),
// otherwise an integral number without decimals ("2.0" and "2" → "2"),
// otherwise the text.
func canonicalCode(v *codebook.Variable, i int) string {
	t, n := col("t", i), col("n", i)
	var codes []string
	for _, val := range v.Values {
		codes = append(codes, string(val.Code))
	}
	for _, m := range v.Missing {
		codes = append(codes, string(m))
	}
	expr := "CASE "
	if len(codes) > 0 {
		expr += fmt.Sprintf("WHEN %s IN (%s) THEN %s ", t, lits(codes), t)
	}
	return expr + fmt.Sprintf("WHEN %s = trunc(%s) AND abs(%s) < 1e15 THEN CAST(CAST(%s AS BIGINT) AS VARCHAR) ELSE %s END", n, n, n, n, t)
}

// isMissing is the condition that cell i holds one of the variable's
// missing codes: compared as numbers for numeric variables (8 and 8.0 are
// one code), as canonical codes for categorical ones, as text otherwise.
// "" when the variable has no missing codes.
func isMissing(v *codebook.Variable, i int) string {
	if len(v.Missing) == 0 {
		return ""
	}
	var nums, texts []string
	for _, m := range v.Missing {
		if f, ok := m.Float(); ok && v.Type.Numeric() {
			nums = append(nums, strconv.FormatFloat(f, 'g', -1, 64))
		} else {
			texts = append(texts, string(m))
		}
	}
	subject := col("t", i)
	if v.Type == codebook.Categorical {
		subject = col("c", i)
	}
	var conds []string
	if len(nums) > 0 {
		conds = append(conds, fmt.Sprintf("%s IN (%s)", col("n", i), strings.Join(nums, ", ")))
	}
	if len(texts) > 0 {
		conds = append(conds, fmt.Sprintf("%s IN (%s)", subject, lits(texts)))
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// ruleExpr is the CASE naming the rule cell i breaks ('missing' for a
// missing code); NULL for a good or empty cell. For the weight it names the
// row-level weight rule, including an empty weight.
func (p *plan) ruleExpr(v *codebook.Variable, i int) string {
	t, n := col("t", i), col("n", i)
	var whens []string
	when := func(cond, rule string) { whens = append(whens, fmt.Sprintf("WHEN %s THEN %s", cond, lit(rule))) }
	missing := isMissing(v, i)
	if i == p.weight {
		whens = append(whens, "WHEN NOT _has_weight THEN NULL")
		cond := t + " IS NULL"
		if missing != "" {
			cond += " OR " + missing
		}
		when(cond, RuleWeightMissing)
		when(n+" IS NULL", RuleWeightNotANumber)
		when("NOT isfinite("+n+")", RuleWeightNotFinite)
		when(n+" <= 0", RuleWeightNotPositive)
		if lo, hi, ok := v.Bounds(); ok {
			when(fmt.Sprintf("%s < %s OR %s > %s", n, num(lo), n, num(hi)), RuleWeightOutOfRange)
		}
		return "CASE " + strings.Join(whens, " ") + " END"
	}
	whens = append(whens, "WHEN "+t+" IS NULL THEN NULL")
	if missing != "" {
		when(missing, ruleMissing)
	}
	switch {
	case v.Type == codebook.Categorical:
		if v.RestrictedToLabels() {
			when(fmt.Sprintf("%s NOT IN (%s)", col("c", i), lits(codes(v))), RuleUnknownCode)
		}
	case v.Type.Numeric():
		when(fmt.Sprintf("%s IS NULL OR NOT isfinite(%s)", n, n), RuleNotANumber)
		if lo, hi, ok := v.Bounds(); ok {
			when(fmt.Sprintf("%s < %s OR %s > %s", n, num(lo), n, num(hi)), RuleOutOfRange)
		}
		if v.RestrictedToLabels() {
			var nums []string
			for _, c := range codes(v) {
				f, _ := codebook.Code(c).Float() // the codebook check makes numeric types' codes numbers
				nums = append(nums, num(f))
			}
			when(fmt.Sprintf("%s NOT IN (%s)", n, strings.Join(nums, ", ")), RuleUnknownCode)
		}
	}
	if len(whens) == 1 {
		return "NULL::VARCHAR"
	}
	return "CASE " + strings.Join(whens, " ") + " END"
}

// valueExpr is the harmonised value of a good cell i: DOUBLE for numeric
// types (reversed as min+max−x when asked), the canonical code for
// categorical variables, the text otherwise.
func valueExpr(v *codebook.Variable, i int) string {
	switch {
	case v.Type.Numeric():
		if lo, hi, ok := reverseBounds(v); ok {
			return fmt.Sprintf("(%s - %s)", num(lo+hi), col("n", i))
		}
		return col("n", i)
	case v.Type == codebook.Categorical:
		return col("c", i)
	}
	return col("t", i)
}

// reverseBounds are the min and max that reverse coding reflects about: the
// codebook range, or the smallest and largest labelled code.
func reverseBounds(v *codebook.Variable) (lo, hi float64, ok bool) {
	if !v.Reverse {
		return 0, 0, false
	}
	if lo, hi, ok := v.Bounds(); ok {
		return lo, hi, true
	}
	for k, val := range v.Values {
		f, _ := val.Code.Float()
		if k == 0 || f < lo {
			lo = f
		}
		if k == 0 || f > hi {
			hi = f
		}
	}
	return lo, hi, len(v.Values) > 0
}

// codes lists the variable's labelled codes.
func codes(v *codebook.Variable) []string {
	out := make([]string, len(v.Values))
	for k, val := range v.Values {
		out[k] = string(val.Code)
	}
	return out
}

// sqlType is the respondents column type of a variable.
func sqlType(v *codebook.Variable) string {
	if v.Type.Numeric() {
		return "DOUBLE"
	}
	return "VARCHAR"
}

func (p *plan) respondentsQuery() string {
	cols := []string{"source_id", "CAST(wave AS INTEGER) AS wave", "_row"}
	for i := range p.cb.Variables {
		v := &p.cb.Variables[i]
		cols = append(cols, fmt.Sprintf("CAST(%s AS %s) AS %s", col("x", i), sqlType(v), store.QuoteIdent(v.Name)))
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + work + " WHERE _rule IS NULL ORDER BY _ord, _row"
}

// fileColumn is the CASE giving a variable's column name in the row's
// source.
func (p *plan) fileColumn(v *codebook.Variable) string {
	expr := "CASE source_id"
	for _, src := range p.sources {
		expr += fmt.Sprintf(" WHEN %s THEN %s", lit(src.cfg.ID), lit(v.Column(src.cfg.ID)))
	}
	return expr + " END"
}

// rowRejects inserts one reject per row-level problem.
func (p *plan) rowRejects() string {
	id := col("x", p.id)
	idCol := p.fileColumn(&p.cb.Variables[p.id])
	value := fmt.Sprintf("CASE WHEN _rule IN (%s) THEN _id_text", lits([]string{RuleMissingID, RuleDuplicateID, RuleDuplicateRow}))
	msg := fmt.Sprintf(`CASE _rule
		WHEN %s THEN _problem
		WHEN %s THEN 'respondent id (column ' || %s || ') is missing'
		WHEN %s THEN 'respondent id ' || %s || ' occurs ' || _dups || ' times in wave ' || wave || ' with different answers; all copies are rejected'
		WHEN %s THEN 'repeats respondent ' || %s || ' of ' || _first_source || ' row ' || _first_row || ' exactly; the first copy is kept'`,
		lit(RuleMalformedRow), lit(RuleMissingID), idCol,
		lit(RuleDuplicateID), id, lit(RuleDuplicateRow), id)
	if p.weight >= 0 {
		w := &p.cb.Variables[p.weight]
		value += fmt.Sprintf(" WHEN _rule LIKE 'weight%%' THEN _weight_text")
		msg += fmt.Sprintf(`
		WHEN %s THEN 'weight (column ' || %s || ') is missing'
		WHEN %s THEN 'weight "' || _weight_text || '" is not a number'
		WHEN %s THEN 'weight ' || _weight_text || ' is not finite'
		WHEN %s THEN 'weight ' || _weight_text || ' is not positive'`,
			lit(RuleWeightMissing), p.fileColumn(w),
			lit(RuleWeightNotANumber), lit(RuleWeightNotFinite), lit(RuleWeightNotPositive))
		if lo, hi, ok := w.Bounds(); ok {
			msg += fmt.Sprintf(" WHEN %s THEN 'weight ' || _weight_text || ' outside %s..%s'", lit(RuleWeightOutOfRange), num(lo), num(hi))
		}
	}
	return fmt.Sprintf(`INSERT INTO rejects (source_id, "row", "column", value, rule, level, message)
		SELECT source_id, _row, NULL, %s END, _rule, 'row', %s END FROM %s WHERE _rule IS NOT NULL`, value, msg, work)
}

// cellRejects inserts one reject per rejected cell of a kept row.
func (p *plan) cellRejects() string {
	var parts []string
	for i := range p.cb.Variables {
		v := &p.cb.Variables[i]
		if i == p.id || i == p.weight || v.Type == codebook.TextType {
			continue
		}
		vi := col("v", i)
		msg := fmt.Sprintf("CASE %s WHEN %s THEN 'value \"' || %s || '\" is not a number'", col("e", i), lit(RuleNotANumber), vi)
		if lo, hi, ok := v.Bounds(); ok && v.Type.Numeric() {
			msg += fmt.Sprintf(" WHEN %s THEN 'value ' || %s || ' outside %s..%s'", lit(RuleOutOfRange), vi, num(lo), num(hi))
		}
		if v.RestrictedToLabels() {
			msg += fmt.Sprintf(" WHEN %s THEN 'code ' || %s || ' is not among the value labels of %s (%s)'",
				lit(RuleUnknownCode), vi, v.Name, strings.ReplaceAll(listCodes(codes(v)), "'", "''"))
		}
		parts = append(parts, fmt.Sprintf(`SELECT source_id, _row, %s, %s, %s, 'cell', %s END FROM %s WHERE _rule IS NULL AND %s IS NOT NULL`,
			p.fileColumn(v), vi, col("e", i), msg, work, vi))
	}
	if len(parts) == 0 {
		return "" // only id, weight and text variables: no cell can be rejected
	}
	return `INSERT INTO rejects (source_id, "row", "column", value, rule, level, message) ` + strings.Join(parts, " UNION ALL ")
}

// listCodes shows at most ten codes, then how many there are.
func listCodes(cs []string) string {
	if len(cs) <= 10 {
		return strings.Join(cs, ", ")
	}
	return fmt.Sprintf("%s, … %d codes", strings.Join(cs[:10], ", "), len(cs))
}

// lit is an SQL string literal.
func lit(s string) string { return store.QuoteString(s) }

// lits is a comma-separated list of SQL string literals.
func lits(ss []string) string {
	out := make([]string, len(ss))
	for k, s := range ss {
		out[k] = lit(s)
	}
	return strings.Join(out, ", ")
}

// num is an SQL DOUBLE literal.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
