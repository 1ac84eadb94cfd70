package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline/load"
	"socap/pipeline/sqlglm"
	"socap/pipeline/sqlsums"
)

type glmOptions struct {
	design    designFlags
	producer  producerFlags
	input     inputFlags
	formula   string
	family    string
	refs      []string
	exp       bool
	margins   []string
	marginsBy string
	tests     []string
	level     float64
	fixedME   bool
	format    string
	labels    string
}

func newGLMCmd() *cobra.Command {
	opts := glmOptions{}
	cmd := &cobra.Command{
		Use:   "glm FILE",
		Short: "Survey-weighted regression with design-based standard errors (svyglm)",
		Long: `glm fits a generalised linear model to FILE by survey-weighted maximum
pseudo-likelihood and reports design-based (sandwich or replicate) standard
errors, t tests on the residual design degrees of freedom (degf − p + 1) and
confidence intervals, as R's svyglm. Formulas are R's: factor(g) (treatment
contrasts, first level the reference; --ref g=level to change it), I(x^2),
log(x), a:b, a*b, - 1; coefficients are named as R names them.

--margins adds average marginal effects (percentage points for binomial
models), overall and by the groups of --margins-by; --test adds Wald tests
that a set of terms is zero (regTermTest).`,
		Example: `  socap glm apistrat.csv --weight pw --strata stype --fpc fpc --formula "api00 ~ ell + meals + stype"
  socap glm ess.csv --weight anweight --strata stratum --psu psu --nest --family binomial \
      --formula "pdwrk ~ ppltrst + sclmeet + agea + I(agea^2) + factor(gndr) + factor(brncntr)" \
      --margins ppltrst,brncntr --margins-by gndr --test "factor(gndr) + factor(brncntr)" --exp`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGLM(cmd, args[0], opts)
		},
	}
	opts.design.addNamed(cmd, "cal-margins")
	opts.input.add(cmd)
	opts.producer.add(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.formula, "formula", "", `model formula, e.g. "y ~ x1 + factor(g)" (required)`)
	f.StringVar(&opts.family, "family", string(survey.Gaussian), "gaussian, binomial, quasibinomial, poisson or quasipoisson")
	f.StringSliceVar(&opts.refs, "ref", nil, "reference levels COLUMN=LEVEL for factors")
	f.BoolVar(&opts.exp, "exp", false, "report exp(coefficient): odds ratios (binomial) or rate ratios (poisson)")
	f.StringSliceVar(&opts.margins, "margins", nil, "columns for average marginal effects")
	f.StringVar(&opts.marginsBy, "margins-by", "", "also give the marginal effects in each group of this column")
	f.StringArrayVar(&opts.tests, "test", nil, `Wald test that terms are zero, e.g. "factor(g) + a:b" (repeatable)`)
	f.Float64Var(&opts.level, "level", 0.95, "confidence level")
	f.BoolVar(&opts.fixedME, "margins-fixed", false, "marginal-effect SEs with the covariates fixed (only β̂'s sampling, as svycontrast of the coefficients) instead of unconditional ones that also count the covariates' sampling")
	addFormatFlag(cmd, &opts.format)
	addLabelsFlag(cmd, &opts.labels)
	return cmd
}

// glmResult is the JSON output of socap glm (DESIGN.md).
type glmResult struct {
	Design       survey.Summary          `json:"design"`
	Model        glmModel                `json:"model"`
	Coefficients []survey.Coefficient    `json:"coefficients"`
	Margins      []survey.MarginalEffect `json:"marginal_effects"`
	Tests        []survey.WaldTest       `json:"tests"`

	labels    fileLabels // value labels of the file's columns
	labelMode string     // --labels
}

