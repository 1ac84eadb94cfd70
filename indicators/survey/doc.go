// Package survey is socap's design-based estimation engine, the Go counterpart of R's
// survey package (Lumley 2010, "Complex Surveys: A Guide to Analysis Using R"). It
// knows nothing of files, DuckDB or YAML: callers put columns in a Frame and get
// Records back.
//
// # Use
//
//	f := survey.NewFrame()
//	f.AddFloat("api00", api00)            // numeric: NaN is missing
//	f.AddString("stype", stype)           // categorical: "" is missing
//	...
//	d, err := survey.NewDesign(f, survey.Spec{
//		Weights: "pw", Strata: "stype", FPC: []string{"fpc"}, // svydesign(ids=~1, strata=~stype, fpc=~fpc, weights=~pw)
//	})
//	recs, err := d.Estimate([]survey.Request{
//		{Statistic: survey.Mean, Variable: "api00"},
//		{Statistic: survey.Ratio, Variable: "api00", Denominator: "api99"},
//		{Statistic: survey.Prop, Variable: "sch.wide"},                 // every level
//		{Statistic: survey.Quantile, Variable: "api00", Probs: []float64{0.5}},
//	}, survey.Options{By: []string{"stype", "awards"}})              // svyby(~y, ~stype+awards, ...)
//	json.Marshal(recs)                                                 // the records of DESIGN.md
//
// Replicate designs come from supplied weights (Spec.Replicates, as svrepdesign) or
// from Design.ToReplicates (as.svrepdesign); Design.Summary describes a design.
//
// # What is computed, and where it comes from
//
// Estimates: mean Σwy/Σw, total Σwy, ratio Σwy/Σwx, proportion (the mean of a 0/1
// indicator), quantiles by survey's qrule_math or qrule_hf7.
//
// Linearisation variance: the influence function of each statistic (Binder 1983) is
// summed within sampling units and passed to svyrecvar's formula — stratified, with
// the finite population correction per stage and, when fpc is given for every stage,
// the multistage terms of Särndal, Swensson & Wretman (1992, result 4.3.1); without fpc,
// with-replacement sampling of ultimate clusters. Lonely PSUs follow
// options(survey.lonely.psu) and survey.adjust.domain.lonely (see LonelyPSU).
//
// Replicate variance: svrVar, scale·Σ rscales_r (θ_r − θ̄)², θ̄ the replicate mean or,
// with MSE, the full-sample estimate (Wolter 2007, "Introduction to Variance
// Estimation", ch. 3–5).
//
// Domains: a domain is its rows with weight zero elsewhere, never a subset, so strata
// and PSUs without domain members still count (Lumley 2010, sec. 2.3.1). Missing values
// of the analysis variables take a row out of the domain (na.rm=TRUE). On a calibrated
// design (Calibrate) the influence functions are replaced by their residuals on the
// calibration before they are summed, row by row, as svyrecvar does with postStrata.
//
// Degrees of freedom: R's degf — PSUs minus strata among the domain's rows with non-zero
// weight, or the rank of the replicate weights minus one; Spec.DF overrides. Intervals
// are t intervals with these df (confint(..., df=degf(design))); proportion intervals
// are svyciprop's — logit, likelihood (its glm fit reproduced step by step), asin,
// beta, mean, xlogit — plus a Wilson interval R lacks (see PropCI); quantile intervals
// are Woodruff's (svyquantile, interval types mean, beta, xlogit, asin).
//
// Design effects: deff=TRUE, the variance over that of simple random sampling without
// replacement of the same number of observations.
//
// Agreement with R is checked to 1e-8 relative by reference_test.go on values written
// by testdata/reference/survey.R.
//
// # The seam
//
// Means, totals, ratios and proportions need only per (domain, sampling unit) sums of w,
// w·y, w·y² (and w·x, w·x², w·x·y for ratios; per replicate for replicate designs):
// see Cell, Sums and Producer. MemoryProducer computes them from the Frame in one pass;
// a database GROUP BY domain, unit can produce the same sums, reading the columns each
// Item names (the producer test computes them that way). Quantiles need a sorted pass
// over the rows, done in memory; their Woodruff step is again a sum.
package survey
