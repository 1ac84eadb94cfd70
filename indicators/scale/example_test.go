package scale_test

import (
	"fmt"
	"math"

	"socap/indicators/scale"
)

// Scores, alpha and omega (R's psych::alpha and lavaan's cfa give the same) of a three-item trust scale (0–10) for ten respondents;
// the fourth answered one item only, too few for a score.
func Example() {
	nan := math.NaN()
	names := []string{"people", "fair", "help"}
	items := [][]float64{
		{7, 5, 8, 3, 6, 9, 4, 6, 2, 7},
		{8, 4, 7, nan, 6, 9, 5, 6, 3, 6},
		{6, 5, 7, nan, 5, 8, 4, 7, 3, 5},
	}
	spec := scale.ScoreSpec{Name: "trust", Items: []scale.Item{
		{Name: "people", Min: 0, Max: 10}, {Name: "fair", Min: 0, Max: 10}, {Name: "help", Min: 0, Max: 10}}}
	scores, err := scale.Score(items, spec)
	if err != nil {
		panic(err)
	}
	fmt.Printf("scores %.1f\n", scores)
	a, err := scale.Alpha(names, items) // psych::alpha(x)
	if err != nil {
		panic(err)
	}
	fmt.Printf("alpha %.3f, standardised %.3f, r.drop of help %.3f\n", a.Raw, a.Std, a.Items[2].RDrop)
	o, err := scale.Omega(names, items) // lavaan cfa(std.lv = TRUE), 9 complete cases
	if err != nil {
		panic(err)
	}
	fmt.Printf("omega %.3f from %d respondents, loadings %.3f\n", o.Total, o.N, o.Loadings)
	// Output:
	// scores [70.0 46.7 73.3 NaN 56.7 86.7 43.3 63.3 26.7 60.0]
	// alpha 0.938, standardised 0.947, r.drop of help 0.874
	// omega 0.962 from 9 respondents, loadings [1.966 1.639 1.356]
}
