package reliability_test

import (
	"math"
	"strings"
	"testing"

	"socap/indicators/scale"
	"socap/pipeline/disclose"
	"socap/pipeline/reliability"
)

// TestEstimate: a group below the minimum keeps no number; a group the
// engine refuses is not estimable with the engine's reason, keeping what it
// could compute.
func TestEstimate(t *testing.T) {
	rules := disclose.Rules{MinN: 5, MinCount: 3, Protection: 0.2}
	names := []string{"a", "b", "c"}
	for _, tc := range []struct {
		name         string
		items        [][]float64
		status, want string
		alpha        bool
	}{
		{"too few", [][]float64{{1, 2, 3, 4}, {2, 1, 4, 3}, {1, 3, 2, 4}}, "primary", "primary: n < 5", false},
		{"constant item", [][]float64{{1, 2, 3, 4, 5, 2}, {2, 1, 4, 3, 5, 1}, {3, 3, 3, 3, 3, 3}}, reliability.NotEstimable, "alpha, weighted alpha, omega: group all: item c has no variance (variance 0)", false},
		{"omega refused", [][]float64{{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 5}, {1, 2, 3, 4, 6, 5}}, reliability.NotEstimable, "omega: ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := scale.Accumulate(names, tc.items, nil, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			st := reliability.Estimate(ms[0], rules)
			if st.Status != tc.status || !strings.Contains(st.Reason, tc.want) {
				t.Errorf("status %s, reason %q; want %s, %q", st.Status, st.Reason, tc.status, tc.want)
			}
			if math.IsNaN(st.Alpha) == tc.alpha || !math.IsNaN(st.Omega) {
				t.Errorf("alpha %v, omega %v", st.Alpha, st.Omega)
			}
		})
	}
}
