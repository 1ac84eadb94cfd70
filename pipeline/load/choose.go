package load

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Producer names one of the engine's two producers of sums.
type Producer string

const (
	// Memory loads the columns into a survey.Frame (Open, Table.Frame).
	Memory Producer = "memory"
	// DuckDB sums the rows where they lie (OpenInPlace, pipeline/sqlsums).
	DuckDB Producer = "duckdb"
)

// Choice is the producer chosen for a file, and why, in words for stderr.
type Choice struct {
	Producer Producer
	Reason   string
}

// Growth is how many bytes of memory the in-memory producer takes per byte of file:
// ingest's text table, the typed columns and the design's codes.
var Growth = map[string]float64{".csv": 3, ".tsv": 3, ".parquet": 10}

// Choose picks the producer for path. forced "memory" or "duckdb" is taken as given
// (duckdb refused when the file cannot be read in place or the request needs rows in
// memory: sqlOK false, why saying what); "" or "auto" chooses DuckDB when the file is
// read in place, sqlOK holds and the file's estimated size in memory,
// Growth × bytes on disk, exceeds limit bytes; memory otherwise.
func Choose(path, forced string, limit int64, sqlOK bool, why string) (Choice, error) {
	return ChooseFiles([]string{path}, forced, limit, sqlOK, why)
}

// ChooseFiles is Choose for a run over several files (socap run's sources): their
// estimated sizes in memory add up, and DuckDB needs every one read in place.
func ChooseFiles(paths []string, forced string, limit int64, sqlOK bool, why string) (Choice, error) {
	inPlace := len(paths) > 0
	for _, p := range paths {
		inPlace = inPlace && InPlace(p)
	}
	switch forced {
	case string(Memory):
		return Choice{Memory, "as --producer asks"}, nil
	case string(DuckDB):
		for _, p := range paths {
			if _, err := relation(p); err != nil {
				return Choice{}, fmt.Errorf("--producer duckdb: %w", err)
			}
		}
		if !sqlOK {
			return Choice{}, fmt.Errorf("--producer duckdb: %s", why)
		}
		return Choice{DuckDB, "as --producer asks"}, nil
	case "", "auto":
	default:
		return Choice{}, fmt.Errorf("--producer %q: want memory, duckdb or auto", forced)
	}
	var est int64
	for _, p := range paths {
		size, err := diskBytes(p)
		if err != nil {
			inPlace = false
			break
		}
		est += int64(Growth[fileExt(p)] * float64(size))
	}
	if !inPlace {
		what := "the file is not read in place"
		if len(paths) > 1 {
			what = "not every file is read in place"
		}
		return Choice{Memory, what}, nil
	}
	switch {
	case est <= limit:
		return Choice{Memory, fmt.Sprintf("about %s in memory, within the limit of %s", bytesText(est), bytesText(limit))}, nil
	case !sqlOK:
		return Choice{Memory, fmt.Sprintf("about %s in memory, over the limit of %s, but %s", bytesText(est), bytesText(limit), why)}, nil
	}
	return Choice{DuckDB, fmt.Sprintf("about %s in memory, over the limit of %s", bytesText(est), bytesText(limit))}, nil
}

// fileExt is the extension that names path's format (a folder holds Parquet files).
func fileExt(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return ".parquet"
	}
	return strings.ToLower(filepath.Ext(path))
}

// diskBytes is the size of path: a file, a folder's files, or a glob's.
func diskBytes(path string) (int64, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		var n int64
		err := filepath.Walk(path, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				n += fi.Size()
			}
			return err
		})
		return n, err
	}
	matches, err := filepath.Glob(path)
	if err != nil {
		return 0, err
	}
	if len(matches) == 0 {
		return 0, fmt.Errorf("%s: no such file", path)
	}
	var n int64
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

// MemoryLimit reads a limit such as "2GB", "512MB", "1.5GiB" or a number of bytes;
// "" is half the machine's memory (or 2 GB when /proc/meminfo cannot be read).
func MemoryLimit(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return halfMemory(), nil
	}
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) {
		return 0, fmt.Errorf("memory limit %q: want a size such as 2GB or 512MB", s)
	}
	return int64(v * mult), nil
}

func halfMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 2e9
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return kb * 1024 / 2
			}
		}
	}
	return 2e9
}

// bytesText writes a size in kB, MB or GB.
func bytesText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n < 1e6:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}
