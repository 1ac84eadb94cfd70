// Package design is the design stage and the loader every analysis stage
// uses: it reads respondents (joined with their scores) wave by wave from the
// store and binds them to the survey design socap.yaml's design: section
// describes, calibrated to population margins when it asks.
//
// The design of a wave is R's
//
//	svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = …, nest = TRUE)
//
// over the codebook's design variables (pipeline.Design.WithDefaults), with
// options(survey.lonely.psu = "adjust") unless the project says otherwise,
// or svrepdesign over supplied replicate weights; then, with calibrate:,
// calibrate/rake/postStratify to the margins file (survey.Design.Calibrate),
// which keeps the calibration in the design so that standard errors use the
// calibration residuals, as R's calibrated designs do. Waves are separate,
// independent samples, each with its own design.
package design

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/load"
	"socap/pipeline/store"
)

// Wave is one wave's respondents and their design.
type Wave struct {
	Wave   int
	Frame  *survey.Frame
	Design *survey.Design
	// Calibration describes the calibration, nil when the design is not
	// calibrated.
	Calibration *survey.CalReport
}

// Load reads, per wave in ascending order, the respondents joined with the
// scores table (when there is one): the numeric columns (as float64, NaN
// when missing) and text columns (codes as text, "" when missing), named by
// codebook variable or score column (a score column wins a clash), plus the
// design variables, and builds each wave's design.
//
// The waves are shared within a run (env.Shared): a later call asking for
// columns the last one read returns the same waves, and one asking for more
// reads only the new columns (or a column wanted now as a number and before
// as text, or the other way round) and returns new waves with the old
// columns and the new ones, so that the stages of a run read each column
// once, not once each. Frames and designs are never changed.
func Load(ctx context.Context, env *pipeline.Env, numeric, text []string) ([]Wave, error) {
	cfg := env.Config.Design.WithDefaults(env.Codebook)
	fingerprint, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("design: %w", err)
	}
	prev, _ := env.Shared.Get(sharedKey)
	l, ok := prev.(*loaded)
	if !ok || l.design != string(fingerprint) {
		l = &loaded{design: string(fingerprint)}
	}
	newNum, newText := missingFrom(numeric, l.numeric), missingFrom(text, l.text)
	if l.waves != nil && len(newNum)+len(newText) == 0 {
		return l.waves, nil
	}
	p, err := newPlan(ctx, env, cfg, newNum, newText, l.waves == nil)
	if err != nil {
		return nil, err
	}
	cols, err := p.read(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	if l.waves != nil && len(cols) != len(l.waves) {
		return nil, fmt.Errorf("design: the respondents' waves changed within a run (%d, were %d)", len(cols), len(l.waves))
	}
	waves := make([]Wave, len(cols))
	for k, wc := range cols {
		var old *survey.Frame
		if l.waves != nil {
			old = l.waves[k].Frame
		}
		f, err := p.frame(wc, old)
		if err == nil {
			waves[k], err = p.bind(wc.wave, f)
		}
		if err != nil {
			return nil, fmt.Errorf("wave %d: %w", wc.wave, err)
		}
	}
	moved := func(have, now []string) []string {
		return slices.DeleteFunc(slices.Clone(have), func(c string) bool { return slices.Contains(now, c) })
	}
	next := &loaded{design: l.design, numeric: unique(slices.Concat(moved(l.numeric, newText), newNum)),
		text: unique(slices.Concat(moved(l.text, newNum), newText)), waves: waves}
	env.Shared.Put(sharedKey, next)
	return waves, nil
}

// InStore is one wave's respondents as a table of the store, for the duckdb
// producer (pipeline/sqlsums), and the design to build on it.
type InStore struct {
	Wave  int
	Table *load.Table
	// Spec is the wave's design, its replicate weights (when it has them) the columns
	// of respondents the pattern matches, as Load reads them.
	Spec survey.Spec
	st   *store.Store
	name string // the scratch table
}

