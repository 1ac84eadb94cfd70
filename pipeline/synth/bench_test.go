//go:build linux

package synth

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkParquet generates two-wave surveys of 1 and 10 million expected
// respondents as Parquet. Besides wall time it reports the CPU time (user +
// system: on a shared machine the wall time says little), the rows
// written, the persons generated, the heap obtained from the OS and the
// process's peak resident set size. Memory must not grow with N: run the
// sizes in separate processes (-bench 'Parquet/1000000$') to compare peaks.
func BenchmarkParquet(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			for b.Loop() {
				cpu0 := cpuTime()
				truth, files, err := WriteDir(Options{Respondents: n, Waves: 2, Seed: 1}, dir, FormatParquet)
				if err != nil {
					b.Fatal(err)
				}
				st, err := os.Stat(files.Waves[0])
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s/op")
				b.ReportMetric(float64(truth.Achieved[0]+truth.Achieved[1]), "rows")
				b.ReportMetric(float64(truth.Population), "persons")
				b.ReportMetric(float64(st.Size())/(1<<20), "MiB/wave")
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapSys)/(1<<20), "MiB-heap")
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "MiB-maxrss")
			}
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
