// Package employment is socap's employment indicator: the share employed
// (paid work in the last week, even one hour — SSB's Labour Force Survey and
// living-conditions definition) among persons aged 20–66, SSB's usual band
// for employment rates:
//
//	employment = Σ_i w_i·e_i / Σ_i w_i   over respondents aged 20–66 who answered,
//
// e_i the 0/1 variable employed. Estimated as a survey proportion. See README.md.
package employment

import (
	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// Ages is the default age band.
var Ages = core.Ages{Min: 20, Max: 66}

// New is the module for codebook cb with options opts (sample.conf): min_age,
// max_age (0 = no bound).
func New(cb *codebook.Codebook, opts core.Options) (core.Indicator, error) {
	return core.ShareModule(cb, opts, "employment", "employed", core.Population{Who: core.Persons, Ages: Ages},
		codebook.Text{NB: "Sysselsetting", EN: "Employment rate"})
}