// Drop removes the wave's scratch table from the store.
func (w InStore) Drop(ctx context.Context) error {
	if _, err := w.st.DB().ExecContext(ctx, "DROP TABLE IF EXISTS "+store.QuoteIdent(w.name)); err != nil {
		return fmt.Errorf("drop %s: %w", w.name, err)
	}
	return nil
}

// ErrCalibrated is returned by Tables for a design that calibrates: its weights are
// computed in Go (survey.Design.Calibrate) and are not in the store.
var ErrCalibrated = errors.New("the design calibrates to population margins (design: calibrate), which the design stage computes in memory and does not store")

// Tables is Load for the duckdb producer: per wave in ascending order, the rows Load
// would read — the respondents left joined with the scores, the numeric and text
// columns and the design's, typed and named as Load types and names them, rows
// numbered (_row) in Load's order, by id — with the wave's design. The rows stay in
// DuckDB: each wave's are copied once, by one query, into a scratch table of the
// store (_design_rows_<wave>, which Drop removes), so that the many GROUP BYs of a
// stage read the columns of one table instead of joining respondents and scores
// again each time (at 500,000 rows a wave the join costs about ten of those
// queries). A calibrated design is refused with ErrCalibrated.
func Tables(ctx context.Context, env *pipeline.Env, numeric, text []string) ([]InStore, error) {
	cfg := env.Config.Design.WithDefaults(env.Codebook)
	if cfg.Calibrate != nil {
		return nil, ErrCalibrated
	}
	p, err := newPlan(ctx, env, cfg, numeric, text, true)
	if err != nil {
		return nil, err
	}
	spec := Spec(cfg)
	if spec.Replicates != nil {
		r := *spec.Replicates
		r.Pattern, r.Columns = "", p.reps
		spec.Replicates = &r
	}
	waves, err := wavesOf(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	var out []InStore
	for _, w := range waves {
		t := InStore{Wave: w, Spec: spec, st: env.Store, name: fmt.Sprintf("_design_rows_%d", w)}
		q := fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT row_number() OVER (ORDER BY r.%s) AS _row, %s FROM %s WHERE r.wave = %d",
			store.QuoteIdent(t.name), store.QuoteIdent(p.id), strings.Join(p.selects(), ", "), p.from(), w)
		if _, err := env.Store.DB().ExecContext(ctx, q); err != nil {
			for _, o := range out {
				o.Drop(context.WithoutCancel(ctx))
			}
			return nil, fmt.Errorf("wave %d: copy the respondents: %w", w, err)
		}
		t.Table = load.InStore(env.Store, fmt.Sprintf("respondents of wave %d", w), store.QuoteIdent(t.name), p.numeric, p.text)
		out = append(out, t)
	}
	return out, nil
}

