package harmonize

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"socap/pipeline"
)

// benchSurvey builds a raw table of rows records and 30 columns: an id, a
// weight, 10 ordinal items (half reverse-coded, with missing codes), 5
// binary, 5 categorical, 5 continuous (decimal comma), 3 counts and a text.
// About one cell in a thousand and one row in ten thousand is bad.
func benchSurvey(b *testing.B, rows int) *pipeline.Env {
	b.Helper()
	s := openStore(b)
	var cb strings.Builder
	cb.WriteString("name: bench\nvariables:\n  - {name: id, type: id}\n  - {name: w, type: weight}\n")
	cols := []string{
		"CASE WHEN i % 10000 = 0 THEN CAST(i - 1 AS VARCHAR) ELSE CAST(i AS VARCHAR) END AS id",
		"CASE WHEN i % 10007 = 0 THEN '-1' ELSE CAST(0.5 + (i % 7) * 0.25 AS VARCHAR) END AS w",
	}
	add := func(name, yaml, expr string) {
		fmt.Fprintf(&cb, "  - {name: %s, %s}\n", name, yaml)
		cols = append(cols, expr+" AS "+name)
	}
	for k := range 10 {
		add(fmt.Sprintf("q%d", k), fmt.Sprintf("type: ordinal, range: [1, 5], missing: [8, 9], reverse: %v", k%2 == 0),
			fmt.Sprintf("CASE WHEN (i + %d) %% 1000 = 0 THEN 'x' WHEN (i + %d) %% 97 = 0 THEN '8' WHEN (i + %d) %% 2001 = 0 THEN '7' ELSE CAST(1 + (i * %d) %% 5 AS VARCHAR) END", k, k, k, k+3))
	}
	for k := range 5 {
		add(fmt.Sprintf("b%d", k), `type: binary, values: [{code: 0, en: "no"}, {code: 1, en: "yes"}]`,
			fmt.Sprintf("CAST((i + %d) %% 2 AS VARCHAR)", k))
	}
	for k := range 5 {
		add(fmt.Sprintf("c%d", k), `type: categorical, values: [{code: "5001", en: a}, {code: "5014", en: b}, {code: "5054", en: c}, {code: "0301", en: d}]`,
			fmt.Sprintf("CASE WHEN (i + %d) %% 1000 = 0 THEN '301' ELSE (['5001', '5014', '5054', '0301'])[1 + i %% 4] END", k))
	}
	for k := range 5 {
		add(fmt.Sprintf("x%d", k), "type: continuous", fmt.Sprintf("replace(CAST(round(random() * 100, 2) + %d AS VARCHAR), '.', ',')", k))
	}
	for k := range 3 {
		add(fmt.Sprintf("n%d", k), "type: count, range: [0, 50]", fmt.Sprintf("CAST((i * %d) %% 51 AS VARCHAR)", k+1))
	}
	add("comment", "type: text", "CASE WHEN i % 3 = 0 THEN 'Frøya er fin' END")
	return syntheticSource(b, s, "bench", "csv", ",", rows, cols, "CASE WHEN i % 50000 = 0 THEN 'ragged' END", cb.String())
}

// BenchmarkHarmonize harmonises 1,000,000 rows × 30 columns. Besides wall
// time it reports the process's CPU time per run (cpu-s/op), which a busy
// machine distorts less.
func BenchmarkHarmonize(b *testing.B) {
	const rows = 1_000_000
	e := benchSurvey(b, rows)
	st := new(Stage)
	cpu := cpuSeconds(b)
	for b.Loop() {
		if err := st.Run(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cpuSeconds(b) - cpu
	if in, _ := st.RowCounts(); in != rows {
		b.Fatalf("read %d raw rows, want %d", in, rows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// cpuSeconds is the user and system CPU time of the process so far.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
