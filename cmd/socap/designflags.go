package main

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
)

// designFlags are the survey-design flags shared by every command that estimates
// (estimate, glm, calibrate). Names follow R's svydesign / svrepdesign arguments.
type designFlags struct {
	weight      string
	strata      string
	psu         []string
	fpc         []string
	nest        bool
	lonely      string
	adjustLone  bool
	df          float64
	repweights  string
	reptype     string
	scale       float64
	rscales     []float64
	fayRho      float64
	mse         bool
	multipliers bool
	toReps      string
	replicates  int
	seed        uint64
	subset      []string
}

// add registers the design flags on cmd.
func (f *designFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.weight, "weight", "", "sampling-weight column (default: every weight 1)")
	fl.StringVar(&f.strata, "strata", "", "first-stage stratum column")
	fl.StringSliceVar(&f.psu, "psu", nil, "sampling-unit columns, one per stage, comma separated (default: each row its own PSU)")
	fl.StringSliceVar(&f.fpc, "fpc", nil, "finite population correction columns, one per stage: population sizes or sampling fractions")
	fl.BoolVar(&f.nest, "nest", false, "PSU ids are relative to their stratum (R's nest=TRUE)")
	fl.StringVar(&f.lonely, "lonely-psu", string(survey.LonelyFail), "single-PSU strata: fail, remove, adjust, certainty or average")
	fl.BoolVar(&f.adjustLone, "adjust-domain-lonely", false, "apply --lonely-psu to strata with one PSU in a domain")
	fl.Float64Var(&f.df, "df", 0, "design degrees of freedom (default: R's degf; 'inf' for normal intervals)")
	fl.StringVar(&f.repweights, "repweights", "", "regular expression matching the replicate-weight columns")
	fl.StringVar(&f.reptype, "reptype", "", "replicate type: JK1, JKn, BRR, Fay, bootstrap or other")
	fl.Float64Var(&f.scale, "scale", 0, "replicate variance scale (default as svrepdesign for --reptype)")
	fl.Float64SliceVar(&f.rscales, "rscales", nil, "per-replicate scales, comma separated")
	fl.Float64Var(&f.fayRho, "fay-rho", 0, "Fay's rho for --reptype Fay")
	fl.BoolVar(&f.mse, "mse", false, "centre replicates at the full-sample estimate")
	fl.BoolVar(&f.multipliers, "rep-multipliers", false, "replicate columns multiply --weight (R's combined.weights=FALSE)")
	fl.StringVar(&f.toReps, "to-replicates", "", "convert the design to replicate weights: JK1, JKn, BRR, Fay or bootstrap (as.svrepdesign)")
	fl.IntVar(&f.replicates, "replicates", 50, "number of bootstrap replicates with --to-replicates bootstrap")
	fl.Uint64Var(&f.seed, "seed", 1, "seed for bootstrap replicates")
	fl.StringArrayVar(&f.subset, "subset", nil, `estimate for the subpopulation COL=LEVEL[,LEVEL…] (R's subset; repeat to combine), e.g. --subset gndr=2`)
}

// build makes the design of spec on frame, with --to-replicates converts it to
// replicate weights (R's as.svrepdesign) and with --subset restricts it to a
// subpopulation (R's subset, after the conversion as in R). Errors name the file
// and are bad input (exit 2): the data cannot carry the design the flags describe.
func (f *designFlags) build(path string, frame *survey.Frame, spec survey.Spec) (*survey.Design, error) {
	design, err := survey.NewDesign(frame, spec)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if f.toReps != "" {
		if design, err = f.convert(design); err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", path, err)}
		}
	}
	for _, cond := range f.subset {
		keep, err := subsetRows(frame, cond)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: --subset %s: %w", path, cond, err)}
		}
		if design, err = design.Subset(keep, cond); err != nil {
			return nil, usageError{fmt.Errorf("%s: --subset %s: %w", path, cond, err)}
		}
	}
	return design, nil
}

