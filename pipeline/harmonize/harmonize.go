// Package harmonize turns the raw tables written by the ingest stage into
// the respondents table: one typed row per respondent and wave, columns
// named by the codebook's canonical variables. What cannot be used goes to
// the rejects table with the reason, so that every raw row is accounted for:
//
//	raw rows = respondent rows + rejected rows   (per source)
//
// A cell-level problem (not a number, out of range, a code without a value
// label where only labelled codes are valid) sets that cell to NULL in
// respondents and writes a reject row with level 'cell'. Missing codes
// (codebook "missing": don't know, refused …, and the user-missing codes a
// source file declares, which ingest records in variables.missing) and
// empty cells become NULL without a reject: they are answers, not errors.
// Numbers are read with the source's decimal separator (sources.decimal_sep
// "," reads "3,5" as 3.5). A categorical cell holds its canonical code: the
// codebook's spelling ("0301"), or an integral number without decimals.
//
// A row-level problem removes the row from respondents and writes one
// reject row with level 'row' (column NULL; the value and message say what
// was wrong); the rules are checked in this order and the first that
// applies is recorded:
//
//  1. malformed_row: ingest could not map the record to the header (a
//     ragged row); the message is ingest's reason.
//  2. missing_id: the respondent id is empty or a missing code.
//  3. duplicate_id / duplicate_row: the id occurs more than once in one wave
//     (across all sources of that wave). When all copies have the same
//     harmonised values ("3" and "3.0" are the same answer), the record was
//     entered twice: the first copy (in socap.yaml source order, then file
//     order) is kept and the others are rejected as duplicate_row. When
//     the copies differ, there is no telling which one belongs to the id,
//     so all copies are rejected as duplicate_id and the researcher
//     resolves them in the source file.
//  4. weight_missing, weight_not_a_number, weight_not_finite,
//     weight_not_positive, weight_out_of_range: the design weight must be a
//     finite number > 0 (and within the codebook range, if any). A source
//     without the weight column (allowed when the codebook marks it
//     required: false) gets NULL weights and no weight rules.
//
// Values keep their codes (after recode:), so that they match their value
// labels in the store and in every export; a reverse: item is reversed
// where it is scored (indicators/scale), not here.
//
// A column the codebook requires (id and weight unless marked required:
// false, and any variable marked required: true) that a source lacks stops
// the stage with a dataerr.DataError naming the file, the variable, the
// column, the closest column of the file and all of them; an optional
// column a source lacks is NULL for that source.
//
// All of it runs as DuckDB SQL (TRY_CAST, CASE, window functions), never as
// a Go loop over rows. The stage replaces respondents, rejects and
// harmonized_sources (the sources it covered, for Accounting) in one
// transaction, and checks the accounting before it commits. respondents has
// the columns source_id, wave, _row and one per codebook variable (DOUBLE
// for numeric types, VARCHAR for id, categorical and text); its rows are in
// no particular order, so readers order by source_id and _row.
package harmonize

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/dataerr"
	"socap/pipeline/yamlschema"
)

// The reject rules. Cell-level rules leave the row in respondents with the
// cell NULL; row-level rules keep the row out of respondents.
const (
	RuleNotANumber  = "not_a_number" // cell: text in a numeric variable, or NaN/Inf
	RuleOutOfRange  = "out_of_range" // cell: outside the codebook range
	RuleUnknownCode = "unknown_code" // cell: not among the value labels
	RuleExceeds     = "exceeds"      // cell: above the at_most variable in the same row

	RuleMalformedRow      = "malformed_row"       // row: ingest's _problem is set
	RuleMissingID         = "missing_id"          // row: empty id or a missing code
	RuleDuplicateID       = "duplicate_id"        // row: differing copies of one id in a wave
	RuleDuplicateRow      = "duplicate_row"       // row: a repeat of an identical record
	RuleWeightMissing     = "weight_missing"      // row: empty weight or a missing code
	RuleWeightNotANumber  = "weight_not_a_number" // row: weight text that is not a number
	RuleWeightNotFinite   = "weight_not_finite"   // row: NaN or ±Inf
	RuleWeightNotPositive = "weight_not_positive" // row: weight ≤ 0
	RuleWeightOutOfRange  = "weight_out_of_range" // row: outside the codebook range
)

