package harmonize

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"socap/pipeline"
)

// wideSurvey builds a raw table of rows records and vars columns in the
// shape of a survey file drafted by socap init --from (ESS and the like):
// an id, a weight, then categorical, ordinal, continuous, binary and
// short categorical variables in turn, with labelled codes and missing
// codes. About one cell in 500 is bad.
func wideSurvey(tb testing.TB, vars, rows int) *pipeline.Env {
	tb.Helper()
	s := openStore(tb)
	var cb strings.Builder
	cb.WriteString("name: wide\nvariables:\n  - {name: id, type: id}\n  - {name: w, type: weight}\n")
	cols := []string{"CAST(i AS VARCHAR) AS id", "CAST(0.5 + (i % 7) * 0.25 AS VARCHAR) AS w"}
	labels := func(lo, hi int) string {
		var vs []string
		for c := lo; c <= hi; c++ {
			vs = append(vs, fmt.Sprintf("{code: %d, en: l%d}", c, c))
		}
		return "[" + strings.Join(vs, ", ") + "]"
	}
	for k := range vars - 2 {
		name := fmt.Sprintf("v%03d", k)
		var yaml, expr string
		bad := fmt.Sprintf("WHEN (i + %d) %% 499 = 0 THEN '%s' WHEN (i + %d) %% 31 = 0 THEN", k, []string{"12", "x", "y", "3", "0"}[k%5], k)
		switch k % 5 {
		case 0:
			yaml = fmt.Sprintf("type: categorical, values: %s, missing: [77, 88]", labels(1, 11))
			expr = fmt.Sprintf("CASE %s '88' ELSE CAST(1 + (i * %d) %% 11 AS VARCHAR) END", bad, k+3)
		case 1:
			yaml = fmt.Sprintf("type: ordinal, values: %s, missing: [77, 88, 99]", labels(0, 10))
			expr = fmt.Sprintf("CASE %s '99' ELSE CAST((i * %d) %% 11 AS VARCHAR) END", bad, k+5)
		case 2:
			yaml = "type: continuous, missing: [7777, 8888, 9999]"
			expr = fmt.Sprintf("CASE %s '8888' ELSE CAST((i * %d) %% 600 AS VARCHAR) END", bad, k+1)
		case 3:
			yaml = fmt.Sprintf("type: binary, values: %s, missing: [7, 8, 9]", labels(1, 2))
			expr = fmt.Sprintf("CASE %s '9' ELSE CAST(1 + (i + %d) %% 2 AS VARCHAR) END", bad, k)
		case 4:
			yaml = fmt.Sprintf("type: categorical, values: %s, missing: [6, 7, 8, 9]", labels(1, 5))
			expr = fmt.Sprintf("CASE %s '8' ELSE CAST(1 + (i * %d) %% 5 AS VARCHAR) END", bad, k+2)
		}
		fmt.Fprintf(&cb, "  - {name: %s, %s}\n", name, yaml)
		cols = append(cols, expr+" AS "+name)
	}
	return syntheticSource(tb, s, "wide", "sav", ".", rows, cols, "NULL::VARCHAR", cb.String())
}

// TestWideCodebook harmonises 400 variables: every row is accounted for,
// and no statement is planned with a join per variable (the DELETE of
// duplicates has its one EXISTS). DuckDB plans an IN
// list of five or more constants as a mark join; hundreds of them stacked
// under the wide projection made harmonize take minutes and run out of
// memory on a real survey file.
func TestWideCodebook(t *testing.T) {
	const vars, rows = 400, 2000
	e := wideSurvey(t, vars, rows)
	ctx := context.Background()
	start := time.Now()
	st := new(Stage)
	if err := st.Run(ctx, e); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d variables × %d rows in %v", vars, rows, time.Since(start))
	counts, err := Accounting(ctx, e.Store)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts[0].Raw != rows || counts[0].Respondents != rows || counts[0].RejectedCells == 0 {
		t.Errorf("accounting = %+v, want %d rows kept and some cells rejected", counts, rows)
	}
	err = e.Store.WithTx(ctx, func(tx *sql.Tx) error {
		p, err := newPlan(ctx, tx, e.Config, e.Codebook)
		if err != nil {
			return err
		}
		return p.execute(ctx, tx, func(q string) error {
			if strings.Contains(q, "SELECT") {
				rows, err := tx.QueryContext(ctx, "EXPLAIN "+q)
				if err != nil {
					return err
				}
				plan, err := scanAll(rows, func(r *sql.Rows, s *string) error {
					var kind string
					return r.Scan(&kind, s)
				})
				if err != nil {
					return err
				}
				if n := strings.Count(strings.Join(plan, "\n"), "MARK"); n > 1 {
					t.Errorf("%d mark joins in the plan of %.80s…", n, q)
				}
			}
			_, err := tx.ExecContext(ctx, q)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkHarmonizeWide harmonises 400 variables × 5,000 rows, the shape
// of a survey file such as ESS: its cost must grow with variables × rows,
// not faster.
func BenchmarkHarmonizeWide(b *testing.B) {
	const vars, rows = 400, 5000
	e := wideSurvey(b, vars, rows)
	st := new(Stage)
	cpu := cpuSeconds(b)
	for b.Loop() {
		if err := st.Run(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cpuSeconds(b) - cpu
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}