// convert makes replicate weights of design as --to-replicates asks.
func (f *designFlags) convert(design *survey.Design) (*survey.Design, error) {
	return design.ToReplicates(survey.Conversion{
		Type:       canonicalRepType(f.toReps),
		Replicates: f.replicates,
		Seed:       f.seed,
		Rho:        f.fayRho,
		MSE:        f.mse,
	})
}

// subsetRows marks the rows that cond, COL=LEVEL[,LEVEL…], keeps: those whose
// COL reads as one of the levels (numbers as socap writes them, 2 not 2.0).
func subsetRows(frame *survey.Frame, cond string) ([]bool, error) {
	col, list, ok := strings.Cut(cond, "=")
	col = strings.TrimSpace(col)
	if !ok || col == "" || strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("want COL=LEVEL[,LEVEL…], e.g. gndr=2")
	}
	codes, labels, err := frame.Codes(col)
	if err != nil {
		return nil, err
	}
	want := make([]bool, len(labels))
	for _, level := range trimAll(strings.Split(list, ",")) {
		k := slices.Index(labels, level)
		if k < 0 {
			return nil, fmt.Errorf("%s has no value %q (its values: %s)", col, level, strings.Join(firstN(labels, 20), ", "))
		}
		want[k] = true
	}
	keep := make([]bool, len(codes))
	for i, c := range codes {
		keep[i] = c >= 0 && want[c]
	}
	return keep, nil
}

// firstN is s, or its first n elements and "…".
func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), "…")
}

// spec turns the flags into a survey.Spec, refusing combinations that cannot form a
// design with a usage error.
func (f *designFlags) spec() (survey.Spec, error) {
	sp := survey.Spec{
		Weights:            f.weight,
		Strata:             f.strata,
		Clusters:           trimAll(f.psu),
		FPC:                trimAll(f.fpc),
		Nest:               f.nest,
		LonelyPSU:          survey.LonelyPSU(strings.ToLower(f.lonely)),
		AdjustDomainLonely: f.adjustLone,
		DF:                 f.df,
	}
	if math.IsNaN(f.df) || f.df < 0 {
		return sp, usageErrorf("--df %v: want a positive number or inf", f.df)
	}
	if f.repweights == "" {
		if f.reptype != "" || f.scale != 0 || f.rscales != nil || f.fayRho != 0 || f.mse || f.multipliers {
			return sp, usageErrorf("--reptype, --scale, --rscales, --fay-rho, --mse and --rep-multipliers need --repweights")
		}
		return sp, nil
	}
	if f.strata != "" || len(f.psu) > 0 || len(f.fpc) > 0 {
		return sp, usageErrorf("--repweights replaces --strata, --psu and --fpc; give one or the other")
	}
	if f.reptype == "" {
		return sp, usageErrorf("--repweights needs --reptype (JK1, JKn, BRR, Fay, bootstrap or other)")
	}
	sp.Replicates = &survey.ReplicateSpec{
		Pattern:     f.repweights,
		Type:        canonicalRepType(f.reptype),
		Scale:       f.scale,
		RScales:     f.rscales,
		Rho:         f.fayRho,
		MSE:         f.mse,
		Multipliers: f.multipliers,
	}
	return sp, nil
}

// canonicalRepType accepts replicate types in any case ("jk1", "fay").
func canonicalRepType(s string) survey.RepType {
	for _, t := range []survey.RepType{survey.JK1, survey.JKn, survey.BRR, survey.Fay, survey.Bootstrap, survey.Other} {
		if strings.EqualFold(s, string(t)) {
			return t
		}
	}
	return survey.RepType(s)
}

// columns lists every column the design reads (for loading only what is needed).
func (f *designFlags) columns() []string {
	var cols []string
	var subsetCols []string
	for _, cond := range f.subset {
		col, _, _ := strings.Cut(cond, "=")
		subsetCols = append(subsetCols, col)
	}
	for _, c := range slices.Concat([]string{f.weight, f.strata}, f.psu, f.fpc, subsetCols) {
		if c = strings.TrimSpace(c); c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

func trimAll(s []string) []string {
	var out []string
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
