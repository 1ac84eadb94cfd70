package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
)

type estimateOptions struct {
	design    designFlags
	input     inputFlags
	means     []string
	totals    []string
	props     []string
	ratios    []string
	quantiles []string
	by        []string
	level     float64
	ciMethod  string
	qrule     string
	minN      int
	maxCV     float64
	minDF     float64
	format    string
}

func newEstimateCmd() *cobra.Command {
	opts := estimateOptions{}
	cmd := &cobra.Command{
		Use:   "estimate FILE",
		Short: "Design-based means, totals, ratios, proportions and quantiles, overall and by group",
		Long: `estimate reads FILE (any format socap ingests), builds the survey design from
the design flags (named as R's svydesign / svrepdesign arguments) and prints,
for every statistic and every crossing of the --by variables: the estimate,
its standard error, confidence interval (t on the design degrees of freedom),
degrees of freedom, design effect, coefficient of variation, unweighted n,
sum of weights and reliability flags (small_n, high_cv, low_df, empty).

A domain is its rows with zero weight elsewhere, never a subset of rows, and a
missing value puts a row out of the domain (R's na.rm=TRUE). The numbers agree
with R's survey package (svymean, svytotal, svyratio, svyciprop, svyquantile,
svyby) to 1e-8.`,
		Example: `  socap estimate apistrat.csv --weight pw --strata stype --fpc fpc --mean api00,api99 --by stype
  socap estimate apiclus2.csv --psu dnum,snum --fpc fpc1,fpc2 --total enroll --format json
  socap estimate ess.csv --weight anweight --strata stratum --psu psu --nest \
      --prop pdwrk --by brncntr,gndr --ci-method beta
  socap estimate apiclus1.csv --weight pw --psu dnum --fpc fpc --to-replicates JK1 --ratio api00/api99
  socap estimate apistrat.csv --weight pw --strata stype --quantile api00:0.25,0.5,0.75`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEstimate(cmd, args[0], opts)
		},
	}
	opts.design.add(cmd)
	opts.input.add(cmd)
	f := cmd.Flags()
	f.StringSliceVar(&opts.means, "mean", nil, "columns to estimate means of")
	f.StringSliceVar(&opts.totals, "total", nil, "columns to estimate totals of")
	f.StringSliceVar(&opts.props, "prop", nil, "proportions: a 0/1 column, a categorical column (every level), or COLUMN=LEVEL")
	f.StringSliceVar(&opts.ratios, "ratio", nil, "ratios NUM/DEN")
	f.StringArrayVar(&opts.quantiles, "quantile", nil, "quantiles COLUMN:P[,P…], e.g. api00:0.25,0.5 (repeatable)")
	f.StringSliceVar(&opts.by, "by", nil, "group columns; every crossing is estimated (svyby)")
	f.Float64Var(&opts.level, "level", 0.95, "confidence level")
	f.StringVar(&opts.ciMethod, "ci-method", string(survey.CILogit), "proportion intervals: logit, xlogit, mean, asin or beta (svyciprop)")
	f.StringVar(&opts.qrule, "qrule", string(survey.QRuleMath), "quantile rule: math or hf7")
	f.IntVar(&opts.minN, "min-n", 30, "flag estimates with fewer respondents (small_n)")
	f.Float64Var(&opts.maxCV, "max-cv", 0.3, "flag estimates with a larger coefficient of variation (high_cv)")
	f.Float64Var(&opts.minDF, "min-df", 8, "flag estimates with fewer degrees of freedom (low_df)")
	addFormatFlag(cmd, &opts.format)
	return cmd
}

