package reliability

import (
	"context"
	"database/sql/driver"
	"slices"
	"strings"

	"socap/pipeline"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// write replaces both tables in one transaction.
func write(ctx context.Context, env *pipeline.Env, groupVars []string, rel []groupRow, inv []modelRow) error {
	return env.Store.Replace(ctx, reliabilityTable(env.RunID, groupVars, rel), invarianceTable(env.RunID, inv))
}

func reliabilityTable(runID int64, groupVars []string, rel []groupRow) store.Table {
	t := store.Table{Name: Table, Columns: []string{"run_id BIGINT", "dimension VARCHAR", "wave INTEGER", "group_set VARCHAR"}}
	for _, v := range groupVars {
		t.Columns = append(t.Columns, store.QuoteIdent(v)+" VARCHAR")
	}
	t.Columns = append(t.Columns, "items VARCHAR", "n BIGINT", "n_complete BIGINT", "alpha DOUBLE", "alpha_std DOUBLE",
		"alpha_weighted DOUBLE", "omega DOUBLE", "cfi DOUBLE", "rmsea DOUBLE", "status VARCHAR", "reason VARCHAR")
	var rows [][]driver.Value
	for _, r := range rel {
		v := []driver.Value{runID, r.dimension, int32(r.wave), setName(r.set)}
		for _, g := range groupVars {
			if j := slices.Index(r.set, g); j >= 0 {
				v = append(v, r.values[j])
			} else {
				v = append(v, nil)
			}
		}
		s := r.stats
		var n, nc driver.Value = int64(s.N), int64(s.NComplete)
		if s.Status == disclose.Primary.String() {
			n, nc = nil, nil
		}
		v = append(v, strings.Join(r.items, ","), n, nc, store.Float(s.Alpha), store.Float(s.AlphaStd), store.Float(s.AlphaWeighted),
			store.Float(s.Omega), store.Float(s.CFI), store.Float(s.RMSEA), s.Status, store.Text(s.Reason))
		rows = append(rows, v)
	}
	t.Rows = store.RowsOf(rows)
	return t
}

func invarianceTable(runID int64, inv []modelRow) store.Table {
	t := store.Table{Name: InvarianceTable, Columns: []string{"run_id BIGINT", "dimension VARCHAR", "wave INTEGER", "variable VARCHAR",
		"groups VARCHAR", "items VARCHAR", "model VARCHAR", "step INTEGER", "freed VARCHAR", "score_chisq DOUBLE", "free VARCHAR",
		"n BIGINT", "chisq DOUBLE", "df DOUBLE", "pvalue DOUBLE", "cfi DOUBLE", "tli DOUBLE", "rmsea DOUBLE", "srmr DOUBLE",
		"delta_chisq DOUBLE", "delta_df DOUBLE", "delta_pvalue DOUBLE", "delta_cfi DOUBLE", "delta_rmsea DOUBLE", "delta_srmr DOUBLE",
		"holds BOOLEAN", "verdict VARCHAR", "status VARCHAR", "reason VARCHAR"}}
	var rows [][]driver.Value
	for _, r := range inv {
		v := []driver.Value{runID, r.dimension, int32(r.wave), r.variable, strings.Join(r.groups, ","), strings.Join(r.items, ",")}
		if r.model == "" {
			v = append(v, make([]driver.Value, 21)...)
			v = append(v, r.status, store.Text(r.reason))
			rows = append(rows, v)
			continue
		}
		f := r.fit
		v = append(v, r.model, int32(r.step), store.Text(r.freed), store.Float(r.score), store.Text(strings.Join(f.Free, ",")), int64(f.N),
			store.Float(f.ChiSq), store.Float(f.DF), store.Float(f.PValue), store.Float(f.CFI), store.Float(f.TLI), store.Float(f.RMSEA), store.Float(f.SRMR))
		if d := f.Delta; d != nil {
			v = append(v, store.Float(d.ChiSq), store.Float(d.DF), store.Float(d.PValue), store.Float(d.CFI), store.Float(d.RMSEA), store.Float(d.SRMR))
		} else {
			v = append(v, make([]driver.Value, 6)...)
		}
		var holds driver.Value
		if f.Holds != nil {
			holds = *f.Holds
		}
		v = append(v, holds, store.Text(r.verdict), r.status, store.Text(r.reason))
		rows = append(rows, v)
	}
	t.Rows = store.RowsOf(rows)
	return t
}
