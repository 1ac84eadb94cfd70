package harmonize

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// The statements select from the union of the sources' raw tables, in which
// the variable with codebook index i has the columns
//
//	r<i>  its text as in the file (NULL when the source lacks the column)
//	t<i>  r<i> trimmed, NULL when empty (id, categorical and text variables)
//	n<i>  r<i> as a number, read with the source's decimal separator
//	      (numeric and categorical variables)
//	c<i>  the canonical code (categorical variables; one layer up)
//
// The raw tables are parsed once: a single projection writes respondents
// with every harmonised value plus helper columns (prefixed _h_; codebook
// names start with a letter) saying which cells are rejected and why a row
// might be. Row rejects and duplicates are then read from those narrow
// columns; rejected rows are deleted; cell rejects join the few rejected
// cells back to their raw text (for the variables that have any); and the
// helper columns are dropped. A filter over a parsed value would not do:
// DuckDB inlines projections into filters and would parse each cell once per
// reference.
//
// Every statement must cost in proportion to variables × rows: a survey
// file has hundreds of variables. Nothing in the SQL may be planned once per
// variable as a join: an IN list of five or more constants is (see in), and
// so would be a branch per variable over respondents (see cellRejects).

// dups is the temporary table of the rows rejected as duplicates.
const dups = "_harmonize_dups"

// execute replaces respondents, rejects and harmonized_sources, passing
// each statement to exec. Which variables have rejected cells is asked
// between the statements, so that the cell rejects are looked up for those
// variables alone.
func (p *plan) execute(ctx context.Context, tx *sql.Tx, exec func(q string) error) error {
	qs := []string{
		"CREATE OR REPLACE TABLE respondents AS " + p.respondentsQuery(),
		"CREATE OR REPLACE TEMP TABLE " + dups + " AS " + p.duplicates(),
		"DELETE FROM rejects",
		p.rowRejects(),
		`DELETE FROM respondents WHERE _h_row IS NOT NULL OR EXISTS
			(SELECT 1 FROM ` + dups + ` d WHERE d.source_id = respondents.source_id AND d._row = respondents._row)`,
	}
	for _, q := range qs {
		if err := exec(q); err != nil {
			return err
		}
	}
	kept, vars, err := p.rejectedVariables(ctx, tx)
	if err != nil {
		return err
	}
	qs = nil
	if len(vars) > 0 {
		qs = append(qs, p.cellRejects(vars))
	}
	qs = append(qs, "DROP TABLE "+dups, "CREATE OR REPLACE TABLE "+harmonized+" AS "+p.sourcesQuery())
	qs = append(qs, p.dropHelpers(kept)...)
	for _, q := range qs {
		if err := exec(q); err != nil {
			return err
		}
	}
	return nil
}

// rejectedVariables counts the kept rows of respondents and lists the
// variables with a rejected cell in one of them. A survey file has hundreds
// of variables and few of them rejected cells; a branch of cellRejects per
// variable would cost a join each.
func (p *plan) rejectedVariables(ctx context.Context, tx *sql.Tx) (kept int64, vars []int, err error) {
	var idx []int
	aggs := []string{"count(*)"}
	for i := range p.cb.Variables {
		if c := p.cell(i); c.rejectable() {
			idx = append(idx, i)
			aggs = append(aggs, "coalesce(bool_or("+c.col("_h_bad")+"), false)")
		}
	}
	has := make([]bool, len(idx))
	dest := []any{&kept}
	for k := range has {
		dest = append(dest, &has[k])
	}
	if err := tx.QueryRowContext(ctx, "SELECT "+strings.Join(aggs, ", ")+" FROM respondents").Scan(dest...); err != nil {
		return 0, nil, fmt.Errorf("rejected cells: %w", err)
	}
	for k, i := range idx {
		if has[k] {
			vars = append(vars, i)
		}
	}
	return kept, vars, nil
}