type glmModel struct {
	Formula       string  `json:"formula"`
	Family        string  `json:"family"`
	N             int     `json:"n"`
	LeftOut       int     `json:"rows_left_out"` // rows of non-zero weight missing the response or a predictor (na.omit)
	DFResidual    float64 `json:"df_residual"`
	Iterations    int     `json:"iterations"`
	Deviance      float64 `json:"deviance"`
	Level         float64 `json:"level"`
	Exponentiated string  `json:"exponentiated,omitempty"` // "odds ratio" or "rate ratio"
}

func runGLM(cmd *cobra.Command, path string, opts glmOptions) error {
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
	if strings.TrimSpace(opts.formula) == "" {
		return usageErrorf("--formula is required, e.g. --formula \"y ~ x + factor(g)\"")
	}
	family := survey.Family(strings.ToLower(opts.family))
	ratio := ""
	if opts.exp {
		switch family {
		case survey.Binomial, survey.Quasibinomial:
			ratio = "odds ratio"
		case survey.Poisson, survey.Quasipoisson:
			ratio = "rate ratio"
		default:
			return usageErrorf("--exp needs a binomial or poisson family (exp of a %s coefficient is not a ratio)", family)
		}
	}
	refs := map[string]string{}
	for _, r := range trimAll(opts.refs) {
		col, level, ok := strings.Cut(r, "=")
		if !ok || col == "" {
			return usageErrorf("--ref %q: want COLUMN=LEVEL", r)
		}
		refs[col] = level
	}
	spec, err := opts.design.spec()
	if err != nil {
		return err
	}
	formula, err := survey.ParseFormula(opts.formula)
	if err != nil {
		return usageError{fmt.Errorf("%s: glm: %w", path, err)}
	}
	sqlOK, why := opts.sqlOK(spec)
	producer, err := opts.producer.choose(cmd, path, sqlOK, why)
	if err != nil {
		return err
	}
	if producer == load.DuckDB {
		return glmInPlace(cmd, path, opts, spec, formula, family, refs, ratio, labelMode)
	}
	var load []string // nil loads every column: replicate weights are found by pattern
	if spec.Replicates == nil {
		load = slices.Concat(opts.design.columns(), formula.Columns(), trimAll(opts.margins), trimAll([]string{opts.marginsBy}))
	}
	frame, labels, err := loadLabelledFrame(cmd.Context(), path, load, opts.input)
	if err != nil {
		return err
	}
	design, err := opts.design.build(path, frame, spec)
	if err != nil {
		return err
	}
	opts.design.warnCalibratedWeight(cmd.ErrOrStderr())
	fit, err := design.GLM(opts.formula, survey.GLMOptions{Family: family, Refs: refs, Level: opts.level})
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", path, err)}
	}
	res := glmResult{
		Design: design.Summary(),
		Model: glmModel{Formula: opts.formula, Family: string(fit.Family), N: fit.N, LeftOut: design.WeightedRows() - fit.N, DFResidual: fit.DFResidual,
			Iterations: fit.Iterations, Deviance: fit.Deviance, Level: fit.Level, Exponentiated: ratio},
		Coefficients: fit.Coef,
		Margins:      []survey.MarginalEffect{},
		Tests:        []survey.WaldTest{},
	}
	if opts.exp {
		for k, c := range res.Coefficients {
			res.Coefficients[k].Estimate = math.Exp(c.Estimate)
			res.Coefficients[k].CILow = math.Exp(c.CILow)
			res.Coefficients[k].CIHigh = math.Exp(c.CIHigh)
		}
	}
	if len(opts.margins) > 0 || opts.marginsBy != "" {
		if res.Margins, err = fit.MarginsWith(trimAll(opts.margins), opts.marginsBy, survey.MarginOptions{FixedCovariates: opts.fixedME}); err != nil {
			return usageError{fmt.Errorf("%s: %w", path, err)}
		}
	}
	for _, tt := range opts.tests {
		w, err := fit.WaldTest(tt)
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", path, err)}
		}
		res.Tests = append(res.Tests, *w)
	}
	res.labels = labels
	res.labelMode = labelMode
	return writeGLM(cmd.OutOrStdout(), opts.format, res)
}

