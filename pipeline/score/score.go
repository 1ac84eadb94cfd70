// Package score is the score stage: it computes every indicator of socap's
// indicator modules (package indicators) for every harmonised respondent and
// writes them to the store table scores.
//
// The scores table holds one row per row of respondents (one per respondent
// and wave), in respondents' reading order (source_id, _row):
//
//	wave       INTEGER  the respondent's wave (respondents.wave)
//	<id>       VARCHAR  the respondent id, named as the codebook's id variable
//	<column>…  DOUBLE   one per Output.Columns() of every available module, in
//	                    the order of indicators.Modules and of each module's
//	                    Outputs: the indicator's id (a 0–100 score, a 0/1
//	                    share, a 0–10 value or a respondent's own ratio) and,
//	                    for a ratio, its <id>_num and <id>_den
//
// A value is NULL outside the indicator's population (employment outside
// 20–66 years, jobmatch for those not employed, …), when it is not answered,
// and when a score has too few answered items: exactly where the module's
// Compute returns NaN. A module whose constructor returns
// indicators.ErrUnavailable (the codebook lacks what it needs) contributes no
// columns; the stage says so on env.Log.
//
// (wave, <id>) is unique, since harmonize rejects repeated ids within a wave,
// so scores joins back to respondents on those two columns.
package score

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"socap/indicators"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// Table is the name of the store table the stage writes.
const Table = "scores"

// Stage computes the scores table from respondents. The zero value uses
// the modules and options of socap.yaml (Configured).
type Stage struct {
	// Modules are the modules to compute; nil means socap.yaml's.
	Modules []indicators.Module
	// Options are each module's options, by module name (nil: defaults).
	Options map[string]indicators.Options

	respondents, rows int64
	columns           []string
	skipped           []string
}

var (
	_ pipeline.Stage      = (*Stage)(nil)
	_ pipeline.RowCounter = (*Stage)(nil)
)

// Name is the stage's name in runs and errors.
func (*Stage) Name() string { return "score" }

// RowCounts are the respondents read and the scores rows written by the last
// Run (the same number).
func (s *Stage) RowCounts() (in, out int64) { return s.respondents, s.rows }

// Columns are the indicator columns of scores written by the last Run, in
// table order (after wave and the id).
func (s *Stage) Columns() []string { return slices.Clone(s.columns) }

// Skipped are the modules the last Run skipped because the codebook lacks
// what they need.
func (s *Stage) Skipped() []string { return slices.Clone(s.skipped) }

// Skip is a module left out because the codebook lacks what it needs.
type Skip struct {
	Module string
	Err    error // wraps indicators.ErrUnavailable
}

// Build constructs modules (nil: indicators.Modules) for cb with their
// options: the available indicators, in module order, and the modules
// skipped with indicators.ErrUnavailable. Any other constructor error is
// returned.
func Build(cb *codebook.Codebook, modules []indicators.Module, opts map[string]indicators.Options) (inds []indicators.Indicator, skipped []Skip, err error) {
	if modules == nil {
		modules = indicators.Modules
	}
	for _, m := range modules {
		ind, err := m.New(cb, opts[m.Name])
		if errors.Is(err, indicators.ErrUnavailable) {
			skipped = append(skipped, Skip{Module: m.Name, Err: err})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("module %s: %w", m.Name, err)
		}
		inds = append(inds, ind)
	}
	return inds, skipped, nil
}

// Configured builds the indicators socap.yaml's indicators: section names
// (every module when it names none), with their options, in module order:
// what the score stage computes and every later stage reads.
func Configured(env *pipeline.Env) ([]indicators.Indicator, []Skip, error) {
	var sel map[string]map[string]any
	if env.Config != nil {
		sel = env.Config.Indicators
	}
	if len(sel) == 0 {
		return Build(env.Codebook, nil, nil)
	}
	var mods []indicators.Module
	opts := map[string]indicators.Options{}
	for _, m := range indicators.Modules {
		if o, ok := sel[m.Name]; ok {
			mods = append(mods, m)
			opts[m.Name] = o
		}
	}
	for name := range sel {
		if !slices.ContainsFunc(indicators.Modules, func(m indicators.Module) bool { return m.Name == name }) {
			return nil, nil, fmt.Errorf("indicators: no module %s", name)
		}
	}
	return Build(env.Codebook, mods, opts)
}

