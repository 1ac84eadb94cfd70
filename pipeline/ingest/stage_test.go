package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/pipeline"
)

func TestStageSkipsUnchangedAndReplacesChanged(t *testing.T) {
	dir := t.TempDir()
	w1 := filepath.Join(dir, "w1.csv")
	w2 := filepath.Join(dir, "w2.jsonl")
	os.WriteFile(w1, []byte("id;score\n1;3,5\n2;4\n"), 0o644)
	os.WriteFile(w2, []byte(`{"id": 1, "score": 2}`+"\n"), 0o644)
	cfg := &pipeline.Config{Dir: dir, Sources: []pipeline.Source{
		{ID: "w1", Path: "w1.csv", Wave: 1},
		{ID: "w2", Path: "w2.jsonl", Wave: 2},
	}}
	st := openStore(t, "")
	var log bytes.Buffer
	env := &pipeline.Env{Store: st, Config: cfg, Log: &log, Now: fixedNow}
	ctx := context.Background()
	stage := &Stage{}

	if err := stage.Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	if in, out := stage.RowCounts(); in != 3 || out != 3 {
		t.Errorf("first run: rows in/out = %d/%d, want 3/3", in, out)
	}
	want := "w1: 2 rows from " + w1 + ` (csv, utf-8, delimiter ";", decimal ',')` + "\nw2: 1 rows from " + w2 + " (jsonl)\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}

	log.Reset()
	if err := stage.Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	if in, out := stage.RowCounts(); in != 3 || out != 0 {
		t.Errorf("second run: rows in/out = %d/%d, want 3/0", in, out)
	}
	if !strings.Contains(log.String(), "w1: unchanged (2 rows)") || !stage.Sources()[1].Unchanged {
		t.Errorf("second run did not skip: %s", log.String())
	}

	// A changed override reloads an unchanged file.
	cfg.Sources[1].Format = "jsonl"
	cfg.Sources[0].Decimal = "."
	if err := stage.Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	if in, out := stage.RowCounts(); in != 3 || out != 2 {
		t.Errorf("run with a new decimal override: rows in/out = %d/%d, want 3/2", in, out)
	}
	cfg.Sources[0].Decimal = ""

	// A changed file replaces its rows and metadata; the other stays.
	os.WriteFile(w1, []byte("id,kommune\n7,Hitra\n8,Frøya\n9,Bodø\n"), 0o644)
	if err := stage.Run(ctx, env); err != nil {
		t.Fatal(err)
	}
	if in, out := stage.RowCounts(); in != 4 || out != 3 {
		t.Errorf("third run: rows in/out = %d/%d, want 4/3", in, out)
	}
	info, err := LoadedSource(ctx, st, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != 3 || info.Delimiter != "," || info.Decimal != "." || strings.Join(columnNames(info.Columns), ",") != "id,kommune" {
		t.Errorf("reloaded w1 = %+v", info)
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM variables WHERE source_id = 'w1'`).Scan(&n)
	if n != 2 {
		t.Errorf("w1 has %d variables, want 2", n)
	}
	if _, err := LoadedSource(ctx, st, "nope"); err == nil {
		t.Error("LoadedSource of an unknown source succeeded")
	}
}
