// Package synth generates synthetic surveys of social capital whose true
// parameters are known: a finite population of adults (16–79) in real
// Norwegian municipalities, a stratified two-stage cluster sample of it in one
// or two waves, and the true population values and model coefficients that an
// analysis of the sample should recover.
//
// # Population
//
// Each municipality (stratum) is divided into areas of about 300 adults
// (primary sampling units, like SSB's grunnkretser). Every person has a
// country background, gender, age, education, years in Norway (immigrants),
// religion and household size, and three correlated latent dimensions of
// social capital — structural, relational and cognitive — whose means depend
// on background and on crossings of background (an extra gap for immigrant
// women), on the municipality and on the area. Items of the ilag codebook are
// drawn from a probit measurement model with known loadings and thresholds;
// trust_municipality is deliberately not invariant across origin groups.
// Employment follows a known logistic model in which Norwegian friends and
// membership of a voluntary organisation raise the odds by different amounts
// in the two SSB country groups; job match and quality of life follow a second
// logistic and a linear model. Between the waves, persons in programme
// municipalities may take part in the programme, which raises their structural
// and relational social capital and their taking part in local activities.
//
// With Options.National the population is all 357 municipalities of
// Norway (2024), about a third of them running the programme.
//
// # Sample
//
// Per wave and municipality, areas are drawn by simple random sampling
// without replacement; within a drawn area persons are drawn by Poisson
// sampling with immigrants and their Norwegian-born children oversampled
// (fourfold, up to certainty); then persons respond with a probability that
// depends on their background only (missing at random given background). The weight is the
// inverse of the product of the three probabilities, so design-weighted
// estimates are unbiased while unweighted ones are not. Respondents skip
// items (codes 8/98 "don't know", 9/99 "refused", or blank) completely at
// random.
//
// # Determinism and memory
//
// Every municipality, area and wave has its own PCG stream whose seed is
// derived from the root seed (splitmix64), so the output is a pure function
// of the Options. Persons are generated in blocks of areas, in parallel, and
// forgotten once counted and written in order; memory is bounded by the
// blocks in flight and one municipality's list of area sizes, whatever the
// number of respondents.
package synth

import (
	"errors"
	"fmt"
	"math"
)

// Options configure one synthetic survey.
type Options struct {
	// Respondents is the expected number of respondents over all waves; the
	// achieved number varies around it, as with any sample with non-response.
	Respondents int
	// Waves is 1 (baseline only) or 2 (baseline and follow-up).
	Waves int
	// Seed is the root of every random stream.
	Seed uint64
	// BlankMissing leaves skipped items blank instead of writing the
	// "don't know" and "refused" codes, for tools that read the files
	// without the codebook.
	BlankMissing bool
	// National draws the population of all 357 municipalities of Norway
	// instead of the thirteen of the default survey (see
	// nationalMunicipalities).
	National bool
}

// strataOf is the list of municipalities the options draw from.
func (o Options) strataOf() []municipality {
	if o.National {
		return nationalMunicipalities()
	}
	return municipalities
}

// Check reports options out of range.
func (o Options) Check() error {
	var errs []error
	if o.Respondents < 100 || o.Respondents > maxRespondents {
		errs = append(errs, fmt.Errorf("respondents %d: want 100 to %d", o.Respondents, maxRespondents))
	}
	if o.Waves != 1 && o.Waves != 2 {
		errs = append(errs, fmt.Errorf("waves %d: want 1 or 2", o.Waves))
	}
	return errors.Join(errs...)
}

// maxRespondents keeps area numbers below a million, so that PSU ids
// (stratum × 10⁶ + area) stay unique.
const maxRespondents = 100_000_000

// RowWriter receives the respondents of one wave, in a stable order.
type RowWriter interface {
	WriteRow(r *Row) error
}

// Generate draws the population and the sample described by opts, writes the
// respondents of wave w to writers[w-1] and returns the truth. It does not
// close the writers.
func Generate(opts Options, writers []RowWriter) (*Truth, error) {
	if err := opts.Check(); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	if len(writers) != opts.Waves {
		return nil, fmt.Errorf("synth: %d writers for %d waves", len(writers), opts.Waves)
	}
	plan := newPlan(opts, opts.strataOf())
	acc := newAccumulator(opts.Waves, len(plan.strata))
	for h := range plan.strata {
		if err := plan.generateStratum(h, acc, writers); err != nil {
			return nil, err
		}
	}
	return acc.truth(plan), nil
}

// logistic is 1/(1+e^-x).
func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