// Run reads respondents, computes every available indicator and replaces
// the scores table in one transaction.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	if env.Codebook == nil {
		return errors.New("needs a codebook")
	}
	cb := env.Codebook
	idVar := cb.IDVariable()
	if idVar == nil {
		return fmt.Errorf("codebook %s has no id variable", cb.Name)
	}
	inds, skipped, err := Build(cb, s.Modules, s.Options)
	if s.Modules == nil && s.Options == nil {
		inds, skipped, err = Configured(env)
	}
	if err != nil {
		return err
	}
	s.skipped = s.skipped[:0]
	for _, sk := range skipped {
		fmt.Fprintf(logOf(env), "score: skipped module %s: %v\n", sk.Module, sk.Err)
		s.skipped = append(s.skipped, sk.Module)
	}

	var inputs []string
	for _, ind := range inds {
		for _, in := range ind.Inputs() {
			v := cb.Variable(in)
			if v == nil || !v.Type.Numeric() {
				return fmt.Errorf("module %s: input %s is not a numeric variable of codebook %s", ind.Module(), in, cb.Name)
			}
			if !slices.Contains(inputs, in) {
				inputs = append(inputs, in)
			}
		}
	}
	slices.Sort(inputs)

	var columns []string
	for _, ind := range inds {
		for _, o := range ind.Outputs() {
			for _, c := range o.Columns() {
				if c == idVar.Name || c == "wave" || slices.Contains(columns, c) {
					return fmt.Errorf("module %s: column %s is already in %s", ind.Module(), c, Table)
				}
				columns = append(columns, c)
			}
		}
	}
	defs := []string{"wave INTEGER", store.QuoteIdent(idVar.Name) + " VARCHAR"}
	for _, c := range columns {
		defs = append(defs, store.QuoteIdent(c)+" DOUBLE")
	}
	n := 0
	err = env.Store.Replace(ctx, store.Table{Name: Table, Columns: defs, Rows: func(add func(...driver.Value) error) error {
		row := make([]driver.Value, 2+len(columns))
		return readRespondents(ctx, env.Store, idVar.Name, inputs, func(data *respondentData) error {
			values, err := compute(inds, data, n)
			if err != nil {
				return err
			}
			for i := range data.wave {
				row[0], row[1] = data.wave[i], data.id[i]
				for j, v := range values {
					row[2+j] = store.Float(v[i])
				}
				if err := add(row...); err != nil {
					return err
				}
			}
			n += len(data.wave)
			return nil
		})
	}})
	env.Shared.Clear() // what was loaded from respondents and scores is old now
	if err != nil {
		return err
	}
	s.respondents, s.rows, s.columns = int64(n), int64(n), columns
	fmt.Fprintf(logOf(env), "score: %d respondents, %d indicator columns from %d modules\n", n, len(columns), len(inds))
	return nil
}

// compute runs every indicator on one batch of respondents, the first of
// which is respondent first+1 in reading order, and returns the output
// columns in table order.
func compute(inds []indicators.Indicator, data *respondentData, first int) ([][]float64, error) {
	n := len(data.wave)
	var values [][]float64
	for _, ind := range inds {
		out, err := ind.Compute(data.cols)
		if err != nil {
			return nil, fmt.Errorf("module %s, respondents %d–%d in reading order (source, row), counting from the first of them: %w", ind.Module(), first+1, first+n, err)
		}
		for _, o := range ind.Outputs() {
			for _, c := range o.Columns() {
				v, ok := out[c]
				if !ok || len(v) != n {
					return nil, fmt.Errorf("module %s: column %s has %d values, want %d", ind.Module(), c, len(v), n)
				}
				values = append(values, v)
			}
		}
	}
	return values, nil
}

// logOf is env.Log, or io.Discard when there is none.
func logOf(env *pipeline.Env) io.Writer {
	if env.Log == nil {
		return io.Discard
	}
	return env.Log
}

// respondentData are a batch of respondents' wave, id and the inputs (NaN
// missing), in reading order.
type respondentData struct {
	wave []int32
	id   []any // string or nil
	cols map[string][]float64
}

// batchRows is how many respondents the stage scores at a time: memory
// stays that of one batch, whatever the number of respondents (every
// module's Compute works row by row).
var batchRows = store.DefaultBatchRows

// readRespondents reads wave, the id and the input columns of respondents,
// ordered by source_id and _row, and gives them to fn a batch at a time.
func readRespondents(ctx context.Context, st *store.Store, id string, inputs []string, fn func(*respondentData) error) error {
	sel := []string{"wave", store.QuoteIdent(id)}
	for _, in := range inputs {
		sel = append(sel, store.QuoteIdent(in))
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM respondents ORDER BY source_id, _row"
	return st.QueryArrow(ctx, batchRows, func(rec arrow.RecordBatch) error {
		rows := int(rec.NumRows())
		d := &respondentData{wave: make([]int32, rows), id: make([]any, rows), cols: make(map[string][]float64, len(inputs))}
		w, ok := rec.Column(0).(*array.Int64)
		if !ok {
			return fmt.Errorf("wave is %s", rec.Column(0).DataType())
		}
		ids, ok := rec.Column(1).(*array.String)
		if !ok {
			return fmt.Errorf("%s is %s, want text", id, rec.Column(1).DataType())
		}
		for i := range rows {
			d.wave[i] = int32(w.Value(i))
			if !ids.IsNull(i) {
				d.id[i] = ids.Value(i)
			}
		}
		for j, in := range inputs {
			col, ok := rec.Column(2 + j).(*array.Float64)
			if !ok {
				return fmt.Errorf("%s is %s, want DOUBLE", in, rec.Column(2+j).DataType())
			}
			vals := make([]float64, rows)
			for i := range rows {
				if col.IsNull(i) {
					vals[i] = math.NaN()
				} else {
					vals[i] = col.Value(i)
				}
			}
			d.cols[in] = vals
		}
		return fn(d)
	}, q)
}
