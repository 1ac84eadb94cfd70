package core

import (
	"fmt"

	"socap/pipeline/codebook"
)

// Persons is the population word of most indicators.
var Persons = codebook.Text{NB: "personer", EN: "persons"}

// DimensionAges is the default population of the dimension scores: the
// I LAG survey's adults, 16–79.
var DimensionAges = Ages{Min: 16, Max: 79}

// Dimension is the module of one of I LAG's three dimensions of social
// capital (structural, relational, cognitive): the POMP score (ScoreOf) of the
// codebook's items of that dimension (dimension: in the codebook), among
// persons aged 16–79 by default. Options: min_items (0 = ⌈k/2⌉ of the k
// items), min_age, max_age (0 = no bound). The module's and the indicator's
// name are the dimension's.
func Dimension(cb *codebook.Codebook, opts Options, dim string, label codebook.Text) (*Set, error) {
	if err := opts.Check(dim, "min_items", "min_age", "max_age"); err != nil {
		return nil, err
	}
	items, err := DimensionItems(cb, dim, dim)
	if err != nil {
		return nil, err
	}
	minItems, err := opts.Int(dim, "min_items", 0)
	if err != nil {
		return nil, err
	}
	if minItems > len(items) {
		return nil, fmt.Errorf("%s: %w: min_items %d, but the dimension has %d items", dim, ErrOption, minItems, len(items))
	}
	ages, err := opts.AgeOptions(dim, "", DimensionAges)
	if err != nil {
		return nil, err
	}
	if err := Require(cb, dim, "age"); ages.bounded() && err != nil {
		return nil, err
	}
	d := Describe{ID: dim, Label: label, HigherIsBetter: true}
	return New(dim, ScoreOf(d, items, minItems, Population{Who: Persons, Ages: ages})), nil
}

// ShareModule is a module of one share (ShareOf) of the 0/1 variable among
// the population def, whose age band the options min_age and max_age
// (0 = no bound) may change. The module's and indicator's name is module.
func ShareModule(cb *codebook.Codebook, opts Options, module, variable string, def Population, label codebook.Text) (*Set, error) {
	if err := opts.Check(module, "min_age", "max_age"); err != nil {
		return nil, err
	}
	pop := def
	var err error
	if pop.Ages, err = opts.AgeOptions(module, "", def.Ages); err != nil {
		return nil, err
	}
	if err := Require(cb, module, append([]string{variable}, pop.inputs()...)...); err != nil {
		return nil, err
	}
	return New(module, ShareOf(Describe{ID: module, Label: label, HigherIsBetter: true}, variable, pop)), nil
}
