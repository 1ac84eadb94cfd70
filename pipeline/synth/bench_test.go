package synth

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkParquet generates surveys of 1 and 10 million respondents (two
// waves) as Parquet and reports the rows written and the peak heap in use
// (sampled after each municipality by the runtime's heap statistics is not
// possible from outside, so the benchmark reports the process's maximum
// resident set size, which includes everything the generator holds).
func BenchmarkParquet(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			for b.Loop() {
				truth, files, err := WriteDir(Options{Respondents: n, Waves: 2, Seed: 1}, dir, FormatParquet)
				if err != nil {
					b.Fatal(err)
				}
				st, err := os.Stat(files.Waves[0])
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(truth.Achieved[0]+truth.Achieved[1]), "rows")
				b.ReportMetric(float64(truth.Population), "persons")
				b.ReportMetric(float64(st.Size())/(1<<20), "MiB/wave")
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapSys)/(1<<20), "MiB-heap-sys")
			_ = filepath.Join
		})
	}
}
