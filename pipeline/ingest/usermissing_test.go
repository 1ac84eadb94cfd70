package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/pipeline"
)

// TestESSUserMissing loads ESS9NO.sav, which declares 77, 88 and 99
// (refusal, don't know, no answer) user-missing for ppltrst, both ways:
// by default the codes are NULL, as haven's read_sav gives NA and as
// ESS9NO.dta has them (extended missing values); with KeepUserMissing they
// stay, as read_sav(user_na = TRUE). variables.missing declares them either
// way.
func TestESSUserMissing(t *testing.T) {
	sav := shareddata.Path(t, "ess9no/ESS9NO.sav")
	dta := shareddata.Path(t, "ess9no/ESS9NO.dta")
	ctx := context.Background()
	st := openStore(t, "")
	for _, l := range []struct {
		id, path string
		keep     bool
	}{{"sav", sav, false}, {"kept", sav, true}, {"dta", dta, false}} {
		info, err := LoadFile(ctx, st, l.path, FileOptions{KeepUserMissing: l.keep}, l.id)
		if err != nil {
			t.Fatal(err)
		}
		if info.KeepUserMissing != (l.keep && l.id != "dta") {
			t.Errorf("%s: KeepUserMissing = %v", l.id, info.KeepUserMissing)
		}
	}
	for _, id := range []string{"sav", "kept"} {
		var missing string
		if err := st.DB().QueryRow(`SELECT missing FROM variables WHERE source_id = ? AND name = 'ppltrst'`, id).Scan(&missing); err != nil {
			t.Fatal(err)
		}
		if missing != "77, 88, 99" {
			t.Errorf("%s: variables.missing of ppltrst = %q, want \"77, 88, 99\"", id, missing)
		}
	}
	rows, err := st.DB().Query(`SELECT s.idno, s.ppltrst, k.ppltrst, d.ppltrst FROM raw_sav s
		JOIN raw_kept k USING (idno) FULL JOIN raw_dta d USING (idno) ORDER BY s._row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n, nulls, codes int
	for rows.Next() {
		var idno, def, kept, fromDTA sql.NullString
		if err := rows.Scan(&idno, &def, &kept, &fromDTA); err != nil {
			t.Fatal(err)
		}
		n++
		if def != fromDTA {
			t.Errorf("idno %s: ppltrst %v in the .sav, %v in the .dta", idno.String, def, fromDTA)
		}
		switch {
		case def.Valid:
			if kept != def {
				t.Errorf("idno %s: ppltrst %v kept, %v by default", idno.String, kept, def)
			}
		case kept.Valid:
			nulls++
			if !strings.Contains(",77,88,99,", ","+kept.String+",") {
				t.Errorf("idno %s: ppltrst NULL by default but %s kept, not a declared code", idno.String, kept.String)
			}
			codes++
		default:
			nulls++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// 1,406 respondents, 5 of whom refused or did not know (codes 77/88).
	if n != 1406 || nulls != 5 || codes != 5 {
		t.Errorf("%d rows, %d NULL by default, %d of them codes when kept; want 1406, 5, 5", n, nulls, codes)
	}
	var mean float64
	if err := st.DB().QueryRow(`SELECT avg(CAST(ppltrst AS DOUBLE)) FROM raw_sav`).Scan(&mean); err != nil {
		t.Fatal(err)
	}
	if s := formatNumber(mean); !strings.HasPrefix(s, "6.760") {
		t.Errorf("mean ppltrst = %s, want 6.760… (7.049 counts the codes as answers)", s)
	}
}

// TestStageKeepUserMissing checks that a changed keep_user_missing reloads
// an SPSS source, and that it does not matter for other formats.
func TestStageKeepUserMissing(t *testing.T) {
	sav, err := filepath.Abs("../../testdata/ingest/labelled.sav")
	if err != nil {
		t.Fatal(err)
	}
	dta, _ := filepath.Abs("../../testdata/ingest/labelled.dta")
	cfg := &pipeline.Config{Dir: t.TempDir(), Sources: []pipeline.Source{
		{ID: "s", Path: sav, Wave: 1},
		{ID: "d", Path: dta, Wave: 1},
	}}
	st := openStore(t, "")
	var log bytes.Buffer
	env := &pipeline.Env{Store: st, Config: cfg, Log: &log, Now: fixedNow}
	ctx := context.Background()
	stage := &Stage{}
	tillit := func() string {
		var v sql.NullString
		if err := st.DB().QueryRow(`SELECT tillit FROM raw_s WHERE _row = 2`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if !v.Valid {
			return "NULL"
		}
		return v.String
	}
	run := func(keep bool, wantOut int64, wantTillit string) {
		t.Helper()
		log.Reset()
		cfg.Sources[0].KeepUserMissing = keep
		cfg.Sources[1].KeepUserMissing = keep
		if err := stage.Run(ctx, env); err != nil {
			t.Fatal(err)
		}
		if _, out := stage.RowCounts(); out != wantOut {
			t.Errorf("keep_user_missing %v: %d rows loaded, want %d\n%s", keep, out, wantOut, log.String())
		}
		if got := tillit(); got != wantTillit {
			t.Errorf("keep_user_missing %v: tillit of row 2 = %s, want %s", keep, got, wantTillit)
		}
	}
	run(false, 6, "NULL")
	run(false, 0, "NULL")
	run(true, 3, "99") // the .sav reloads, the .dta does not
	if !strings.Contains(log.String(), "user-missing codes kept") {
		t.Errorf("log does not say the codes are kept:\n%s", log.String())
	}
	run(true, 0, "99")
	run(false, 3, "NULL")

	// A source loaded before sources.keep_user_missing existed (NULL) kept
	// its codes: the default now reloads it.
	if _, err := st.DB().Exec(`UPDATE sources SET keep_user_missing = NULL WHERE source_id = 's'`); err != nil {
		t.Fatal(err)
	}
	if info, err := LoadedSource(ctx, st, "s"); err != nil || !info.KeepUserMissing {
		t.Fatalf("LoadedSource of a source loaded before keep_user_missing: %+v, %v", info, err)
	}
	run(false, 3, "NULL")
}
