package harmonize

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"socap/pipeline/store"
)

// Count accounts for the rows of one source: every raw row is either a
// respondent or a row-level reject. RejectedCells counts cells set to NULL
// in kept rows.
type Count struct {
	Source        string `json:"source"`
	Raw           int64  `json:"raw"`
	Respondents   int64  `json:"respondents"`
	RejectedRows  int64  `json:"rejected_rows"`
	RejectedCells int64  `json:"rejected_cells"`
}

// Balanced reports whether raw rows = respondent rows + rejected rows.
func (c Count) Balanced() bool { return c.Raw == c.Respondents+c.RejectedRows }

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Accounting counts, for every source of the last harmonize run (in
// socap.yaml order), its raw rows, respondents, rejected rows and rejected
// cells. Sources ingested earlier but no longer in socap.yaml are left out.
// It fails when harmonize has not run.
func Accounting(ctx context.Context, s *store.Store) ([]Count, error) {
	return accounting(ctx, s.DB())
}

// harmonized is the table listing the sources of the last harmonize run.
const harmonized = "harmonized_sources"

// accounting is Accounting through q: the store, or the stage's transaction
// before it commits.
func accounting(ctx context.Context, q queryer) ([]Count, error) {
	rows, err := q.QueryContext(ctx, `SELECT EXISTS (SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?)`, harmonized)
	if err != nil {
		return nil, fmt.Errorf("accounting: %w", err)
	}
	ran, err := scanAll(rows, func(r *sql.Rows, b *bool) error { return r.Scan(b) })
	if err != nil {
		return nil, fmt.Errorf("accounting: %w", err)
	}
	if !ran[0] {
		return nil, errors.New("accounting: harmonize has not run yet")
	}
	if rows, err = q.QueryContext(ctx, `SELECT h.source_id, s.raw_table FROM `+harmonized+` h
		JOIN sources s USING (source_id) ORDER BY h.position`); err != nil {
		return nil, fmt.Errorf("accounting: %w", err)
	}
	type entry struct{ id, table string }
	entries, err := scanAll(rows, func(r *sql.Rows, e *entry) error { return r.Scan(&e.id, &e.table) })
	if err != nil {
		return nil, fmt.Errorf("accounting: %w", err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	raw := make([]string, len(entries))
	for k, e := range entries {
		raw[k] = fmt.Sprintf("SELECT %s AS source_id, %d AS ord, count(*) AS n FROM %s", lit(e.id), k, store.QuoteIdent(e.table))
	}
	query := `WITH raw AS (` + strings.Join(raw, " UNION ALL ") + `),
		kept AS (SELECT source_id, count(*) AS n FROM respondents GROUP BY source_id),
		rej AS (SELECT source_id, count(*) FILTER (level = 'row') AS r, count(*) FILTER (level = 'cell') AS c FROM rejects GROUP BY source_id)
		SELECT raw.source_id, raw.n, coalesce(kept.n, 0), coalesce(rej.r, 0), coalesce(rej.c, 0)
		FROM raw LEFT JOIN kept USING (source_id) LEFT JOIN rej USING (source_id) ORDER BY raw.ord`
	if rows, err = q.QueryContext(ctx, query); err != nil {
		return nil, fmt.Errorf("accounting: %w", err)
	}
	counts, err := scanAll(rows, func(r *sql.Rows, c *Count) error {
		return r.Scan(&c.Source, &c.Raw, &c.Respondents, &c.RejectedRows, &c.RejectedCells)
	})
	if err != nil {
		return nil, fmt.Errorf("accounting: %w", err)
	}
	return counts, nil
}

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(*sql.Rows, *T) error) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
