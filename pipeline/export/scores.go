package export

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"socap/indicators"
	"socap/pipeline/codebook"
	"socap/pipeline/ingest/labelled"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/score"
	"socap/pipeline/store"
)

// respondentTypes are the codebook types of the respondents' variables
// that go beside the scores: the design, what groups respondents, and the
// numbers the models adjust for (age, years in Norway), so that a
// researcher can refit them.
var respondentTypes = []codebook.Type{codebook.Weight, codebook.Design, codebook.Categorical, codebook.Ordinal, codebook.Binary, codebook.Continuous, codebook.Count}

// scoreColumn is a column of the respondent-level files.
type scoreColumn struct {
	name string
	// src is the column in the join: s.<name> of scores, r.<name> of
	// respondents, or a join key.
	src  string
	kind kind
	// v is the codebook variable, nil for the score columns.
	v     *codebook.Variable
	label string
	// For the .sav: text that reads as numbers is written as numbers
	// (numbers), text as strings of width bytes; integral numbers get a
	// format without decimals.
	numbers  bool
	width    int
	integral bool
}

// scoresFiles is the plan of the respondent-level files: the scores table
// joined with the respondents' design and grouping variables.
type scoresFiles struct {
	cols []scoreColumn
	from string // the join, ordered
	lang string
}

// planScores lays out the respondent-level files: wave and the id, the
// respondents' variables of respondentTypes in codebook order (but for
// one that is also a score column: the score is there), then every score
// column. Labels are in lang: the codebook's, and for score columns the
// indicator's with its unit.
func planScores(ctx context.Context, st *store.Store, cb *codebook.Codebook, outputs []indicators.Output, lang string) (*scoresFiles, error) {
	id := cb.IDVariable()
	if id == nil {
		return nil, fmt.Errorf("codebook %s has no id variable to join %s with respondents", cb.Name, score.Table)
	}
	scores, err := describe(ctx, st, score.Table)
	if err != nil {
		return nil, err
	}
	if len(scores) == 0 {
		return nil, fmt.Errorf("no %s table: run the score stage first", score.Table)
	}
	resp, err := describe(ctx, st, "respondents")
	if err != nil {
		return nil, err
	}
	respKinds := map[string]kind{}
	for _, c := range resp {
		respKinds[c.name] = c.kind
	}
	isScore := func(name string) bool {
		return slices.ContainsFunc(scores, func(c storeColumn) bool { return c.name == name })
	}
	for _, key := range []string{"wave", id.Name} {
		if _, ok := respKinds[key]; !ok || !isScore(key) {
			return nil, fmt.Errorf("join %s with respondents: both need the column %s", score.Table, key)
		}
	}
	p := &scoresFiles{lang: lang, from: fmt.Sprintf("%s s JOIN respondents r USING (wave, %s) ORDER BY wave, TRY_CAST(%[2]s AS DOUBLE) NULLS FIRST, %[2]s",
		score.Table, store.QuoteIdent(id.Name))}
	p.cols = append(p.cols, scoreColumn{name: "wave", src: "wave", kind: intKind, label: head("wave", lang)},
		scoreColumn{name: id.Name, src: store.QuoteIdent(id.Name), kind: textKind, v: id, label: id.Label.In(lang)})
	for i := range cb.Variables {
		v := &cb.Variables[i]
		k, inRespondents := respKinds[v.Name]
		if slices.Contains(respondentTypes, v.Type) && inRespondents && !isScore(v.Name) {
			p.cols = append(p.cols, scoreColumn{name: v.Name, src: "r." + store.QuoteIdent(v.Name), kind: k, v: v, label: v.Label.In(lang)})
		}
	}
	labels := scoreLabels(outputs, lang)
	for _, c := range scores {
		if c.name != "wave" && c.name != id.Name {
			p.cols = append(p.cols, scoreColumn{name: c.name, src: "s." + store.QuoteIdent(c.name), kind: c.kind, label: labels[c.name]})
		}
	}
	return p, nil
}

// scoreLabels label the score columns: the indicator's label with its
// unit, and for a ratio its numerator and denominator.
func scoreLabels(outputs []indicators.Output, lang string) map[string]string {
	labels := map[string]string{}
	for _, o := range outputs {
		l := o.Label.In(lang)
		labels[o.ID] = fmt.Sprintf("%s (%s)", l, o.Unit.Label.In(lang))
		if o.Statistic.Kind == indicators.Ratio {
			labels[o.Statistic.Num] = l + ": " + text.numerator.In(lang)
			labels[o.Statistic.Den] = l + ": " + text.denominator.In(lang)
		}
	}
	return labels
}

