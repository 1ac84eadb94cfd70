// Package testcsv reads the CSV files tests compare against (R's reference
// values, companion CSVs of the shared datasets, files a command wrote).
package testcsv

import (
	"encoding/csv"
	"io"
	"os"
	"strings"
	"testing"
)

// Read returns every record of the CSV file at path, without the UTF-8 byte
// order mark some writers start it with; a file that cannot be read or parsed
// fails the test.
func Read(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parse(t, path, f)
}

// Parse is Read of CSV text (a command's output).
func Parse(t testing.TB, text string) [][]string {
	t.Helper()
	return parse(t, "CSV text", strings.NewReader(text))
}

func parse(t testing.TB, name string, r io.Reader) [][]string {
	t.Helper()
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(recs) > 0 && len(recs[0]) > 0 {
		recs[0][0] = strings.TrimPrefix(recs[0][0], "\ufeff")
	}
	return recs
}
