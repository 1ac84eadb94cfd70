// Package participation is socap's indicator of taking part in organised
// activities, the everyday-integration strategy's target, for three
// populations:
//
//	participation_children = Σ_i w_i·a_i / Σ_i w_i·c_i   (ratio of totals)
//
// over respondents with c_i > 0 children aged 6–15 who answered both, a_i of
// them taking part in organised leisure activities (children_activity, as
// their parents answer): the share of children, not of parents;
//
//	participation_youth  = share with org_member = 1 among persons aged 16–25
//	participation_adults = share with org_member = 1 among persons aged 26–79
//
// (org_member: member of a club, association or voluntary organisation, as in
// SSB's living-conditions survey). See README.md.
package participation

import (
	"fmt"

	"socap/indicators/core"
	"socap/pipeline/codebook"
)

// Default age bands of youth and adults.
var (
	Youth  = core.Ages{Min: 16, Max: 25}
	Adults = core.Ages{Min: 26, Max: 79}
)

// New is the module for codebook cb with options opts (sample.conf):
// youth_min_age, youth_max_age, adults_max_age; adults begin the year after
// youth ends.
func New(cb *codebook.Codebook, opts core.Options) (core.Indicator, error) {
	const module = "participation"
	if err := opts.Check(module, "youth_min_age", "youth_max_age", "adults_max_age"); err != nil {
		return nil, err
	}
	youth, err := opts.AgeOptions(module, "youth_", Youth)
	if err != nil {
		return nil, err
	}
	adultsMax, err := opts.Int(module, "adults_max_age", Adults.Max)
	if err != nil {
		return nil, err
	}
	if youth.Max == 0 || (adultsMax > 0 && adultsMax <= youth.Max) {
		return nil, fmt.Errorf("%s: %w: youth_max_age %d and adults_max_age %d: want 0 < youth_max_age < adults_max_age", module, core.ErrOption, youth.Max, adultsMax)
	}
	adults := core.Ages{Min: youth.Max + 1, Max: adultsMax}
	if err := core.Require(cb, module, "org_member", "age", "children", "children_activity"); err != nil {
		return nil, err
	}
	return core.New(module,
		core.RatioOf(core.Describe{ID: "participation_children", HigherIsBetter: true,
			Label: codebook.Text{NB: "Barn (6–15 år) som deltar i organiserte fritidsaktiviteter", EN: "Children (6–15) taking part in organised leisure activities"}},
			"children_activity", "children",
			core.Population{Who: codebook.Text{NB: "barn 6–15 år, slik foreldrene svarer", EN: "children aged 6–15, as their parents answer"}}),
		core.ShareOf(core.Describe{ID: "participation_youth", HigherIsBetter: true,
			Label: codebook.Text{NB: "Unge som deltar i en frivillig organisasjon", EN: "Youth taking part in a voluntary organisation"}},
			"org_member", core.Population{Who: core.Persons, Ages: youth}),
		core.ShareOf(core.Describe{ID: "participation_adults", HigherIsBetter: true,
			Label: codebook.Text{NB: "Voksne som deltar i en frivillig organisasjon", EN: "Adults taking part in a voluntary organisation"}},
			"org_member", core.Population{Who: core.Persons, Ages: adults}),
	), nil
}
