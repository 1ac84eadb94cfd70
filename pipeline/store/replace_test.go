package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"math"
	"testing"
)

// TestReplace: tables are replaced together; when a row fails, every table
// keeps what it held; Float and Text store NULL for what is not a value.
func TestReplace(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(k float64, fail error) error {
		rows := [][]driver.Value{{Float(k), Text("a")}, {Float(math.NaN()), Text("")}, {Float(math.Inf(1)), Text("b")}}
		return s.Replace(ctx,
			Table{Name: "one", Columns: []string{"x DOUBLE", "s VARCHAR"}, Rows: RowsOf(rows)},
			Table{Name: "two", Columns: []string{"x DOUBLE"}, Rows: func(add func(...driver.Value) error) error {
				if err := add(Float(k)); err != nil {
					return err
				}
				return fail
			}})
	}
	check := func(want float64) {
		t.Helper()
		var sum float64
		var nulls, texts int
		if err := s.DB().QueryRow(`SELECT sum(x), count(*) - count(x), count(s) FROM one`).Scan(&sum, &nulls, &texts); err != nil {
			t.Fatal(err)
		}
		var two float64
		if err := s.DB().QueryRow(`SELECT x FROM two`).Scan(&two); err != nil {
			t.Fatal(err)
		}
		if sum != want || two != want || nulls != 2 || texts != 2 {
			t.Errorf("one: sum %v, %d NULL x, %d texts; two: %v; want %v, 2, 2, %v", sum, nulls, texts, two, want, want)
		}
	}
	if err := write(1, nil); err != nil {
		t.Fatal(err)
	}
	check(1)
	if err := write(2, nil); err != nil {
		t.Fatal(err)
	}
	check(2)
	boom := errors.New("boom")
	if err := write(3, boom); !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	check(2)
}
