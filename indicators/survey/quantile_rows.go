package survey

import (
	"errors"
	"fmt"
)

// QuantileSource is a RowSource that also reads a column's weighted distribution, so
// that Design.EstimateRows estimates quantiles where the rows lie: the same rule
// (Options.Rule) and Woodruff interval as Estimate, from the distribution and the
// Sums of the indicator Item{Column, AtMost: q̂} that Accumulate returns.
type QuantileSource interface {
	RowSource
	// Distribution returns, per domain (rows assigned to domains as Accumulate assigns
	// them), the values of column with a non-zero weight in ascending order and their
	// weights, as the rules read them: the rows in stable order of value, or ties
	// compressed by TiedWeights.
	Distribution(d *Design, column string, by []string, crossings *Frame, domainOf []int32, nDom int) (xs, ws [][]float64, err error)
}

// quantileRows is quantiles with the distribution and the indicator sums from src.
func (d *Design) quantileRows(rq Request, src QuantileSource, by []string, crossings *Frame, dm *domains, opt *Options) ([]Record, error) {
	nDom := len(dm.labels)
	xs, ws, err := src.Distribution(d, rq.Variable, by, crossings, dm.code, nDom)
	if err != nil {
		return nil, err
	}
	if len(xs) != nDom || len(ws) != nDom {
		return nil, fmt.Errorf("distribution of %s: %d domains, want %d", rq.Variable, len(xs), nDom)
	}
	return d.woodruff(rq, xs, ws, dm, opt, func(qhat []float64) (Item, *Sums, error) {
		it := Item{Column: rq.Variable, AtMost: qhat}
		s, err := src.Accumulate(d, []Item{it}, by, crossings, dm.code, nDom)
		if err != nil {
			return it, nil, err
		}
		d.markNoRows(s[0])
		return it, s[0], nil
	})
}

// markNoRows gives Sums of a design with supplied replicate weights whose item has no
// rows in any domain (no replicate pattern marked) the empty pattern set.
func (d *Design) markNoRows(s *Sums) {
	if d.SuppliedReplicates() && s.present == nil {
		s.present = make([]bool, s.Domains*len(d.rep.patterns))
	}
}

// checkProbs refuses an empty list of quantile probabilities or one outside [0, 1].
func checkProbs(probs []float64) error {
	if len(probs) == 0 {
		return errors.New("no probabilities given")
	}
	for _, p := range probs {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("probability %v outside [0, 1]", p)
		}
	}
	return nil
}
