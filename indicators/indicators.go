// Package indicators lists socap's indicator modules and re-exports the
// interface they implement (package core, which the modules import; it sits
// below this package so that the list here can import the modules without
// an import cycle).
//
// A module is a package indicators/<name> with its code, README.md (what it
// measures, items, formula, population, sources), sample.conf (its options
// as they go under indicators: in socap.yaml) and testdata/; it is named in
// Modules below, explicitly — there is no init() registration. The meta-test
// (indicators_test.go) fails when a module lacks any of these or is missing
// from the list.
//
// A stage uses a module in four steps:
//
//	ind, err := m.New(cb, opts)           // errors.Is(err, ErrUnavailable): the codebook lacks it
//	ind.Inputs()                           // harmonised variables to read
//	vals, err := ind.Compute(cols)         // per respondent, one column per Output.Columns()
//	for _, o := range ind.Outputs() { … }  // o.Statistic: mean, prop or ratio of which columns
//
// and for reliability, when ind.(Scale).Items(o.ID) is not nil,
// ItemColumns(o.ID, cols) into scale.Accumulate, AlphaOf, OmegaOf, Invariance.
package indicators

import (
	"socap/indicators/cognitive"
	"socap/indicators/core"
	"socap/indicators/employment"
	"socap/indicators/jobmatch"
	"socap/indicators/participation"
	"socap/indicators/qol"
	"socap/indicators/relational"
	"socap/indicators/structural"
	"socap/pipeline/codebook"
)

// The types of package core, which every module implements and describes
// itself with.
type (
	Indicator  = core.Indicator
	Scale      = core.Scale
	Output     = core.Output
	Statistic  = core.Statistic
	Kind       = core.Kind
	Unit       = core.Unit
	Options    = core.Options
	Population = core.Population
)

// The statistics and errors of package core.
const (
	Mean       = core.Mean
	Proportion = core.Proportion
	Ratio      = core.Ratio
)

var (
	ErrUnavailable = core.ErrUnavailable
	ErrOption      = core.ErrOption
)

// Module is one indicator module: its name (the package's and the key under
// indicators: in socap.yaml) and its constructor.
type Module struct {
	Name string
	New  func(cb *codebook.Codebook, opts Options) (Indicator, error)
}

// Modules are socap's indicator modules, in the order reports show them.
var Modules = []Module{
	{"structural", structural.New},
	{"relational", relational.New},
	{"cognitive", cognitive.New},
	{"participation", participation.New},
	{"employment", employment.New},
	{"jobmatch", jobmatch.New},
	{"qol", qol.New},
}

// Lookup returns the module called name.
func Lookup(name string) (Module, bool) {
	for _, m := range Modules {
		if m.Name == name {
			return m, true
		}
	}
	return Module{}, false
}
