// Package jobmatch is socap's indicator of being in a job that matches one's
// education and qualifications (the qualification mismatch of immigrants
// that SSB's living-conditions survey among immigrants reports), among the
// employed:
//
//	jobmatch = Σ_i w_i·m_i / Σ_i w_i   over respondents with employed = 1 who answered,
//
// m_i the 0/1 variable job_match (blank for those not employed). Estimated as
// a survey proportion. See README.md.
package jobmatch

import (
	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// New is the module for codebook cb with options opts (sample.conf): min_age,
// max_age (0 = no bound, the default).
func New(cb *codebook.Codebook, opts core.Options) (core.Indicator, error) {
	return core.ShareModule(cb, opts, "jobmatch", "job_match",
		core.Population{Who: codebook.Text{NB: "sysselsatte", EN: "employed persons"}, Given: "employed"},
		codebook.Text{NB: "I jobb som samsvarer med kvalifikasjonene", EN: "In a job matching one's qualifications"})
}
