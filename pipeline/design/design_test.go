package design_test

import (
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/example/exampletest"
)

// TestLoadExample checks the waves Load reads against the store and the
// design stage's record of them.
func TestLoadExample(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	st := &design.Stage{}
	if err := pipeline.Run(ctx, env, st); err != nil {
		t.Fatal(err)
	}
	waves, err := design.Load(ctx, env, []string{"qol"}, []string{"municipality"})
	if err != nil {
		t.Fatal(err)
	}
	if len(waves) != 2 || waves[0].Wave != 1 || waves[1].Wave != 2 {
		t.Fatalf("waves %+v", waves)
	}
	for _, w := range waves {
		var n, strata, psus int
		var sumW, sumQol float64
		err := env.Store.DB().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT stratum), count(DISTINCT (stratum, psu)), sum(weight), sum(qol)
			FROM respondents WHERE wave = ?`, w.Wave).Scan(&n, &strata, &psus, &sumW, &sumQol)
		if err != nil {
			t.Fatal(err)
		}
		sum := w.Design.Summary()
		if sum.Rows != n || sum.NumStrata != strata || sum.NumPSU != psus || sum.LonelyPSU != string(survey.LonelyAdjust) || !sum.Nest {
			t.Errorf("wave %d: summary %+v, want %d rows, %d strata, %d PSUs", w.Wave, sum, n, strata, psus)
		}
		q, _ := w.Frame.Float("qol")
		got := 0.0
		for _, x := range q {
			if !math.IsNaN(x) {
				got += x
			}
		}
		if math.Abs(got-sumQol) > 1e-9*sumQol {
			t.Errorf("wave %d: qol sums to %g, store %g", w.Wave, got, sumQol)
		}
		var rec struct {
			rows   int
			sumW   float64
			lonely string
		}
		err = env.Store.DB().QueryRowContext(ctx, `SELECT "rows", sum_weights, lonely_psu FROM designs WHERE wave = ? AND run_id = ?`, w.Wave, env.RunID).
			Scan(&rec.rows, &rec.sumW, &rec.lonely)
		if err != nil {
			t.Fatal(err)
		}
		if rec.rows != n || math.Abs(rec.sumW-sumW) > 1e-9*sumW || rec.lonely != "adjust" {
			t.Errorf("wave %d: designs row %+v, want %d rows, sum of weights %g", w.Wave, rec, n, sumW)
		}
	}
}

// TestLoadCalibrated rakes each wave to the example's population margins
// of municipality and age group (never missing): afterwards every margin's
// weighted count is its population total. Gender has missing answers, which
// calibration refuses, naming the wave, column and row.
func TestLoadCalibrated(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	all, err := os.ReadFile(env.Config.Resolve("data/margins.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(strings.TrimSpace(string(all)), "\n") {
		if v, _, _ := strings.Cut(line, ","); v == "variable" || v == "municipality" || v == "age_group" {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(env.Config.Resolve("data/margins_area_age.csv"), []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Config.Design.Calibrate = &pipeline.Calibrate{Margins: "data/margins.csv", Method: "rake"}
	if _, err := design.Load(ctx, env, nil, nil); err == nil || !strings.Contains(err.Error(), `wave 1: calibrate to data/margins.csv`) || !strings.Contains(err.Error(), `column "gender"`) {
		t.Errorf("calibrating on gender with missing answers: error %v", err)
	}
	env.Config.Design.Calibrate.Margins = "data/margins_area_age.csv"
	waves, err := design.Load(ctx, env, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	margins, err := design.ReadMargins(env.Config.Resolve("data/margins_area_age.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range waves {
		if w.Calibration == nil || w.Calibration.Method != survey.Rake {
			t.Fatalf("wave %d not raked: %+v", w.Wave, w.Calibration)
		}
		wt := w.Design.Weights()
		for _, m := range margins.ForWave(w.Wave) {
			codes, err := w.Frame.Strings(m.Variable)
			if err != nil {
				t.Fatal(err)
			}
			got := 0.0
			for i, c := range codes {
				if c == m.Level {
					got += wt[i]
				}
			}
			if math.Abs(got-m.Total) > 1e-6*m.Total {
				t.Errorf("wave %d: %s = %s weighs %g, margin %g", w.Wave, m.Variable, m.Level, got, m.Total)
			}
		}
	}
}

// TestLoadRefuses names the wave and variable of a design error.
func TestLoadRefuses(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	env.Config.Design.Weight = "vekt"
	_, err := design.Load(ctx, env, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "vekt") {
		t.Errorf("unknown weight: error %v", err)
	}
	env.Config.Design.Weight = ""
	env.Config.Design.LonelyPSU = "fail"
	env.Config.Design.PSU = []string{"municipality"}
	_, err = design.Load(ctx, env, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "wave "+strconv.Itoa(1)) {
		t.Errorf("lonely PSU under fail: error %v, want the wave named", err)
	}
}

// TestLoadShares: within a run, a second Load asking for columns already read
// returns the same waves; one asking for more reads the union; a column
// wanted as text and as a number is read as asked; Clear forgets.
func TestLoadShares(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	first, err := design.Load(ctx, env, []string{"qol"}, []string{"municipality"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := design.Load(ctx, env, []string{"qol"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Frame != first[0].Frame {
		t.Error("a Load of columns already read read them again")
	}
	more, err := design.Load(ctx, env, []string{"age"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if more[0].Frame == first[0].Frame || !more[0].Frame.Has("qol") || !more[0].Frame.Has("age") || !more[0].Frame.Has("municipality") {
		t.Errorf("a Load of a new column: frame %v, want the union", more[0].Frame.Names())
	}
	asNumber, err := design.Load(ctx, env, []string{"municipality"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !asNumber[0].Frame.IsNumeric("municipality") {
		t.Error("municipality asked as a number is not numeric")
	}
	env.Shared.Clear()
	fresh, err := design.Load(ctx, env, []string{"municipality"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh[0].Frame == asNumber[0].Frame {
		t.Error("Load after Clear returned the old waves")
	}
}
