package ingest

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"socap/pipeline/store"
)

// BenchmarkIngestCSV loads a generated 1,000,000 × 30 CSV (about 150 MB)
// into a file-backed store three ways: socap's LoadFile (Go pre-scan that
// hashes, checks and writes a numbered copy; then read_csv into VARCHAR
// columns with provenance), and DuckDB's own read_csv, with type detection
// (the target: socap within 1.5× of it) and with all_varchar (the same
// table content as socap's). Each reports the process's peak resident
// memory during the load (peak-MB, Linux only).
//
//	go test ./pipeline/ingest -run '^$' -bench IngestCSV -benchtime 3x
func BenchmarkIngestCSV(b *testing.B) {
	path := filepath.Join(b.TempDir(), "survey.csv")
	genCSV(b, path, 1_000_000, 30, false)
	size := fileSize(path)
	loads := []struct {
		name string
		load func(ctx context.Context, st *store.Store) error
	}{
		{"socap", func(ctx context.Context, st *store.Store) error {
			_, err := LoadFile(ctx, st, path, FileOptions{}, "bench")
			return err
		}},
		{"read_csv", func(ctx context.Context, st *store.Store) error {
			_, err := st.DB().ExecContext(ctx, "CREATE TABLE t AS SELECT * FROM read_csv("+store.QuoteString(path)+")")
			return err
		}},
		{"read_csv_all_varchar", func(ctx context.Context, st *store.Store) error {
			_, err := st.DB().ExecContext(ctx, "CREATE TABLE t AS SELECT * FROM read_csv("+store.QuoteString(path)+", all_varchar = true)")
			return err
		}},
	}
	for _, l := range loads {
		b.Run(l.name, func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(size)
			var peak int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dbPath := filepath.Join(b.TempDir(), "bench.duckdb")
				st, err := store.Open(ctx, dbPath, store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				resetPeakRSS()
				b.StartTimer()
				if err := l.load(ctx, st); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				peak = max(peak, peakRSS())
				st.Close()
				os.Remove(dbPath)
			}
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			}
		})
	}
}

// resetPeakRSS resets the kernel's record of this process's peak resident
// memory (Linux: "5" to /proc/self/clear_refs).
func resetPeakRSS() {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is the process's peak resident memory in bytes since the last
// reset (VmHWM in /proc/self/status), 0 where unknown.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
