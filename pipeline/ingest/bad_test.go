package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/pipeline/dataerr"
	"socap/pipeline/store"
)

// badDir holds the bad-input corpus: each file has a .golden beside it with
// what loading it gives, an error or the rows that land.
const badDir = "../../testdata/bad/ingest"

func TestBadInputs(t *testing.T) {
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".golden") || e.Name() == "README.md" {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			st := openStore(t, "")
			got := outcome(t, e.Name(), st)
			checkGolden(t, filepath.Join(badDir, e.Name()+".golden"), got)
		})
	}
	if n < 15 {
		t.Errorf("only %d bad inputs in %s", n, badDir)
	}
}

// outcome loads one bad input and describes the result: the error, or the
// source and every raw row.
func outcome(t *testing.T, name string, s *store.Store) string {
	t.Helper()
	info, err := LoadFile(context.Background(), s, filepath.Join(badDir, name), FileOptions{Now: fixedNow}, "bad")
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), badDir+"/", "")
		return fmt.Sprintf("error (data error: %v): %s\n", dataerr.Is(err), msg)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "loaded: %s\n", strings.ReplaceAll(info.Summary(), badDir+"/", ""))
	fmt.Fprintf(&b, "columns: %s\n", strings.Join(columnNames(info.Columns), " | "))
	for _, n := range info.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, r := range rawRows(t, s, info.Table) {
		fmt.Fprintf(&b, "row: %s\n", strings.Join(r, " | "))
	}
	return b.String()
}

// checkGolden compares got with the golden file at path, rewriting it
// with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
