package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/load"
	"socap/pipeline/store"
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
	df          string
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
	cal         calibrationFlags
	calFlag     string // the name of the margins flag (margins, or glm's cal-margins)
	// complete lists the analysis columns of --complete-cases: rows missing any
	// of them leave the design as a subset does.
	complete []string
	// calReport is the calibration build made, when --margins asked for one.
	calReport *survey.CalReport
}

// calibrationFlags calibrate the design to population margins (R's
// postStratify, rake, calibrate), for calibrate and, so that standard errors
// count the calibration, for estimate and glm.
type calibrationFlags struct {
	margins string
	method  string
	bounds  []float64
	maxIter int
	tol     float64
	parsed  []survey.Margin // read by designFlags.spec
}

// add registers the calibration flags, the margins file under marginsFlag
// (glm's --margins names marginal-effect columns, so there it is --cal-margins).
func (c *calibrationFlags) add(cmd *cobra.Command, marginsFlag string) {
	f := cmd.Flags()
	f.StringVar(&c.margins, marginsFlag, "", "population margins CSV (variable,level,total) to calibrate the design to (the standard errors count the calibration)")
	f.StringVar(&c.method, "method", string(survey.Rake), "calibration: poststratify, rake, linear or logit")
	f.Float64SliceVar(&c.bounds, "bounds", nil, "calibration: lowest and highest ratio of new to old weight, LO,HI")
	f.IntVar(&c.maxIter, "max-iter", 0, "calibration iteration limit (default 100 for rake, 50 for linear and logit)")
	f.Float64Var(&c.tol, "tol", 0, "calibration tolerance, default 1e-10: for rake the largest change of a weighted count between sweeps (relative to the total weight when below 1, as R's epsilon), for linear and logit the largest |misfit|/(1 + |total|)")
}

// options are the engine's calibration options; margins must have been read.
func (c *calibrationFlags) options() (survey.CalOptions, error) {
	opt := survey.CalOptions{Method: survey.CalMethod(strings.ToLower(c.method)), Margins: c.parsed, MaxIter: c.maxIter, Tol: c.tol}
	switch len(c.bounds) {
	case 0:
	case 2:
		opt.Lower, opt.Upper = c.bounds[0], c.bounds[1]
	default:
		return opt, usageErrorf("--bounds: want LO,HI, e.g. 0.5,2")
	}
	return opt, nil
}

// add registers the design flags on cmd, the calibration margins as --margins.
func (f *designFlags) add(cmd *cobra.Command) { f.addNamed(cmd, "margins") }

// addNamed registers the design flags on cmd, the calibration margins file
// under marginsFlag.
func (f *designFlags) addNamed(cmd *cobra.Command, marginsFlag string) {
	f.calFlag = marginsFlag
	fl := cmd.Flags()
	fl.StringVar(&f.weight, "weight", "", "sampling-weight column (default: every weight 1)")
	fl.StringVar(&f.strata, "strata", "", "first-stage stratum column")
	fl.StringSliceVar(&f.psu, "psu", nil, "sampling-unit columns, one per stage, comma separated (default: each row its own PSU)")
	fl.StringSliceVar(&f.fpc, "fpc", nil, "finite population correction columns, one per stage: population sizes or sampling fractions")
	fl.BoolVar(&f.nest, "nest", false, "PSU ids are relative to their stratum (R's nest=TRUE)")
	fl.StringVar(&f.lonely, "lonely-psu", string(survey.LonelyFail), "single-PSU strata: fail, remove, adjust, certainty or average")
	fl.BoolVar(&f.adjustLone, "adjust-domain-lonely", false, "apply --lonely-psu to strata with one PSU in a domain")
	fl.StringVar(&f.df, "df", dfDomain, "degrees of freedom of intervals: domain (each domain's #PSU − #strata, as svyby's svyciprop), design (the whole design's, as Stata), inf (normal, as R's confint) or a number")
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
	f.cal.add(cmd, marginsFlag)
}

// Degrees-of-freedom rules of --df.
const (
	dfDomain = "domain"
	dfDesign = "design"
	dfInf    = "inf"
)

