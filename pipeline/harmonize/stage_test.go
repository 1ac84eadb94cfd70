package harmonize

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/dataerr"
)

const smallCodebook = `name: t
variables:
  - {name: resp_id, type: id}
  - {name: vekt, type: weight, required: false}
  - {name: trust, type: ordinal, range: [1, 5], columns: {w2: 'q 7"a'}} # a column name that needs quoting
  - {name: kommune, type: categorical}
  - {name: group, type: text} # an SQL keyword as a name
`

func TestOptionalColumnsMayBeAbsent(t *testing.T) {
	s := openStore(t)
	e := env(t, s, smallCodebook,
		rawSource{id: "w1", wave: 1, csv: "resp_id,vekt,trust,kommune,group\n1,2,3,5001,hei\n2,-1,4,5014,\n"},
		rawSource{id: "w2", wave: 2, csv: "resp_id,\"q 7\"\"a\"\n1,9\n2,5\n"})
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		column string
		want   []any
	}{
		{"vekt", []any{2.0, nil, nil}}, // w1 row 2 is rejected for its weight; w2 has no weights and no weight rule
		{"trust", []any{3.0, nil, 5.0}},
		{"kommune", []any{"5001", nil, nil}},
		{"group", []any{"hei", nil, nil}},
	}
	for _, tt := range tests {
		if got := column(t, s, tt.column); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.column, got, tt.want)
		}
	}
	want := []string{"w1:2:row:weight_not_positive", "w2:1:cell:out_of_range"}
	if got := rejectList(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("rejects = %v, want %v", got, want)
	}
}

