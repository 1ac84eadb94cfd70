package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline/design"
	"socap/pipeline/ingest"
)

type calibrateOptions struct {
	design designFlags // its calibration flags say what to calibrate to
	out    string
	suffix string
}

func newCalibrateCmd() *cobra.Command {
	opts := calibrateOptions{}
	cmd := &cobra.Command{
		Use:   "calibrate FILE",
		Short: "Calibrate survey weights to known population totals",
		Long: `calibrate adjusts the weights of FILE so that weighted counts match known
population margins, as R's postStratify, rake and calibrate:

  poststratify   one variable: weights scaled to each level's population count
  rake           several variables: iterative proportional fitting
  linear         GREG calibration (g = 1 + x'λ), optionally with --bounds lo,hi
  logit          calibration with g kept within --bounds lo,hi

The margins file is a CSV with the header variable,level,total: a population
count per level of each categorical variable, or, with an empty level, the
population total of a numeric variable (linear and logit only).

The output file keeps every input column and adds the calibrated weight
(<weight>_cal) and, for a replicate design, every replicate recalibrated
(<replicate>_cal). Standard errors from the recalibrated replicate weights
include the calibration. A linearisation design's file carries only the new
weights: later estimates treat them as sampling weights, without the (usually
smaller) residual variance that R computes for the calibrated design object; use
replicate weights to keep the calibration in the variance.`,
		Example: `  socap calibrate apiclus1.csv --weight pw --psu dnum --fpc fpc --margins pop.csv --method rake --out cal.csv
  socap calibrate survey.csv --weight w --repweights '^rep' --reptype JK1 --margins pop.csv \
      --method logit --bounds 0.5,2 --out cal.csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibrate(cmd, args[0], opts)
		},
	}
	opts.design.add(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.out, "out", "", "output CSV file (required)")
	f.StringVar(&opts.suffix, "suffix", "_cal", "suffix for the new weight columns")
	return cmd
}

func runCalibrate(cmd *cobra.Command, path string, opts calibrateOptions) error {
	if opts.design.cal.margins == "" || opts.out == "" {
		return usageErrorf("--margins and --out are required")
	}
	if strings.ToLower(filepath.Ext(opts.out)) != ".csv" {
		return usageErrorf("--out %s: calibrate writes CSV; name the file .csv", opts.out)
	}
	spec, err := opts.design.spec()
	if err != nil {
		return err
	}
	in, err := openInput(cmd.Context(), path)
	if err != nil {
		return err
	}
	defer in.Close()
	var load []string // nil reads every column: replicate weights are found by pattern
	if spec.Replicates == nil {
		load = opts.design.columns()
	}
	frame, err := in.frame(cmd.Context(), load)
	if err != nil {
		return err
	}
	design, err := opts.design.build(path, frame, spec)
	if err != nil {
		return err
	}
	cal, report := design, opts.design.calReport
	base := spec.Weights
	if base == "" {
		base = "weight"
	}
	names := []string{base + opts.suffix}
	cols := [][]float64{cal.Weights()}
	info := design.Summary().Replicates
	for k, w := range cal.ReplicateWeights() {
		rep := fmt.Sprintf("rep%d", k+1) // converted designs have no column names
		if info.Columns != nil {
			rep = info.Columns[k]
		}
		names = append(names, rep+opts.suffix)
		cols = append(cols, w)
	}
	for _, n := range names {
		if slices.ContainsFunc(in.info.Columns, func(c ingest.Column) bool { return c.Name == n }) {
			return usageErrorf("%s already has a column %q; choose another --suffix", path, n)
		}
	}
	if err := in.writeWithColumns(cmd.Context(), opts.out, names, cols); err != nil {
		return err
	}
	total := 0.0
	for _, w := range cal.Weights() {
		total += w
	}
	next := "--weight " + names[0]
	if info != nil {
		next += " " + replicateFlags(names[1:], info)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s calibration in %d iteration(s); weights sum to %.10g; new/old weight ratio %.4g to %.4g\nwrote %s; use %s\n",
		path, report.Method, report.Iterations, total, report.GMin, report.GMax, opts.out, next)
	return err
}

// replicateFlags are the design flags that read the written replicate columns (full
// analysis weights) with the design's variance scales.
func replicateFlags(names []string, info *survey.RepInfo) string {
	quoted := make([]string, len(names))
	for k, n := range names {
		quoted[k] = regexp.QuoteMeta(n)
	}
	f := fmt.Sprintf("--repweights '^(%s)$' --reptype %s --scale %s", strings.Join(quoted, "|"), info.Type,
		strconv.FormatFloat(info.Scale, 'g', -1, 64))
	if slices.ContainsFunc(info.RScales, func(r float64) bool { return r != 1 }) {
		rs := make([]string, len(info.RScales))
		for k, r := range info.RScales {
			rs[k] = strconv.FormatFloat(r, 'g', -1, 64)
		}
		f += " --rscales " + strings.Join(rs, ",")
	}
	if info.Rho != 0 {
		f += " --fay-rho " + strconv.FormatFloat(info.Rho, 'g', -1, 64)
	}
	if info.MSE {
		f += " --mse"
	}
	return f
}

// readMargins reads a margins CSV with the header variable,level,total (a
// wave column is for socap.yaml's calibrate:, which calibrates each wave).
func readMargins(path string) ([]survey.Margin, error) {
	m, err := design.ReadMargins(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageError{err}
	}
	if err != nil {
		return nil, err
	}
	if m.Waved() {
		return nil, usageErrorf("%s: a wave column is for socap.yaml's design: calibrate:; give one wave's margins here", path)
	}
	return m.ForWave(0), nil
}
