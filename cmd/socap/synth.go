package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"socap/pipeline/synth"
)

type synthOptions struct {
	respondents int
	waves       int
	seed        uint64
	format      string
	out         string
	blank       bool
	national    bool
	panel       int
	residents   int
}

func newSynthCmd() *cobra.Command {
	opts := synthOptions{}
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "Generate a synthetic survey with known true parameters",
		Long: `synth draws a finite population of adults in thirteen Norwegian municipalities
(six running the I LAG programme; with --national all 357 municipalities of
Norway, about a third running it), a stratified two-stage cluster sample of it
with unequal selection probabilities and non-response, and writes into --out:

  wave1.FORMAT, wave2.FORMAT   respondents, columns as in the builtin:ilag codebook
  truth.json                   true population values per group and wave: item means,
                               each indicator's value per group set (indicators,
                               indicator_definitions), model coefficients, marginal
                               effects, programme effects (differences in differences)
  margins.csv                  population counts (variable,level,total) for calibration

With --panel YEARS it writes instead a synthetic register panel: every one of
--residents residents of the 357 municipalities in each of YEARS years, as
Parquet partitioned by year and municipality (--out/year=Y/municipality=M/
part-0.parquet; rows = residents × years), with a two-stage design (strata
municipality, PSUs area, fpc areas_pop, weight) and columns for means and a
logistic model of employed (see pipeline/synth.WritePanel).

The output is a pure function of the flags: the same seed gives the same bytes.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSynth(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.respondents, "respondents", 2000, "expected number of respondents over all waves")
	f.IntVar(&opts.waves, "waves", 2, "number of waves: 1 (baseline) or 2 (baseline and follow-up)")
	f.Uint64Var(&opts.seed, "seed", 1, "random seed")
	f.StringVar(&opts.format, "format", synth.FormatCSV, "file format: "+strings.Join(synth.Formats(), ", "))
	f.StringVar(&opts.out, "out", "synth", "output directory")
	f.BoolVar(&opts.national, "national", false, "draw all 357 municipalities of Norway instead of the thirteen of the default survey")
	f.IntVar(&opts.panel, "panel", 0, "write a register panel of this many years (Parquet, hive-partitioned by year and municipality) instead of a survey")
	f.IntVar(&opts.residents, "residents", 100000, "with --panel: residents over all municipalities (rows = residents × years)")
	f.BoolVar(&opts.blank, "blank-missing", false, `leave skipped items blank instead of coding them 8/98 "don't know" and 9/99 "refused" (for estimate and glm, which read files without the codebook)`)
	return cmd
}

func runSynth(cmd *cobra.Command, opts synthOptions) error {
	if opts.panel > 0 || cmd.Flags().Changed("panel") {
		return runPanel(cmd, opts)
	}
	if !slices.Contains(synth.Formats(), opts.format) {
		return usageErrorf("--format %q: want one of %s", opts.format, strings.Join(synth.Formats(), ", "))
	}
	sopts := synth.Options{Respondents: opts.respondents, Waves: opts.waves, Seed: opts.seed, BlankMissing: opts.blank, National: opts.national}
	if err := sopts.Check(); err != nil {
		return usageError{err}
	}
	truth, files, err := synth.WriteDir(sopts, opts.out, opts.format)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	for i, path := range files.Waves {
		fmt.Fprintf(w, "%s\t%d respondents\n", path, truth.Achieved[i])
	}
	fmt.Fprintf(w, "%s\tpopulation %d adults in %d municipalities\n", files.Truth, truth.Population, len(truth.Strata))
	_, err = fmt.Fprintf(w, "%s\n", files.Margins)
	return err
}

// runPanel is synth --panel: the register panel and a line on what was written.
func runPanel(cmd *cobra.Command, opts synthOptions) error {
	popts := synth.PanelOptions{Years: opts.panel, Residents: opts.residents, Seed: opts.seed}
	if err := popts.Check(); err != nil {
		return usageError{err}
	}
	sum, err := synth.WritePanel(popts, opts.out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\t%d rows: %d residents × %d years in %d areas, %d files, %.1f MB\n",
		opts.out, sum.Rows, sum.Residents, opts.panel, sum.Areas, sum.Files, float64(sum.Bytes)/1e6)
	return err
}
