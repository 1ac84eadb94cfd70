// Package structural is socap's structural social-capital indicator: concrete networks — friends, Norwegian friends, meeting friends and neighbours, memberships, volunteering, a mentor, as a POMP
// score 0–100 (percent of maximum possible; Cohen, Cohen, Aiken & West 1999,
// Multivariate Behavioral Research 34(3)):
//
//	structural_i = (1/|A_i|) Σ_{j∈A_i} 100 · (r_j(c_j(x_ij)) − lo_j) / (hi_j − lo_j)
//
// over the items j of the codebook with dimension: structural that respondent i
// answered (A_i), [lo_j, hi_j] the item's score bounds (codebook score_range,
// else range), c_j clamping to them and r_j reverse coding (hi_j + lo_j − x)
// of items marked reverse; NaN when fewer than min_items (default ⌈k/2⌉) are
// answered and outside the population (16–79 by default). Estimated by the
// survey mean; reliability (alpha, omega) from its items via indicators/scale.
// The dimension follows Trøndelag's I LAG programme; see README.md.
package structural

import (
	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// Label names the indicator.
var Label = codebook.Text{NB: "Strukturell sosial kapital", EN: "Structural social capital"}

// New is the module for codebook cb with options opts (sample.conf).
func New(cb *codebook.Codebook, opts core.Options) (core.Indicator, error) {
	return core.Dimension(cb, opts, "structural", Label)
}
