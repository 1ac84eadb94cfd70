// Package core holds what socap's indicator modules share: the Indicator
// interface, the description of an indicator's output (labels, unit,
// population, survey statistic), options, and the building blocks every
// module is made of — a POMP score over items, the share of a 0/1 variable, the
// mean of a bounded variable and the ratio of two counts, each over a
// population. It sits below package indicators (which lists the modules and
// re-exports these types) so that the modules can import it without an
// import cycle. Like indicators/scale it takes columns (map[string][]float64,
// NaN missing) and returns columns; it knows nothing of files, DuckDB or YAML.
package core

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"socap/indicators/scale"
	"socap/indicators/survey"
	"socap/pipeline/codebook"
)

// Indicator is one module's indicators: what it needs and how each
// respondent's values are computed.
type Indicator interface {
	// Module is the module's name: "structural", "participation", …
	Module() string
	// Outputs are the indicators the module yields, in a fixed order (ids as
	// in synth's truth.json: participation yields participation_children,
	// participation_youth and participation_adults).
	Outputs() []Output
	// Inputs are the harmonised variables Compute reads, sorted.
	Inputs() []string
	// Compute returns, for every column of every output (Output.Columns),
	// one value per respondent: NaN outside the output's population, when
	// the value is not answered, or when a score has too few items. cols
	// holds the harmonised variables (NaN missing), all of one length.
	Compute(cols map[string][]float64) (map[string][]float64, error)
}

// Scale is implemented by modules whose outputs are composite scores, so that
// a stage can compute their reliability (scale.Accumulate, AlphaOf, OmegaOf,
// Invariance).
type Scale interface {
	Indicator
	// Items are the items of output id with their score bounds (Min, Max =
	// codebook ScoreBounds) and reverse flags, in codebook order; nil when
	// id is not a score.
	Items(id string) []scale.Item
	// ItemColumns returns items[j][i], item j of respondent i as it enters
	// the score: clamped to [Min, Max] and reverse coded (Max + Min − x), in
	// the item's own units; NaN when not answered or outside the population.
	// The score is the mean of 100·(x − Min)/(Max − Min) over these.
	ItemColumns(id string, cols map[string][]float64) ([][]float64, error)
}

// Kind is the survey statistic that estimates an indicator.
type Kind int

const (
	// Mean of a score (0–100) or of a bounded variable (0–10).
	Mean Kind = iota
	// Proportion is the mean of a 0/1 value.
	Proportion
	// Ratio is Σw·num / Σw·den over the respondents where both are present.
	Ratio
)

