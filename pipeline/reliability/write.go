package reliability

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"slices"
	"strings"

	"socap/pipeline"
	"socap/pipeline/disclose"
	"socap/pipeline/store"
)

// table is one output table: its column definitions and rows.
type table struct {
	name string
	defs []string
	rows [][]driver.Value
}

// write replaces both tables in one transaction.
func write(ctx context.Context, env *pipeline.Env, groupVars []string, rel []groupRow, inv []modelRow) error {
	tables := []table{reliabilityTable(env.RunID, groupVars, rel), invarianceTable(env.RunID, inv)}
	err := env.Store.WithConn(ctx, func(c *store.Conn) error {
		for _, t := range tables {
			if _, err := c.Exec("DROP TABLE IF EXISTS " + t.name); err != nil {
				return err
			}
			if _, err := c.Exec("CREATE TABLE " + t.name + " (" + strings.Join(t.defs, ", ") + ")"); err != nil {
				return err
			}
			err := c.Append(t.name, func(add func(...driver.Value) error) error {
				for _, r := range t.rows {
					if err := add(r...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %s and %s: %w", Table, InvarianceTable, err)
	}
	return nil
}

func reliabilityTable(runID int64, groupVars []string, rel []groupRow) table {
	t := table{name: Table, defs: []string{"run_id BIGINT", "dimension VARCHAR", "wave INTEGER", "group_set VARCHAR"}}
	for _, v := range groupVars {
		t.defs = append(t.defs, store.QuoteIdent(v)+" VARCHAR")
	}
	t.defs = append(t.defs, "items VARCHAR", "n BIGINT", "n_complete BIGINT", "alpha DOUBLE", "alpha_std DOUBLE",
		"alpha_weighted DOUBLE", "omega DOUBLE", "cfi DOUBLE", "rmsea DOUBLE", "status VARCHAR", "reason VARCHAR")
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
		v = append(v, strings.Join(r.items, ","), n, nc, num(s.Alpha), num(s.AlphaStd), num(s.AlphaWeighted),
			num(s.Omega), num(s.CFI), num(s.RMSEA), s.Status, text(s.Reason))
		t.rows = append(t.rows, v)
	}
	return t
}

func invarianceTable(runID int64, inv []modelRow) table {
	t := table{name: InvarianceTable, defs: []string{"run_id BIGINT", "dimension VARCHAR", "wave INTEGER", "variable VARCHAR",
		"groups VARCHAR", "items VARCHAR", "model VARCHAR", "step INTEGER", "freed VARCHAR", "score_chisq DOUBLE", "free VARCHAR",
		"n BIGINT", "chisq DOUBLE", "df DOUBLE", "pvalue DOUBLE", "cfi DOUBLE", "tli DOUBLE", "rmsea DOUBLE", "srmr DOUBLE",
		"delta_chisq DOUBLE", "delta_df DOUBLE", "delta_pvalue DOUBLE", "delta_cfi DOUBLE", "delta_rmsea DOUBLE", "delta_srmr DOUBLE",
		"holds BOOLEAN", "verdict VARCHAR", "status VARCHAR", "reason VARCHAR"}}
	for _, r := range inv {
		v := []driver.Value{runID, r.dimension, int32(r.wave), r.variable, strings.Join(r.groups, ","), strings.Join(r.items, ",")}
		if r.model == "" {
			v = append(v, make([]driver.Value, 21)...)
			v = append(v, r.status, text(r.reason))
			t.rows = append(t.rows, v)
			continue
		}
		f := r.fit
		v = append(v, r.model, int32(r.step), text(r.freed), num(r.score), text(strings.Join(f.Free, ",")), int64(f.N),
			num(f.ChiSq), num(f.DF), num(f.PValue), num(f.CFI), num(f.TLI), num(f.RMSEA), num(f.SRMR))
		if d := f.Delta; d != nil {
			v = append(v, num(d.ChiSq), num(d.DF), num(d.PValue), num(d.CFI), num(d.RMSEA), num(d.SRMR))
		} else {
			v = append(v, make([]driver.Value, 6)...)
		}
		var holds driver.Value
		if f.Holds != nil {
			holds = *f.Holds
		}
		v = append(v, holds, text(r.verdict), r.status, text(r.reason))
		t.rows = append(t.rows, v)
	}
	return t
}

// num is x, NULL when it is not a finite number.
func num(x float64) driver.Value {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// text is s, NULL when empty.
func text(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}