// requests turns the statistic flags into engine requests and lists the
// columns they read.
func (o *estimateOptions) requests() ([]survey.Request, []string, error) {
	var reqs []survey.Request
	var cols []string
	for _, c := range trimAll(o.means) {
		reqs = append(reqs, survey.Request{Statistic: survey.Mean, Variable: c})
		cols = append(cols, c)
	}
	for _, c := range trimAll(o.totals) {
		reqs = append(reqs, survey.Request{Statistic: survey.Total, Variable: c})
		cols = append(cols, c)
	}
	for _, p := range trimAll(o.props) {
		col, level, hasLevel := strings.Cut(p, "=")
		r := survey.Request{Statistic: survey.Prop, Variable: col}
		if hasLevel {
			r.Levels = []string{level}
		}
		reqs = append(reqs, r)
		cols = append(cols, col)
	}
	for _, r := range trimAll(o.ratios) {
		num, den, ok := strings.Cut(r, "/")
		if !ok || num == "" || den == "" {
			return nil, nil, usageErrorf("--ratio %q: want NUMERATOR/DENOMINATOR", r)
		}
		reqs = append(reqs, survey.Request{Statistic: survey.Ratio, Variable: num, Denominator: den})
		cols = append(cols, num, den)
	}
	for _, q := range o.quantiles {
		col, ps, ok := strings.Cut(q, ":")
		if !ok || col == "" {
			return nil, nil, usageErrorf("--quantile %q: want COLUMN:P[,P…]", q)
		}
		var probs []float64
		for _, s := range strings.Split(ps, ",") {
			p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || p < 0 || p > 1 {
				return nil, nil, usageErrorf("--quantile %q: probability %q is not a number in [0, 1]", q, s)
			}
			probs = append(probs, p)
		}
		reqs = append(reqs, survey.Request{Statistic: survey.Quantile, Variable: col, Probs: probs})
		cols = append(cols, col)
	}
	if len(reqs) == 0 {
		return nil, nil, usageErrorf("nothing to estimate: give --mean, --total, --prop, --ratio or --quantile")
	}
	return reqs, cols, nil
}

func runEstimate(cmd *cobra.Command, path string, opts estimateOptions) error {
	if err := checkFormat(opts.format); err != nil {
		return err
	}
	reqs, cols, err := opts.requests()
	if err != nil {
		return err
	}
	spec, err := opts.design.spec()
	if err != nil {
		return err
	}
	by := trimAll(opts.by)
	var load []string // nil loads every column: replicate weights are found by pattern
	if spec.Replicates == nil {
		load = slices.Concat(opts.design.columns(), cols, by)
	}
	frame, err := loadFrame(cmd.Context(), path, load, opts.input)
	if err != nil {
		return err
	}
	design, err := opts.design.build(path, frame, spec)
	if err != nil {
		return err
	}
	records, err := design.Estimate(reqs, survey.Options{
		By:         by,
		Level:      opts.level,
		PropCI:     survey.PropCI(opts.ciMethod),
		Rule:       survey.QuantileRule(opts.qrule),
		Thresholds: survey.Thresholds{MinN: opts.minN, MaxCV: opts.maxCV, MinDF: opts.minDF},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n := rowsWithoutGroup(frame, by); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "socap: note: %d of %d rows of %s have no value of %s and are in no group; they still count for the standard errors (out of domain, as in R's svyby)\n",
			n, frame.Rows(), path, strings.Join(by, " or "))
	}
	return writeEstimates(cmd.OutOrStdout(), opts.format, design.Summary(), by, records)
}

// rowsWithoutGroup counts the rows missing a value of any of the by columns.
func rowsWithoutGroup(frame *survey.Frame, by []string) int {
	missing := make([]bool, frame.Rows())
	for _, b := range by {
		codes, _, err := frame.Codes(b) // as Estimate coded the groups: −1 missing
		if err != nil {
			continue // Estimate has already refused an unknown column
		}
		for i, c := range codes {
			missing[i] = missing[i] || c < 0
		}
	}
	n := 0
	for _, m := range missing {
		if m {
			n++
		}
	}
	return n
}

// writeEstimates renders records: JSON as {"design": …, "estimates": […]}
// (DESIGN.md), table and CSV one row per record with a column per --by
// variable.
func writeEstimates(w io.Writer, format string, design survey.Summary, by []string, records []survey.Record) error {
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Design    survey.Summary  `json:"design"`
			Estimates []survey.Record `json:"estimates"`
		}{design, records})
	}
	t := &table{Columns: slices.Concat([]string{"variable", "statistic", "level", "p"}, by,
		[]string{"estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "sum_weights", "flags"})}
	for _, r := range records {
		row := []any{r.Variable, string(r.Statistic), r.Level, optionalFloat(r.P)}
		for _, b := range by {
			row = append(row, r.By[b])
		}
		row = append(row, r.Estimate, r.SE, r.CILow, r.CIHigh, r.DF, r.Deff, r.CV, r.N, r.SumWeights, strings.Join(r.Flags, " "))
		t.add(row...)
	}
	return t.write(w, format)
}

func optionalFloat(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}
