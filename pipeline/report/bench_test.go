package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// BenchmarkNational renders every report of a national store: the project
// of $SOCAP_BENCH_PROJECT (a socap.yaml whose store socap run has filled,
// e.g. from socap synth --national --respondents 1000000), into a temporary
// folder. It reports the largest municipal page and the total size.
//
//	socap synth --national --respondents 1000000 --format parquet --out norway/
//	(write norway/socap.yaml with the two waves and codebook: builtin:ilag)
//	socap run -c norway/socap.yaml
//	SOCAP_BENCH_PROJECT=norway/socap.yaml go test -run XXX -bench National -benchtime 1x ./pipeline/report/
func BenchmarkNational(b *testing.B) {
	path := os.Getenv("SOCAP_BENCH_PROJECT")
	if path == "" {
		b.Skip("SOCAP_BENCH_PROJECT is not set: see the benchmark's doc for how to build a national store")
	}
	ctx := context.Background()
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		b.Fatal(err)
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.Resolve(cfg.Store), store.Options{Threads: cfg.Engine.Threads, MemoryLimit: cfg.Engine.MemoryLimit, ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg.Output = b.TempDir()
	env := &pipeline.Env{Store: st, Config: cfg, Codebook: cb}
	var s Stage
	for b.Loop() {
		if err := s.Run(ctx, env); err != nil {
			b.Fatal(err)
		}
	}
	var total, largest int64
	for _, f := range s.Files() {
		fi, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
		if n := filepath.Base(f); n != "researcher.html" && n != "index.html" && n != "sample.html" {
			largest = max(largest, fi.Size())
		}
	}
	b.ReportMetric(float64(len(s.Files())), "files")
	b.ReportMetric(float64(largest)/(1<<20), "MB/largest-page")
	b.ReportMetric(float64(total)/(1<<20), "MB/total")
}
