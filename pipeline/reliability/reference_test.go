package reliability_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"socap/internal/testcsv"
	"socap/pipeline/design"
	"socap/pipeline/reliability"
)

// Tolerances against pipeline_reliability.R, as indicators/scale's reference test:
// closed forms (alpha, standardised and weighted alpha, counts) relative,
// |got − want| ≤ closedTol·|want|; statistics of fitted models (omega, fit indices,
// χ² tests) |got − want| ≤ fitTol·max(|want|, 1).
const (
	closedTol = 1e-8
	fitTol    = 1e-8
)

// refKey names one reference number: dimension, by ("" or background=VALUE),
// statistic, item.
type refKey struct{ dim, by, stat, item string }

// exportWave1 writes wave 1's items as the scores enter them, background and
// the weight for pipeline_reliability.R.
func exportWave1(t *testing.T, w design.Wave, dims []reliability.Dimension, inputs []string) {
	t.Helper()
	var header []string
	var cols [][]string
	for _, d := range dims {
		items, err := d.ItemColumns(w.Frame, inputs)
		if err != nil {
			t.Fatal(err)
		}
		for j, name := range d.Names() {
			header = append(header, name)
			cols = append(cols, formatted(items[j]))
		}
	}
	bg, err := w.Frame.Strings("background")
	if err != nil {
		t.Fatal(err)
	}
	header = append(header, "background", "weight")
	cols = append(cols, bg, formatted(w.Design.Weights()))
	out, err := os.Create(filepath.Join(refDir, "pipeline_reliability_data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cw := csv.NewWriter(out)
	if err := cw.Write(header); err != nil {
		t.Fatal(err)
	}
	for i := range w.Frame.Rows() {
		rec := make([]string, len(cols))
		for j := range cols {
			if rec[j] = cols[j][i]; rec[j] == "" {
				rec[j] = "NA"
			}
		}
		if err := cw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote wave 1 (%d rows); now run Rscript testdata/reference/pipeline_reliability.R", w.Frame.Rows())
}

// formatted is x at full precision, "" for NaN.
func formatted(x []float64) []string {
	out := make([]string, len(x))
	for i, v := range x {
		if !math.IsNaN(v) {
			out[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return out
}

func readReference(t *testing.T) map[refKey]float64 {
	t.Helper()
	recs := testcsv.Read(t, filepath.Join(refDir, "pipeline_reliability.csv"))
	out := map[refKey]float64{}
	for _, r := range recs[1:] {
		v := math.NaN()
		if r[4] != "NA" {
			var err error
			if v, err = strconv.ParseFloat(r[4], 64); err != nil {
				t.Fatalf("pipeline_reliability.csv: %v", err)
			}
		}
		out[refKey{r[0], r[1], r[2], r[3]}] = v
	}
	return out
}

// tables reads wave 1 of the reliability and invariance tables as reference
// keys; heywood lists the keys of R's smallest residual variance where socap
// refused a negative one.
func tables(t *testing.T, db *sql.DB) (got map[refKey]float64, heywood []refKey) {
	t.Helper()
	ctx := context.Background()
	got = map[refKey]float64{}
	put := func(k refKey, v sql.NullFloat64) {
		if v.Valid {
			got[k] = v.Float64
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT dimension, coalesce('background=' || background, ''), n, n_complete, alpha, alpha_std,
		alpha_weighted, omega, cfi, rmsea, status, coalesce(reason, '') FROM reliability
		WHERE wave = 1 AND group_set IN ('all', 'background')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var dim, by, status, reason string
		var v [8]sql.NullFloat64
		if err := rows.Scan(&dim, &by, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &status, &reason); err != nil {
			t.Fatal(err)
		}
		for i, s := range []string{"alpha.n", "omega.n", "alpha.raw", "alpha.std", "walpha.raw", "omega.total", "cfa.cfi", "cfa.rmsea"} {
			put(refKey{dim, by, s, ""}, v[i])
		}
		if strings.Contains(reason, "Heywood") {
			heywood = append(heywood, refKey{dim, by, "omega.min_residual", ""})
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT dimension, coalesce(model, ''), step, coalesce(freed, ''), score_chisq, chisq, df, pvalue,
		cfi, tli, rmsea, srmr, delta_chisq, delta_df, delta_pvalue, delta_cfi, delta_rmsea, delta_srmr, holds::DOUBLE,
		coalesce(reason, '') FROM invariance WHERE wave = 1`)
	if err != nil {
		t.Fatal(err)
	}
	stats := []string{"chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chisq", "delta_df", "delta_pvalue",
		"delta_cfi", "delta_rmsea", "delta_srmr", "holds"}
	for rows.Next() {
		var dim, model, freed, reason string
		var step sql.NullInt64
		var score sql.NullFloat64
		v := make([]sql.NullFloat64, len(stats))
		dest := []any{&dim, &model, &step, &freed, &score}
		for i := range v {
			dest = append(dest, &v[i])
		}
		if err := rows.Scan(append(dest, &reason)...); err != nil {
			t.Fatal(err)
		}
		prefix, item := model, ""
		switch {
		case model == "" && strings.Contains(reason, "Heywood"):
			heywood = append(heywood, refKey{dim, "", "configural.min_residual", ""})
			continue
		case model == "partial scalar" && step.Int64 == 1:
			prefix, item = "partial", strings.TrimSuffix(freed, "~1")
			put(refKey{dim, "", "partial.score", item}, score)
		case step.Int64 > 0 || model == "":
			t.Errorf("%s: invariance model %q step %d (%s) has no R counterpart", dim, model, step.Int64, reason)
			continue
		}
		for i, s := range stats {
			put(refKey{dim, "", prefix + "." + s, item}, v[i])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got, heywood
}

// compareR compares the tables' wave 1 with pipeline_reliability.csv.
func compareR(t *testing.T, db *sql.DB) {
	ref := readReference(t)
	got, heywood := tables(t, db)
	for _, k := range heywood {
		if v, ok := ref[k]; !ok || !(v < 0) {
			t.Errorf("%v: socap refuses a negative residual variance, R's smallest is %v", k, v)
		}
		delete(ref, k)
	}
	worst := map[bool]float64{}
	worstKey := map[bool]refKey{}
	for k, w := range ref {
		if strings.HasSuffix(k.stat, "min_residual") {
			if !(w >= 0) {
				t.Errorf("%v: R has a negative residual variance %v that socap did not refuse", k, w)
			}
			continue
		}
		if slices.Contains(heywood, refKey{k.dim, k.by, "omega.min_residual", ""}) && (strings.HasPrefix(k.stat, "omega.") || strings.HasPrefix(k.stat, "cfa.")) && k.stat != "omega.n" {
			continue
		}
		g, ok := got[k]
		if !ok {
			t.Errorf("%v: in R's values, not in the tables", k)
			continue
		}
		closed := strings.HasPrefix(k.stat, "alpha.") || strings.HasPrefix(k.stat, "walpha.") || k.stat == "omega.n"
		d := math.Abs(g-w) / math.Abs(w)
		tol := closedTol
		if !closed {
			d, tol = math.Abs(g-w)/math.Max(math.Abs(w), 1), fitTol
		}
		if w == g {
			d = 0
		}
		if d > worst[closed] {
			worst[closed], worstKey[closed] = d, k
		}
		if !(d <= tol) {
			t.Errorf("%v: socap %.17g, R %.17g (difference %.2g)", k, g, w, d)
		}
		delete(got, k)
	}
	for k := range got {
		t.Errorf("%v: in the tables, not in R's values", k)
	}
	for _, dim := range []string{"structural", "relational", "cognitive"} {
		want := ""
		switch holds := func(s string) bool { return ref[refKey{dim, "", s, ""}] == 1 }; {
		case holds("metric.holds") && holds("scalar.holds"):
			want = "scalar"
		case holds("metric.holds") && slices.ContainsFunc(slices.Collect(maps.Keys(ref)), func(k refKey) bool { return k.dim == dim && k.stat == "partial.holds" && ref[k] == 1 }):
			want = "partial scalar"
		case holds("metric.holds"):
			want = "metric"
		}
		var verdict sql.NullString
		if err := db.QueryRow(`SELECT any_value(verdict) FROM invariance WHERE wave = 1 AND dimension = ?`, dim).Scan(&verdict); err != nil {
			t.Fatal(err)
		}
		if want != "" && verdict.String != want {
			t.Errorf("%s: verdict %q, R's fits say %q", dim, verdict.String, want)
		}
	}
	t.Logf("%d values against R; largest relative difference of closed forms %.2g (%v), of fitted statistics %.2g (%v)",
		len(ref), worst[true], worstKey[true], worst[false], worstKey[false])
}