// Stage is the harmonise stage. The zero value is ready to use.
type Stage struct {
	rawRows, respondents int64
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "harmonize" }

// RowCounts implements pipeline.RowCounter: raw rows read and respondent
// rows written by the last Run.
func (s *Stage) RowCounts() (in, out int64) { return s.rawRows, s.respondents }

var (
	_ pipeline.Stage      = (*Stage)(nil)
	_ pipeline.RowCounter = (*Stage)(nil)
)

// Run rebuilds respondents and rejects from the raw tables of the sources in
// env.Config, in one transaction, and checks that every raw row is accounted
// for before committing.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	if env.Config == nil || env.Codebook == nil {
		return errors.New("needs a config and a codebook")
	}
	defer env.Shared.Clear() // respondents are rewritten: what was loaded from them is old
	return env.Store.WithTx(ctx, func(tx *sql.Tx) error {
		p, err := newPlan(ctx, tx, env.Config, env.Codebook)
		if err != nil {
			return err
		}
		err = p.execute(ctx, tx, func(q string) error {
			_, err := tx.ExecContext(ctx, q)
			return err
		})
		if err != nil {
			return fmt.Errorf("build respondents: %w", err)
		}
		counts, err := accounting(ctx, tx)
		if err != nil {
			return err
		}
		var raw, kept, rows, cells int64
		for _, c := range counts {
			if !c.Balanced() {
				return fmt.Errorf("source %s: %d raw rows but %d respondents + %d rejected rows", c.Source, c.Raw, c.Respondents, c.RejectedRows)
			}
			raw, kept, rows, cells = raw+c.Raw, kept+c.Respondents, rows+c.RejectedRows, cells+c.RejectedCells
		}
		s.rawRows, s.respondents = raw, kept
		if env.Log != nil {
			fmt.Fprintf(env.Log, "harmonize: %d respondents from %d raw rows (%d rows and %d cells rejected)\n", kept, raw, rows, cells)
		}
		return nil
	})
}

// source is one configured source as the plan sees it.
type source struct {
	cfg          pipeline.Source
	rawTable     string
	decimalComma bool
	columns      []string          // the file's columns, in file order
	declared     map[string]string // column → user-missing codes the file declares
}

// plan is the harmonisation of a codebook over a set of sources.
type plan struct {
	cb      *codebook.Codebook
	sources []source
	id      int // index of the id variable
	weight  int // index of the weight variable; -1 when there is none
}

// provenance are the raw-table columns ingest adds to the file's columns.
var provenance = []string{"_source", "_sha256", "_row", "_problem"}

