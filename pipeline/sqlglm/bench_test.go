package sqlglm

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"socap/indicators/survey"
	"socap/pipeline/load"
	"socap/pipeline/sqlsums"
	"socap/pipeline/store"
	"socap/pipeline/synth"
)

// panelFormula is the benchmark's logistic model: 15 coefficients.
const panelFormula = "employed ~ age + I(age^2) + female + immigrant + factor(education) + trust + health + factor(region)"

// BenchmarkPanelGLM fits the 15-coefficient logistic model with Taylor SEs (strata
// municipality, PSU area, fpc) to a synthetic register panel read in place: the one in
// $SOCAP_PANEL (a folder written by socap synth --panel), or else one of
// $SOCAP_PANEL_RESIDENTS (default 50,000) residents × 20 years written to a temporary
// folder first. It reports rows per second and the passes' time.
func BenchmarkPanelGLM(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("SOCAP_PANEL")
	if dir == "" {
		residents := 50_000
		if s := os.Getenv("SOCAP_PANEL_RESIDENTS"); s != "" {
			var err error
			if residents, err = strconv.Atoi(s); err != nil {
				b.Fatal(err)
			}
		}
		dir = b.TempDir()
		t0 := time.Now()
		sum, err := synth.WritePanel(synth.PanelOptions{Years: 20, Residents: residents, Seed: 1}, dir)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("panel: %d rows, %.1f MB, written in %v", sum.Rows, float64(sum.Bytes)/1e6, time.Since(t0))
	}
	spec := survey.Spec{Weights: "weight", Strata: "municipality", Clusters: []string{"area"}, FPC: []string{"areas_pop"}}
	var rows int64
	traceQueries = func(q string, d time.Duration) { b.Logf("%8.2fs  %.90s", d.Seconds(), q) }
	defer func() { traceQueries = nil }()
	b.ResetTimer()
	for range b.N {
		st, err := store.Open(ctx, "", store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		tab, err := load.OpenInPlace(ctx, st, dir)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		d, _, err := sqlsums.Design(ctx, tab, spec)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%8.2fs  design (sqlsums.Design)", time.Since(t0).Seconds())
		fit, err := Fit(ctx, tab, d, spec, panelFormula, survey.GLMOptions{Family: survey.Binomial})
		if err != nil {
			b.Fatal(err)
		}
		if len(fit.Coef) != 15 {
			b.Fatalf("%d coefficients, want 15", len(fit.Coef))
		}
		rows = fit.WeightedRows
		st.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
