package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline/load"
	"socap/pipeline/sqlsums"
)

type estimateOptions struct {
	design    designFlags
	input     inputFlags
	producer  producerFlags
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
	complete  bool
	format    string
	labels    string
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
	opts.producer.add(cmd)
	f := cmd.Flags()
	f.StringSliceVar(&opts.means, "mean", nil, "columns to estimate means of")
	f.StringSliceVar(&opts.totals, "total", nil, "columns to estimate totals of")
	f.StringSliceVar(&opts.props, "prop", nil, "proportions: a 0/1 column, a categorical or value-labelled column (every level), or COLUMN=LEVEL[,LEVEL…] with codes or value labels")
	f.StringSliceVar(&opts.ratios, "ratio", nil, "ratios NUM/DEN")
	f.StringArrayVar(&opts.quantiles, "quantile", nil, "quantiles COLUMN:P[,P…], e.g. api00:0.25,0.5 (repeatable)")
	f.StringSliceVar(&opts.by, "by", nil, "group columns; every crossing is estimated (svyby)")
	f.Float64Var(&opts.level, "level", 0.95, "confidence level")
	f.StringVar(&opts.ciMethod, "ci-method", string(survey.CILogit), "proportion intervals: logit, likelihood, xlogit, mean, asin, beta (svyciprop's methods) or wilson")
	f.StringVar(&opts.qrule, "qrule", string(survey.QRuleMath), "quantile rule: math or hf7")
	f.IntVar(&opts.minN, "min-n", 30, "flag estimates with fewer respondents (small_n)")
	f.Float64Var(&opts.maxCV, "max-cv", 0.3, "flag estimates with a larger coefficient of variation (high_cv)")
	f.Float64Var(&opts.minDF, "min-df", 8, "flag estimates with fewer degrees of freedom (low_df)")
	f.BoolVar(&opts.complete, "complete-cases", false, "leave out every row missing any analysis variable, as R's svyby(~a + b, na.rm = TRUE) (default: each variable's missing values are out of its own domain)")
	addFormatFlag(cmd, &opts.format)
	addLabelsFlag(cmd, &opts.labels)
	return cmd
}

// propRequests reads --prop values as the flag splits them at commas: a name
// starts a request, COL=LEVEL one with a level, and a bare value after a
// COL=LEVEL is a further level of it (--prop sclmeet=1,2,3).
func propRequests(values []string) []survey.Request {
	var reqs []survey.Request
	levelled := false
	for _, v := range trimAll(values) {
		col, level, hasLevel := strings.Cut(v, "=")
		switch {
		case hasLevel:
			reqs = append(reqs, survey.Request{Statistic: survey.Prop, Variable: strings.TrimSpace(col), Levels: []string{strings.TrimSpace(level)}})
			levelled = true
		case levelled:
			last := &reqs[len(reqs)-1]
			last.Levels = append(last.Levels, v)
		default:
			reqs = append(reqs, survey.Request{Statistic: survey.Prop, Variable: v})
		}
	}
	return reqs
}

// resolveProps names the levels of every proportion by the values in the data:
// a level given as a value label becomes its code, a level in neither is bad
// input, and a value-labelled numeric column that is not 0/1 is categorical, as
// SPSS treats it (R's svymean(~factor(x))): every level is estimated.
func resolveProps(frame *survey.Frame, labels fileLabels, reqs []survey.Request) error {
	for k := range reqs {
		r := &reqs[k]
		if r.Statistic != survey.Prop || !frame.Has(r.Variable) {
			continue // the engine names an unknown column with the closest ones
		}
		for j, level := range r.Levels {
			v, err := resolveLevel(frame, labels, r.Variable, level)
			if err != nil {
				return fmt.Errorf("--prop %s=%s: %w", r.Variable, level, err)
			}
			r.Levels[j] = v
		}
		if r.Levels == nil && frame.IsNumeric(r.Variable) && labels.has(r.Variable) && !zeroOne(frame, r.Variable) {
			_, values, err := frame.Codes(r.Variable)
			if err != nil {
				return err
			}
			r.Levels = values
		}
	}
	return nil
}

