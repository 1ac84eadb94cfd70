package harmonize

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/store"
)

// rawSource is a source as the ingest stage would have loaded it.
type rawSource struct {
	id      string
	wave    int
	decimal string // "." or ","
	csv     string // header and records; a record with the wrong number of fields is ragged
}

// openStore opens an in-memory store for a test.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// loadRaw writes src into raw_<id> and sources in the layout of the ingest
// stage: every file column VARCHAR, then _source, _sha256, _row and
// _problem, which is set for a ragged record (whose cells stay NULL).
func loadRaw(t testing.TB, s *store.Store, src rawSource) {
	t.Helper()
	r := csv.NewReader(strings.NewReader(src.csv))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := records[0]
	table := "raw_" + src.id
	var defs []string
	for _, h := range header {
		defs = append(defs, store.QuoteIdent(h)+" VARCHAR")
	}
	defs = append(defs, "_source VARCHAR", "_sha256 VARCHAR", "_row BIGINT", "_problem VARCHAR")
	db := s.DB()
	if _, err := db.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s)", store.QuoteIdent(table), strings.Join(defs, ", "))); err != nil {
		t.Fatal(err)
	}
	insert := fmt.Sprintf("INSERT INTO %s VALUES (%s)", store.QuoteIdent(table), strings.TrimSuffix(strings.Repeat("?, ", len(header)+4), ", "))
	for k, rec := range records[1:] {
		vals := make([]any, len(header), len(header)+4)
		var problem any
		if len(rec) != len(header) {
			problem = fmt.Sprintf("record has %d fields, the header has %d", len(rec), len(header))
		} else {
			for j, f := range rec {
				vals[j] = f
			}
		}
		vals = append(vals, src.id, "sha", k+1, problem)
		if _, err := db.Exec(insert, vals...); err != nil {
			t.Fatal(err)
		}
	}
	decimal := src.decimal
	if decimal == "" {
		decimal = "."
	}
	if _, err := db.Exec(`INSERT OR REPLACE INTO sources (source_id, path, sha256, format, decimal_sep, raw_table, row_count, loaded_at)
		VALUES (?, ?, 'sha', 'csv', ?, ?, ?, ?)`, src.id, src.id+".csv", decimal, table, len(records)-1, time.Unix(0, 0).UTC()); err != nil {
		t.Fatal(err)
	}
}

// env loads the sources into s and returns the Env for harmonising them
// with the codebook given as YAML.
func env(t testing.TB, s *store.Store, codebookYAML string, srcs ...rawSource) *pipeline.Env {
	t.Helper()
	cb, err := codebook.Parse("codebook.yaml", []byte(codebookYAML))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &pipeline.Config{Project: "test"}
	for _, src := range srcs {
		loadRaw(t, s, src)
		cfg.Sources = append(cfg.Sources, pipeline.Source{ID: src.id, Path: src.id + ".csv", Wave: src.wave, Decimal: src.decimal})
	}
	return &pipeline.Env{Store: s, Config: cfg, Codebook: cb, Log: &strings.Builder{}, Now: func() time.Time { return time.Unix(0, 0) }}
}

// syntheticSource creates the raw table raw_<id> from SQL expressions over the row
// number i = 1…rows (each aliased to its column; the provenance columns are added,
// _problem from the expression problem), registers it as source id of the given
// format and decimal separator, and returns the stage environment with the codebook
// YAML. The random seed is fixed, so that random() gives the same table every run.
func syntheticSource(tb testing.TB, s *store.Store, id, format, decimal string, rows int, cols []string, problem, codebookYAML string) *pipeline.Env {
	tb.Helper()
	cols = append(cols, "'"+id+"' AS _source", "'sha' AS _sha256", "i AS _row", problem+" AS _problem")
	db := s.DB()
	if _, err := db.Exec(fmt.Sprintf("SELECT setseed(0.5); CREATE TABLE raw_%s AS SELECT %s FROM range(1, %d) t(i)", id, strings.Join(cols, ", "), rows+1)); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO sources (source_id, path, sha256, format, decimal_sep, raw_table, row_count, loaded_at)
		VALUES (?, ?, 'sha', ?, ?, ?, ?, ?)`, id, id+"."+format, format, decimal, "raw_"+id, rows, time.Unix(0, 0)); err != nil {
		tb.Fatal(err)
	}
	book, err := codebook.Parse(id+".yaml", []byte(codebookYAML))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := &pipeline.Config{Sources: []pipeline.Source{{ID: id, Path: id + "." + format, Wave: 1}}}
	return &pipeline.Env{Store: s, Config: cfg, Codebook: book, Log: &strings.Builder{}}
}
