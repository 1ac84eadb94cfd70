package sqlsums

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"socap/indicators/survey"
	"socap/pipeline/ingest"
	"socap/pipeline/load"
	"socap/pipeline/store"
	"socap/pipeline/synth"
)

// The benchmark's workload, as socap bench's estimate step: six means by municipality
// with Taylor SEs on the synthetic survey's design (municipalities as strata, areas as
// PSUs, the number of areas as fpc, a lonely PSU centred at the grand mean).
var (
	benchSpec  = survey.Spec{Weights: "weight", Strata: "stratum", Clusters: []string{"psu"}, FPC: []string{"fpc"}, LonelyPSU: survey.LonelyAdjust}
	benchMeans = []string{"trust_people", "trust_municipality", "friends", "meet_friends", "belonging", "qol"}
	benchBy    = []string{"municipality"}
)

// benchCSV is the benchmark's file: $SQLSUMS_BENCH_CSV, or one wave of 1,000,000
// respondents in all 357 municipalities (socap synth, skipped items blank), written
// once into the temporary directory and kept for later runs.
func benchCSV(b *testing.B) string {
	if p := os.Getenv("SQLSUMS_BENCH_CSV"); p != "" {
		return p
	}
	dir := filepath.Join(os.TempDir(), "socap-sqlsums-bench-1m")
	path := filepath.Join(dir, "wave1.csv")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if _, _, err := synth.WriteDir(synth.Options{Respondents: 1_000_000, Waves: 1, Seed: 1, BlankMissing: true, National: true}, dir, synth.FormatCSV); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchRequests() []survey.Request {
	var reqs []survey.Request
	for _, m := range benchMeans {
		reqs = append(reqs, survey.Request{Statistic: survey.Mean, Variable: m})
	}
	return reqs
}

// BenchmarkEstimate1M times the estimate end to end from the CSV: with the columns
// loaded into memory (ingest, frame, design, estimate: what socap estimate
// --producer memory does), summed by DuckDB where the file lies (--producer duckdb),
// and R's read.csv + svydesign + svyby(svymean, na.rm = TRUE) per variable (each
// variable's missing values out of its domain, as socap) on the same file when Rscript
// and the survey package are installed. Besides ns/op it reports cpu-s/op (user + system,
// which a shared machine's load does not inflate) and peak-MB, the process's peak
// resident memory: meaningful when one sub-benchmark runs per process
// (-bench 'Estimate1M/duckdb'); R's is its own process's.
func BenchmarkEstimate1M(b *testing.B) {
	path := benchCSV(b)
	ctx := context.Background()
	cols := append(append([]string{benchSpec.Weights, benchSpec.Strata, benchSpec.FPC[0]}, benchSpec.Clusters...), append(benchMeans, benchBy...)...)
	b.Run("memory", func(b *testing.B) {
		measure(b, func() {
			in, err := load.Open(ctx, path, ingest.FileOptions{})
			if err != nil {
				b.Fatal(err)
			}
			frame, err := in.Frame(ctx, cols)
			in.Close()
			if err != nil {
				b.Fatal(err)
			}
			d, err := survey.NewDesign(frame, benchSpec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.Estimate(benchRequests(), survey.Options{By: benchBy}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("duckdb", func(b *testing.B) {
		measure(b, func() {
			st, err := store.Open(ctx, "", store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			tab, err := load.OpenInPlace(ctx, st, path)
			if err != nil {
				b.Fatal(err)
			}
			defer tab.Close()
			if err := Prepare(ctx, tab, benchSpec, append(benchMeans, benchBy...)); err != nil {
				b.Fatal(err)
			}
			d, src, err := Design(ctx, tab, benchSpec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.EstimateRows(benchRequests(), survey.Options{By: benchBy}, src); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("R", func(b *testing.B) {
		if exec.Command("Rscript", "-e", "library(survey)").Run() != nil {
			b.Skip("Rscript with the survey package is not installed")
		}
		script := fmt.Sprintf(`options(survey.lonely.psu = "adjust")
suppressMessages(library(survey))
d <- read.csv(%q)
des <- svydesign(ids = ~%s, strata = ~%s, weights = ~%s, fpc = ~%s, data = d)
for (v in c(%s)) r <- svyby(as.formula(paste0("~", v)), ~%s, des, svymean, na.rm = TRUE)
cat(nrow(r), "\n")`, path, benchSpec.Clusters[0], benchSpec.Strata, benchSpec.Weights, benchSpec.FPC[0], `"`+strings.Join(benchMeans, `", "`)+`"`, benchBy[0])
		var cpu time.Duration
		var peak int64
		b.ResetTimer()
		for range b.N {
			cmd := exec.Command("Rscript", "-e", script)
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("R: %v\n%s", err, out)
			}
			cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				peak = max(peak, ru.Maxrss)
			}
		}
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(peak)/1024, "peak-MB")
	})
}

// measure runs f b.N times, reporting cpu-s/op and the process's peak-MB.
func measure(b *testing.B, f func()) {
	c0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		f()
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
