package design_test

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"testing"

	"socap/pipeline/design"
	"socap/pipeline/example/exampletest"
)

// TestStageInStore runs the design stage on the built-in example in memory and
// with the duckdb producer: the designs tables agree (text and counts equal, the
// sum of the weights and df within 1e-12 relative), and the duckdb run reads no
// respondents into memory.
func TestStageInStore(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	run := func(producer string) [][]sql.NullString {
		env.Producer = producer
		env.Shared.Clear()
		if err := new(design.Stage).Run(ctx, env); err != nil {
			t.Fatalf("producer %q: %v", producer, err)
		}
		if _, loaded := env.Shared.Get("design.Load"); loaded != (producer == "") {
			t.Errorf("producer %q: respondents read into memory: %v", producer, loaded)
		}
		rows, err := env.Store.DB().Query(`SELECT CAST(COLUMNS(* EXCLUDE (run_id)) AS VARCHAR) FROM designs ORDER BY wave`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]sql.NullString
		for rows.Next() {
			v := make([]sql.NullString, len(cols))
			p := make([]any, len(v))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	memory, duck := run(""), run("duckdb")
	if len(memory) != 2 || len(duck) != len(memory) {
		t.Fatalf("memory %d waves, duckdb %d", len(memory), len(duck))
	}
	for w := range memory {
		for c := range memory[w] {
			a, b := memory[w][c], duck[w][c]
			x, errA := strconv.ParseFloat(a.String, 64)
			y, errB := strconv.ParseFloat(b.String, 64)
			same := a == b || (errA == nil && errB == nil && math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)))
			if !same {
				t.Errorf("wave row %d column %d: memory %v, duckdb %v", w, c, a, b)
			}
		}
	}
}