// dropHelpers removes the helper columns from respondents, which has rows
// rows. DuckDB drops a column by rebuilding the table's metadata for every
// other column of every row group (122,880 rows), so dropping the helpers
// one by one costs about helpers × columns × row groups × 1.2 µs, and
// copying the table without them about rows × columns × 10 ns: dropping
// suits a long table with few helpers (1,000,000 rows × 30 variables), a
// copy a wide one (1,400 rows × 560 variables, where the drops took longer
// than the parsing).
func (p *plan) dropHelpers(rows int64) []string {
	hs := p.helpers()
	rowGroups := max(1, (rows+122879)/122880)
	if int64(len(hs))*rowGroups*120 <= rows {
		qs := make([]string, len(hs))
		for k, h := range hs {
			qs[k] = "ALTER TABLE respondents DROP COLUMN " + h
		}
		return qs
	}
	cols := []string{"source_id", "wave", "_row"}
	for _, v := range p.cb.Variables {
		cols = append(cols, store.QuoteIdent(v.Name))
	}
	return []string{"CREATE OR REPLACE TABLE respondents AS SELECT " + strings.Join(cols, ", ") + " FROM respondents"}
}

// sourcesQuery lists the harmonised sources: source_id, wave and position
// in socap.yaml.
func (p *plan) sourcesQuery() string {
	rows := make([]string, len(p.sources))
	for k, src := range p.sources {
		rows[k] = fmt.Sprintf("(%s, %d, %d)", lit(src.cfg.ID), src.cfg.Wave, k)
	}
	return "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS t(source_id, wave, position)"
}

// cell writes the SQL for one codebook variable.
type cell struct {
	v *codebook.Variable
	i int
	// declared is the condition for the user-missing codes the source files
	// declare for the variable's column (SPSS); "" when none does.
	declared string
	// atMost is the index of the variable the value may not exceed (the
	// codebook's at_most), −1 for none.
	atMost int
}

func (p *plan) cell(i int) cell {
	c := cell{v: &p.cb.Variables[i], i: i, atMost: -1}
	if c.v.AtMost != "" {
		c.atMost = slices.IndexFunc(p.cb.Variables, func(v codebook.Variable) bool { return v.Name == c.v.AtMost })
	}
	var whens []string
	for _, src := range p.sources {
		if spec := src.declared[c.v.Column(src.cfg.ID)]; spec != "" {
			whens = append(whens, fmt.Sprintf("WHEN %s THEN %s", lit(src.cfg.ID), c.declaredMissing(spec)))
		}
	}
	if len(whens) > 0 {
		c.declared = "CASE source_id " + strings.Join(whens, " ") + " ELSE false END"
	}
	return c
}

