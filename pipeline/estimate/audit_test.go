package estimate_test

import (
	"context"
	"testing"

	"socap/pipeline"
	"socap/pipeline/estimate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/score"
)

// TestAttackerOnExample runs the pipeline on the built-in example and attacks
// its published estimates: no sensitive cell's sum of weights or weighted total
// may be narrowed to within the protection level.
func TestAttackerOnExample(t *testing.T) {
	ctx := context.Background()
	env := exampletest.Env(t)
	est := &estimate.Stage{}
	if err := pipeline.Run(ctx, env, &score.Stage{}, est); err != nil {
		t.Fatal(err)
	}
	exposures, err := est.Audit()
	if err != nil {
		t.Fatal(err)
	}
	if len(exposures) == 0 {
		t.Fatal("no sensitive cell in the example: the attack tests nothing")
	}
	bad := 0
	for _, e := range exposures {
		if !e.Protected {
			bad++
			if bad <= 5 {
				t.Errorf("%s: sum of weights %v in [%v, %v], total %v in [%v, %v], published %v, err %v", e.Label,
					e.SumWeights, e.SumWeightsLow, e.SumWeightsHigh, e.Total, e.TotalLow, e.TotalHigh, e.Published, e.Err)
			}
		}
	}
	t.Logf("%d sensitive cells attacked, %d not protected", len(exposures), bad)
}