// String is the statistic's name as socap estimate names it.
func (k Kind) String() string {
	switch k {
	case Mean:
		return "mean"
	case Proportion:
		return "prop"
	case Ratio:
		return "ratio"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Statistic says which survey statistic estimates an output and of which
// columns of Compute's result.
type Statistic struct {
	Kind Kind
	// Column is the column estimated by a mean or a proportion (the
	// output's id).
	Column string
	// Num and Den are the columns of a ratio's numerator and denominator
	// (id_num and id_den); Column then holds each respondent's own ratio
	// num/den, for the scores table only.
	Num, Den string
}

// Unit is an indicator's unit: ID as truth.json's "unit" ("pomp",
// "proportion", "scale 0–10"), Label for people.
type Unit struct {
	ID    string
	Label codebook.Text
}

// The units of socap's indicators.
var (
	POMP       = Unit{ID: "pomp", Label: codebook.Text{NB: "poeng 0–100", EN: "score 0–100"}}
	Share      = Unit{ID: "proportion", Label: codebook.Text{NB: "andel", EN: "proportion"}}
	ScaleTo10  = Unit{ID: "scale 0–10", Label: codebook.Text{NB: "skala 0–10", EN: "scale 0–10"}}
	unitsKnown = []Unit{POMP, Share, ScaleTo10}
)

// Output describes one indicator.
type Output struct {
	// ID names the indicator and its column in the scores table.
	ID    string
	Label codebook.Text
	Unit  Unit
	// HigherIsBetter colours the report: a higher value is good news.
	HigherIsBetter bool
	// Population says whom the indicator is about.
	Population codebook.Text
	Statistic  Statistic
}

// Columns are the columns of Compute's result for this output: the id, and
// for a ratio its numerator and denominator.
func (o Output) Columns() []string {
	if o.Statistic.Kind == Ratio {
		return []string{o.ID, o.Statistic.Num, o.Statistic.Den}
	}
	return []string{o.ID}
}

// Request is the survey engine's request that estimates the output: the
// mean of its column (svymean), the proportion of a 0/1 column (svyciprop's
// point estimate) or the ratio of two totals (svyratio).
func (o Output) Request() survey.Request {
	st := o.Statistic
	switch st.Kind {
	case Proportion:
		return survey.Request{Statistic: survey.Prop, Variable: st.Column}
	case Ratio:
		return survey.Request{Statistic: survey.Ratio, Variable: st.Num, Denominator: st.Den}
	}
	return survey.Request{Statistic: survey.Mean, Variable: st.Column}
}

// ErrUnavailable is wrapped by a module's constructor when the codebook lacks
// what the module needs (the ESS codebook has no job match question); a
// stage may skip such a module and say so.
var ErrUnavailable = errors.New("not available with this codebook")

// ErrOption is wrapped by errors in a module's options.
var ErrOption = errors.New("invalid option")

// Require checks that the codebook declares every variable of names.
func Require(cb *codebook.Codebook, module string, names ...string) error {
	var missing []string
	for _, n := range names {
		if cb.Variable(n) == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %w: codebook %s has no %s", module, ErrUnavailable, cb.Name, strings.Join(missing, ", "))
	}
	return nil
}

// Bounds are the codebook range of a variable, for a mean's check.
func Bounds(cb *codebook.Codebook, module, name string) (lo, hi float64, err error) {
	v := cb.Variable(name)
	if v == nil {
		return 0, 0, fmt.Errorf("%s: %w: codebook %s has no %s", module, ErrUnavailable, cb.Name, name)
	}
	lo, hi, ok := v.ScoreBounds()
	if !ok || !(hi > lo) {
		return 0, 0, fmt.Errorf("%s: variable %s: codebook %s gives no range", module, name, cb.Name)
	}
	return lo, hi, nil
}

// DimensionItems are the codebook's items of dimension dim (dimension: in the
// codebook), in codebook order, with their score bounds and reverse flags.
func DimensionItems(cb *codebook.Codebook, module, dim string) ([]scale.Item, error) {
	var items []scale.Item
	for i := range cb.Variables {
		v := &cb.Variables[i]
		if v.Dimension != dim {
			continue
		}
		lo, hi, ok := v.ScoreBounds()
		if !ok || !(hi > lo) {
			return nil, fmt.Errorf("%s: item %s: codebook %s gives no score bounds", module, v.Name, cb.Name)
		}
		items = append(items, scale.Item{Name: v.Name, Min: lo, Max: hi, Reverse: v.Reverse})
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: %w: codebook %s has no items of dimension %s", module, ErrUnavailable, cb.Name, dim)
	}
	return items, nil
}

// units checks that u is one of the known units (a programmer error
// otherwise).
func (u Unit) known() bool { return slices.Contains(unitsKnown, u) }

// column returns cols[name] of length n, or an error naming the module.
func column(module string, cols map[string][]float64, name string, n int) ([]float64, error) {
	c, ok := cols[name]
	if !ok {
		return nil, fmt.Errorf("%s: no column %s", module, name)
	}
	if len(c) != n {
		return nil, fmt.Errorf("%s: column %s has %d rows, want %d", module, name, len(c), n)
	}
	return c, nil
}

// rows is the common length of the columns named in names.
func rows(module string, cols map[string][]float64, names []string) (int, error) {
	if len(names) == 0 {
		return 0, fmt.Errorf("%s: no input columns", module)
	}
	c, ok := cols[names[0]]
	if !ok {
		return 0, fmt.Errorf("%s: no column %s", module, names[0])
	}
	return len(c), nil
}

func nan(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
