package harmonize

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	"socap/internal/golden"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/dataerr"
	"socap/pipeline/store"
)

// TestBadInputs harmonises each project under testdata/bad/harmonize (a
// socap.yaml, its codebook and CSV files) and compares the error, or the
// accounting, rejects and respondents, with the project's expected.golden.
// Every run that succeeds must account for every raw row.
func TestBadInputs(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/bad/harmonize/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no bad inputs: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			golden.CheckString(t, filepath.Join(dir, "expected.golden"), harmonizeProject(t, dir))
		})
	}
}

// harmonizeProject loads the project in dir into a fresh store, harmonises
// it and describes the outcome.
func harmonizeProject(t *testing.T, dir string) string {
	cfg, err := pipeline.LoadConfig(filepath.Join(dir, "socap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := codebook.Load(cfg.Resolve(cfg.Codebook))
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	for _, src := range cfg.Sources {
		data, err := os.ReadFile(cfg.Resolve(src.Path))
		if err != nil {
			t.Fatal(err)
		}
		loadRaw(t, s, rawSource{id: src.ID, wave: src.Wave, decimal: src.Decimal, csv: string(data)})
	}
	err = new(Stage).Run(context.Background(), &pipeline.Env{Store: s, Config: cfg, Codebook: cb, Log: &strings.Builder{}})
	if err != nil {
		if strings.Contains(err.Error(), "needs column") && !dataerr.Is(err) {
			t.Errorf("a missing column is not a DataError: %v", err)
		}
		return "error:\n" + err.Error()
	}
	counts, err := Accounting(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "source\traw\trespondents\trejected rows\trejected cells")
	for _, c := range counts {
		if !c.Balanced() {
			t.Errorf("source %s is not balanced: %+v", c.Source, c)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", c.Source, c.Raw, c.Respondents, c.RejectedRows, c.RejectedCells)
	}
	tw.Flush()
	b.WriteString("\nrejects:\n")
	dump(t, &b, s, `SELECT source_id, "row", level, "column", value, rule, message FROM rejects ORDER BY source_id, "row", "column"`)
	b.WriteString("\nrespondents:\n")
	dump(t, &b, s, `SELECT * FROM respondents ORDER BY source_id, _row`)
	return strings.TrimRight(b.String(), "\n")
}

// dump writes the result of query as an aligned table; NULL shows as NULL.
func dump(t *testing.T, b *strings.Builder, s *store.Store, query string) {
	t.Helper()
	rows, err := s.DB().Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = "NULL"
			if v != nil {
				cells[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
}
