package spss

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"socap/pipeline/ingest/labelled"
)

// benchVars is the benchmark layout: 60 small integer codes (one command
// byte each when compressed), 30 fractional numbers (literals) and 10
// 16-byte strings.
func benchVars() []Variable {
	var vars []Variable
	for i := 0; i < 100; i++ {
		v := Variable{Name: "q" + strconv.Itoa(i)}
		if i >= 90 {
			v.Kind, v.Width = labelled.String, 16
		}
		vars = append(vars, v)
	}
	return vars
}

var benchWords = []string{"Oslo", "Bergen", "Trondheim", "Tromsø", "Stavanger og omegn"[:16], ""}

// benchNumber is numeric variable c (below 90) of case r.
func benchNumber(r, c int) float64 {
	if c < 60 {
		return float64((r*7 + c) % 11)
	}
	return float64(r)*0.37 + float64(c)
}

// BenchmarkRead500k reads a bytecode-compressed file of 500,000 cases of
// 100 variables (400 MB decoded as float64) in batches of 16k cases and
// reports the peak resident memory of the process during the reads
// (VmHWM, reset before them) and the CPU time per read, which is steadier
// than wall time on a shared machine (Linux only).
func BenchmarkRead500k(b *testing.B) {
	path := writeBenchFile(b)
	st, _ := os.Stat(path)
	runtime.GC()
	resetPeakRSS()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		batch := r.NewBatch(16 << 10)
		total := 0
		for {
			n, err := r.Next(batch)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total += n
		}
		r.Close()
		if total != benchRows {
			b.Fatalf("%d rows", total)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	if peak := peakRSS(); peak > 0 {
		b.ReportMetric(peak/1e6, "peak-RSS-MB")
	}
}

const benchRows = 500_000

// writeBenchFile writes the benchmark file into a temporary directory.
func writeBenchFile(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "bench.sav")
	writeBench(b, path)
	return path
}

// writeBench writes the benchmark file to path with Create, in batches
// of 16k cases.
func writeBench(b *testing.B, path string) {
	w, err := Create(path, benchVars(), WriterOptions{Created: testCreated})
	if err != nil {
		b.Fatal(err)
	}
	batch := w.NewBatch(16 << 10)
	for r := 0; r < benchRows; r += batch.Len {
		batch.Len = min(batch.Cap(), benchRows-r)
		for c := range batch.Columns {
			col := &batch.Columns[c]
			for i := 0; i < batch.Len; i++ {
				if c < 90 {
					col.Floats[i] = benchNumber(r+i, c)
				} else {
					col.Strings[i] = benchWords[(r+i+c)%len(benchWords)]
				}
				col.Valid[i] = true
			}
		}
		if err := w.Write(batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWrite500k writes the file BenchmarkRead500k reads, 500,000
// cases of 100 variables bytecode-compressed, from batches of 16k cases
// (filling them included), and reports the CPU time per write and the
// peak resident memory of the process during the writes (Linux only).
func BenchmarkWrite500k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.sav")
	runtime.GC()
	resetPeakRSS()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		writeBench(b, path)
	}
	b.StopTimer()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	if peak := peakRSS(); peak > 0 {
		b.ReportMetric(peak/1e6, "peak-RSS-MB")
	}
}

// BenchmarkReadstatCSV500k converts the same file to CSV with the readstat
// command, the first half of the path socap's reader replaces (ReadStat
// to CSV, then DuckDB's read_csv), and reports the command's CPU time.
func BenchmarkReadstatCSV500k(b *testing.B) {
	bin, err := exec.LookPath("readstat")
	if err != nil {
		b.Skip("readstat not on PATH")
	}
	path := writeBenchFile(b)
	out := filepath.Join(b.TempDir(), "bench.csv")
	var cpu float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.Remove(out)
		cmd := exec.Command(bin, path, out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("readstat: %v: %s", err, msg)
		}
		cpu += (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	b.StopTimer()
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// resetPeakRSS resets the kernel's high-water mark of resident memory
// (writing 5 to /proc/self/clear_refs).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in bytes, or 0 where /proc is unavailable.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// cpuSeconds is the user plus system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