// sqlOK reports whether the duckdb producer fits what opts ask (pipeline/sqlglm),
// and if not why, naming the feature and the producer that fits it.
func (opts glmOptions) sqlOK(spec survey.Spec) (bool, string) {
	const memory = " fitted only from rows in memory: --producer memory fits it"
	switch {
	case len(opts.margins) > 0 || opts.marginsBy != "":
		return false, "marginal effects (--margins, --margins-by) are" + memory
	case opts.design.cal.margins != "":
		return false, "a calibrated design (--cal-margins) is" + memory
	case len(opts.design.subset) > 0:
		return false, "a subset (--subset) is" + memory
	case opts.design.toReps != "":
		return false, "replicate weights converted from the design (--to-replicates) are" + memory
	case spec.Weights == "" && len(spec.FPC) > 0:
		return false, "weights from the fpc (no --weight) are" + memory
	case opts.input.keepUserMissing:
		return false, "--keep-user-missing reads SPSS files, which are not read in place: --producer memory reads them"
	}
	return true, ""
}

// glmInPlace is runGLM with the duckdb producer: the design from the file's units
// (pipeline/sqlsums) and the fit from SQL aggregates (pipeline/sqlglm), both
// computed where the file lies.
func glmInPlace(cmd *cobra.Command, path string, opts glmOptions, spec survey.Spec, formula *survey.Formula, family survey.Family, refs map[string]string, ratio, labelMode string) error {
	ctx := cmd.Context()
	tab, st, err := opts.producer.openInPlace(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	// the design's and the model's columns typed together: a CSV is staged once
	if err := sqlsums.Prepare(ctx, tab, spec, formula.Columns()); err != nil {
		return usageError{err}
	}
	design, _, err := sqlsums.Design(ctx, tab, spec)
	if err != nil {
		return usageError{err}
	}
	fit, err := sqlglm.Fit(ctx, tab, design, spec, opts.formula, survey.GLMOptions{Family: family, Refs: refs, Level: opts.level})
	if err != nil {
		return requestError(path, err)
	}
	summary, err := tableSummary(ctx, tab, design)
	if err != nil {
		return err
	}
	res := glmResult{
		Design: summary,
		Model: glmModel{Formula: opts.formula, Family: string(fit.Family), N: fit.N, LeftOut: int(fit.WeightedRows) - fit.N, DFResidual: fit.DFResidual,
			Iterations: fit.Iterations, Deviance: fit.Deviance, Level: fit.Level, Exponentiated: ratio},
		Coefficients: fit.Coef,
		Margins:      []survey.MarginalEffect{},
		Tests:        []survey.WaldTest{},
		labelMode:    labelMode,
	}
	if opts.exp {
		for k, c := range res.Coefficients {
			res.Coefficients[k].Estimate = math.Exp(c.Estimate)
			res.Coefficients[k].CILow = math.Exp(c.CILow)
			res.Coefficients[k].CIHigh = math.Exp(c.CIHigh)
		}
	}
	for _, tt := range opts.tests {
		w, err := fit.WaldTest(tt)
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", path, err)}
		}
		res.Tests = append(res.Tests, *w)
	}
	return writeGLM(cmd.OutOrStdout(), opts.format, res)
}

// termLabel is a coefficient name with each factor level's value label in
// place of its code ("factor(gndr)2" → "gndr: Female", "factor(a)1:x" →
// "a: Yes:x"), or "" when no level has a label.
func termLabel(term string, labels fileLabels) string {
	parts := strings.Split(term, ":")
	found := false
	for k, part := range parts {
		inner, ok := strings.CutPrefix(part, "factor(")
		if !ok {
			continue
		}
		col, level, ok := strings.Cut(inner, ")")
		if l := labels.label(col, level); ok && l != "" {
			parts[k] = col + ": " + l
			found = true
		}
	}
	if !found {
		return ""
	}
	return strings.Join(parts, ":")
}

