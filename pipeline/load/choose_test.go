package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChoose checks the producer choice: forced choices as given (duckdb refused for
// a file not read in place or a request that needs rows), and auto by the file's
// estimated size in memory, Growth × bytes on disk, against the limit.
func TestChoose(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(csv, []byte(strings.Repeat("x,1\n", 250)), 0o644); err != nil { // 1,000 bytes
		t.Fatal(err)
	}
	sav := filepath.Join(dir, "a.sav")
	if err := os.WriteFile(sav, make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "registry")
	pq := filepath.Join(reg, "year=2020")
	if err := os.MkdirAll(pq, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a.parquet", "b.parquet"} {
		if err := os.WriteFile(filepath.Join(pq, f), make([]byte, 500), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	est := int64(Growth[".csv"] * 1000) // the CSV in memory
	for _, tc := range []struct {
		name, path, forced string
		limit              int64
		sqlOK              bool
		want               Producer
		reason, err        string
	}{
		{"auto within the limit", csv, "auto", est, true, Memory, "within the limit", ""},
		{"auto over the limit", csv, "", est - 1, true, DuckDB, "over the limit", ""},
		{"auto over the limit, request needs rows", csv, "auto", est - 1, false, Memory, "but quantiles", ""},
		{"auto, not read in place", sav, "auto", 1, true, Memory, "not read in place", ""},
		{"auto, folder of Parquet over the limit", reg, "auto", int64(Growth[".parquet"]*1000) - 1, true, DuckDB, "over the limit", ""},
		{"auto, folder of Parquet within", reg, "auto", int64(Growth[".parquet"] * 1000), true, Memory, "within the limit", ""},
		{"forced memory", csv, "memory", 1, true, Memory, "as --producer asks", ""},
		{"forced duckdb", csv, "duckdb", 1 << 40, true, DuckDB, "as --producer asks", ""},
		{"forced duckdb, not read in place", sav, "duckdb", 1, true, "", "", "only CSV and Parquet"},
		{"forced duckdb, request needs rows", csv, "duckdb", 1, false, "", "", "quantiles"},
		{"unknown producer", csv, "spark", 1, true, "", "", "want memory, duckdb or auto"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Choose(tc.path, tc.forced, tc.limit, tc.sqlOK, "quantiles need the rows")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error with %q", c, err, tc.err)
				}
				return
			}
			if err != nil || c.Producer != tc.want || !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("got %+v, %v; want %s because %q", c, err, tc.want, tc.reason)
			}
		})
	}
}

// TestMemoryLimit checks the sizes --memory-limit and engine.memory_limit take.
func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"2GB", 2e9}, {"512MB", 512e6}, {"1.5GiB", 3 << 29}, {"1000", 1000}, {" 4 gb ", 4e9}} {
		if got, err := MemoryLimit(tc.in); err != nil || got != tc.want {
			t.Errorf("MemoryLimit(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"lots", "-1GB", "0"} {
		if _, err := MemoryLimit(bad); err == nil {
			t.Errorf("MemoryLimit(%q) took it", bad)
		}
	}
	if got, _ := MemoryLimit(""); got <= 0 {
		t.Errorf("default limit %d", got)
	}
}

// TestChooseFiles checks a run over several files: sizes add up, and one file not
// read in place keeps auto in memory and refuses duckdb.
func TestChooseFiles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"w1.csv", "w2.csv", "w3.sav"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	two := int64(2 * Growth[".csv"] * 1000)
	if c, err := ChooseFiles(paths[:2], "auto", two-1, true, ""); err != nil || c.Producer != DuckDB {
		t.Errorf("two CSVs over the limit together: %+v, %v; want duckdb", c, err)
	}
	if c, err := ChooseFiles(paths[:2], "auto", two, true, ""); err != nil || c.Producer != Memory {
		t.Errorf("two CSVs within the limit together: %+v, %v; want memory", c, err)
	}
	if c, err := ChooseFiles(paths, "auto", 1, true, ""); err != nil || c.Producer != Memory || !strings.Contains(c.Reason, "not every file") {
		t.Errorf("with an SPSS file: %+v, %v; want memory, not every file read in place", c, err)
	}
	if _, err := ChooseFiles(paths, "duckdb", 1, true, ""); err == nil || !strings.Contains(err.Error(), "w3.sav") {
		t.Errorf("duckdb with an SPSS file: %v; want it refused naming w3.sav", err)
	}
}
