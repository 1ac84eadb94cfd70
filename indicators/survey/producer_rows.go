package survey

import (
	"errors"
	"fmt"
)

// RowSource is a producer that reads the rows itself, wherever they lie (a SQL GROUP BY
// over files or a database table), so that only the sums enter Go. The design it goes
// with is built by NewDesign on a frame of one row per finest sampling unit (or, for
// supplied replicate weights, one row per distinct replicate-weight row): Units() of
// that design maps each such row to its unit. Design.EstimateRows asks the source for
// what Estimate reads from a Frame.
type RowSource interface {
	// Numeric reports whether column holds numbers (an unknown column is an error
	// wrapping ErrUnknownColumn).
	Numeric(column string) (bool, error)
	// Distinct returns one row per distinct combination of the columns over the rows
	// where none is missing, each column numeric or text as the rows are.
	Distinct(columns []string) (*Frame, error)
	// Accumulate returns the Sums of items by domain. A row belongs to domain
	// domainOf[k] when its by-values are those of row k of crossings (Distinct(by));
	// without by every row is in domain 0. The sums must equal MemoryProducer's on the
	// same rows.
	Accumulate(d *Design, items []Item, by []string, crossings *Frame, domainOf []int32, nDom int) ([]*Sums, error)
}

// EstimateRows is Estimate with the rows read by src instead of the design's frame:
// means, totals, ratios and proportions, with the same records, and quantiles when src
// is a QuantileSource. Calibrated designs and likelihood intervals need the rows in
// memory and are refused.
func (d *Design) EstimateRows(reqs []Request, opt Options, src RowSource) ([]Record, error) {
	if err := opt.defaults(); err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	switch {
	case len(d.cal) > 0:
		return nil, errors.New("estimate: a calibrated design needs its rows in memory")
	case opt.PropCI == CILikelihood:
		return nil, errors.New("estimate: likelihood intervals need the rows in memory")
	}
	dm := &domains{labels: [][]string{nil}, by: opt.By}
	var crossings *Frame
	if len(opt.By) > 0 {
		var err error
		if crossings, err = src.Distinct(opt.By); err != nil {
			return nil, fmt.Errorf("estimate: by: %w", err)
		}
		if dm, err = (&Design{frame: crossings, n: crossings.Rows()}).domains(opt.By); err != nil {
			return nil, fmt.Errorf("estimate: %w", err)
		}
	}
	var jobs []job
	var items []Item
	for _, rq := range reqs {
		js, err := rowJobs(rq, src)
		if err != nil {
			return nil, fmt.Errorf("estimate %s of %s: %w", rq.Statistic, rq.name(), err)
		}
		for _, j := range js {
			if j.stat != Quantile {
				items = append(items, j.item)
			}
		}
		jobs = append(jobs, js...)
	}
	sums, err := src.Accumulate(d, items, opt.By, crossings, dm.code, len(dm.labels))
	if err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	var out []Record
	k := 0
	for _, j := range jobs {
		var recs []Record
		var err error
		if j.stat == Quantile {
			recs, err = d.quantileRows(j.rq, src.(QuantileSource), opt.By, crossings, dm, &opt)
		} else {
			d.markNoRows(sums[k])
			recs, err = d.linear(j, sums[k], dm, &opt)
			k++
		}
		if err != nil {
			return nil, fmt.Errorf("estimate %s of %s: %w", j.rq.Statistic, j.rq.name(), err)
		}
		out = append(out, recs...)
	}
	return out, nil
}

// rowJobs is Design.jobs with the columns' types and levels asked of src; the items
// name their columns and carry no values.
func rowJobs(rq Request, src RowSource) ([]job, error) {
	numeric := func(col string) error {
		ok, err := src.Numeric(col)
		if err == nil && !ok {
			err = fmt.Errorf("column %q: %w", col, ErrNotNumeric)
		}
		return err
	}
	one := []job{{rq: rq, stat: rq.Statistic, name: rq.name(), item: Item{Column: rq.Variable, Denominator: rq.Denominator}}}
	switch rq.Statistic {
	case Mean, Total:
		return one, numeric(rq.Variable)
	case Ratio:
		if err := numeric(rq.Variable); err != nil {
			return nil, err
		}
		return one, numeric(rq.Denominator)
	case Quantile:
		if _, ok := src.(QuantileSource); !ok {
			return nil, errors.New("quantiles need the rows in memory")
		}
		if err := checkProbs(rq.Probs); err != nil {
			return nil, err
		}
		return one, numeric(rq.Variable)
	case Prop:
		values, err := src.Distinct([]string{rq.Variable})
		if err != nil {
			return nil, err
		}
		if v, err := values.Float(rq.Variable); err == nil && len(rq.Levels) == 0 {
			for _, x := range v {
				if x != 0 && x != 1 {
					return nil, fmt.Errorf("column %q: value %v is not 0 or 1; name the levels for a categorical proportion", rq.Variable, x)
				}
			}
		}
		js, err := (&Design{frame: values, n: values.Rows()}).proportions(rq)
		for k := range js {
			js[k].item.A = nil
		}
		return js, err
	}
	return nil, fmt.Errorf("statistic %q: want mean, total, ratio or prop", rq.Statistic)
}

// MarkReplicateRow records, for a design with supplied replicate weights, that domain
// dd of s has rows with the replicate-weight pattern of the design's row (a row of the
// frame the design was built on): the degrees of freedom are the rank of the patterns
// present (see rankDF). Other designs ignore it.
func (s *Sums) MarkReplicateRow(d *Design, dd, row int) {
	if d.rep == nil || d.rep.cols == nil {
		return
	}
	np := len(d.rep.patterns)
	if s.present == nil {
		s.present = make([]bool, s.Domains*np)
	}
	if p := d.rep.patternOf[row]; p >= 0 {
		s.present[dd*np+int(p)] = true
	}
}

// FoldReplicates completes, for a design converted to replicate weights
// (ToReplicates), Sums holding per-PSU cells: replicate r's W, A, B are Σ_u f_ru·cell_u
// over the domain's PSUs u, f_ru the PSU's multiplier. Other designs are left as they
// are.
func (d *Design) FoldReplicates(s *Sums) {
	if d.rep == nil || d.rep.factors == nil {
		return
	}
	s.R = d.rep.r
	d.rep.foldFactors(s)
}

// SuppliedReplicates reports whether the design's replicate weights are columns (one
// cell per domain in Sums) rather than derived per-PSU multipliers.
func (d *Design) SuppliedReplicates() bool { return d.rep != nil && d.rep.cols != nil }