// declaredMissing is the condition for a user-missing declaration as
// ingest records it in variables.missing: values, inclusive ranges lo..hi
// (LO and HI for unbounded ends) and strings, separated by ", ".
func (c cell) declaredMissing(spec string) string {
	number := c.col("n")
	if !c.parsed() {
		number = fmt.Sprintf("TRY_CAST(%s AS DOUBLE)", c.col("t"))
	}
	var conds, texts []string
	for part := range strings.SplitSeq(spec, ", ") {
		lo, hi, isRange := strings.Cut(part, "..")
		_, errLo := strconv.ParseFloat(lo, 64)
		_, errHi := strconv.ParseFloat(hi, 64)
		switch {
		case isRange && (errLo == nil || lo == "LO") && (errHi == nil || hi == "HI"):
			var bounds []string
			if lo != "LO" {
				bounds = append(bounds, number+" >= "+lo)
			}
			if hi != "HI" {
				bounds = append(bounds, number+" <= "+hi)
			}
			conds = append(conds, "("+strings.Join(bounds, " AND ")+")")
		case errLo == nil && !isRange:
			conds = append(conds, number+" = "+lo)
		default:
			texts = append(texts, part)
		}
	}
	if len(texts) > 0 {
		conds = append(conds, in(c.text(), quoted(texts), ""))
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

func (c cell) col(prefix string) string { return prefix + strconv.Itoa(c.i) }

// trimmed reports whether the union carries t<i>: values compared as text.
func (c cell) trimmed() bool { return !c.v.Type.Numeric() }

// parsed reports whether the union carries n<i>.
func (c cell) parsed() bool { return c.v.Type.Numeric() || c.v.Type == codebook.Categorical }

// text is the cell's trimmed text.
func (c cell) text() string {
	if c.trimmed() {
		return c.col("t")
	}
	return "trim(" + c.col("r") + ")"
}

// present is true for a cell with text in it.
func (c cell) present() string {
	if c.trimmed() {
		return c.col("t") + " IS NOT NULL"
	}
	return fmt.Sprintf("%s IS NOT NULL AND trim(%s) <> ''", c.col("r"), c.col("r"))
}

// missing is true for a missing code of the codebook, or one the source file
// declares: compared as numbers for numeric variables (8 and 8.0 are one
// code; text codes such as NA as text), as canonical codes for categorical
// ones, as text otherwise.
func (c cell) missing() string {
	if len(c.v.Missing) == 0 && c.declared == "" {
		return "false"
	}
	var nums, texts []string
	for _, m := range c.v.Missing {
		if f, ok := m.Float(); ok && c.v.Type.Numeric() {
			nums = append(nums, num(f))
		} else {
			texts = append(texts, string(m))
		}
	}
	var conds []string
	switch {
	case c.v.Type.Numeric():
		if len(nums) > 0 {
			conds = append(conds, in(c.col("n"), nums, "DOUBLE"))
		}
		if len(texts) > 0 {
			conds = append(conds, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s ELSE false END", c.col("n"), in("trim("+c.col("r")+")", quoted(texts), "")))
		}
	case len(texts) == 0:
	case c.v.Type == codebook.Categorical:
		conds = append(conds, in(c.col("c"), quoted(texts), ""))
	default:
		conds = append(conds, in(c.col("t"), quoted(texts), ""))
	}
	if c.declared != "" {
		conds = append(conds, c.declared)
	}
	return "coalesce(" + strings.Join(conds, " OR ") + ", false)"
}

// valid is true (never NULL) for a cell whose value is usable.
func (c cell) valid() string {
	var conds []string
	switch {
	case c.v.Type.Numeric():
		n := c.col("n")
		_, _, bounded := c.v.Bounds()
		if !bounded && !c.v.RestrictedToLabels() {
			conds = append(conds, "isfinite("+n+")") // a range or code list excludes NaN and ±Inf itself
		}
		if c.v.Type == codebook.Weight {
			conds = append(conds, n+" > 0")
		}
		if lo, hi, ok := c.v.Bounds(); ok {
			conds = append(conds, fmt.Sprintf("%s BETWEEN %s AND %s", n, num(lo), num(hi)))
		}
		if c.v.RestrictedToLabels() {
			conds = append(conds, in(n, c.numericCodes(), "DOUBLE"))
		}
		if c.atMost >= 0 {
			conds = append(conds, c.withinBound())
		}
	case c.v.Type == codebook.Categorical && c.v.RestrictedToLabels():
		conds = append(conds, in(c.col("c"), quoted(codes(c.v)), ""))
	default:
		conds = append(conds, c.col("t")+" IS NOT NULL")
	}
	if c.missingMayLookValid() {
		conds = append(conds, "NOT "+c.missing())
	}
	return "coalesce(" + strings.Join(conds, " AND ") + ", false)"
}

// missingMayLookValid reports whether a missing code could pass the other
// tests of valid, so that valid must exclude missing codes explicitly. The
// usual codebook (range 1..5, missing 8 and 9) needs no such test, which
// saves work on every cell.
func (c cell) missingMayLookValid() bool {
	if c.declared != "" {
		return true
	}
	lo, hi, bounded := c.v.Bounds()
	for _, m := range c.v.Missing {
		switch {
		case c.v.Type.Numeric():
			f, ok := m.Float()
			if ok && (!bounded || f >= lo && f <= hi) && (!c.v.RestrictedToLabels() || slices.Contains(codes(c.v), string(m))) {
				return true
			}
		case c.v.Type == codebook.Categorical && c.v.RestrictedToLabels():
			if slices.Contains(codes(c.v), string(m)) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// value is the harmonised value: NULL unless valid; DOUBLE for numeric
// types (as coded: reverse coding is the scores' business), the canonical code for
// categorical variables, the text otherwise.
func (c cell) value() string {
	val := c.col("t")
	switch {
	case c.v.Type.Numeric():
		val = c.col("n")
	case c.v.Type == codebook.Categorical:
		val = c.col("c")
	}
	return fmt.Sprintf("CASE WHEN %s THEN %s END", c.valid(), val)
}

// rejectable reports whether a cell of this variable can be rejected: ids,
// weights and text are checked at row level or not at all, and a
// categorical variable only when restricted to its labels.
func (c cell) rejectable() bool {
	switch {
	case c.v.Type == codebook.ID || c.v.Type == codebook.Weight || c.v.Type == codebook.TextType:
		return false
	case c.v.Type == codebook.Categorical:
		return c.v.RestrictedToLabels()
	}
	return true
}

// rejected is true for a cell to reject: text that is neither valid nor a
// missing code. It is a CASE because DuckDB evaluates a CASE branch only for
// the rows that reach it, but both sides of an AND for every row; most
// cells are valid and never get trimmed.
func (c cell) rejected() string {
	return fmt.Sprintf("CASE WHEN %s THEN false WHEN %s THEN NOT %s ELSE false END", c.valid(), c.present(), c.missing())
}

// withinBound is true unless the value exceeds the at_most variable's in the
// row (compared with that variable as parsed, so a missing code of it such as
// 98 bounds nothing in practice).
func (c cell) withinBound() string {
	j := cell{i: c.atMost}.col("n")
	return fmt.Sprintf("(%s IS NULL OR %s <= %s)", j, c.col("n"), j)
}

// rule names the rule a rejected cell breaks.
func (c cell) rule() string {
	if c.v.Type == codebook.Categorical {
		return lit(RuleUnknownCode)
	}
	n := c.col("n")
	expr := fmt.Sprintf("CASE WHEN %s IS NULL OR NOT isfinite(%s) THEN %s", n, n, lit(RuleNotANumber))
	if lo, hi, ok := c.v.Bounds(); ok {
		expr += fmt.Sprintf(" WHEN %s NOT BETWEEN %s AND %s THEN %s", n, num(lo), num(hi), lit(RuleOutOfRange))
	}
	if c.atMost >= 0 {
		expr += fmt.Sprintf(" WHEN NOT %s THEN %s", c.withinBound(), lit(RuleExceeds))
	}
	return expr + " ELSE " + lit(RuleUnknownCode) + " END"
}

// message explains a rejected cell.
func (c cell) message() string {
	t := c.text()
	if c.v.Type == codebook.Categorical {
		return c.unknownCode(t)
	}
	n := c.col("n")
	expr := fmt.Sprintf(`CASE WHEN %s IS NULL OR NOT isfinite(%s) THEN 'value "' || %s || '" is not a number'`, n, n, t)
	if lo, hi, ok := c.v.Bounds(); ok {
		expr += fmt.Sprintf(" WHEN %s NOT BETWEEN %s AND %s THEN 'value ' || %s || ' outside %s..%s'", n, num(lo), num(hi), t, num(lo), num(hi))
	}
	if c.atMost >= 0 {
		expr += fmt.Sprintf(" WHEN NOT %s THEN 'value ' || %s || ' exceeds %s (' || trim(%s) || ')'", c.withinBound(), t, c.v.AtMost, cell{i: c.atMost}.col("r"))
	}
	return expr + " ELSE " + c.unknownCode(t) + " END"
}

func (c cell) unknownCode(text string) string {
	return fmt.Sprintf("'code ' || %s || ' is not among the value labels of %s (%s)'",
		text, c.v.Name, strings.ReplaceAll(listCodes(codes(c.v)), "'", "''"))
}

// weightRule names the row-level rule an unusable weight breaks; NULL for a
// usable weight or a source without the weight column.
func (c cell) weightRule() string {
	n := c.col("n")
	rule := fmt.Sprintf(`CASE WHEN NOT _has_weight OR %s THEN NULL
		WHEN NOT (%s) OR %s THEN %s
		WHEN %s IS NULL THEN %s
		WHEN NOT isfinite(%s) THEN %s
		WHEN %s <= 0 THEN %s`,
		c.valid(), c.present(), c.missing(), lit(RuleWeightMissing),
		n, lit(RuleWeightNotANumber), n, lit(RuleWeightNotFinite), n, lit(RuleWeightNotPositive))
	return rule + " ELSE " + lit(RuleWeightOutOfRange) + " END"
}

// numericCodes are the labelled codes of a numeric variable as SQL numbers.
func (c cell) numericCodes() []string {
	var nums []string
	for _, code := range codes(c.v) {
		f, _ := codebook.Code(code).Float() // the codebook check makes numeric types' codes numbers
		nums = append(nums, num(f))
	}
	return nums
}

// canonicalCode is the code of a categorical cell as the codebook writes
// it: the text itself when it is one of the codebook's codes ("0301"),
// otherwise an integral number without decimals ("2.0" and "2" → "2"),
// otherwise the text.
func (c cell) canonicalCode() string {
	t, n := c.col("t"), c.col("n")
	known := codes(c.v)
	for _, m := range c.v.Missing {
		known = append(known, string(m))
	}
	expr := "CASE "
	if len(known) > 0 {
		expr += fmt.Sprintf("WHEN %s THEN %s ", in(t, quoted(known), ""), t)
	}
	return expr + fmt.Sprintf("WHEN %s = trunc(%s) AND abs(%s) < 1e15 THEN CAST(CAST(%s AS BIGINT) AS VARCHAR) ELSE %s END", n, n, n, n, t)
}

// recoded is expr through the variable's recode: map, each code written as
// an SQL literal by literal (expr itself when there is none).
func (c cell) recoded(expr string, literal func(codebook.Code) string) string {
	if len(c.v.Recode) == 0 {
		return expr
	}
	from := slices.Sorted(maps.Keys(c.v.Recode))
	q := "CASE " + expr
	for _, f := range from {
		q += " WHEN " + literal(f) + " THEN " + literal(c.v.Recode[f])
	}
	return q + " ELSE " + expr + " END"
}

// all lists the indices of every codebook variable.
func (p *plan) all() []int {
	idx := make([]int, len(p.cb.Variables))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// cells is the SELECT yielding, for every raw row of every source,
// source_id, wave, _ord (the source's place in socap.yaml), _row, _problem,
// _has_weight, _comma and the r, t, n and c columns of the variables vars.
func (p *plan) cells(vars []int) string {
	q := p.union(vars, true)
	var coded []string
	for _, i := range vars {
		if c := p.cell(i); c.v.Type == codebook.Categorical {
			coded = append(coded, c.recoded(c.canonicalCode(), func(code codebook.Code) string { return lit(string(code)) })+" AS "+c.col("c"))
		}
	}
	if len(coded) == 0 {
		return q
	}
	return "SELECT *, " + strings.Join(coded, ", ") + " FROM (" + q + ")"
}

// union selects the variables vars from every source's raw table, with the
// source's id, wave and order, whether it has the weight column and whether
// it writes decimal commas. With derived, it adds the t and n columns.
func (p *plan) union(vars []int, derived bool) string {
	parts := make([]string, len(p.sources))
	for k, src := range p.sources {
		hasWeight := p.weight >= 0 && src.has(p.cb.Variables[p.weight].Column(src.cfg.ID))
		cols := []string{
			lit(src.cfg.ID) + " AS source_id",
			strconv.Itoa(src.cfg.Wave) + " AS wave",
			strconv.Itoa(k) + " AS _ord",
			strconv.FormatBool(hasWeight) + " AS _has_weight",
			strconv.FormatBool(src.decimalComma) + " AS _comma",
			"_row", "_problem",
		}
		for _, i := range vars {
			c := p.cell(i)
			raw := "NULL::VARCHAR"
			if name := c.v.Column(src.cfg.ID); src.has(name) {
				raw = store.QuoteIdent(name)
			}
			cols = append(cols, raw+" AS "+c.col("r"))
			if !derived {
				continue
			}
			if c.trimmed() {
				cols = append(cols, fmt.Sprintf("nullif(trim(%s), '') AS %s", raw, c.col("t")))
			}
			if c.parsed() {
				number := raw
				if src.decimalComma {
					number = fmt.Sprintf("replace(%s, ',', '.')", raw)
				}
				parsed := fmt.Sprintf("TRY_CAST(%s AS DOUBLE)", number)
				if c.v.Type.Numeric() {
					parsed = c.recoded(parsed, func(code codebook.Code) string {
						f, _ := code.Float() // the codebook check makes numeric types' codes numbers
						return num(f)
					})
				}
				cols = append(cols, parsed+" AS "+c.col("n"))
			}
		}
		parts[k] = "SELECT " + strings.Join(cols, ", ") + " FROM " + store.QuoteIdent(src.rawTable)
	}
	return strings.Join(parts, " UNION ALL ")
}

func (s source) has(column string) bool { return slices.Contains(s.columns, column) }

// respondentsQuery parses every cell once and selects source_id, wave,
// _row, the harmonised variables and the helper columns. The rows are not
// sorted (a sort of the whole wide table would cost more than the parsing);
// readers order by source_id and _row. The helpers are _h_ord (source
// order), _h_problem, _h_row (malformed_row, missing_id or a weight rule;
// duplicates are found later), _h_id_text and _h_weight_text (the text of an
// unusable id or weight) and _h_bad<i> (cell i is rejected).
func (p *plan) respondentsQuery() string {
	cols := []string{"source_id", "CAST(wave AS INTEGER) AS wave", "_row"}
	for i := range p.cb.Variables {
		c := p.cell(i)
		cols = append(cols, fmt.Sprintf("CAST(%s AS %s) AS %s", c.value(), sqlType(c.v), store.QuoteIdent(c.v.Name)))
	}
	id := p.cell(p.id)
	rowRule := fmt.Sprintf("CASE WHEN _problem IS NOT NULL THEN %s WHEN NOT %s THEN %s", lit(RuleMalformedRow), id.valid(), lit(RuleMissingID))
	weightText := "NULL::VARCHAR"
	if p.weight >= 0 {
		w := p.cell(p.weight)
		rowRule += " ELSE " + w.weightRule()
		weightText = fmt.Sprintf("CASE WHEN NOT %s THEN nullif(%s, '') END", w.valid(), w.text())
	}
	cols = append(cols, "_ord AS _h_ord", "_problem AS _h_problem", rowRule+" END AS _h_row",
		fmt.Sprintf("CASE WHEN NOT %s THEN %s END AS _h_id_text", id.valid(), id.col("t")),
		weightText+" AS _h_weight_text")
	for i := range p.cb.Variables {
		if c := p.cell(i); c.rejectable() {
			cols = append(cols, c.rejected()+" AS "+c.col("_h_bad"))
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM (" + p.cells(p.all()) + ")"
}

// helpers lists the helper columns respondentsQuery adds.
func (p *plan) helpers() []string {
	hs := []string{"_h_ord", "_h_problem", "_h_row", "_h_id_text", "_h_weight_text"}
	for i := range p.cb.Variables {
		if c := p.cell(i); c.rejectable() {
			hs = append(hs, c.col("_h_bad"))
		}
	}
	return hs
}

// duplicates selects the rows to reject because their respondent id occurs
// more than once in a wave: all copies when they differ in any harmonised
// value (duplicate_id), all but the first (by source order, then _row) when
// they are identical (duplicate_row). Rows with an id and no _problem count.
// The ids are counted on the id column alone; the other values are hashed
// for the copies only.
func (p *plan) duplicates() string {
	vars := make([]string, len(p.cb.Variables))
	for i, v := range p.cb.Variables {
		vars[i] = "r." + store.QuoteIdent(v.Name)
	}
	id := store.QuoteIdent(p.cb.Variables[p.id].Name)
	return fmt.Sprintf(`WITH repeated AS (
			SELECT wave, %s AS _key FROM respondents WHERE _h_problem IS NULL AND %s IS NOT NULL
			GROUP BY ALL HAVING count(*) > 1),
		copies AS (
			SELECT r.source_id, r.wave, r._h_ord AS _ord, r._row, r.%s AS _key, hash(%s) AS _hash
			FROM respondents r SEMI JOIN repeated k ON r.wave = k.wave AND r.%s = k._key
			WHERE r._h_problem IS NULL),
		ranked AS (
			SELECT *, count(*) OVER d AS _dups, min(_hash) OVER d <> max(_hash) OVER d AS _conflict,
				row_number() OVER o AS _rank, first_value(source_id) OVER o AS _first_source, first_value(_row) OVER o AS _first_row
			FROM copies
			WINDOW d AS (PARTITION BY wave, _key), o AS (PARTITION BY wave, _key ORDER BY _ord, _row))
		SELECT source_id, _row, _key, _dups, _first_source, _first_row,
			CASE WHEN _conflict THEN %s ELSE %s END AS _dup_rule
		FROM ranked WHERE _conflict OR _rank > 1`,
		id, id, id, strings.Join(vars, ", "), id, lit(RuleDuplicateID), lit(RuleDuplicateRow))
}

// rowRejects inserts one reject per rejected row, with the first rule in
// the package's order that the row breaks.
func (p *plan) rowRejects() string {
	idRules := lits([]string{RuleMalformedRow, RuleMissingID})
	value := fmt.Sprintf("CASE WHEN _rule = %s THEN _h_id_text WHEN _rule IN (%s) THEN _key WHEN _rule LIKE 'weight%%' THEN _h_weight_text END",
		lit(RuleMissingID), lits([]string{RuleDuplicateID, RuleDuplicateRow}))
	msg := fmt.Sprintf(`CASE _rule
		WHEN %s THEN _h_problem
		WHEN %s THEN 'respondent id (column ' || %s || ') is missing'
		WHEN %s THEN 'respondent id ' || _key || ' occurs ' || _dups || ' times in wave ' || wave || ' with different answers; all copies are rejected'
		WHEN %s THEN 'repeats respondent ' || _key || ' of ' || _first_source || ' row ' || _first_row || ' exactly; the first copy is kept'`,
		lit(RuleMalformedRow), lit(RuleMissingID), p.fileColumn(p.cell(p.id).v), lit(RuleDuplicateID), lit(RuleDuplicateRow))
	if p.weight >= 0 {
		w := p.cb.Variables[p.weight]
		msg += fmt.Sprintf(`
		WHEN %s THEN 'weight (column ' || %s || ') is missing'
		WHEN %s THEN 'weight "' || _h_weight_text || '" is not a number'
		WHEN %s THEN 'weight ' || _h_weight_text || ' is not finite'
		WHEN %s THEN 'weight ' || _h_weight_text || ' is not positive'`,
			lit(RuleWeightMissing), p.fileColumn(&w), lit(RuleWeightNotANumber), lit(RuleWeightNotFinite), lit(RuleWeightNotPositive))
		if lo, hi, ok := w.Bounds(); ok {
			msg += fmt.Sprintf(" WHEN %s THEN 'weight ' || _h_weight_text || ' outside %s..%s'", lit(RuleWeightOutOfRange), num(lo), num(hi))
		}
	}
	return fmt.Sprintf(`INSERT INTO rejects (source_id, "row", "column", value, rule, level, message)
		SELECT source_id, _row, NULL, %s, _rule, 'row', %s END
		FROM (SELECT *, CASE WHEN _h_row IN (%s) THEN _h_row ELSE coalesce(_dup_rule, _h_row) END AS _rule
			FROM respondents LEFT JOIN %s USING (source_id, _row)
			WHERE _h_row IS NOT NULL OR _dup_rule IS NOT NULL)`,
		value, msg, idRules, dups)
}

// cellRejects inserts one reject per rejected cell of a kept row: a UNION
// ALL with one branch per variable of vars (which have rejected cells),
// joining the rejected cells to their raw text and parsing only those again
// for the rule and message.
func (p *plan) cellRejects(vars []int) string {
	var parts []string
	for _, i := range vars {
		c := p.cell(i)
		parseNumber := func(c cell) string {
			return fmt.Sprintf("TRY_CAST(CASE WHEN _comma THEN replace(%s, ',', '.') ELSE %s END AS DOUBLE) AS %s", c.col("r"), c.col("r"), c.col("n"))
		}
		parse := parseNumber(c)
		if c.trimmed() { // categorical: its only rule is unknown_code, its message shows t
			parse = fmt.Sprintf("nullif(trim(%s), '') AS %s", c.col("r"), c.col("t"))
		}
		read := []int{i}
		if c.atMost >= 0 { // the rule and message compare with the bound's value
			read = append(read, c.atMost)
			parse += ", " + parseNumber(cell{i: c.atMost})
		}
		parts = append(parts, fmt.Sprintf(`SELECT source_id, _row, %s AS "column", %s AS value, %s AS rule, %s AS message
			FROM (SELECT *, %s FROM (SELECT source_id, _row FROM respondents WHERE %s) JOIN (%s) USING (source_id, _row))`,
			p.fileColumn(c.v), c.text(), c.rule(), c.message(), parse, c.col("_h_bad"), p.union(read, false)))
	}
	return `INSERT INTO rejects (source_id, "row", "column", value, rule, level, message)
		SELECT source_id, _row, "column", value, rule, 'cell', message FROM (` + strings.Join(parts, " UNION ALL ") + `)`
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
func lits(ss []string) string { return strings.Join(quoted(ss), ", ") }

// quoted are SQL string literals of ss.
func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for k, s := range ss {
		out[k] = lit(s)
	}
	return out
}

// in is true when x is one of items (SQL literals; of type typ when that is
// not ""), NULL when x is NULL. A short list is an IN, which DuckDB turns
// into ORs. A longer list is list_contains: DuckDB's optimizer rewrites an IN
// of five or more constants into a mark join against the constants, and one
// such join per variable stacks hundreds of joins under the wide
// projection, so that planning time and memory grow with the square of the
// number of variables (a codebook of 560 variables ran out of memory).
func in(x string, items []string, typ string) string {
	if len(items) < 5 {
		return fmt.Sprintf("%s IN (%s)", x, strings.Join(items, ", "))
	}
	list := "[" + strings.Join(items, ", ") + "]"
	if typ != "" {
		list += "::" + typ + "[]"
	}
	return fmt.Sprintf("list_contains(%s, %s)", list, x)
}

// num is an SQL DOUBLE literal.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
