package sqlglm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// BenchmarkReplicateGLM fits a 14-coefficient logistic model with 80 supplied JK1
// replicate weights (JK1 over 80 groups of PSUs) to $SOCAP_REPLICATE_ROWS rows
// (default 100,000) of a Parquet file read in place: the one at $SOCAP_REPLICATE_FILE
// when it exists, else one written there (or to a temporary folder) first. It logs
// every query's time and the peak resident memory (VmHWM) of the design and of the
// fit, the peak reset between them (/proc/self/clear_refs).
func BenchmarkReplicateGLM(b *testing.B) {
	ctx := context.Background()
	rows := 100_000
	if s := os.Getenv("SOCAP_REPLICATE_ROWS"); s != "" {
		var err error
		if rows, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	path := os.Getenv("SOCAP_REPLICATE_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "replicates.parquet")
	}
	if _, err := os.Stat(path); err != nil {
		if err := writeReplicateData(ctx, path, rows, 80); err != nil {
			b.Fatal(err)
		}
	}
	spec := survey.Spec{Weights: "w", Replicates: &survey.ReplicateSpec{Pattern: "^rw", Type: survey.JK1}}
	formula := "employed ~ age + I(age^2) + female + immigrant + factor(education) + trust + health + factor(region)"
	traceQueries = func(q string, d time.Duration) { b.Logf("%8.2fs  %.90s", d.Seconds(), q) }
	defer func() { traceQueries = nil }()
	b.ResetTimer()
	for range b.N {
		st, err := store.Open(ctx, "", store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		tab, err := load.OpenInPlace(ctx, st, path)
		if err != nil {
			b.Fatal(err)
		}
		peakRSS(b) // the writing's
		t0 := time.Now()
		d, _, err := sqlsums.Design(ctx, tab, spec)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%8.2fs  design (sqlsums.Design), peak RSS %s", time.Since(t0).Seconds(), peakRSS(b))
		t0 = time.Now()
		fit, err := Fit(ctx, tab, d, spec, formula, survey.GLMOptions{Family: survey.Binomial})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%8.2fs  fit, peak RSS %s", time.Since(t0).Seconds(), peakRSS(b))
		if len(fit.Coef) != 14 {
			b.Fatalf("%d coefficients, want 14", len(fit.Coef))
		}
		st.Close()
	}
}

// peakRSS is the process's peak resident memory since the last call, from
// /proc/self/status, and resets it.
func peakRSS(b *testing.B) string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	peak := "unknown"
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS not reset: %v", err)
	}
	return peak
}

// writeReplicateData writes rows of a logistic model's data to a Parquet file at path:
// weights w, PSUs psu (800), and reps JK1 replicate weights rw1… dropping the PSUs
// with psu mod reps = r − 1.
func writeReplicateData(ctx context.Context, path string, rows, reps int) error {
	st, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	var rw []string
	for r := range reps {
		rw = append(rw, fmt.Sprintf("CASE WHEN psu %% %d = %d THEN 0.0 ELSE w * %d / %d END AS rw%d", reps, r, reps, reps-1, r+1))
	}
	q := fmt.Sprintf(`COPY (SELECT psu, w, age, female, immigrant, education, trust, health, region,
  CAST(random() < 1 / (1 + exp(-eta)) AS INTEGER) AS employed, %s
FROM (SELECT *, -3 + 0.12 * age - 0.0013 * age * age - 0.3 * female - 0.5 * immigrant + 0.25 * education + 0.2 * trust
  + 0.15 * health + 0.1 * region + 0.02 * (psu %% 7) AS eta
FROM (SELECT i %% 800 AS psu, 1 + 4 * random() AS w, CAST(18 + floor(random() * 50) AS INTEGER) AS age,
  CAST(random() < 0.5 AS INTEGER) AS female, CAST(random() < 0.2 AS INTEGER) AS immigrant,
  CAST(1 + floor(random() * 4) AS INTEGER) AS education, 10 * random() AS trust,
  CAST(1 + floor(random() * 5) AS INTEGER) AS health, CAST(1 + floor(random() * 5) AS INTEGER) AS region
FROM range(%d) t(i)))) TO %s (FORMAT parquet)`, strings.Join(rw, ", "), rows, store.QuoteString(path))
	_, err = st.DB().ExecContext(ctx, q)
	return err
}
