// Package export is the export stage: it writes the store's result tables
// and the respondent-level scores into the output directory (socap.yaml's
// output:, default out/) for planners, spreadsheets and researchers.
//
// For each of the tables estimates, comparisons, models, coefficients,
// marginal_effects and programme_effects it writes <table>.csv,
// <table>.parquet and <table>.xlsx; estimates must exist, a missing other
// table is skipped and said so on env.Log.
//
//   - estimates has the layout of issue 12: indicator, wave, group_set
//     (variables joined by "+", "all" for the whole sample), one column per
//     grouping variable (empty when not in the set), statistic, estimate,
//     se, ci_low, ci_high, df, deff, cv, n, sum_weights, flags and
//     suppressed: why disclosure control withheld the cell, empty when it
//     is published. Other columns of the table (n_shown, run_id …) are not
//     exported.
//   - The other tables are exported with every column they have.
//   - In every table with a status column, a row disclosure control
//     suppressed (status primary or secondary, or none) carries no number
//     but its keys (wave, run_id).
//   - Beside each column that is a codebook variable with labelled values
//     (the grouping variables) comes <name>_label, the value's label in the
//     report language (socap.yaml's language:, nb or en).
//
// Rows are ordered by every column in turn: indicators in report order
// (indicators.Modules), then waves, group sets and group codes, codes that
// are numbers by number. CSV has the column names as header and numbers at
// full precision (the shortest text that reads back as the same float64;
// Inf and -Inf as R writes them); Parquet keeps the types (text, BIGINT,
// DOUBLE). The workbook has first a sheet explaining the columns and the
// symbol ":" ("Om tabellene" in nb, "About" in en), then one sheet per
// indicator (named by its id, cut to Excel's 31 characters) or, for a table
// without indicators, one sheet named after the table; a header row in the
// report language, numbers as numbers, ":" (Statistics Norway's symbol for
// a number not shown for confidentiality) in the numbers a suppressed row
// withholds, the reason in its own column.
//
// The respondent-level files scores.parquet and scores.sav hold the scores
// table joined with respondents on (wave, id): wave, the id, the design
// variables (codebook types weight and design) and the grouping variables
// (categorical, ordinal, binary), then every score column, one row per
// respondent and wave ordered by wave and id, so that a researcher can
// rebuild the survey design in R, SPSS or Stata
// (svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)).
// The .sav (pipeline/ingest/spss, bytecode compressed, WEIGHT BY the
// weight variable) has variable labels in the report language (the
// codebook's; for scores the indicator's label and unit), the codebook's
// value labels and measurement levels; codes stored as text that are all
// numbers become numeric variables.
//
// Every file is written beside its final name and renamed into place, so
// a failed run leaves the previous file, not half a file. The stage writes
// nothing to the store; the runner records the run.
package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"

	"socap/indicators"
	"socap/pipeline"
	"socap/pipeline/estimate"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/score"
)

// Tables are the store tables the stage exports, in order; the first,
// estimates, must exist.
var Tables = []string{estimate.Table, "comparisons", "reliability", "invariance", "models", "coefficients", "marginal_effects", "programme_effects", "mentor_effects"}

// ScoresFile is the base name of the respondent-level files.
const ScoresFile = "scores"

// Stage writes the exports. The zero value is ready to use.
type Stage struct {
	files []string
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "export" }

// Files are the paths written by the last Run, in the order written.
func (s *Stage) Files() []string { return slices.Clone(s.files) }

// Run implements pipeline.Stage.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	s.files = nil
	if env.Config == nil || env.Codebook == nil {
		return errors.New("needs a config and a codebook")
	}
	// Export reads the store, not the respondents' frames the estimating
	// stages shared: give their memory back before DuckDB writes the
	// respondent-level files (on 1,000,000 respondents, about 500 MB).
	env.Shared.Clear()
	debug.FreeOSMemory()
	lang := env.Config.Language
	if lang != "en" {
		lang = "nb"
	}
	dir := env.Config.Resolve(env.Config.Output)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	mods, _, err := score.Build(env.Codebook, indicators.Modules, nil)
	if err != nil {
		return err
	}
	var outputs []indicators.Output
	for _, m := range mods {
		outputs = append(outputs, m.Outputs()...)
	}
	r := &reader{st: env.Store, cb: env.Codebook, lang: lang}
	wb := workbook{lang: lang, indicators: map[string]indicatorText{}}
	for _, o := range outputs {
		r.indicators = append(r.indicators, o.ID)
		wb.indicators[o.ID] = indicatorText{label: o.Label.In(lang), unit: o.Unit.Label.In(lang)}
	}
	for _, name := range Tables {
		cols, err := describe(ctx, env.Store, name)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			if name == estimate.Table {
				return fmt.Errorf("no %s table: run the estimate stage first", name)
			}
			fmt.Fprintf(env.Log, "export: no %s table; skipped\n", name)
			continue
		}
		t, err := r.read(ctx, name, cols, name == estimate.Table)
		if err != nil {
			return err
		}
		base := filepath.Join(dir, name)
		if err := s.write(base+".csv", func(p string) error { return writeCSV(p, t) }); err != nil {
			return err
		}
		if err := s.write(base+".parquet", func(p string) error { return writeParquet(ctx, env.Store, p, t) }); err != nil {
			return err
		}
		if err := s.write(base+".xlsx", func(p string) error { return writeXLSX(p, t, wb) }); err != nil {
			return err
		}
	}
	plan, err := planScores(ctx, env.Store, env.Codebook, outputs, lang)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, ScoresFile)
	if err := s.write(base+".parquet", func(p string) error { return plan.writeParquet(ctx, env.Store, p) }); err != nil {
		return err
	}
	opts := spss.WriterOptions{Label: "socap " + ScoresFile + ": " + env.Config.Project}
	if env.Now != nil {
		opts.Created = env.Now()
	}
	if err := s.write(base+".sav", func(p string) error { return plan.writeSAV(ctx, env.Store, p, opts) }); err != nil {
		return err
	}
	fmt.Fprintf(env.Log, "export: %d files in %s\n", len(s.files), dir)
	return nil
}

// write writes one file and records its path.
func (s *Stage) write(path string, fn func(path string) error) error {
	if err := fn(path); err != nil {
		return err
	}
	s.files = append(s.files, path)
	return nil
}
