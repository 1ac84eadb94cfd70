package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
)

// TestProducerEstimate checks that socap estimate gives the same estimates with the
// duckdb producer as in memory (means, ratios, proportions of a text column, quantiles
// under both rules, by a group), to 1e-12 relative, and names the producer on stderr.
func TestProducerEstimate(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	for _, rule := range []string{"math", "hf7"} {
		args := []string{"estimate", data, "--weight", "pw", "--strata", "stype", "--fpc", "fpc",
			"--mean", "api00,enroll", "--ratio", "api00/api99", "--prop", "sch.wide=Yes", "--quantile", "api00:0.25,0.5",
			"--qrule", rule, "--by", "awards", "--format", "json"}
		estimates := map[string][]map[string]any{}
		for _, producer := range []string{"memory", "duckdb"} {
			code, stdout, stderr := runCLI(t, append(args, "--producer", producer)...)
			if code != exitOK {
				t.Fatalf("--producer %s: exit %d: %s", producer, code, stderr)
			}
			if want := "socap: producer " + producer + ": as --producer asks"; !strings.Contains(stderr, want) {
				t.Errorf("--producer %s: stderr %q lacks %q", producer, stderr, want)
			}
			var out struct {
				Estimates []map[string]any `json:"estimates"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("--producer %s: %v\n%s", producer, err, stdout)
			}
			estimates[producer] = out.Estimates
		}
		mem, sql := estimates["memory"], estimates["duckdb"]
		if want := 2 * (2 + 1 + 1 + 2); len(mem) != want || len(sql) != want { // 2 awards × (2 means, ratio, prop, 2 quantiles)
			t.Fatalf("qrule %s: %d estimates in memory, %d from duckdb; want %d", rule, len(mem), len(sql), want)
		}
		for i, m := range mem {
			s := sql[i]
			for _, k := range []string{"variable", "statistic", "level", "p", "by", "n", "flags"} {
				if mj, sj := jsonText(t, m[k]), jsonText(t, s[k]); mj != sj {
					t.Errorf("qrule %s, estimate %d: %s memory %s, duckdb %s", rule, i, k, mj, sj)
				}
			}
			for _, k := range []string{"estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "sum_weights"} {
				a, aok := m[k].(float64)
				b, bok := s[k].(float64)
				if aok != bok || aok && math.Abs(a-b) > 1e-12*math.Max(math.Abs(a), math.Abs(b)) {
					t.Errorf("qrule %s, %v %v %v: %s memory %v, duckdb %v", rule, m["variable"], m["statistic"], m["by"], k, m[k], s[k])
				}
			}
		}
	}
}

func jsonText(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestProducerFlags checks --producer and --memory-limit: exit codes for what cannot
// be done, and the stderr line naming the producer and why.
func TestProducerFlags(t *testing.T) {
	data := shareddata.Path(t, "api/apistrat.csv")
	sav := filepath.Join(t.TempDir(), "x.sav")
	if err := os.WriteFile(sav, []byte("not read"), 0o644); err != nil {
		t.Fatal(err)
	}
	margins := filepath.Join(t.TempDir(), "margins.csv") // apistrat's population by school type
	if err := os.WriteFile(margins, []byte("variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--weight", "pw", "--strata", "stype", "--mean", "api00"}
	for _, tc := range []struct {
		name   string
		file   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown producer", data, []string{"--producer", "spark"}, exitBadUse, `--producer "spark": want memory, duckdb or auto`},
		{"duckdb, file not read in place", sav, []string{"--producer", "duckdb"}, exitBadUse, "only CSV and Parquet files"},
		{"duckdb, margins need rows", data, []string{"--producer", "duckdb", "--margins", margins}, exitBadUse, "need the rows in memory"},
		{"bad memory limit", data, []string{"--memory-limit", "lots"}, exitBadUse, "--memory-limit"},
		{"auto over the limit", data, []string{"--memory-limit", "1KB"}, exitOK, "socap: producer duckdb: about"},
		{"auto within the limit", data, []string{"--memory-limit", "1GB"}, exitOK, "socap: producer memory: about"},
		{"auto over the limit, but margins", data, []string{"--memory-limit", "1KB", "--margins", margins}, exitOK, "socap: producer memory: about 142 kB in memory, over the limit of 1 kB, but --margins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append(append([]string{"estimate", tc.file}, base...), tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestProducerRun checks socap run's --producer: a bad value is bad usage before any
// stage runs, and duckdb says on stderr that the estimate stage sums in DuckDB and
// the other stages read the respondents into memory, and writes the estimates the
// memory producer writes (numbers within 1e-12 relative, the rest equal).
func TestProducerRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "proj")
	if code, _, stderr := runCLI(t, "init", dir); code != exitOK {
		t.Fatalf("init: %s", stderr)
	}
	cfg := filepath.Join(dir, "socap.yaml")
	if code, _, stderr := runCLI(t, "run", "-c", cfg, "--producer", "spark"); code != exitBadUse || !strings.Contains(stderr, "want memory, duckdb or auto") {
		t.Errorf("--producer spark: exit %d, %q; want %d and the choices", code, stderr, exitBadUse)
	}
	if code, _, stderr := runCLI(t, "run", "-c", cfg, "--memory-limit", "lots"); code != exitBadUse || !strings.Contains(stderr, "--memory-limit") {
		t.Errorf("--memory-limit lots: exit %d, %q; want %d naming the flag", code, stderr, exitBadUse)
	}
	estimates := map[string][][]string{}
	for _, producer := range []string{"memory", "duckdb"} {
		code, _, stderr := runCLI(t, "run", "-c", cfg, "--producer", producer, "--quiet")
		if code != exitOK {
			t.Fatalf("--producer %s: exit %d: %s", producer, code, stderr)
		}
		estimates[producer] = testcsv.Read(t, filepath.Join(dir, "out", "estimates.csv"))
		if producer == "memory" {
			continue
		}
		if want := "socap: producer duckdb: as --producer asks; the estimate stage sums in DuckDB"; !strings.Contains(stderr, want) ||
			!strings.Contains(stderr, "the design, score, reliability, compare, model, evaluate and mentoring stages still read the respondents into memory") {
			t.Errorf("--producer duckdb: stderr %q does not say which stages sum in DuckDB", stderr)
		}
	}
	mem, duck := estimates["memory"], estimates["duckdb"]
	if len(mem) < 2 || len(mem) != len(duck) {
		t.Fatalf("out/estimates.csv: %d lines in memory, %d with duckdb", len(mem), len(duck))
	}
	bad := 0
	for i := range mem {
		for k := range mem[i] {
			a, b := mem[i][k], duck[i][k]
			if a == b {
				continue
			}
			x, errA := strconv.ParseFloat(a, 64)
			y, errB := strconv.ParseFloat(b, 64)
			if errA == nil && errB == nil && math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)) {
				continue
			}
			if bad++; bad <= 10 {
				t.Errorf("out/estimates.csv line %d, %s: memory %q, duckdb %q", i+1, mem[0][k], a, b)
			}
		}
	}
}
