// Package relational is socap's relational social-capital indicator: trust, solidarity and taking part in the community — trust in people and in the municipality, helping neighbours, local activities, belonging, as a POMP
// score 0–100 (percent of maximum possible; Cohen, Cohen, Aiken & West 1999,
// Multivariate Behavioral Research 34(3)):
//
//	relational_i = (1/|A_i|) Σ_{j∈A_i} 100 · (r_j(c_j(x_ij)) − lo_j) / (hi_j − lo_j)
//
// over the items j of the codebook with dimension: relational that respondent i
// answered (A_i), [lo_j, hi_j] the item's score bounds (codebook score_range,
// else range), c_j clamping to them and r_j reverse coding (hi_j + lo_j − x)
// of items marked reverse; NaN when fewer than min_items (default ⌈k/2⌉) are
// answered and outside the population (16–79 by default). Estimated by the
// survey mean; reliability (alpha, omega) from its items via indicators/scale.
// The dimension follows Trøndelag's I LAG programme; see README.md.
package relational

import (
	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// Label names the indicator.
var Label = codebook.Text{NB: "Relasjonell sosial kapital", EN: "Relational social capital"}

// New is the module for codebook cb with options opts (sample.conf).
func New(cb *codebook.Codebook, opts core.Options) (core.Indicator, error) {
	return core.Dimension(cb, opts, "relational", Label)
}