// build makes the design of spec on frame, with --to-replicates converts it to
// replicate weights (R's as.svrepdesign), with --margins calibrates it (R's rake,
// postStratify, calibrate: the standard errors count the calibration), with
// --df design puts every domain on the whole design's degrees of freedom, and
// with --subset restricts it to a subpopulation (R's subset, after the
// conversion and calibration as in R). Errors name the file
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
	if f.cal.margins != "" {
		opt, err := f.cal.options()
		if err != nil {
			return nil, err
		}
		if design, f.calReport, err = design.Calibrate(opt); err != nil {
			return nil, usageError{fmt.Errorf("%s: calibrate to %s: %w", path, f.cal.margins, err)}
		}
	}
	if strings.EqualFold(strings.TrimSpace(f.df), dfDesign) {
		if design, err = design.WithDF(design.DF()); err != nil {
			return nil, usageError{fmt.Errorf("%s: --df design: %w", path, err)}
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
	if len(f.complete) > 0 {
		keep, err := completeRows(frame, f.complete)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: --complete-cases: %w", path, err)}
		}
		if design, err = design.Subset(keep, "complete cases of "+strings.Join(f.complete, ", ")); err != nil {
			return nil, usageError{fmt.Errorf("%s: --complete-cases: %w", path, err)}
		}
	}
	return design, nil
}

// completeRows marks the rows with a value in every one of cols (R's
// complete.cases).
func completeRows(frame *survey.Frame, cols []string) ([]bool, error) {
	keep := make([]bool, frame.Rows())
	for i := range keep {
		keep[i] = true
	}
	for _, c := range slices.Compact(slices.Sorted(slices.Values(cols))) {
		codes, _, err := frame.Codes(c)
		if err != nil {
			return nil, err
		}
		for i, code := range codes {
			keep[i] = keep[i] && code >= 0
		}
	}
	return keep, nil
}

// warnCalibratedWeight warns on w when the weight is named like calibrate's
// output (*_cal) but the design neither calibrates nor has replicate weights:
// its standard errors then treat the calibrated weights as fixed and ignore
// the calibration, which can overstate them several-fold.
func (f *designFlags) warnCalibratedWeight(w io.Writer) {
	if !strings.HasSuffix(f.weight, "_cal") || f.cal.margins != "" || f.repweights != "" || f.toReps != "" {
		return
	}
	fmt.Fprintf(w, "socap: warning: --weight %s looks calibrated, but the standard errors treat it as a sampling weight and ignore the calibration; for the calibrated design's SEs give the original weight with --%s FILE --method METHOD (as R's rake/calibrate), or the replicate weights calibrate wrote (--repweights … --reptype …)\n", f.weight, f.calFlag)
}

