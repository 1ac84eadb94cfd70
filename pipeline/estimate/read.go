package estimate

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"socap/indicators"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/score"
	"socap/pipeline/store"
)

// scoreData is the scores table joined with the design and grouping
// variables of respondents, read into columns.
type scoreData struct {
	rows     int
	wave     []string
	nums     map[string][]float64 // indicator columns and the weight
	texts    map[string][]string  // strata, PSUs and grouping variables as text ("" missing)
	hasW     bool
	hasStrat bool
	hasPSU   bool
}

// readScores reads every indicator column of the scores table with the
// weight, stratum, PSU and grouping variables of each respondent.
func readScores(ctx context.Context, env *pipeline.Env, outputs []indicators.Output, groupVars []string) (*scoreData, error) {
	cb := env.Codebook
	id := cb.IDVariable()
	if id == nil {
		return nil, fmt.Errorf("codebook %s has no id variable to join %s with respondents", cb.Name, score.Table)
	}
	d := &scoreData{nums: map[string][]float64{}, texts: map[string][]string{},
		hasW: cb.Variable(weightVar) != nil, hasStrat: cb.Variable(stratumVar) != nil, hasPSU: cb.Variable(psuVar) != nil}
	var numCols, textCols []string
	for _, o := range outputs {
		for _, c := range o.Columns() {
			numCols = append(numCols, "s."+store.QuoteIdent(c))
		}
	}
	if d.hasW {
		numCols = append(numCols, "r."+store.QuoteIdent(weightVar))
	}
	var textNames []string
	for _, v := range slices.Concat(designTexts(d), groupVars) {
		if !slices.Contains(textNames, v) {
			textNames = append(textNames, v)
			textCols = append(textCols, "CAST(r."+store.QuoteIdent(v)+" AS VARCHAR)")
		}
	}
	q := "SELECT CAST(s.wave AS VARCHAR), " + strings.Join(slices.Concat(numCols, textCols), ", ") + " FROM " + score.Table +
		" s JOIN respondents r USING (wave, " + store.QuoteIdent(id.Name) + ") ORDER BY s.wave, s." + store.QuoteIdent(id.Name)
	rows, err := env.Store.DB().QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", score.Table, err)
	}
	defer rows.Close()
	numNames := make([]string, 0, len(numCols))
	for _, o := range outputs {
		numNames = append(numNames, o.Columns()...)
	}
	if d.hasW {
		numNames = append(numNames, weightVar)
	}
	var wave string
	nv := make([]sql.NullFloat64, len(numNames))
	tv := make([]sql.NullString, len(textNames))
	dest := []any{&wave}
	for k := range nv {
		dest = append(dest, &nv[k])
	}
	for k := range tv {
		dest = append(dest, &tv[k])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read %s: %w", score.Table, err)
		}
		d.wave = append(d.wave, wave)
		for k, n := range numNames {
			x := math.NaN()
			if nv[k].Valid {
				x = nv[k].Float64
			}
			d.nums[n] = append(d.nums[n], x)
		}
		for k, n := range textNames {
			d.texts[n] = append(d.texts[n], tv[k].String)
		}
		d.rows++
	}
	return d, rows.Err()
}

// designTexts are the design variables read as text.
func designTexts(d *scoreData) []string {
	var out []string
	if d.hasStrat {
		out = append(out, stratumVar)
	}
	if d.hasPSU {
		out = append(out, psuVar)
	}
	return out
}

// waves lists the waves present, sorted.
func (d *scoreData) waves() []string {
	w := slices.Clone(d.wave)
	slices.Sort(w)
	return slices.Compact(w)
}

// frame is the rows of one wave as a survey.Frame.
func (d *scoreData) frame(wave string) (*survey.Frame, error) {
	var idx []int
	for i, w := range d.wave {
		if w == wave {
			idx = append(idx, i)
		}
	}
	f := survey.NewFrame()
	for _, name := range sortedKeys(d.nums) {
		col := make([]float64, len(idx))
		for k, i := range idx {
			col[k] = d.nums[name][i]
		}
		if err := f.AddFloat(name, col); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(d.texts) {
		col := make([]string, len(idx))
		for k, i := range idx {
			col[k] = d.texts[name][i]
		}
		if err := f.AddString(name, col); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// spec is the design of every wave (see the package doc).
func (d *scoreData) spec() survey.Spec {
	sp := survey.Spec{LonelyPSU: survey.LonelyAdjust, Nest: true}
	if d.hasW {
		sp.Weights = weightVar
	}
	if d.hasStrat {
		sp.Strata = stratumVar
	}
	if d.hasPSU {
		sp.Clusters = []string{psuVar}
	}
	return sp
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
