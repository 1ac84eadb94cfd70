package harmonize

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"socap/internal/shareddata"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/ingest"
)

// TestESSCodebook ingests ESS9NO.sav and harmonises it through
// builtin:ess: all 1,406 rows become respondents, no cell is rejected
// (the ESS refusal / don't know / no answer codes are missing answers, and
// eisced 55 "other" a declared missing code), the columns come from the ESS
// names, and recoding, missing codes and the design columns hold the
// values ESS9NO.csv has.
func TestESSCodebook(t *testing.T) {
	path := shareddata.Path(t, "ess9no/ESS9NO.sav")
	ctx := context.Background()
	s := openStore(t)
	if _, err := ingest.LoadFile(ctx, s, path, ingest.FileOptions{}, "ess9"); err != nil {
		t.Fatal(err)
	}
	cb, err := codebook.Load("builtin:ess")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &pipeline.Config{Project: "ess", Sources: []pipeline.Source{{ID: "ess9", Path: path, Wave: 1}}}
	e := &pipeline.Env{Store: s, Config: cfg, Codebook: cb, Log: &strings.Builder{}, Now: func() time.Time { return time.Unix(0, 0) }}
	if err := new(Stage).Run(ctx, e); err != nil {
		t.Fatal(err)
	}
	counts, err := Accounting(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Count{Source: "ess9", Raw: 1406, Respondents: 1406}); len(counts) != 1 || counts[0] != want || !counts[0].Balanced() {
		t.Errorf("accounting %+v, want %+v", counts, want)
	}
	var rejects int
	if err := s.DB().QueryRow(`SELECT count(*) FROM rejects`).Scan(&rejects); err != nil || rejects != 0 {
		t.Errorf("%d rejects (%v), want none", rejects, err)
	}

	// Respondent idno 27 in ESS9NO.csv: ppltrst 3, pplfair 3, pplhlp 4,
	// sclmeet 4, inprdsc 4, aesfdrk 1 (very safe: safe 1, as coded), wrkorg 2
	// (no: org_worked 0 recoded), gndr 2, agea 57, brncntr 1, region NO01,
	// anweight 0.480642005553698 (the CSV's 15 digits).
	var (
		trust, fair, helpful, meet, confide, safe, org, age, weight sql.NullFloat64
		gender, background, region                                  sql.NullString
	)
	if err := s.DB().QueryRow(`SELECT trust_people, fair_people, helpful_people, meet_friends, confide, safe, org_worked,
		age, weight, gender, background, region FROM respondents WHERE id = '27'`).Scan(
		&trust, &fair, &helpful, &meet, &confide, &safe, &org, &age, &weight, &gender, &background, &region); err != nil {
		t.Fatal(err)
	}
	got := []any{trust.Float64, fair.Float64, helpful.Float64, meet.Float64, confide.Float64, safe.Float64, org.Float64, age.Float64, weight.Float64, gender.String, background.String, region.String}
	want := []any{3.0, 3.0, 4.0, 4.0, 4.0, 1.0, 0.0, 57.0, 0.480642005553698, "2", "1", "NO01"}
	if d := weight.Float64 - want[8].(float64); d > 1e-14 || d < -1e-14 {
		t.Errorf("idno 27: weight %.17g, want %.15g", weight.Float64, want[8])
	}
	got[8] = want[8]
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("idno 27: column %d = %v, want %v (all: %v)", i, got[i], want[i], got)
			break
		}
	}

	// Column totals against ESS9NO.csv: NA counts of ppltrst (5), agea (32),
	// eisced (3 NA + 5 "other"); aesfdrk 1 (very safe, 899 respondents) is
	// safe = 1 (codes are kept; scores reverse them); wrkorg 1 (yes, 447) is org_worked = 1; eisced
	// 6 and 7 (321 + 269) are education 3, 3–5 (274 + 157 + 180) 2, 1–2
	// (20 + 177) 1.
	for _, c := range []struct {
		query string
		want  int
	}{
		{`SELECT count(*) FROM respondents WHERE trust_people IS NULL`, 5},
		{`SELECT count(*) FROM respondents WHERE age IS NULL`, 32},
		{`SELECT count(*) FROM respondents WHERE education IS NULL`, 8},
		{`SELECT count(*) FROM respondents WHERE safe = 1`, 899},
		{`SELECT count(*) FROM respondents WHERE org_worked = 1`, 447},
		{`SELECT count(*) FROM respondents WHERE org_worked = 0`, 956},
		{`SELECT count(*) FROM respondents WHERE education = 3`, 590},
		{`SELECT count(*) FROM respondents WHERE education = 2`, 611},
		{`SELECT count(*) FROM respondents WHERE education = 1`, 197},
		{`SELECT count(*) FROM respondents WHERE background = '2'`, 149},
		{`SELECT count(DISTINCT psu) FROM respondents`, 42},
		{`SELECT count(DISTINCT stratum) FROM respondents`, 21},
		{`SELECT count(*) FROM respondents WHERE employed = 1`, 939},
	} {
		var n int
		if err := s.DB().QueryRow(c.query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("%s: %d, want %d", c.query, n, c.want)
		}
	}
	dims := map[string][]string{}
	for _, v := range cb.Variables {
		if v.Dimension != "" {
			dims[v.Dimension] = append(dims[v.Dimension], v.Column("ess9"))
		}
	}
	for d, want := range map[string]string{
		"structural": "sclmeet sclact wrkorg", "relational": "ppltrst pplfair pplhlp atchctr",
		"cognitive": "inprdsc aesfdrk", "none": "pdwrk",
	} {
		if got := strings.Join(dims[d], " "); got != want {
			t.Errorf("dimension %s reads %q, want %q", d, got, want)
		}
	}
}
