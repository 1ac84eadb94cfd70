// Package crosscheck holds the end-to-end correctness test of the pipeline:
// the built-in example run through every stage of `socap run`, its
// published numbers compared with R's survey package, and its estimates
// compared with the engine on the exported scores file.
//
// The R side is testdata/reference/pipeline.R, which reads the exported
// scores (testdata/reference/pipeline_scores.sav, a copy of the example's
// out/scores.sav) and writes testdata/reference/pipeline.csv. The test
// compares, within 1e-8 relative and without R:
//
//   - estimates: every published cell of the group sets all, background,
//     municipality, municipality+background+gender and
//     country_group+gender+education, for every indicator (means,
//     svyciprop proportions and the children's participation ratio): estimate,
//     SE, interval, df, deff, n and sum of weights;
//   - comparisons: every published area, group and wave comparison;
//   - programme effects: every difference in differences with its parts;
//   - marginal effects: every AME, overall and per origin group, and the
//     employment rates by network status.
//
// Every published row of those tables must have its R numbers, every R
// number must belong to a row of the export, and a suppressed row must carry
// no number. A fingerprint of the scores file (rows, sums of weights and of
// three indicators per wave) tells a change in the data from a change in
// the estimation. When the example's numbers change on purpose, regenerate:
//
//	go test ./pipeline/crosscheck -update
//	Rscript testdata/reference/pipeline.R
//
// The same test loads out/scores.sav as `socap estimate` loads a file
// (pipeline/ingest into a scratch store), builds each wave's design with
// indicators/survey and checks that the engine reproduces the pipeline's
// estimates of the group set municipality+background+gender within 1e-12.
package crosscheck