// meByText is a marginal effect's group as a table shows it, labelled as mode says.
func meByText(m survey.MarginalEffect, labels fileLabels, mode string) string {
	for k, v := range m.By {
		l := labels.label(k, v)
		switch {
		case l == "" || mode == labelsCodes:
			return k + "=" + v
		case mode == labelsBoth:
			return k + "=" + v + " (" + l + ")"
		default:
			return k + "=" + l
		}
	}
	return ""
}

// writeGLM renders the fit: JSON as one object; CSV as one table with a section
// column (coefficient, marginal_effect, test); table as three titled tables.
func writeGLM(w io.Writer, format string, res glmResult) error {
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	est, se := "estimate", "se"
	if res.Model.Exponentiated != "" {
		est, se = strings.ReplaceAll(res.Model.Exponentiated, " ", "_"), "se_log"
	}
	withLabel := res.labelMode != labelsCodes
	coef := &table{Columns: []string{"term", est, se, "t", "p", "ci_low", "ci_high"}}
	if withLabel {
		coef.Columns = slices.Insert(coef.Columns, 1, "label")
	}
	for _, c := range res.Coefficients {
		row := []any{c.Term, c.Estimate, c.SE, c.T, c.P, c.CILow, c.CIHigh}
		if withLabel {
			row = slices.Insert(row, 1, any(termLabel(c.Term, res.labels)))
		}
		coef.add(row...)
	}
	me := &table{Columns: []string{"term", "by", "estimate", "se", "t", "p", "ci_low", "ci_high", "unit"}}
	for _, m := range res.Margins {
		me.add(m.Term, meByText(m, res.labels, res.labelMode), m.Estimate, m.SE, m.T, m.P, m.CILow, m.CIHigh, m.Unit)
	}
	tests := &table{Columns: []string{"terms", "F", "df", "ddf", "p"}}
	for _, t := range res.Tests {
		tests.add(strings.Join(t.Terms, " + "), t.F, t.DF, t.DDF, t.P)
	}
	if format == formatCSV {
		all := &table{Columns: []string{"section", "term", "term_label", "by", "estimate", "se", "t", "p", "ci_low", "ci_high", "df"}}
		for _, c := range res.Coefficients {
			all.add("coefficient", c.Term, termLabel(c.Term, res.labels), "", c.Estimate, c.SE, c.T, c.P, c.CILow, c.CIHigh, res.Model.DFResidual)
		}
		for k, m := range res.Margins {
			all.add("marginal_effect", m.Term, termLabel(m.Term, res.labels), me.Rows[k][1], m.Estimate, m.SE, m.T, m.P, m.CILow, m.CIHigh, m.DF)
		}
		for _, t := range res.Tests {
			all.add("test", strings.Join(t.Terms, " + "), "", "", t.F, nil, nil, t.P, nil, nil, t.DDF)
		}
		return all.write(w, formatCSV)
	}
	leftOut := ""
	if res.Model.LeftOut > 0 {
		leftOut = fmt.Sprintf(" (%d rows missing the response or a predictor left out)", res.Model.LeftOut)
	}
	subset := ""
	if res.Design.Subset != "" {
		subset = ", subset " + res.Design.Subset
	}
	fmt.Fprintf(w, "%s (%s%s): n = %d%s, residual df = %g\n\n", res.Model.Formula, res.Model.Family, subset, res.Model.N, leftOut, res.Model.DFResidual)
	if err := coef.write(w, formatTable); err != nil {
		return err
	}
	if len(res.Margins) > 0 {
		fmt.Fprintln(w, "\naverage marginal effects")
		if err := me.write(w, formatTable); err != nil {
			return err
		}
	}
	if len(res.Tests) > 0 {
		fmt.Fprintln(w, "\nWald tests")
		return tests.write(w, formatTable)
	}
	return nil
}