// TestRespondentsColumnTypes checks the columns of respondents, both when
// the helper columns are dropped one by one (a long table) and when the
// table is copied without them (a short one).
func TestRespondentsColumnTypes(t *testing.T) {
	for _, n := range []int{1, 1000} {
		s := openStore(t)
		var csv strings.Builder
		csv.WriteString("resp_id,vekt,trust,kommune,group\n")
		for i := range n {
			fmt.Fprintf(&csv, "%d,2,3,5001,hei\n", i+1)
		}
		e := env(t, s, smallCodebook, rawSource{id: "w1", wave: 1, csv: csv.String()})
		if err := new(Stage).Run(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		rows, err := s.DB().Query(`SELECT column_name || ' ' || data_type FROM duckdb_columns() WHERE table_name = 'respondents' ORDER BY column_index`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scanAll(rows, func(r *sql.Rows, v *string) error { return r.Scan(v) })
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"source_id VARCHAR", "wave INTEGER", "_row BIGINT", "resp_id VARCHAR", "vekt DOUBLE", "trust DOUBLE", "kommune VARCHAR", "group VARCHAR"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d rows: respondents columns = %v, want %v", n, got, want)
		}
		if vals := column(t, s, "trust"); len(vals) != n || vals[n-1] != 3.0 {
			t.Errorf("%d rows: trust = %v", n, vals[max(0, len(vals)-3):])
		}
	}
}

// TestRerunReplacesOutput runs the stage twice, the second time after the
// raw table changed: respondents and rejects are replaced, not appended to.
func TestRerunReplacesOutput(t *testing.T) {
	s := openStore(t)
	e := env(t, s, smallCodebook, rawSource{id: "w1", wave: 1, csv: "resp_id,vekt,trust,kommune,group\n1,1,3,a,\n2,1,7,b,\n3,0,2,c,\n"})
	st := new(Stage)
	want := []Count{{Source: "w1", Raw: 3, Respondents: 2, RejectedRows: 1, RejectedCells: 1}}
	for run := range 2 {
		if err := st.Run(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		counts, err := Accounting(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("run %d: accounting = %+v, want %+v", run, counts, want)
		}
		if in, out := st.RowCounts(); in != want[0].Raw || out != want[0].Respondents {
			t.Errorf("run %d: RowCounts = %d, %d", run, in, out)
		}
	}
	if log := e.Log.(*strings.Builder).String(); !strings.Contains(log, "harmonize: 2 respondents from 3 raw rows (1 rows and 1 cells rejected)\n") {
		t.Errorf("log = %q", log)
	}
	if _, err := s.DB().Exec(`DELETE FROM raw_w1 WHERE _row = 2`); err != nil {
		t.Fatal(err)
	}
	if err := st.Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	counts, err := Accounting(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Count{{Source: "w1", Raw: 2, Respondents: 1, RejectedRows: 1}}; !reflect.DeepEqual(counts, want) {
		t.Errorf("after the raw table changed: accounting = %+v, want %+v", counts, want)
	}
}

// TestFailedRunKeepsPreviousOutput checks that a run that fails leaves the
// respondents and rejects of the last good run.
func TestFailedRunKeepsPreviousOutput(t *testing.T) {
	s := openStore(t)
	e := env(t, s, smallCodebook, rawSource{id: "w1", wave: 1, csv: "resp_id,vekt,trust,kommune,group\n1,1,3,a,\n2,1,9,b,\n"})
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	strict, err := codebook.Parse("strict.yaml", []byte(smallCodebook+"  - {name: age, type: count, required: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e.Codebook = strict
	err = new(Stage).Run(context.Background(), e)
	if !dataerr.Is(err) || !strings.Contains(err.Error(), `codebook variable age needs column "age"`) {
		t.Fatalf("error = %v, want a DataError about column age", err)
	}
	if got := column(t, s, "trust"); !reflect.DeepEqual(got, []any{3.0, nil}) {
		t.Errorf("respondents changed: trust = %v", got)
	}
	if got := rejectList(t, s); !reflect.DeepEqual(got, []string{"w1:2:cell:out_of_range"}) {
		t.Errorf("rejects changed: %v", got)
	}
}

func TestRunnerRecordsRowCounts(t *testing.T) {
	s := openStore(t)
	e := env(t, s, smallCodebook, rawSource{id: "w1", wave: 1, csv: "resp_id,vekt,trust,kommune,group\n1,1,3,a,\n1,1,4,a,\n2,1,4,a,\n"})
	if err := pipeline.Run(context.Background(), e, new(Stage)); err != nil {
		t.Fatal(err)
	}
	var stage string
	var in, out int64
	if err := s.DB().QueryRow(`SELECT stage, rows_in, rows_out FROM runs`).Scan(&stage, &in, &out); err != nil {
		t.Fatal(err)
	}
	if stage != "harmonize" || in != 3 || out != 1 {
		t.Errorf("runs: %s %d → %d, want harmonize 3 → 1", stage, in, out)
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *pipeline.Env)
		want   string
	}{
		{"no codebook", func(e *pipeline.Env) { e.Codebook = nil }, "needs a config and a codebook"},
		{"no config", func(e *pipeline.Env) { e.Config = nil }, "needs a config and a codebook"},
		{"no sources", func(e *pipeline.Env) { e.Config.Sources = nil }, "socap.yaml lists no sources"},
		{"source not ingested", func(e *pipeline.Env) {
			e.Config.Sources = append(e.Config.Sources, pipeline.Source{ID: "w9", Path: "w9.csv", Wave: 9})
		}, "source w9 has not been ingested (no row in the sources table)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			e := env(t, s, smallCodebook, rawSource{id: "w1", wave: 1, csv: "resp_id\n1\n"})
			tt.change(e)
			if err := new(Stage).Run(context.Background(), e); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAccountingNeedsHarmonize(t *testing.T) {
	s := openStore(t)
	loadRaw(t, s, rawSource{id: "w1", wave: 1, csv: "resp_id\n1\n"})
	_, err := Accounting(context.Background(), s)
	if err == nil || err.Error() != "accounting: harmonize has not run yet" {
		t.Errorf("error = %v", err)
	}
}

// TestAccountingLeavesOutUnconfiguredSources checks that a source ingested
// once but since removed from socap.yaml does not show up unbalanced.
func TestAccountingLeavesOutUnconfiguredSources(t *testing.T) {
	s := openStore(t)
	loadRaw(t, s, rawSource{id: "old", wave: 1, csv: "resp_id\n1\n2\n"})
	e := env(t, s, smallCodebook, rawSource{id: "w2", wave: 2, csv: "resp_id\n1\n"}, rawSource{id: "w1", wave: 1, csv: "resp_id\n1\n"})
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	counts, err := Accounting(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := []Count{{Source: "w2", Raw: 1, Respondents: 1}, {Source: "w1", Raw: 1, Respondents: 1}} // socap.yaml order
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("accounting = %+v, want %+v", counts, want)
	}
}

func TestClosestColumn(t *testing.T) {
	cols := []string{"ID_nr", "Kommune_nr", "trust", "q7a", "q7b"}
	tests := []struct{ want, closest string }{
		{"IDnr", "ID_nr"},
		{"kommune", "Kommune_nr"},
		{"Trust", "trust"},
		{"q7", "q7a"}, // edit distance 1 beats containment
		{"nr", ""},    // contained in two columns
		{"municipality", ""},
	}
	for _, tt := range tests {
		if got := closestColumn(tt.want, cols); got != tt.closest {
			t.Errorf("closestColumn(%q) = %q, want %q", tt.want, got, tt.closest)
		}
	}
}

// TestDeclaredMissingCodes checks that the user-missing codes a source file
// declares (variables.missing, written by ingest for SPSS files) are missing
// in that source only.
func TestDeclaredMissingCodes(t *testing.T) {
	s := openStore(t)
	e := env(t, s, smallCodebook,
		rawSource{id: "w1", wave: 1, csv: "resp_id,vekt,trust,kommune,group\n1,1,97,-3,NA\n2,1,-1,0,ok\n3,-9,2,7,n/a\n4,1,3,1,x\n"},
		rawSource{id: "w2", wave: 2, csv: "resp_id,\"q 7\"\"a\"\n1,97\n"})
	for _, d := range [][3]string{
		{"w1", "trust", "97..99, -1"},
		{"w1", "kommune", "LO..0"},
		{"w1", "group", "NA, n/a"},
		{"w1", "vekt", "-9"},
	} {
		if _, err := s.DB().Exec(`INSERT INTO variables (source_id, position, name, missing) VALUES (?, 0, ?, ?)`, d[0], d[1], d[2]); err != nil {
			t.Fatal(err)
		}
	}
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		column string
		want   []any
	}{
		{"trust", []any{nil, nil, 3.0, nil}}, // w1: 97 and -1 declared missing; w2: 97 out of range
		{"kommune", []any{nil, nil, "1", nil}},
		{"group", []any{nil, "ok", "x", nil}},
	}
	for _, tt := range tests {
		if got := column(t, s, tt.column); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.column, got, tt.want)
		}
	}
	want := []string{"w1:3:row:weight_missing", "w2:1:cell:out_of_range"}
	if got := rejectList(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("rejects = %v, want %v", got, want)
	}
}

func TestHeaderOnlySource(t *testing.T) {
	s := openStore(t)
	e := env(t, s, smallCodebook,
		rawSource{id: "w1", wave: 1, csv: "resp_id,trust\n"},
		rawSource{id: "w2", wave: 2, csv: "resp_id,\"q 7\"\"a\"\n1,2\n"})
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	counts, err := Accounting(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := []Count{{Source: "w1"}, {Source: "w2", Raw: 1, Respondents: 1}}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("accounting = %+v, want %+v", counts, want)
	}
}

// TestRecode maps source codes before missing codes, ranges and labels
// (reverse coding is left to the scores): ESS's wrkorg (1 yes, 2 no) becomes 1/0, eisced's seven
// levels ilag's three, a categorical code another; unlisted codes stay.
func TestRecode(t *testing.T) {
	const cb = `name: t
variables:
  - {name: resp_id, type: id}
  - {name: org, type: binary, recode: {1: 1, 2: 0}, values: [{code: 0, nb: Nei, en: "No"}, {code: 1, nb: Ja, en: "Yes"}], missing: [7, 8, 9]}
  - {name: edu, type: ordinal, recode: {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 3, 7: 3}, values: [{code: 1, nb: a, en: a}, {code: 2, nb: b, en: b}, {code: 3, nb: c, en: c}], missing: [55]}
  - {name: rev, type: ordinal, recode: {9: 1}, range: [1, 4], reverse: true}
  - {name: bg, type: categorical, recode: {"1": "1", "2": "2", "3": "1"}, values: [{code: 1, nb: x, en: x}, {code: 2, nb: y, en: y}]}
`
	s := openStore(t)
	e := env(t, s, cb, rawSource{id: "w1", wave: 1, csv: "resp_id,org,edu,rev,bg\n1,1,1,9,1\n2,2,6,2,3.0\n3,8,55,4,2\n4,3,7,1,4\n"})
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		column string
		want   []any
	}{
		{"org", []any{1.0, 0.0, nil, nil}}, // 8 missing; 3 is no code of the recoded variable
		{"edu", []any{1.0, 3.0, nil, 3.0}},
		{"rev", []any{1.0, 2.0, 4.0, 1.0}}, // 9 → 1, not reversed
		{"bg", []any{"1", "1", "2", nil}},
	} {
		if got := column(t, s, tt.column); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.column, got, tt.want)
		}
	}
	want := []string{"w1:4:cell:unknown_code", "w1:4:cell:unknown_code"} // org 3, bg 4
	if got := rejectList(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("rejects = %v, want %v", got, want)
	}
}

// TestAtMost rejects a count above the variable the codebook bounds it by in
// the same row (children taking part, at most the children), naming both.
func TestAtMost(t *testing.T) {
	const cb = `name: t
variables:
  - {name: resp_id, type: id}
  - {name: kids, type: count, range: [0, 10], missing: [98]}
  - {name: active, type: count, range: [0, 10], at_most: kids}
`
	s := openStore(t)
	e := env(t, s, cb, rawSource{id: "w1", wave: 1, csv: "resp_id,kids,active\n1,2,1\n2,2,3\n3,,4\n4,0,0\n5,98,5\n"})
	if err := new(Stage).Run(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if got, want := column(t, s, "active"), []any{1.0, nil, 4.0, 0.0, 5.0}; !reflect.DeepEqual(got, want) {
		t.Errorf("active = %v, want %v", got, want)
	}
	var rule, msg string
	if err := s.DB().QueryRow(`SELECT rule, message FROM rejects WHERE "column" = 'active'`).Scan(&rule, &msg); err != nil {
		t.Fatal(err)
	}
	if rule != RuleExceeds || msg != "value 3 exceeds kids (2)" {
		t.Errorf("reject %s: %q", rule, msg)
	}
}
