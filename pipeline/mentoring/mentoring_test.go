package mentoring

import (
	"context"
	"math"
	"strings"
	"testing"

	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
)

// TestStage on the example survey: per wave two shares and an AME; each
// share equals the weighted share Σw·y/Σw computed here from the
// respondents; CIs hold their estimates; the AME is a difference of
// probabilities; the table has the rows, and a second run writes the same.
func TestStage(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	st := &Stage{}
	if err := pipeline.Run(ctx, env, &score.Stage{}, st); err != nil {
		t.Fatal(err)
	}
	waves, err := design.Load(ctx, env, append(columns, "weight"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(st.Rows()); got != 3*len(waves) {
		t.Fatalf("%d rows, want 3 per wave (%d waves)", got, len(waves))
	}
	for k, w := range waves {
		wt, _ := w.Frame.Float("weight")
		var sw, swy [2]float64
		col := map[string][]float64{}
		for _, c := range columns {
			col[c], _ = w.Frame.Float(c)
		}
		for i := range wt {
			m, y := col["mentor"][i], col["job_match"][i]
			if col["background"][i] == immigrant && col["employed"][i] == 1 && (m == 0 || m == 1) && !math.IsNaN(y) {
				sw[int(m)] += wt[i]
				swy[int(m)] += wt[i] * y
			}
		}
		rows := st.Rows()[3*k : 3*k+3]
		for m := range 2 {
			r := rows[m]
			if r.Kind != "share" || r.Mentor != m || r.Wave != w.Wave {
				t.Fatalf("row %+v", r)
			}
			if want := swy[m] / sw[m]; math.Abs(r.Estimate-want) > 1e-12 {
				t.Errorf("wave %d mentor %d: share %v, want %v", w.Wave, m, r.Estimate, want)
			}
			if !(r.CILow <= r.Estimate && r.Estimate <= r.CIHigh && r.SE > 0) {
				t.Errorf("wave %d mentor %d: %+v", w.Wave, m, r)
			}
		}
		a := rows[2]
		if a.Kind != "ame" || !(a.Estimate > -1 && a.Estimate < 1 && a.SE > 0 && a.CILow <= a.Estimate && a.Estimate <= a.CIHigh) || a.N == 0 || a.N > rows[0].N+rows[1].N {
			t.Errorf("wave %d AME: %+v", w.Wave, a)
		}
		t.Logf("wave %d: no mentor %.3f (n %d), mentor %.3f (n %d), AME %.3f [%.3f, %.3f] (n %d) %s",
			w.Wave, rows[0].Estimate, rows[0].N, rows[1].Estimate, rows[1].N, a.Estimate, a.CILow, a.CIHigh, a.N, a.Mark.Status)
	}
	var n int
	if err := env.Store.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+Table+" WHERE estimate IS NOT NULL OR status <> 'published'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(st.Rows()) {
		t.Errorf("table has %d rows, want %d", n, len(st.Rows()))
	}
	first := append([]Row(nil), st.Rows()...)
	if err := pipeline.Run(ctx, env, st); err != nil {
		t.Fatal(err)
	}
	for i, r := range st.Rows() {
		if r != first[i] {
			t.Errorf("rerun row %d: %+v, was %+v", i, r, first[i])
		}
	}
}

// TestStageWithoutMentorQuestion: a codebook without the mentor question
// (as the builtin ess one) gets an empty mentor_effects table and a log line
// naming the missing variable, not an error that stops socap run.
func TestStageWithoutMentorQuestion(t *testing.T) {
	env := exampletest.Env(t)
	ctx := context.Background()
	if err := pipeline.Run(ctx, env, &score.Stage{}); err != nil {
		t.Fatal(err)
	}
	cb := *env.Codebook
	cb.Variables = nil
	for _, v := range env.Codebook.Variables {
		if v.Name != "mentor" {
			cb.Variables = append(cb.Variables, v)
		}
	}
	env.Codebook = &cb
	var log strings.Builder
	env.Log = &log
	st := &Stage{}
	if err := st.Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	if len(st.Rows()) != 0 {
		t.Errorf("%d rows, want none", len(st.Rows()))
	}
	var n int
	if err := env.Store.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+Table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("table has %d rows, want 0", n)
	}
	if !strings.Contains(log.String(), "no variable mentor") {
		t.Errorf("log %q does not name the missing variable", log.String())
	}
}