// newPlan reads what the store knows about each configured source and
// checks the codebook against the sources' columns.
func newPlan(ctx context.Context, tx *sql.Tx, cfg *pipeline.Config, cb *codebook.Codebook) (*plan, error) {
	p := &plan{cb: cb, id: -1, weight: -1}
	for i, v := range cb.Variables {
		switch v.Type {
		case codebook.ID:
			p.id = i
		case codebook.Weight:
			p.weight = i
		}
	}
	if p.id < 0 {
		return nil, errors.New("the codebook has no id variable")
	}
	if len(cfg.Sources) == 0 {
		return nil, errors.New("socap.yaml lists no sources")
	}
	for _, sc := range cfg.Sources {
		src := source{cfg: sc}
		var dec sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT raw_table, decimal_sep FROM sources WHERE source_id = ?`, sc.ID).Scan(&src.rawTable, &dec)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("source %s has not been ingested (no row in the sources table)", sc.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.ID, err)
		}
		src.decimalComma = dec.String == ","
		if src.columns, err = fileColumns(ctx, tx, src.rawTable); err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.ID, err)
		}
		if src.declared, err = declaredMissing(ctx, tx, sc.ID); err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.ID, err)
		}
		p.sources = append(p.sources, src)
	}
	if err := p.checkSourceIDs(); err != nil {
		return nil, err
	}
	var errs []error
	for _, src := range p.sources {
		errs = append(errs, p.checkColumns(src)...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// checkSourceIDs refuses a codebook columns map whose source id looks like
// a typo of a configured source ("wave_2" for "wave2") when the typo matters:
// the configured source is not mapped by the variable and lacks the column
// the variable would then read. Maps for sources this project does not have
// are otherwise fine: a codebook may serve several projects.
func (p *plan) checkSourceIDs() error {
	var errs []error
	for _, v := range p.cb.Variables {
		var unmapped []string
		for _, src := range p.sources {
			if _, ok := v.Columns[src.cfg.ID]; !ok {
				unmapped = append(unmapped, src.cfg.ID)
			}
		}
		for _, sid := range sortedKeys(v.Columns) {
			if slices.ContainsFunc(p.sources, func(s source) bool { return s.cfg.ID == sid }) {
				continue
			}
			best := yamlschema.Closest(sid, unmapped)
			if best == "" || p.source(best).has(v.Column(best)) {
				continue
			}
			errs = append(errs, fmt.Errorf("codebook variable %s maps a column for source %q, which socap.yaml does not list (did you mean %q?)", v.Name, sid, best))
		}
	}
	return errors.Join(errs...)
}

// source is the configured source with the id.
func (p *plan) source(id string) source {
	i := slices.IndexFunc(p.sources, func(s source) bool { return s.cfg.ID == id })
	return p.sources[i]
}

// fileColumns lists the raw table's columns that came from the file.
func fileColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT column_name FROM duckdb_columns()
		WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		if !slices.Contains(provenance, c) {
			cols = append(cols, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("raw table %s does not exist or has no columns", table)
	}
	return cols, nil
}

// declaredMissing reads the user-missing codes a source file declares (ingest
// records SPSS declarations in variables.missing), by column.
func declaredMissing(ctx context.Context, tx *sql.Tx, sourceID string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, missing FROM variables WHERE source_id = ? AND missing <> ''`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("declared missing codes: %w", err)
	}
	type decl struct{ column, spec string }
	decls, err := scanAll(rows, func(r *sql.Rows, d *decl) error { return r.Scan(&d.column, &d.spec) })
	if err != nil {
		return nil, fmt.Errorf("declared missing codes: %w", err)
	}
	m := make(map[string]string, len(decls))
	for _, d := range decls {
		m[d.column] = d.spec
	}
	return m, nil
}

// checkColumns reports each column the codebook requires that the source
// lacks, naming the file's columns and the closest one.
func (p *plan) checkColumns(src source) []error {
	var errs []error
	for _, v := range p.cb.Variables {
		col := v.Column(src.cfg.ID)
		if !v.IsRequired() || slices.Contains(src.columns, col) {
			continue
		}
		msg := fmt.Sprintf("codebook variable %s needs column %q, which the file lacks", v.Name, col)
		if best := closestColumn(col, src.columns); best != "" {
			msg += fmt.Sprintf(" (closest: %q)", best)
		}
		msg += "; the file has columns: " + strings.Join(src.columns, ", ")
		errs = append(errs, &dataerr.DataError{File: src.cfg.Path, Err: errors.New(msg)})
	}
	return errs
}

// closestColumn is the file column most like want: the nearest by edit
// distance when that is a plausible typo, else the only column that
// contains want or is contained in it, ignoring case ("kommune" and
// "Kommune_nr"); "" when there is none.
func closestColumn(want string, columns []string) string {
	if best := yamlschema.Closest(want, columns); best != "" {
		return best
	}
	var found []string
	w := strings.ToLower(want)
	for _, c := range columns {
		if lc := strings.ToLower(c); strings.Contains(lc, w) || strings.Contains(w, lc) {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
