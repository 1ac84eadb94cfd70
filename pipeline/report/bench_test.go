package report

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// BenchmarkNational renders every report of a national store: the project
// of $SOCAP_BENCH_PROJECT (a socap.yaml whose store socap run has filled,
// e.g. from socap synth --national --respondents 1000000), into a temporary
// folder. It reports the time of a whole report run (ns/op), the largest
// municipal page, the researcher report, the index and the total size, and
// logs the sizes of the municipal pages (smallest, median, largest).
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
	var total int64
	var pages []int64
	size := map[string]int64{}
	for _, f := range s.Files() {
		fi, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
		n := filepath.Base(f)
		size[n] = fi.Size()
		if n != "researcher.html" && n != "index.html" && n != "sample.html" {
			pages = append(pages, fi.Size())
		}
	}
	if len(pages) == 0 {
		b.Fatal("no municipal pages")
	}
	slices.Sort(pages)
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	b.ReportMetric(float64(len(s.Files())), "files")
	b.ReportMetric(mb(pages[len(pages)-1]), "MB/largest-page")
	b.ReportMetric(mb(size["researcher.html"]), "MB/researcher")
	b.ReportMetric(mb(size["index.html"]), "MB/index")
	b.ReportMetric(mb(total), "MB/total")
	b.Logf("%d municipal pages: %.2f MB smallest, %.2f median, %.2f largest; sample.html %.2f MB, index.html %.2f MB, researcher.html %.2f MB",
		len(pages), mb(pages[0]), mb(pages[len(pages)/2]), mb(pages[len(pages)-1]), mb(size["sample.html"]), mb(size["index.html"]), mb(size["researcher.html"]))
}
