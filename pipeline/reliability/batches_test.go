package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"socap/pipeline"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
)

// TestBatchedEqualsMemory runs the stage on the built-in example in memory and
// with the duckdb producer, reading 700 respondents at a time (every wave in
// several batches, the last short): both tables are the same, row for row and
// to the last bit, and the duckdb run reads no respondents into memory.
func TestBatchedEqualsMemory(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	if err := pipeline.Run(ctx, env, &score.Stage{}); err != nil {
		t.Fatal(err)
	}
	run := func(producer string) []string {
		env.Producer = producer
		env.Shared.Clear()
		st := &Stage{}
		if err := st.Run(ctx, env); err != nil {
			t.Fatalf("producer %q: %v", producer, err)
		}
		if in, out := st.RowCounts(); in < 5000 || out < 100 {
			t.Fatalf("producer %q: read %d respondents, wrote %d rows", producer, in, out)
		}
		if _, loaded := env.Shared.Get("design.Load"); loaded != (producer == "") {
			t.Errorf("producer %q: respondents read into memory: %v", producer, loaded)
		}
		return tableText(t, env.Store.DB(), Table, InvarianceTable)
	}
	defer func(n int) { batchRows = n }(batchRows)
	batchRows = 700
	memory := run("")
	batched := run("duckdb")
	if len(memory) != len(batched) {
		t.Fatalf("memory %d rows, batched %d", len(memory), len(batched))
	}
	for i := range memory {
		if memory[i] != batched[i] {
			t.Errorf("row %d:\nmemory  %s\nbatched %s", i, memory[i], batched[i])
			break
		}
	}
	if !strings.Contains(strings.Join(memory, "\n"), "published") {
		t.Error("no published row: the comparison checks nothing")
	}
}

// tableText is every row of the tables, each column as text, in table order.
func tableText(t *testing.T, db *sql.DB, tables ...string) []string {
	t.Helper()
	var out []string
	for _, table := range tables {
		rows, err := db.Query(`SELECT CAST(COLUMNS(* EXCLUDE (run_id)) AS VARCHAR) FROM ` + table + ` ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
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
			out = append(out, table+fmt.Sprint(vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}
