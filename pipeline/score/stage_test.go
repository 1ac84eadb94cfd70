package score

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"socap/indicators"
	"socap/indicators/core"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/store"
)

func count(t *testing.T, db *sql.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// snapshot is the whole scores table as text, sorted, with its column list.
func snapshot(t *testing.T, db *sql.DB) []string {
	t.Helper()
	out := []string{fmt.Sprint(columnsOf(t, db))}
	rows, err := db.Query(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM scores ORDER BY wave, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func columnsOf(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT column_name || ' ' || data_type FROM duckdb_columns() WHERE table_name = 'scores' ORDER BY column_index`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestScoresOfExample(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	db := env.Store.DB()
	st := new(Stage)
	if err := st.Run(ctx, env); err != nil {
		t.Fatal(err)
	}

	// Columns: the keys, then every output column of every module.
	want := []string{"wave INTEGER", "id VARCHAR",
		"structural DOUBLE", "relational DOUBLE", "cognitive DOUBLE",
		"participation_children DOUBLE", "participation_children_num DOUBLE", "participation_children_den DOUBLE",
		"participation_youth DOUBLE", "participation_adults DOUBLE",
		"employment DOUBLE", "jobmatch DOUBLE", "qol DOUBLE"}
	if got := columnsOf(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("scores columns = %v\nwant %v", got, want)
	}

	// One row per respondent and wave, each joining back to respondents.
	n := count(t, db, `SELECT count(*) FROM respondents`)
	if got := count(t, db, `SELECT count(*) FROM scores`); got != n || n < 5000 {
		t.Errorf("scores has %d rows, respondents %d", got, n)
	}
	if got := count(t, db, `SELECT count(*) FROM scores JOIN respondents USING (wave, id)`); got != n {
		t.Errorf("%d scores rows join respondents on (wave, id), want %d", got, n)
	}
	if in, out := st.RowCounts(); in != n || out != n {
		t.Errorf("RowCounts = %d, %d; want %d", in, out, n)
	}

	// NULL outside the population, present inside it.
	tests := []struct {
		name, query string
		zero        bool
	}{
		{"employment outside 20–66", `SELECT count(*) FROM scores JOIN respondents r USING (wave, id) WHERE (r.age > 66 OR r.age < 20) AND scores.employment IS NOT NULL`, true},
		{"employment inside 20–66", `SELECT count(*) FROM scores JOIN respondents r USING (wave, id) WHERE r.age BETWEEN 20 AND 66 AND scores.employment IS NOT NULL`, false},
		{"respondents over 66", `SELECT count(*) FROM respondents WHERE age > 66`, false},
		{"jobmatch of the not employed", `SELECT count(*) FROM scores JOIN respondents r USING (wave, id) WHERE r.employed IS DISTINCT FROM 1 AND scores.jobmatch IS NOT NULL`, true},
		{"youth participation outside 16–25", `SELECT count(*) FROM scores JOIN respondents r USING (wave, id) WHERE r.age > 25 AND scores.participation_youth IS NOT NULL`, true},
		{"employment differs from employed", `SELECT count(*) FROM scores JOIN respondents r USING (wave, id) WHERE r.age BETWEEN 20 AND 66 AND scores.employment IS DISTINCT FROM r.employed`, true},
		{"qol differs from respondents", `SELECT count(*) FROM scores JOIN respondents r USING (wave, id) WHERE scores.qol IS DISTINCT FROM r.qol`, true},
		{"structural scores", `SELECT count(*) FROM scores WHERE structural BETWEEN 0 AND 100`, false},
		{"structural outside 0–100", `SELECT count(*) FROM scores WHERE structural < 0 OR structural > 100`, true},
	}
	for _, tt := range tests {
		if got := count(t, db, tt.query); (got == 0) != tt.zero {
			t.Errorf("%s: %d rows", tt.name, got)
		}
	}

	// A few respondents recomputed by the modules from their own row of
	// respondents equal what the table stores.
	inds, _, err := Build(env.Codebook, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range sampleKeys(t, db) {
		for _, ind := range inds {
			cols := map[string][]float64{}
			for _, in := range ind.Inputs() {
				cols[in] = []float64{value(t, db, "respondents", in, key)}
			}
			got, err := ind.Compute(cols)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range ind.Outputs() {
				for _, c := range o.Columns() {
					stored := value(t, db, "scores", c, key)
					if w := got[c][0]; !(w == stored || math.IsNaN(w) && math.IsNaN(stored)) {
						t.Errorf("wave %d id %s: %s = %v stored, %v recomputed", key.wave, key.id, c, stored, w)
					}
				}
			}
		}
	}

	// The employment score by hand for a respondent of working age.
	var id string
	var wave int
	var employed float64
	if err := db.QueryRow(`SELECT wave, id, employed FROM respondents WHERE age BETWEEN 20 AND 66 AND employed IS NOT NULL ORDER BY wave, id LIMIT 1`).Scan(&wave, &id, &employed); err != nil {
		t.Fatal(err)
	}
	if got := value(t, db, "scores", "employment", key{wave, id}); got != employed {
		t.Errorf("employment of %d/%s = %v, want %v", wave, id, got, employed)
	}

	if log := env.Log.(*strings.Builder).String(); !strings.Contains(log, fmt.Sprintf("score: %d respondents, 11 indicator columns from 7 modules\n", n)) || strings.Contains(log, "skipped") {
		t.Errorf("log = %q", log)
	}
}

type key struct {
	wave int
	id   string
}

// sampleKeys are a few respondents: the first of each wave, and some with
// many NULLs or children.
func sampleKeys(t *testing.T, db *sql.DB) []key {
	t.Helper()
	rows, err := db.Query(`(SELECT wave, id FROM respondents ORDER BY wave, id LIMIT 3)
		UNION ALL (SELECT wave, id FROM respondents WHERE wave = 2 ORDER BY id DESC LIMIT 3)
		UNION ALL (SELECT wave, id FROM respondents WHERE children > 0 AND children_activity IS NOT NULL ORDER BY wave, id LIMIT 3)
		UNION ALL (SELECT wave, id FROM respondents WHERE age > 66 ORDER BY wave, id LIMIT 2)
		UNION ALL (SELECT wave, id FROM respondents WHERE trust_people IS NULL OR meet_friends IS NULL ORDER BY wave, id LIMIT 3)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.wave, &k.id); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) < 10 {
		t.Fatalf("only %d sample respondents", len(keys))
	}
	return keys
}

// value is column of table for the respondent k; NaN for NULL.
func value(t *testing.T, db *sql.DB, table, column string, k key) float64 {
	t.Helper()
	var v sql.NullFloat64
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE wave = ? AND id = ?`, store.QuoteIdent(column), table)
	if err := db.QueryRow(q, k.wave, k.id).Scan(&v); err != nil {
		t.Fatalf("%s %v: %v", q, k, err)
	}
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

// TestRerunGivesSameTable runs the stage twice (once through the runner,
// which records it in runs): the tables are identical, not appended to.
func TestRerunGivesSameTable(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	db := env.Store.DB()
	if err := pipeline.Run(ctx, env, new(Stage)); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, db)
	if err := new(Stage).Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	second := snapshot(t, db)
	if len(first) != len(second) || len(first) < 5000 {
		t.Fatalf("scores rows: %d then %d", len(first), len(second))
	}
	if !reflect.DeepEqual(first, second) {
		for i := range first {
			if first[i] != second[i] {
				t.Fatalf("row %d differs: %s, then %s", i, first[i], second[i])
			}
		}
	}
	if got := count(t, db, `SELECT count(*) FROM runs WHERE stage = 'score' AND status = 'ok' AND rows_out = (SELECT count(*) FROM respondents)`); got != 1 {
		t.Errorf("runs has %d ok score runs with rows_out = respondents", got)
	}
}

// TestUnavailableModuleSkipped: a module whose constructor reports
// ErrUnavailable adds no columns and is named on the log.
func TestUnavailableModuleSkipped(t *testing.T) {
	env := exampletest.Env(t)
	none := indicators.Module{Name: "none", New: func(cb *codebook.Codebook, _ indicators.Options) (indicators.Indicator, error) {
		return nil, fmt.Errorf("none: %w: codebook %s has no such item", core.ErrUnavailable, cb.Name)
	}}
	qol, _ := indicators.Lookup("qol")
	st := &Stage{Modules: []indicators.Module{none, qol}}
	if err := st.Run(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if got := columnsOf(t, env.Store.DB()); !reflect.DeepEqual(got, []string{"wave INTEGER", "id VARCHAR", "qol DOUBLE"}) {
		t.Errorf("columns = %v", got)
	}
	if got := st.Skipped(); !reflect.DeepEqual(got, []string{"none"}) {
		t.Errorf("Skipped = %v", got)
	}
	if log := env.Log.(*strings.Builder).String(); !strings.Contains(log, "score: skipped module none: none: not available with this codebook: codebook ilag has no such item\n") {
		t.Errorf("log = %q", log)
	}
}

// TestBatchesGiveSameTable scores the example 97 respondents at a time
// (the last batch shorter): the table equals the one scored in one batch,
// row for row, and its rows keep respondents' reading order.
func TestBatchesGiveSameTable(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	db := env.Store.DB()
	if err := new(Stage).Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	whole := snapshot(t, db)
	defer func(n int) { batchRows = n }(batchRows)
	batchRows = 97
	if err := new(Stage).Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	if n := len(whole) - 1; n <= batchRows || n%batchRows == 0 {
		t.Fatalf("%d respondents do not test a short last batch of %d", n, batchRows)
	}
	if batched := snapshot(t, db); !reflect.DeepEqual(whole, batched) {
		t.Fatalf("scored in batches: %d rows, differ from the %d scored at once", len(batched), len(whole))
	}
	order := `SELECT count(*) FROM (SELECT s.wave, s.id, row_number() OVER () AS k FROM scores s) s
		JOIN (SELECT wave, id, row_number() OVER (ORDER BY source_id, _row) AS k FROM respondents) r
		ON s.wave = r.wave AND s.id = r.id AND s.k = r.k`
	if got := count(t, db, order); got != int64(len(whole)-1) {
		t.Errorf("%d of %d scores rows in respondents' reading order", got, len(whole)-1)
	}
}
