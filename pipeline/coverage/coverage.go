// Package coverage checks the whole pipeline against known truth: it draws a
// synthetic survey (pipeline/synth) whose finite population is known, runs
// socap's stages on it as `socap run` does, and counts how often the
// published 95 % confidence intervals contain the population values
// truth.json holds: every indicator × wave × group of the truth's group
// sets, the programme's difference-in-differences per indicator, and the
// employment AMEs of Norwegian friends and organisation membership per
// origin group.
//
// A design-based 95 % interval should contain the finite-population value
// in about 95 % of samples. One survey gives a share over many correlated
// cells (the whole sample, its groups and their crossings share
// respondents), so a single run's share is only roughly 95 %; over many
// replications (Study) the share estimates the intervals' coverage itself.
package coverage

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/harmonize"
	"socap/pipeline/ingest"
	"socap/pipeline/model"
	"socap/pipeline/score"
	"socap/pipeline/store"
	"socap/pipeline/synth"
)

// Count is how many intervals were checked and how many contained the truth.
type Count struct {
	Checked, Covered int
}

// Share is Covered/Checked (NaN when nothing was checked).
func (c Count) Share() float64 { return float64(c.Covered) / float64(c.Checked) }

func (c *Count) add(in bool) {
	c.Checked++
	if in {
		c.Covered++
	}
}

// Result is the coverage of one or more runs.
type Result struct {
	// Cells are the published estimates with a true value, per indicator.
	Cells map[string]*Count
	// DiD are the programme's differences-in-differences; AMEs the
	// employment AMEs per origin group.
	DiD, AMEs Count
	// Misses describe cells whose interval missed the truth (the first 20).
	Misses []string
}

// AllCells is the coverage over every indicator's cells.
func (r *Result) AllCells() Count {
	var c Count
	for _, k := range r.Cells {
		c.Checked += k.Checked
		c.Covered += k.Covered
	}
	return c
}

func (r *Result) merge(o *Result) {
	for id, c := range o.Cells {
		if r.Cells[id] == nil {
			r.Cells[id] = &Count{}
		}
		r.Cells[id].Checked += c.Checked
		r.Cells[id].Covered += c.Covered
	}
	r.DiD.Checked += o.DiD.Checked
	r.DiD.Covered += o.DiD.Covered
	r.AMEs.Checked += o.AMEs.Checked
	r.AMEs.Covered += o.AMEs.Covered
	if len(r.Misses) < 20 {
		r.Misses = append(r.Misses, o.Misses[:min(len(o.Misses), 20-len(r.Misses))]...)
	}
}

// Options choose the survey and the stages.
type Options struct {
	Survey synth.Options
	// Models also fits the employment models and checks their AMEs.
	Models bool
	// Log receives the stages' progress (nil: none).
	Log io.Writer
}

// Run draws the survey into dir (created), runs ingest → harmonize → design
// → score → estimate → evaluate (→ model) on an in-memory store with the
// truth's group sets, and checks the intervals.
func Run(ctx context.Context, dir string, opt Options) (*Result, error) {
	truth, files, err := synth.WriteDir(opt.Survey, dir, synth.FormatParquet)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "socap.yaml")
	if err := os.WriteFile(cfgPath, []byte(ProjectFile(truth, files)), 0o644); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	cfg, err := pipeline.LoadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	env := &pipeline.Env{Store: st, Config: cfg, Codebook: cb, Log: opt.Log}
	if env.Log == nil {
		env.Log = io.Discard
	}
	stages := []pipeline.Stage{&ingest.Stage{}, &harmonize.Stage{}, &design.Stage{}, &score.Stage{}, &estimate.Stage{}, &evaluate.Stage{}}
	if opt.Models {
		stages = append(stages, &model.Stage{})
	}
	if err := pipeline.Run(ctx, env, stages...); err != nil {
		return nil, err
	}
	return Check(ctx, st, truth, opt.Models)
}

// ProjectFile is the socap.yaml of a synthetic survey: the ilag codebook, one
// source per wave, the design's defaults and the truth's group sets, DuckDB
// held to 2 threads and 1 GB.
func ProjectFile(truth *synth.Truth, files *synth.Files) string {
	var b strings.Builder
	b.WriteString("project: coverage\ncodebook: builtin:ilag\nengine: {threads: 2, memory_limit: 2GB}\nsources:\n")
	for i, w := range files.Waves {
		fmt.Fprintf(&b, "  - {id: wave%d, path: %s, wave: %d}\n", i+1, strconv.Quote(w), i+1)
	}
	b.WriteString("groups:\n")
	for _, set := range groupSets(truth) {
		fmt.Fprintf(&b, "  - [%s]\n", strings.Join(set, ", "))
	}
	return b.String()
}

// groupSets are the truth's group sets other than the whole population,
// in first-seen order.
func groupSets(truth *synth.Truth) [][]string {
	var names []string
	for _, v := range truth.Indicators {
		if v.GroupSet != "all" && !slices.Contains(names, v.GroupSet) {
			names = append(names, v.GroupSet)
		}
	}
	sets := make([][]string, len(names))
	for i, n := range names {
		sets[i] = strings.Split(n, "+")
	}
	return sets
}

