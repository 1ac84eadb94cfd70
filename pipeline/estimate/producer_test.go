package estimate_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"socap/pipeline"
	"socap/pipeline/estimate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
)

// TestProducersAgree runs the estimate stage on the built-in example with
// the memory producer and with the duckdb producer and requires every row
// of the estimates table to be the same: numbers within 1e-12 relative,
// text (group values, n shown, flags, disclosure status and reason) and
// NULLs equal. Designs: the example's (strata, PSUs, weights), with a finite
// population correction, and replicate weights (JK1 over five groups of
// PSUs, added to the respondents). A replicate variance sums the squares of
// differences of nearly equal estimates, θ_r − θ, which magnify the last
// digits in which the producers' sums differ (DuckDB's Kahan sums, Go's in
// row order) by about |θ|/SE, here a few hundred: that design is held to
// 1e-10.
func TestProducersAgree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tol    float64
		design func(t *testing.T, env *pipeline.Env)
	}{
		{"strata and PSUs", 1e-12, func(*testing.T, *pipeline.Env) {}},
		{"fpc", 1e-12, func(_ *testing.T, env *pipeline.Env) { env.Config.Design.FPC = []string{"fpc"} }},
		{"replicate weights", 1e-10, func(t *testing.T, env *pipeline.Env) {
			for g := range 5 {
				q := fmt.Sprintf(`ALTER TABLE respondents ADD COLUMN rep_%d DOUBLE;
					UPDATE respondents SET rep_%[1]d = CASE WHEN hash(stratum, psu) %% 5 = %[1]d THEN 0 ELSE weight * 1.25 END`, g)
				if _, err := env.Store.DB().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			d := &env.Config.Design
			d.Strata, d.PSU, d.Replicates = "", nil, &pipeline.Replicates{Columns: "^rep_", Type: "JK1"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := exampletest.Env(t)
			tc.design(t, env)
			if err := pipeline.Run(ctx, env, &score.Stage{}); err != nil {
				t.Fatal(err)
			}
			cols, memory := estimates(t, env, "memory")
			if strings.Contains(logOf(env), "in memory") {
				t.Fatalf("the memory run says it fell back:\n%s", logOf(env))
			}
			_, duck := estimates(t, env, "duckdb")
			if strings.Contains(logOf(env), "made in memory") {
				t.Fatalf("the duckdb run fell back to memory:\n%s", logOf(env))
			}
			if _, ok := env.Shared.Get("design.Load"); ok {
				t.Fatal("the duckdb run read the respondents into memory (design.Load)")
			}
			var left string
			err := env.Store.DB().QueryRowContext(ctx, `SELECT coalesce(string_agg(table_name, ', '), '') FROM information_schema.tables
				WHERE table_name LIKE '\_design\_rows\_%' ESCAPE '\' OR table_name LIKE '\_sqlsums\_%' ESCAPE '\'`).Scan(&left)
			if err != nil || left != "" {
				t.Errorf("the duckdb run left scratch tables in the store: %q (%v)", left, err)
			}
			compareRows(t, cols, memory, duck, tc.tol)
		})
	}
}

// TestCalibratedFallsBack: a design that calibrates needs the calibrated
// weights, which the duckdb path does not have; the stage says so and
// estimates in memory, with the memory producer's numbers.
func TestCalibratedFallsBack(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	all, err := os.ReadFile(env.Config.Resolve("data/margins.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string // the margins without gender, which some respondents leave unanswered
	for _, line := range strings.Split(strings.TrimSpace(string(all)), "\n") {
		if v, _, _ := strings.Cut(line, ","); v == "variable" || v == "municipality" || v == "age_group" {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(env.Config.Resolve("data/margins_area_age.csv"), []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Config.Design.Calibrate = &pipeline.Calibrate{Margins: "data/margins_area_age.csv", Method: "rake"}
	if err := pipeline.Run(ctx, env, &score.Stage{}); err != nil {
		t.Fatal(err)
	}
	cols, memory := estimates(t, env, "memory")
	_, duck := estimates(t, env, "duckdb")
	if log := logOf(env); !strings.Contains(log, "estimate: producer duckdb: the design calibrates") || !strings.Contains(log, "the estimates are made in memory") {
		t.Fatalf("the log does not say why the duckdb producer was not used:\n%s", log)
	}
	compareRows(t, cols, memory, duck, 1e-12)
}

// logOf is the stages' log so far, and empties it.
func logOf(env *pipeline.Env) string {
	b := env.Log.(*strings.Builder)
	s := b.String()
	b.Reset()
	return s
}

// estimates runs the estimate stage with producer and reads the estimates
// table in a fixed order: its columns but run_id, and every value as text
// (numbers at full precision).
func estimates(t *testing.T, env *pipeline.Env, producer string) ([]string, [][]sql.NullString) {
	t.Helper()
	ctx := context.Background()
	env.Producer = producer
	if err := pipeline.Run(ctx, env, &estimate.Stage{}); err != nil {
		t.Fatalf("producer %s: %v", producer, err)
	}
	rows, err := env.Store.DB().QueryContext(ctx, `SELECT * EXCLUDE (run_id) FROM estimates ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]sql.NullString
	for rows.Next() {
		vals := make([]any, len(cols))
		for k := range vals {
			vals[k] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		row := make([]sql.NullString, len(cols))
		for k, v := range vals {
			switch x := (*v.(*any)).(type) {
			case nil:
			case float64:
				row[k] = sql.NullString{String: fmt.Sprintf("%.17g", x), Valid: true}
			default:
				row[k] = sql.NullString{String: fmt.Sprint(x), Valid: true}
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("producer %s: no estimates", producer)
	}
	return cols, out
}

// compareRows requires want and got to hold the same rows: values that read
// as numbers within tol relative, others equal. It logs the largest relative
// difference.
func compareRows(t *testing.T, cols []string, want, got [][]sql.NullString, tol float64) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d estimates in memory, %d with duckdb", len(want), len(got))
	}
	bad, worst := 0, 0.0
	for i := range want {
		for k := range want[i] {
			d, ok := difference(want[i][k], got[i][k])
			worst = math.Max(worst, d)
			if ok && d <= tol {
				continue
			}
			if bad++; bad <= 10 {
				t.Errorf("row %d, %s: memory %v, duckdb %v\n  memory row %v", i, cols[k], want[i][k], got[i][k], want[i])
			}
		}
	}
	t.Logf("%d rows; largest relative difference %.3g", len(want), worst)
}

// difference is the relative difference of two values that read as numbers
// (0 for equal values); ok is false when they differ otherwise.
func difference(a, b sql.NullString) (d float64, ok bool) {
	if a == b {
		return 0, true
	}
	if a.Valid != b.Valid {
		return 0, false
	}
	var x, y float64
	if _, err := fmt.Sscan(a.String, &x); err != nil {
		return 0, false
	}
	if _, err := fmt.Sscan(b.String, &y); err != nil {
		return 0, false
	}
	return math.Abs(x-y) / math.Max(math.Abs(x), math.Abs(y)), true
}