// query selects the columns, each cast to its kind's type or, for the
// .sav (sav true), text that reads as numbers to DOUBLE.
func (p *scoresFiles) query(sav bool) string {
	sel := make([]string, len(p.cols))
	for j, c := range p.cols {
		t := c.kind.sqlType()
		if sav && c.numbers {
			t = "DOUBLE"
		}
		sel[j] = fmt.Sprintf("CAST(%s AS %s) AS %s", c.src, t, store.QuoteIdent(c.name))
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + p.from
}

// writeParquet writes the respondent-level Parquet file, columns of the
// store's types.
func (p *scoresFiles) writeParquet(ctx context.Context, st *store.Store, path string) error {
	return replaceFile(path, func(tmp string) error {
		return st.WithConn(ctx, func(c *store.Conn) error { return copyParquet(c, p.query(false), tmp) })
	})
}

// measure finds, in one pass, how each column goes into a .sav: whether
// its text reads as numbers, the widest text, whether its numbers are
// integral.
func (p *scoresFiles) measure(ctx context.Context, st *store.Store) error {
	var aggs []string
	for _, c := range p.cols {
		q := store.QuoteIdent(c.name)
		if c.kind.numeric() {
			aggs = append(aggs, "0", fmt.Sprintf("count(*) FILTER (WHERE %s <> round(%[1]s))", q))
		} else {
			aggs = append(aggs, fmt.Sprintf("coalesce(max(strlen(CAST(%s AS VARCHAR))), 0)", q),
				fmt.Sprintf("count(%s) FILTER (WHERE TRY_CAST(%[1]s AS DOUBLE) IS NULL)", q))
		}
	}
	sub := p.query(false)
	vals := make([]int64, len(aggs))
	ptrs := make([]any, len(aggs))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT "+strings.Join(aggs, ", ")+" FROM ("+sub+")").Scan(ptrs...); err != nil {
		return fmt.Errorf("measure %s: %w", score.Table, err)
	}
	for j := range p.cols {
		c := &p.cols[j]
		width, odd := vals[2*j], vals[2*j+1]
		c.integral = c.kind.numeric() && odd == 0
		c.numbers = c.kind == textKind && odd == 0 && c.v != nil && c.v.Type != codebook.ID && len(c.v.Values) > 0 && numericCodes(c.v)
		if c.numbers {
			c.integral = true
		}
		c.width = max(int(width), 1)
	}
	return nil
}

// numericCodes reports whether every labelled code of v is a number.
func numericCodes(v *codebook.Variable) bool {
	for _, val := range v.Values {
		if _, ok := val.Code.Float(); !ok {
			return false
		}
	}
	return true
}

// savVariable describes column c for the SPSS writer: its label, value
// labels from the codebook in lang and measurement level (nominal for the
// id, categories, binaries, strata and PSUs; ordinal for the wave and
// ordinal variables; scale for weights and scores).
func (p *scoresFiles) savVariable(c scoreColumn) spss.Variable {
	sv := spss.Variable{Name: c.name, Label: c.label, Measure: spss.MeasureScale}
	switch {
	case c.name == "wave":
		sv.Measure = spss.MeasureOrdinal
	case c.v == nil:
	case c.v.Type == codebook.Ordinal:
		sv.Measure = spss.MeasureOrdinal
	case c.v.Type != codebook.Weight:
		sv.Measure = spss.MeasureNominal
	}
	str := c.kind == textKind && !c.numbers
	if str {
		sv.Kind, sv.Width = labelled.String, c.width
	} else if c.integral {
		sv.Format = "F12.0"
	} else {
		sv.Format = "F12.6"
	}
	if c.v == nil {
		return sv
	}
	for _, val := range c.v.Values {
		l := labelled.ValueLabel{Label: codebook.Text{NB: val.NB, EN: val.EN}.In(p.lang)}
		if str {
			l.String = string(val.Code)
			sv.Width = max(sv.Width, len(l.String))
		} else {
			l.Value, _ = val.Code.Float()
		}
		sv.ValueLabels = append(sv.ValueLabels, l)
	}
	return sv
}

// writeSAV writes the respondent-level SPSS file (bytecode compressed,
// weighted by the codebook's weight variable when it is there).
func (p *scoresFiles) writeSAV(ctx context.Context, st *store.Store, path string, opts spss.WriterOptions) error {
	if err := p.measure(ctx, st); err != nil {
		return err
	}
	vars := make([]spss.Variable, len(p.cols))
	for j, c := range p.cols {
		vars[j] = p.savVariable(c)
		if c.v != nil && c.v.Type == codebook.Weight && opts.Weight == "" {
			opts.Weight = c.name
		}
	}
	return replaceFile(path, func(tmp string) error {
		w, err := spss.Create(tmp, vars, opts)
		if err != nil {
			return err
		}
		err = p.fill(ctx, st, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// fill writes every row of the join into w, a batch at a time.
func (p *scoresFiles) fill(ctx context.Context, st *store.Store, w *spss.Writer) error {
	rows, err := st.DB().QueryContext(ctx, p.query(true))
	if err != nil {
		return fmt.Errorf("read %s: %w", score.Table, err)
	}
	defer rows.Close()
	b := w.NewBatch(4096)
	vals := make([]any, len(p.cols))
	ptrs := make([]any, len(p.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", score.Table, err)
		}
		i := b.Len
		for j, v := range vals {
			c := &b.Columns[j]
			switch v := v.(type) {
			case string:
				c.Strings[i], c.Valid[i] = v, true
			case float64:
				c.Floats[i], c.Valid[i] = v, true
			case int64:
				c.Floats[i], c.Valid[i] = float64(v), true
			default:
				c.Valid[i] = false
			}
		}
		if b.Len++; b.Len == b.Cap() {
			if err := w.Write(b); err != nil {
				return err
			}
			b.Len = 0
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", score.Table, err)
	}
	if b.Len > 0 {
		return w.Write(b)
	}
	return nil
}