// convert makes replicate weights of design as --to-replicates asks.
func (f *designFlags) convert(design *survey.Design) (*survey.Design, error) {
	return design.ToReplicates(survey.Conversion{
		Type:       survey.ParseRepType(f.toReps),
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
	}
	switch df := strings.ToLower(strings.TrimSpace(f.df)); df {
	case dfDomain, dfDesign, "":
	case dfInf:
		sp.DF = math.Inf(1)
	default:
		x, err := strconv.ParseFloat(df, 64)
		if err != nil || !(x > 0) {
			return sp, usageErrorf("--df %q: want domain, design, inf or a positive number", f.df)
		}
		sp.DF = x
	}
	if f.cal.margins != "" {
		var err error
		if f.cal.parsed, err = readMargins(f.cal.margins); err != nil {
			return sp, err
		}
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
		Type:        survey.ParseRepType(f.reptype),
		Scale:       f.scale,
		RScales:     f.rscales,
		Rho:         f.fayRho,
		MSE:         f.mse,
		Multipliers: f.multipliers,
	}
	return sp, nil
}

// columns lists every column the design reads (for loading only what is needed).
func (f *designFlags) columns() []string {
	var cols []string
	var subsetCols []string
	for _, cond := range f.subset {
		col, _, _ := strings.Cut(cond, "=")
		subsetCols = append(subsetCols, col)
	}
	for _, m := range f.cal.parsed {
		subsetCols = append(subsetCols, m.Variable)
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

// minDuckDB is the least memory the duckdb producer's DuckDB is given.
const minDuckDB = 128_000_000

// producerFlags choose the producer of the engine's sums (pipeline/load.Choose):
// columns in memory, or DuckDB sums over the file where it lies.
type producerFlags struct {
	producer    string
	memoryLimit string
}

func (p *producerFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.producer, "producer", "auto", "how the sums behind the estimates are computed: memory (columns loaded), duckdb (GROUP BY over the CSV or Parquet file, folder or glob where it lies) or auto (duckdb when the file would not fit in --memory-limit)")
	f.StringVar(&p.memoryLimit, "memory-limit", "", "memory the data may take, e.g. 4GB (default: half the machine's memory); also bounds DuckDB")
}

// choose picks the producer for path and says which on stderr — always for
// duckdb, and for memory when a flag asked (the default in-memory reading of a
// file within the limit stays silent, as before); sqlOK false (why says what
// needs the rows) keeps auto in memory and refuses duckdb.
func (p *producerFlags) choose(cmd *cobra.Command, path string, sqlOK bool, why string) (load.Producer, error) {
	limit, err := load.MemoryLimit(p.memoryLimit)
	if err != nil {
		return "", usageErrorf("--memory-limit: %v", err)
	}
	c, err := load.Choose(path, p.producer, limit, sqlOK, why)
	if err != nil {
		return "", usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if c.Producer == load.DuckDB || cmd.Flags().Changed("producer") || cmd.Flags().Changed("memory-limit") {
		fmt.Fprintf(cmd.ErrOrStderr(), "socap: producer %s: %s\n", c.Producer, c.Reason)
	}
	return c.Producer, nil
}

// openInPlace opens path where it lies through a scratch DuckDB bounded by
// --memory-limit, for the duckdb producer, but given at least minDuckDB: below that
// DuckDB cannot hold the buffers of one scan (its aggregates spill; its buffers do not).
func (p *producerFlags) openInPlace(ctx context.Context, path string) (*load.Table, *store.Store, error) {
	limit := p.memoryLimit
	if n, err := load.MemoryLimit(limit); err == nil && limit != "" && n < minDuckDB {
		limit = fmt.Sprintf("%dMB", minDuckDB/1_000_000)
	}
	st, err := store.Open(ctx, "", store.Options{MemoryLimit: limit})
	if err != nil {
		return nil, nil, err
	}
	t, err := load.OpenInPlace(ctx, st, path)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return t, st, nil
}

// addRun adds --producer and --memory-limit to socap run, whose limit defaults to
// engine.memory_limit.
func (p *producerFlags) addRun(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.producer, "producer", "auto", "how the sums behind the estimates are computed: memory, duckdb or auto (duckdb when the sources would not fit in --memory-limit); duckdb has the estimate stage sum in DuckDB, while the other stages read the respondents into memory, as stderr then says")
	f.StringVar(&p.memoryLimit, "memory-limit", "", "memory the data may take, for the choice of producer (default engine.memory_limit, else half the machine's memory)")
}

// chooseRun picks the producer for socap run's sources (load.ChooseFiles), sets it
// on env for the stages (pipeline.Env.Producer) and says on stderr which, and what
// it changes: with duckdb the estimate stage sums the store's tables in DuckDB
// (pipeline/estimate), while the design, score, reliability, compare, model,
// evaluate and mentoring stages still read the respondents into memory — and a
// design that calibrates keeps the estimate stage in memory too. quiet leaves out
// the line for memory.
func (p *producerFlags) chooseRun(cmd *cobra.Command, env *pipeline.Env, quiet bool) error {
	cfg := env.Config
	limitText, flag := p.memoryLimit, "--memory-limit"
	if !cmd.Flags().Changed("memory-limit") && cfg.Engine.MemoryLimit != "" {
		limitText, flag = cfg.Engine.MemoryLimit, "engine.memory_limit"
	}
	limit, err := load.MemoryLimit(limitText)
	if err != nil {
		return usageErrorf("%s: %v", flag, err)
	}
	var paths []string
	for _, s := range cfg.Sources {
		paths = append(paths, cfg.Resolve(s.Path))
	}
	c, err := load.ChooseFiles(paths, p.producer, limit, true, "")
	if err != nil {
		return usageError{err}
	}
	env.Producer = string(c.Producer)
	w := cmd.ErrOrStderr()
	const others = "the design, score, reliability, compare, model, evaluate and mentoring stages"
	switch {
	case c.Producer == load.DuckDB && cfg.Design.Calibrate != nil:
		fmt.Fprintf(w, "socap: producer duckdb: %s; but design: calibrate computes the calibrated weights in memory and the store does not hold them, so the estimate stage, like %s, reads the respondents into memory\n", c.Reason, others)
	case c.Producer == load.DuckDB:
		fmt.Fprintf(w, "socap: producer duckdb: %s; the estimate stage sums in DuckDB (each wave's design, the estimates' sums and the disclosure counts by GROUP BY over the respondents and scores in the store); %s still read the respondents into memory\n", c.Reason, others)
	case !quiet:
		fmt.Fprintf(w, "socap: producer memory: %s\n", c.Reason)
	}
	return nil
}
