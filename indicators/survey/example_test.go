package survey_test

import (
	"fmt"

	"socap/indicators/survey"
)

// A stratified sample of ten people in two strata with known population sizes; the mean
// of y by group g, with a t interval on the domain's degrees of freedom (R's survey gives
// the same: svymean(~y, subset(des, g == "a")) with confint(df = degf(...))).
func Example() {
	f := survey.NewFrame()
	for _, err := range []error{
		f.AddString("stratum", []string{"n", "n", "n", "n", "n", "s", "s", "s", "s", "s"}),
		f.AddFloat("N", []float64{100, 100, 100, 100, 100, 50, 50, 50, 50, 50}),
		f.AddFloat("w", []float64{20, 20, 20, 20, 20, 10, 10, 10, 10, 10}),
		f.AddFloat("y", []float64{3, 4, 5, 4, 6, 7, 8, 6, 9, 7}),
		f.AddString("g", []string{"a", "b", "a", "b", "a", "b", "a", "b", "a", "b"}),
	} {
		if err != nil {
			panic(err)
		}
	}
	d, err := survey.NewDesign(f, survey.Spec{Weights: "w", Strata: "stratum", FPC: []string{"N"}})
	if err != nil {
		panic(err)
	}
	recs, err := d.Estimate([]survey.Request{{Statistic: survey.Mean, Variable: "y"}},
		survey.Options{By: []string{"g"}, Thresholds: survey.Thresholds{MinN: 5, MinDF: 3}})
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("g=%s mean %.3f se %.3f ci [%.3f, %.3f] df %g n %d flags %v\n",
			r.By["g"], r.Estimate, r.SE, r.CILow, r.CIHigh, r.DF, r.N, r.Flags)
	}
	// Output:
	// g=a mean 5.625 se 0.782 ci [3.137, 8.113] df 3 n 5 flags []
	// g=b mean 5.143 se 0.481 ci [3.613, 6.673] df 3 n 5 flags []
}
