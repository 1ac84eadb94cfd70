package harmonize

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"socap/pipeline/store"
)

// csvOf writes a header and records as CSV.
func csvOf(header []string, records ...[]string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	_ = w.WriteAll(records)
	return b.String()
}

// column reads one respondents column in row order; NULL is nil.
func column(t *testing.T, s *store.Store, name string) []any {
	t.Helper()
	rows, err := s.DB().Query(fmt.Sprintf("SELECT %s FROM respondents ORDER BY source_id, _row", store.QuoteIdent(name)))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := scanAll(rows, func(r *sql.Rows, v *any) error { return r.Scan(v) })
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// rejectList lists rejects as "source:row:level:rule", sorted.
func rejectList(t *testing.T, s *store.Store) []string {
	t.Helper()
	rows, err := s.DB().Query(`SELECT source_id || ':' || "row" || ':' || level || ':' || rule FROM rejects ORDER BY source_id, "row", rule`)
	if err != nil {
		t.Fatal(err)
	}
	list, err := scanAll(rows, func(r *sql.Rows, v *string) error { return r.Scan(v) })
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestCells harmonises one variable v over one cell per respondent and
// checks the harmonised values and the cell rejects ("row:rule").
func TestCells(t *testing.T) {
	tests := []struct {
		name     string
		variable string // YAML flow mapping of variable v
		decimal  string
		cells    []string
		want     []any
		rejects  []string
	}{
		{"ordinal range", `{type: ordinal, range: [1, 5], missing: [8]}`, ".",
			[]string{"1", "5", "0", "6", "abc", "", "8", " 3 ", "2.5"},
			[]any{1.0, 5.0, nil, nil, nil, nil, nil, 3.0, 2.5},
			[]string{"3:out_of_range", "4:out_of_range", "5:not_a_number"}},
		{"reverse keeps codes", `{type: ordinal, range: [1, 5], reverse: true}`, ".",
			[]string{"1", "2", "5", "7"},
			[]any{1.0, 2.0, 5.0, nil},
			[]string{"4:out_of_range"}},
		{"reverse with labels keeps codes", `{type: ordinal, reverse: true, values: [{code: 1, en: a}, {code: 2, en: b}, {code: 4, en: d}]}`, ".",
			[]string{"1", "4", "2", "3"},
			[]any{1.0, 4.0, 2.0, nil},
			[]string{"4:unknown_code"}},
		{"binary labels", `{type: binary, values: [{code: 0, en: "no"}, {code: 1, en: "yes"}]}`, ".",
			[]string{"0", "1", "2", "1.0", "yes"},
			[]any{0.0, 1.0, nil, 1.0, nil},
			[]string{"3:unknown_code", "5:not_a_number"}},
		{"categorical codes", `{type: categorical, missing: [99], values: [{code: "0301", en: Oslo}, {code: 5001, en: Trondheim}]}`, ".",
			[]string{"0301", "301", "5001.0", "5001", "9999", "99.0", "Oslo"},
			[]any{"0301", nil, "5001", "5001", nil, nil, nil},
			[]string{"2:unknown_code", "5:unknown_code", "7:unknown_code"}},
		{"categorical unrestricted", `{type: categorical}`, ".",
			[]string{"2.0", "x", " 3"},
			[]any{"2", "x", "3"},
			nil},
		{"decimal comma", `{type: continuous}`, ",",
			[]string{"3,5", "-0,25", "7", "3,5,1"},
			[]any{3.5, -0.25, 7.0, nil},
			[]string{"4:not_a_number"}},
		{"decimal point refuses comma", `{type: continuous}`, ".",
			[]string{"3,5", "3.5"},
			[]any{nil, 3.5},
			[]string{"1:not_a_number"}},
		{"missing codes", `{type: continuous, missing: [8, 9, NA]}`, ".",
			[]string{"8.0", "9", "NA", "NaN", "inf", "10"},
			[]any{nil, nil, nil, nil, nil, 10.0},
			[]string{"4:not_a_number", "5:not_a_number"}},
		{"missing codes inside the range", `{type: count, range: [0, 99], missing: [98, 99]}`, ".",
			[]string{"98", "99.0", "97", "100"},
			[]any{nil, nil, 97.0, nil},
			[]string{"4:out_of_range"}},
		{"count range", `{type: count, range: [0, 100]}`, ".",
			[]string{"1e3", "-1", "100", "0"},
			[]any{nil, nil, 100.0, 0.0},
			[]string{"1:out_of_range", "2:out_of_range"}},
		{"text", `{type: text, missing: ["-"]}`, ".",
			[]string{" hei ", "  ", "-", "Tromsø"},
			[]any{"hei", nil, nil, "Tromsø"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			records := make([][]string, len(tt.cells))
			for k, c := range tt.cells {
				records[k] = []string{strconv.Itoa(k + 1), c}
			}
			cb := "name: t\nvariables:\n  - {name: resp_id, type: id}\n  - " + strings.Replace(tt.variable, "{", "{name: v, ", 1) + "\n"
			e := env(t, s, cb, rawSource{id: "w1", wave: 1, decimal: tt.decimal, csv: csvOf([]string{"resp_id", "v"}, records...)})
			if err := new(Stage).Run(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if got := column(t, s, "v"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("values = %v, want %v", got, tt.want)
			}
			var want []string
			for _, r := range tt.rejects {
				want = append(want, "w1:"+strings.Replace(r, ":", ":cell:", 1))
			}
			if got := rejectList(t, s); !reflect.DeepEqual(got, want) {
				t.Errorf("rejects = %v, want %v", got, want)
			}
		})
	}
}