// wavesOf lists the respondents' waves in ascending order.
func wavesOf(ctx context.Context, st *store.Store) ([]int, error) {
	rows, err := st.DB().QueryContext(ctx, "SELECT DISTINCT CAST(wave AS BIGINT) FROM respondents ORDER BY 1")
	if err != nil {
		return nil, fmt.Errorf("waves of respondents: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var w int
		if err := rows.Scan(&w); err != nil {
			return nil, fmt.Errorf("waves of respondents: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// missingFrom are the names of want not in have.
func missingFrom(want, have []string) []string {
	return slices.DeleteFunc(unique(want), func(c string) bool { return slices.Contains(have, c) })
}

// sharedKey is where Load keeps its waves in env.Shared.
const sharedKey = "design.Load"

// loaded are the waves Load read last, the design they were made with (as
// JSON) and the columns it was asked for.
type loaded struct {
	design        string
	numeric, text []string
	waves         []Wave
}

// plan is what Load reads and how it makes designs of it.
type plan struct {
	cfg      pipeline.Design
	margins  *Margins
	id       string
	numeric  []string // in select order: analysis columns, then design numbers
	text     []string
	inScores map[string]bool
	hasScore bool
	reps     []string // the replicate-weight columns, with withDesign
}

// newPlan plans reading numeric and text columns and, with withDesign, the
// design's (weights, strata, PSUs, fpc, replicates, margin variables).
func newPlan(ctx context.Context, env *pipeline.Env, cfg pipeline.Design, numeric, text []string, withDesign bool) (*plan, error) {
	cb := env.Codebook
	idVar := cb.IDVariable()
	if idVar == nil {
		return nil, fmt.Errorf("codebook %s has no id variable", cb.Name)
	}
	p := &plan{cfg: cfg, id: idVar.Name, inScores: map[string]bool{}}
	scoreCols, err := columnsOf(ctx, env.Store, "scores")
	if err != nil {
		return nil, err
	}
	p.hasScore = scoreCols != nil
	for _, c := range scoreCols {
		if c != "wave" && c != p.id {
			p.inScores[c] = true
		}
	}
	respCols, err := columnsOf(ctx, env.Store, "respondents")
	if err != nil {
		return nil, err
	}
	if respCols == nil {
		return nil, fmt.Errorf("no respondents table: run ingest and harmonize first")
	}
	if cfg.Calibrate != nil {
		if p.margins, err = ReadMargins(env.Config.Resolve(cfg.Calibrate.Margins)); err != nil {
			return nil, err
		}
	}
	if withDesign {
		if cfg.Replicates != nil {
			if p.reps, err = matching(respCols, cfg.Replicates.Columns); err != nil {
				return nil, err
			}
			numeric = slices.Concat(numeric, p.reps)
		}
		if p.margins != nil {
			text = slices.Concat(text, p.margins.Variables())
		}
		numeric = slices.Concat(numeric, nonEmpty(cfg.Weight), cfg.FPC)
		text = slices.Concat(text, nonEmpty(cfg.Strata), cfg.PSU)
	}
	p.numeric, p.text = unique(numeric), unique(text)
	for _, c := range slices.Concat(p.numeric, p.text) {
		if !p.inScores[c] && !slices.Contains(respCols, c) {
			return nil, fmt.Errorf("no column %s in respondents or scores", c)
		}
	}
	return p, nil
}

// columnsOf lists a table's columns, nil when there is no such table.
func columnsOf(ctx context.Context, st *store.Store, table string) ([]string, error) {
	rows, err := st.DB().QueryContext(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// waveColumns are one wave's values, in plan order.
type waveColumns struct {
	wave int
	num  [][]float64
	txt  [][]string
}

// selects are the SQL of the plan's columns, numbers as DOUBLE and text as VARCHAR,
// each named by its column.
func (p *plan) selects() []string {
	var sel []string
	for _, c := range p.numeric {
		sel = append(sel, "CAST("+p.source(c)+" AS DOUBLE) AS "+store.QuoteIdent(c))
	}
	for _, c := range p.text {
		sel = append(sel, "CAST("+p.source(c)+" AS VARCHAR) AS "+store.QuoteIdent(c))
	}
	return sel
}

// from is the relation the plan reads: the respondents, left joined with the scores
// when there are scores.
func (p *plan) from() string {
	if p.hasScore {
		return "respondents r LEFT JOIN scores s USING (wave, " + store.QuoteIdent(p.id) + ")"
	}
	return "respondents r"
}

// read runs one query ordered by wave and id and splits it by wave.
func (p *plan) read(ctx context.Context, st *store.Store) ([]*waveColumns, error) {
	sel := slices.Concat([]string{"CAST(r.wave AS BIGINT)"}, p.selects())
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + p.from() + " ORDER BY r.wave, r." + store.QuoteIdent(p.id)
	var out []*waveColumns
	err := st.QueryArrow(ctx, 0, func(b arrow.RecordBatch) error {
		waves := b.Column(0).(*array.Int64)
		for i := 0; i < int(b.NumRows()); i++ {
			w := int(waves.Value(i))
			if len(out) == 0 || out[len(out)-1].wave != w {
				out = append(out, &waveColumns{wave: w, num: make([][]float64, len(p.numeric)), txt: make([][]string, len(p.text))})
			}
			wc := out[len(out)-1]
			for j := range p.numeric {
				col := b.Column(1 + j).(*array.Float64)
				x := math.NaN()
				if col.IsValid(i) {
					x = col.Value(i)
				}
				wc.num[j] = append(wc.num[j], x)
			}
			for j := range p.text {
				col := b.Column(1 + len(p.numeric) + j)
				s := ""
				if col.IsValid(i) {
					s = col.ValueStr(i)
				}
				wc.txt[j] = append(wc.txt[j], s)
			}
		}
		return nil
	}, q)
	if err != nil {
		return nil, fmt.Errorf("read respondents: %w", err)
	}
	return out, nil
}

// source is the qualified column c: from scores when it is a score column.
func (p *plan) source(c string) string {
	if p.inScores[c] {
		return "s." + store.QuoteIdent(c)
	}
	return "r." + store.QuoteIdent(c)
}

// frame is a wave's frame: the columns of old (nil on the first read) but
// those read again, then the columns read.
func (p *plan) frame(wc *waveColumns, old *survey.Frame) (*survey.Frame, error) {
	f := survey.NewFrame()
	if old != nil {
		for _, c := range old.Names() {
			if slices.Contains(p.numeric, c) || slices.Contains(p.text, c) {
				continue
			}
			var err error
			if old.IsNumeric(c) {
				v, _ := old.Float(c)
				err = f.AddFloat(c, v)
			} else {
				v, _ := old.Strings(c)
				err = f.AddString(c, v)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	for j, c := range p.numeric {
		if err := f.AddFloat(c, wc.num[j]); err != nil {
			return nil, err
		}
	}
	for j, c := range p.text {
		if err := f.AddString(c, wc.txt[j]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// bind makes a wave's design on its frame, calibrated when asked.
func (p *plan) bind(wave int, f *survey.Frame) (Wave, error) {
	d, err := survey.NewDesign(f, Spec(p.cfg))
	if err != nil {
		return Wave{}, fmt.Errorf("design: %w", err)
	}
	w := Wave{Wave: wave, Frame: f, Design: d}
	if p.margins != nil {
		c := p.cfg.Calibrate
		opt := survey.CalOptions{Method: survey.CalMethod(strings.ToLower(c.Method)), Margins: p.margins.ForWave(wave)}
		if len(c.Bounds) == 2 {
			opt.Lower, opt.Upper = c.Bounds[0], c.Bounds[1]
		}
		if w.Design, w.Calibration, err = d.Calibrate(opt); err != nil {
			return Wave{}, fmt.Errorf("calibrate to %s: %w", c.Margins, err)
		}
	}
	return w, nil
}

// Spec is socap.yaml's design (with its defaults filled) as the engine's.
func Spec(d pipeline.Design) survey.Spec {
	sp := survey.Spec{Weights: d.Weight, Strata: d.Strata, Clusters: d.PSU, FPC: d.FPC,
		Nest: d.Nest == nil || *d.Nest, LonelyPSU: survey.LonelyPSU(strings.ToLower(d.LonelyPSU))}
	if sp.LonelyPSU == "" {
		sp.LonelyPSU = survey.LonelyAdjust
	}
	if r := d.Replicates; r != nil {
		sp.Replicates = &survey.ReplicateSpec{Pattern: r.Columns, Type: survey.ParseRepType(r.Type),
			Scale: r.Scale, RScales: r.RScales, Rho: r.FayRho, MSE: r.MSE}
	}
	return sp
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// unique drops empty names and repeats, keeping the first occurrence.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
