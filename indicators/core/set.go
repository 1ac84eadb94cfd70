package core

import (
	"fmt"
	"slices"

	"socap/indicators/scale"
)

// Set is a module's indicators: its measures under the module's name. It
// implements Indicator, and Scale (Items and ItemColumns are nil for outputs
// that are not scores).
type Set struct {
	module   string
	measures []Measure
}

// New combines a module's measures.
func New(module string, ms ...Measure) *Set {
	return &Set{module: module, measures: ms}
}

// Module implements Indicator.
func (s *Set) Module() string { return s.module }

// Outputs implements Indicator.
func (s *Set) Outputs() []Output {
	out := make([]Output, len(s.measures))
	for i, m := range s.measures {
		out[i] = m.Output
	}
	return out
}

// Inputs implements Indicator.
func (s *Set) Inputs() []string {
	var in []string
	for _, m := range s.measures {
		in = append(in, m.inputs...)
		in = append(in, m.pop.inputs()...)
	}
	slices.Sort(in)
	return slices.Compact(in)
}

// Compute implements Indicator.
func (s *Set) Compute(cols map[string][]float64) (map[string][]float64, error) {
	n, err := rows(s.module, cols, s.Inputs())
	if err != nil {
		return nil, err
	}
	res := map[string][]float64{}
	for i := range s.measures {
		m := &s.measures[i]
		in, err := m.pop.mask(s.module, cols, n)
		if err != nil {
			return nil, err
		}
		names := m.Output.Columns()
		out := make([][]float64, len(names))
		for j := range out {
			out[j] = nan(n)
		}
		if err := m.compute(cols, in, out); err != nil {
			return nil, fmt.Errorf("%s: %w", s.module, err)
		}
		for j, name := range names {
			res[name] = out[j]
		}
	}
	return res, nil
}

func (s *Set) measure(id string) *Measure {
	for i := range s.measures {
		if s.measures[i].Output.ID == id {
			return &s.measures[i]
		}
	}
	return nil
}

// Items implements Scale.
func (s *Set) Items(id string) []scale.Item {
	if m := s.measure(id); m != nil {
		return slices.Clone(m.items)
	}
	return nil
}

// MinItems is the number of answered items the score id needs (⌈k/2⌉ unless
// the min_items option says otherwise); 0 when id is not a score.
func (s *Set) MinItems(id string) int {
	m := s.measure(id)
	if m == nil || m.items == nil {
		return 0
	}
	if m.minItems > 0 {
		return m.minItems
	}
	return (len(m.items) + 1) / 2
}

// ItemColumns implements Scale.
func (s *Set) ItemColumns(id string, cols map[string][]float64) ([][]float64, error) {
	m := s.measure(id)
	if m == nil || m.items == nil {
		return nil, nil
	}
	n, err := rows(s.module, cols, m.inputs)
	if err != nil {
		return nil, err
	}
	in, err := m.pop.mask(s.module, cols, n)
	if err != nil {
		return nil, err
	}
	return m.itemColumns(cols, in, true)
}

var _ Scale = (*Set)(nil)
