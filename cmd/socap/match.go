package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"socap/pipeline/match"
)

type matchOptions struct {
	newcomers, mentors string
	config             string
	out                string
	input              inputFlags
}

func newMatchCmd() *cobra.Command {
	opts := matchOptions{}
	cmd := &cobra.Command{
		Use:   "match NEWCOMERS MENTORS --out pairs.xlsx|csv|json",
		Short: "Pair newcomers with mentors: the best assignment, each pair explained",
		Long: `match pairs newcomers with local mentors as a volunteer centre does: of all
assignments that keep the constraints (same municipality or a travel limit, a
shared language, stated gender preferences, the mentors' capacities) it makes
the most pairs, and among those the one with the largest total match quality,
found exactly; ties go the same way on every run, whatever the row order.

Quality of a pair, in [0, 1]:
  Q = (w_I·interests + w_O·occupation + w_L·language) / (w_I + w_O + w_L)
  interests   Jaccard's index of the two interest lists (or rarity-weighted)
  occupation  STYRK-08: same unit group 1, minor 0.75, sub-major 0.5, major 0.25
  language    1 when the mentor speaks the newcomer's first language, 0.5 another
with weights and constraints in match.yaml (-c; defaults 0.4, 0.4, 0.2).

A travel section in match.yaml (file: a table with the columns from, to,
minutes; max_minutes; discount, default 0.5) also allows pairs between
municipalities at most max_minutes apart, and multiplies their quality by
1 - discount * minutes / max_minutes. Without it pairs stay in a municipality.

NEWCOMERS and MENTORS are files in any format socap reads, with the columns
id, municipality, interests ("fotball;matlaging"), occupation (STYRK-08 or
ISCO-08, four digits; 0000 or empty for none), languages ("arabisk;norsk", the first the main one) and gender;
newcomers also education, country_group and mentor_gender (a preference),
mentors capacity and newcomer_gender. --out writes the pairs with an
explanation in Norwegian and English, the newcomers left without a mentor
and why, and the fairness view (match quality by gender and country group):
an .xlsx with three sheets, a .json object, or .csv files (OUT and
OUT's name with _unmatched and _fairness).`,
		Example: "  socap match newcomers.xlsx mentors.xlsx --out pairs.xlsx\n  socap match newcomers.csv mentors.sav -c match.yaml --out pairs.json",
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.newcomers, opts.mentors = args[0], args[1]
			return runMatch(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.config, "config", "c", "", "match.yaml with weights and constraints (default: the defaults above)")
	cmd.Flags().StringVar(&opts.out, "out", "", "output file: .xlsx, .csv or .json (required)")
	opts.input.add(cmd)
	return cmd
}

func runMatch(cmd *cobra.Command, opts matchOptions) error {
	ext := strings.ToLower(filepath.Ext(opts.out))
	switch {
	case opts.out == "":
		return usageErrorf("--out is required (pairs.xlsx, pairs.csv or pairs.json)")
	case ext != ".xlsx" && ext != ".csv" && ext != ".json":
		return usageErrorf("--out %s: want a .xlsx, .csv or .json file", opts.out)
	}
	o := match.DefaultOptions
	if opts.config != "" {
		var err error
		if o, err = match.LoadConfig(opts.config); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	fr, err := loadFrame(ctx, opts.newcomers, nil, opts.input)
	if err != nil {
		return err
	}
	newcomers, err := match.ReadNewcomers(opts.newcomers, fr)
	if err != nil {
		return err
	}
	if fr, err = loadFrame(ctx, opts.mentors, nil, opts.input); err != nil {
		return err
	}
	mentors, err := match.ReadMentors(opts.mentors, fr)
	if err != nil {
		return err
	}
	if o.TravelFile != "" {
		if fr, err = loadFrame(ctx, o.TravelFile, nil, opts.input); err != nil {
			return err
		}
		if o.Travel, err = match.ReadTravel(o.TravelFile, fr); err != nil {
			return err
		}
		known := map[string]bool{}
		for _, p := range newcomers {
			known[p.Municipality] = true
		}
		for _, p := range mentors {
			known[p.Municipality] = true
		}
		if unnamed := o.Travel.Unnamed(known); len(unnamed) > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "socap: warning: %s names municipalities no newcomer or mentor lives in (spelt differently?): %s\n",
				o.TravelFile, strings.Join(unnamed, ", "))
		}
	}
	res := match.Match(newcomers, mentors, o)
	tables := matchTables(res)
	switch ext {
	case ".xlsx":
		err = writeMatchXLSX(opts.out, tables)
	case ".json":
		err = writeMatchJSON(opts.out, tables)
	default:
		err = writeMatchCSV(opts.out, tables)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", opts.out, err)
	}
	return printMatchSummary(cmd.OutOrStdout(), res, len(newcomers), tables[2].t)
}