// zeroOne reports whether a numeric column holds only 0, 1 and missing values.
func zeroOne(frame *survey.Frame, col string) bool {
	y, err := frame.Float(col)
	if err != nil {
		return false
	}
	for _, v := range y {
		if v == v && v != 0 && v != 1 {
			return false
		}
	}
	return true
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
	for _, r := range propRequests(o.props) {
		reqs = append(reqs, r)
		cols = append(cols, r.Variable)
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
	labelMode, err := labelsMode(opts.labels, opts.format)
	if err != nil {
		return err
	}
	if err := checkLevel(opts.level); err != nil {
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
	sqlOK, why := opts.sqlOK()
	producer, err := opts.producer.choose(cmd, path, sqlOK, why)
	if err != nil {
		return err
	}
	if producer == load.DuckDB {
		return estimateInPlace(cmd, path, opts, spec, reqs, by, labelMode)
	}
	var load []string // nil loads every column: replicate weights are found by pattern
	if spec.Replicates == nil {
		load = slices.Concat(opts.design.columns(), cols, by)
	}
	frame, labels, err := loadLabelledFrame(cmd.Context(), path, load, opts.input)
	if err != nil {
		return err
	}
	if err := resolveProps(frame, labels, reqs); err != nil {
		return usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if opts.complete {
		opts.design.complete = cols
	}
	design, err := opts.design.build(path, frame, spec)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	opts.design.warnCalibratedWeight(stderr)
	levels := make([]int64, len(by))
	for k, b := range by {
		if _, values, err := frame.Codes(b); err == nil {
			levels[k] = int64(len(values))
		}
	}
	warnManyGroups(stderr, int64(frame.Rows()), by, levels)
	records, err := design.Estimate(reqs, survey.Options{
		By:         by,
		Level:      opts.level,
		PropCI:     survey.PropCI(opts.ciMethod),
		Rule:       survey.QuantileRule(opts.qrule),
		Thresholds: survey.Thresholds{MinN: opts.minN, MaxCV: opts.maxCV, MinDF: opts.minDF},
	})
	if err != nil {
		return requestError(path, err)
	}
	noteNoGroup(stderr, path, int64(rowsWithoutGroup(frame, by)), int64(frame.Rows()), by)
	explainFlags(stderr, records, design.IsReplicate(), opts.ciMethod)
	return writeEstimates(cmd.OutOrStdout(), opts.format, labelMode, labels, design.Summary(), by, records)
}

// sqlOK reports whether the duckdb producer computes what opts ask, and if not why.
func (opts estimateOptions) sqlOK() (bool, string) {
	switch {
	case opts.design.cal.margins != "", len(opts.design.subset) > 0, opts.complete:
		return false, "--margins, --subset and --complete-cases need the rows in memory"
	case opts.ciMethod == string(survey.CILikelihood):
		return false, "likelihood intervals need the rows in memory"
	case opts.input.keepUserMissing:
		return false, "--keep-user-missing reads SPSS files, which are not read in place"
	}
	return true, ""
}

// estimateInPlace is runEstimate with the duckdb producer: the design from the
// file's units and the estimates from sums, both computed where the file lies
// (pipeline/sqlsums).
func estimateInPlace(cmd *cobra.Command, path string, opts estimateOptions, spec survey.Spec, reqs []survey.Request, by []string, labelMode string) error {
	ctx := cmd.Context()
	tab, st, err := opts.producer.openInPlace(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	defer tab.Close()
	var cols []string
	for _, r := range reqs {
		cols = append(cols, r.Variable, r.Denominator)
	}
	if err := sqlsums.Prepare(ctx, tab, spec, append(cols, by...)); err != nil {
		return err
	}
	design, src, err := sqlsums.Design(ctx, tab, spec)
	if err != nil {
		return usageError{err}
	}
	if opts.design.toReps != "" {
		if design, err = opts.design.convert(design); err != nil {
			return usageError{fmt.Errorf("%s: %w", path, err)}
		}
	}
	records, err := design.EstimateRows(reqs, survey.Options{
		By:         by,
		Level:      opts.level,
		PropCI:     survey.PropCI(opts.ciMethod),
		Rule:       survey.QuantileRule(opts.qrule),
		Thresholds: survey.Thresholds{MinN: opts.minN, MaxCV: opts.maxCV, MinDF: opts.minDF},
	}, src)
	if err != nil {
		return requestError(path, err)
	}
	summary, err := tableSummary(ctx, tab, design)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if len(by) > 0 {
		rows, noGroup, levels, err := tab.Groups(ctx, by)
		if err != nil {
			return err
		}
		warnManyGroups(stderr, rows, by, levels)
		noteNoGroup(stderr, path, noGroup, rows, by)
	}
	explainFlags(stderr, records, design.IsReplicate(), opts.ciMethod)
	return writeEstimates(cmd.OutOrStdout(), opts.format, labelMode, fileLabels{}, summary, by, records)
}

// checkLevel refuses a confidence level outside (0, 1), such as 95.
func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return usageErrorf("--level %v: want a number between 0 and 1, e.g. 0.95", level)
	}
	return nil
}

// requestError is an engine error about what the command line asked for (an
// unknown column or level, text where a number is needed) as bad usage,
// anything else as a failure; both name the file.
func requestError(path string, err error) error {
	err = fmt.Errorf("%s: %w", path, err)
	for _, bad := range []error{survey.ErrUnknownColumn, survey.ErrUnknownLevel, survey.ErrNotNumeric} {
		if errors.Is(err, bad) {
			return usageError{err}
		}
	}
	return err
}

// warnManyGroups warns when a --by column has more groups than a tenth of the
// rows (--by idno): such groups are too small to estimate anything.
func warnManyGroups(w io.Writer, rows int64, by []string, levels []int64) {
	for k, b := range by {
		if n := levels[k]; rows > 0 && n > rows/10 && n > 1 {
			fmt.Fprintf(w, "socap: warning: --by %s has %d groups for %d rows (%.1f rows a group): is it an identifier? Estimates of such small groups are unreliable\n",
				b, n, rows, float64(rows)/float64(n))
		}
	}
}

// noteNoGroup says on stderr how many rows have no value of a by-variable,
// so that rows left out of every group are never left out without a word.
func noteNoGroup(w io.Writer, path string, noGroup, rows int64, by []string) {
	if noGroup > 0 {
		fmt.Fprintf(w, "socap: note: %d of %d rows of %s have no value of %s and are in no group; they still count for the standard errors (out of domain, as in R's svyby)\n",
			noGroup, rows, path, strings.Join(by, " or "))
	}
}

// explainFlags says on stderr, once per reason, why some records carry no
// interval (no_ci) or no design effect (weights_below_n), so that an NA never
// stands without a word.
func explainFlags(w io.Writer, records []survey.Record, replicate bool, ciMethod string) {
	counts := map[string]int{}
	for _, r := range records {
		for _, f := range r.Flags {
			counts[f]++
		}
	}
	if n := counts[survey.FlagNoCI]; n > 0 {
		why := "the estimate is 0 or 1, or its standard error is 0 or not finite"
		if replicate && ciMethod == string(survey.CILikelihood) {
			why = "a replicate design cannot be profiled (as R's confint.svyglm); use another --ci-method"
		}
		fmt.Fprintf(w, "socap: note: %d estimate(s) have no confidence interval (flag no_ci): %s\n", n, why)
	}
	if n := counts[survey.FlagWeightsBelowN]; n > 0 {
		fmt.Fprintf(w, "socap: note: %d estimate(s) have no design effect (flag weights_below_n): the weights sum below the number of rows, so the SRS variance's 1 − n/N is negative; R's svymean warns \"sample size greater than population size\" and gives deff NA too\n", n)
	}
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
// (DESIGN.md) with by_labels (and level_label) beside the codes; table and CSV
// one row per record with a column per --by variable, values shown as
// labelMode says.
func writeEstimates(w io.Writer, format, labelMode string, labels fileLabels, design survey.Summary, by []string, records []survey.Record) error {
	if format == formatJSON {
		out := make([]labelledRecord, len(records))
		for i, r := range records {
			out[i] = labelledRecord{r, byLabels(labels, r.By), labels.label(r.Variable, r.Level)}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Design    survey.Summary   `json:"design"`
			Estimates []labelledRecord `json:"estimates"`
		}{design, out})
	}
	t := &table{Columns: slices.Concat([]string{"variable", "statistic"}, labelColumns(labelMode, "level"), []string{"p"}, labelColumns(labelMode, by...),
		[]string{"estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "sum_weights", "flags"})}
	for _, r := range records {
		row := slices.Concat([]any{r.Variable, string(r.Statistic)}, labelCells(labelMode, labels, r.Variable, r.Level), []any{optionalFloat(r.P)})
		for _, b := range by {
			row = append(row, labelCells(labelMode, labels, b, r.By[b])...)
		}
		row = append(row, r.Estimate, r.SE, r.CILow, r.CIHigh, r.DF, r.Deff, r.CV, r.N, r.SumWeights, strings.Join(r.Flags, " "))
		t.add(row...)
	}
	return t.write(w, format)
}

// labelledRecord is a record with the value labels of its groups and level.
type labelledRecord struct {
	survey.Record
	byLabels   map[string]string
	levelLabel string
}

// MarshalJSON writes the record as survey.Record does, then by_labels and
// level_label when there are any.
func (r labelledRecord) MarshalJSON() ([]byte, error) {
	b, err := r.Record.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var extra []byte
	if r.byLabels != nil {
		m, err := json.Marshal(r.byLabels)
		if err != nil {
			return nil, err
		}
		extra = append(append(extra, `,"by_labels":`...), m...)
	}
	if r.levelLabel != "" {
		m, err := json.Marshal(r.levelLabel)
		if err != nil {
			return nil, err
		}
		extra = append(append(extra, `,"level_label":`...), m...)
	}
	return append(append(b[:len(b)-1:len(b)-1], extra...), '}'), nil
}

func optionalFloat(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}

// tableSummary is the design's summary with the rows of the file read in place
// (the design from sums counts units, not rows).
func tableSummary(ctx context.Context, tab *load.Table, design *survey.Design) (survey.Summary, error) {
	rows, err := tab.Rows(ctx)
	if err != nil {
		return survey.Summary{}, err
	}
	summary := design.Summary()
	summary.Rows = int(rows)
	return summary, nil
}
