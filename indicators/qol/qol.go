// Package qol is socap's quality-of-life indicator: life satisfaction on the
// 0–10 scale of the ESS and SSB's quality-of-life survey ("All things
// considered, how satisfied are you with your life as a whole nowadays?"),
//
//	qol = Σ_i w_i·q_i / Σ_i w_i   over every respondent who answered,
//
// estimated as a survey mean on the 0–10 scale. See README.md.
package qol

import (
	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// New is the module for codebook cb with options opts (sample.conf): min_age,
// max_age (0 = no bound, the default).
func New(cb *codebook.Codebook, opts core.Options) (core.Indicator, error) {
	const module = "qol"
	if err := opts.Check(module, "min_age", "max_age"); err != nil {
		return nil, err
	}
	ages, err := opts.AgeOptions(module, "", core.Ages{})
	if err != nil {
		return nil, err
	}
	lo, hi, err := core.Bounds(cb, module, "qol")
	if err != nil {
		return nil, err
	}
	d := core.Describe{ID: module, HigherIsBetter: true,
		Label: codebook.Text{NB: "Livskvalitet (tilfredshet med livet)", EN: "Quality of life (life satisfaction)"}}
	return core.New(module, core.MeanOf(d, core.ScaleTo10, "qol", lo, hi, core.Population{Who: core.Persons, Ages: ages})), nil
}