// namedTable is one part of the output: a sheet, a JSON key, a CSV file.
type namedTable struct {
	name string
	t    *table
}

// matchTables are the pairs, the unmatched and the fairness view.
func matchTables(res *match.Result) []namedTable {
	pairs := &table{Columns: []string{"newcomer", "mentor", "municipality", "mentor_municipality", "travel_minutes", "quality",
		"interests_part", "occupation_part", "language_part", "shared_interests", "styrk", "styrk_level", "language", "explanation_nb", "explanation_en"}}
	for _, p := range res.Pairs {
		pairs.add(p.Newcomer, p.Mentor, p.Municipality, p.MentorMunicipality, p.Parts.Minutes, p.Quality,
			p.Parts.Interests, p.Parts.Occupation, p.Parts.Language, strings.Join(p.SharedInterests, ";"), p.Occupation.Code, p.Level, p.Language, p.Nb, p.En)
	}
	unmatched := &table{Columns: []string{"newcomer", "municipality", "reason", "candidates", "explanation_nb", "explanation_en"}}
	for _, u := range res.Unmatched {
		unmatched.add(u.Newcomer, u.Municipality, string(u.Reason), u.Candidates, u.Nb, u.En)
	}
	fair := &table{Columns: []string{"variable", "group", "newcomers", "matched", "share_matched", "mean_quality", "q25", "median", "q75", "gap"}}
	for _, f := range res.Fairness {
		fair.add(f.Variable, f.Group, f.Newcomers, f.Matched, f.Share, number(f.Mean), number(f.Q25), number(f.Median), number(f.Q75), number(f.Gap))
	}
	return []namedTable{{"pairs", pairs}, {"unmatched", unmatched}, {"fairness", fair}}
}

// number is x, or nil (an empty cell, JSON null) when NaN.
func number(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

func writeMatchXLSX(path string, tables []namedTable) error {
	f := excelize.NewFile()
	defer f.Close()
	for k, nt := range tables {
		if k == 0 {
			if err := f.SetSheetName("Sheet1", nt.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(nt.name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(nt.name)
		if err != nil {
			return err
		}
		header := make([]any, len(nt.t.Columns))
		for j, c := range nt.t.Columns {
			header[j] = c
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		for i, row := range nt.t.Values {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.SaveAs(path)
}

// writeMatchJSON writes one object with a key per table.
func writeMatchJSON(path string, tables []namedTable) error {
	obj := map[string]json.RawMessage{}
	for _, nt := range tables {
		var buf bytes.Buffer
		if err := nt.t.write(&buf, formatJSON); err != nil {
			return err
		}
		obj[nt.name] = buf.Bytes()
	}
	data, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// writeMatchCSV writes the pairs to path and the other tables beside it
// (pairs.csv, pairs_unmatched.csv, pairs_fairness.csv).
func writeMatchCSV(path string, tables []namedTable) error {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	for k, nt := range tables {
		name := path
		if k > 0 {
			name = base + "_" + nt.name + filepath.Ext(path)
		}
		var buf bytes.Buffer
		if err := nt.t.write(&buf, formatCSV); err != nil {
			return err
		}
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// printMatchSummary says how many were matched, why the others were not,
// and shows the fairness view.
func printMatchSummary(w io.Writer, res *match.Result, newcomers int, fair *table) error {
	mean := math.NaN()
	if len(res.Pairs) > 0 {
		mean = res.TotalQuality / float64(len(res.Pairs))
	}
	fmt.Fprintf(w, "matched %d of %d newcomers (total quality %.3f, mean %.3f)\n", len(res.Pairs), newcomers, res.TotalQuality, mean)
	reasons := map[match.Reason]int{}
	for _, u := range res.Unmatched {
		reasons[u.Reason]++
	}
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		fmt.Fprintf(w, "  unmatched, %s: %d\n", r, reasons[r])
	}
	fmt.Fprintln(w, "match quality by group:")
	return fair.write(w, formatTable)
}