// Check compares the store's published estimates, programme effects and (with
// models) AMEs with the truth.
func Check(ctx context.Context, st *store.Store, truth *synth.Truth, models bool) (*Result, error) {
	r := &Result{Cells: map[string]*Count{}}
	if err := checkCells(ctx, st, truth, r); err != nil {
		return nil, err
	}
	if err := checkDiD(ctx, st, truth, r); err != nil {
		return nil, err
	}
	if models {
		if err := checkAMEs(ctx, st, truth, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// cellKey identifies a cell by indicator, wave, group set and group codes.
func cellKey(indicator string, wave int, set string, by map[string]string) string {
	parts := []string{indicator, strconv.Itoa(wave), set}
	for _, k := range slices.Sorted(maps.Keys(by)) {
		parts = append(parts, k+"="+by[k])
	}
	return strings.Join(parts, "|")
}

func checkCells(ctx context.Context, st *store.Store, truth *synth.Truth, r *Result) error {
	want := map[string]float64{}
	vars := map[string]bool{}
	for _, v := range truth.Indicators {
		want[cellKey(v.Indicator, v.Wave, v.GroupSet, v.By)] = v.Value
		for k := range v.By {
			vars[k] = true
		}
	}
	cols := slices.Sorted(maps.Keys(vars))
	sel := "indicator, wave, group_set, ci_low, ci_high"
	for _, c := range cols {
		sel += ", " + store.QuoteIdent(c)
	}
	rows, err := st.DB().QueryContext(ctx, "SELECT "+sel+" FROM "+estimate.Table+" WHERE status = 'published' AND ci_low IS NOT NULL ORDER BY ALL")
	if err != nil {
		return fmt.Errorf("coverage: read estimates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ind, set string
		var wave int
		var lo, hi float64
		vals := make([]*string, len(cols))
		dest := []any{&ind, &wave, &set, &lo, &hi}
		for k := range vals {
			dest = append(dest, &vals[k])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		by := map[string]string{}
		for k, v := range vals {
			if v != nil {
				by[cols[k]] = *v
			}
		}
		tv, ok := want[cellKey(ind, wave, set, by)]
		if !ok {
			continue
		}
		if r.Cells[ind] == nil {
			r.Cells[ind] = &Count{}
		}
		in := lo <= tv && tv <= hi
		r.Cells[ind].add(in)
		if !in && len(r.Misses) < 20 {
			r.Misses = append(r.Misses, fmt.Sprintf("%s: truth %g outside [%g, %g]", cellKey(ind, wave, set, by), tv, lo, hi))
		}
	}
	return rows.Err()
}

func checkDiD(ctx context.Context, st *store.Store, truth *synth.Truth, r *Result) error {
	want := map[string]float64{}
	for _, e := range truth.Programme.IndicatorDiD {
		if len(e.By) == 0 {
			want[e.Variable] = e.Estimate
		}
	}
	rows, err := st.DB().QueryContext(ctx, "SELECT indicator, ci_low, ci_high FROM programme_effects WHERE status = 'published' AND ci_low IS NOT NULL ORDER BY indicator")
	if err != nil {
		return fmt.Errorf("coverage: read programme_effects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ind string
		var lo, hi float64
		if err := rows.Scan(&ind, &lo, &hi); err != nil {
			return err
		}
		if tv, ok := want[ind]; ok {
			r.DiD.add(lo <= tv && tv <= hi)
		}
	}
	return rows.Err()
}

// checkAMEs compares the heterogeneity model's AMEs per origin group (in
// percentage points) with the true population AMEs of the immigrants'
// employment model.
func checkAMEs(ctx context.Context, st *store.Store, truth *synth.Truth, r *Result) error {
	i := slices.IndexFunc(truth.Models, func(m synth.Model) bool { return m.Name == "employment_immigrants" })
	if i < 0 {
		return fmt.Errorf("coverage: truth has no employment_immigrants model")
	}
	for _, te := range truth.Models[i].MarginalEffects {
		grp, ok := te.By["country_group"]
		if te.Population != "" || !ok {
			continue
		}
		var lo, hi float64
		err := st.DB().QueryRowContext(ctx, `SELECT ci_low, ci_high FROM `+model.EffectsTable+` WHERE model = ? AND wave = ? AND variable = ?
			AND by_variable = 'country_group' AND by_group = ? AND status = 'published' AND ci_low IS NOT NULL`,
			model.Heterogeneity, te.Wave, te.Term, grp).Scan(&lo, &hi)
		if err != nil {
			continue // not estimated or suppressed
		}
		tv := 100 * te.Estimate
		r.AMEs.add(lo <= tv && tv <= hi)
	}
	return nil
}

// Study runs Run for replications surveys drawn with seeds seed, seed+1, …
// (each in its own subdirectory of dir, removed afterwards) and adds up
// their coverage; progress is called after each replication.
func Study(ctx context.Context, dir string, opt Options, replications int, progress func(done int, sofar *Result)) (*Result, error) {
	total := &Result{Cells: map[string]*Count{}}
	seed := opt.Survey.Seed
	for k := range replications {
		o := opt
		o.Survey.Seed = seed + uint64(k)
		sub := filepath.Join(dir, "rep"+strconv.Itoa(k))
		r, err := Run(ctx, sub, o)
		if err != nil {
			return nil, fmt.Errorf("replication %d (seed %d): %w", k+1, o.Survey.Seed, err)
		}
		if err := os.RemoveAll(sub); err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		total.merge(r)
		if progress != nil {
			progress(k+1, total)
		}
	}
	return total, nil
}
