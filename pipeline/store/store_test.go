package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "socap.duckdb")
	s, err := Open(ctx, path, Options{Threads: 1, MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.SchemaVersion(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("schema version = %d, %v; want ≥ 1", v1, err)
	}
	var threads string
	if err := s.DB().QueryRow(`SELECT current_setting('threads')::VARCHAR`).Scan(&threads); err != nil || threads != "1" {
		t.Fatalf("threads = %q, %v; want 1", threads, err)
	}
	var autoload bool
	if err := s.DB().QueryRow(`SELECT current_setting('autoload_known_extensions')`).Scan(&autoload); err != nil || autoload {
		t.Fatalf("autoload_known_extensions = %v, %v; want false", autoload, err)
	}
	s.Close()

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM schema_version`).Scan(&n); err != nil || n != v1 {
		t.Fatalf("schema_version rows = %d, %v; want %d (migrations applied once)", n, err, v1)
	}
}

func TestWithConnRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec(`CREATE TABLE t (a INTEGER, b VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = s.WithConn(ctx, func(c *Conn) error {
		if err := c.Append("t", func(add func(...driver.Value) error) error {
			return add(int32(1), "x")
		}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	var n int
	s.DB().QueryRow(`SELECT count(*) FROM t`).Scan(&n)
	if n != 0 {
		t.Fatalf("rows after rollback = %d, want 0", n)
	}
	err = s.WithConn(ctx, func(c *Conn) error {
		return c.Append("t", func(add func(...driver.Value) error) error {
			for i := range 3 {
				if err := add(int32(i), nil); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.DB().QueryRow(`SELECT count(*) FROM t`).Scan(&n)
	if n != 3 {
		t.Fatalf("rows after commit = %d, want 3", n)
	}
}

func TestQueryArrowBatches(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var batches, rows int
	var sum float64
	var lastName string
	err = s.QueryArrow(ctx, 4, func(rec arrow.RecordBatch) error {
		batches++
		rows += int(rec.NumRows())
		xs := rec.Column(1).(*array.Float64)
		for i := 0; i < xs.Len(); i++ {
			if xs.IsValid(i) {
				sum += xs.Value(i)
			}
		}
		names := rec.Column(2).(*array.String)
		lastName = names.Value(names.Len() - 1)
		return nil
	}, `SELECT i::BIGINT AS i, CASE WHEN i % 2 = 0 THEN i * 0.5 END AS x, 'Frøya ' || i AS name FROM range(10) t(i) ORDER BY i`)
	if err != nil {
		t.Fatal(err)
	}
	if batches != 3 || rows != 10 {
		t.Fatalf("batches, rows = %d, %d; want 3, 10", batches, rows)
	}
	if sum != 10 { // 0.5·(0+2+4+6+8)
		t.Fatalf("sum = %v, want 10", sum)
	}
	if lastName != "Frøya 9" {
		t.Fatalf("last name = %q", lastName)
	}
}

// TestAppendTypesAndBatches appends more rows than one Parquet batch holds, of every
// value type Append takes, reads them back in order, and checks that a value of the
// wrong type or a row of the wrong length is refused, leaving no temporary file.
func TestAppendTypesAndBatches(t *testing.T) {
	ctx := context.Background()
	t.Setenv("TMPDIR", t.TempDir())
	s, err := Open(ctx, "", Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec(`CREATE TABLE t (s VARCHAR, i BIGINT, n INTEGER, x DOUBLE, b BOOLEAN)`); err != nil {
		t.Fatal(err)
	}
	rows := parquetBatchRows + 1000
	err = s.WithConn(ctx, func(c *Conn) error {
		return c.Append("t", func(add func(...driver.Value) error) error {
			for r := range rows {
				var str driver.Value = "Frøya " + strconv.Itoa(r)
				if r%3 == 0 {
					str = nil
				}
				if err := add(str, int64(r), r, float64(r)/4, r%2 == 0); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var n, nulls int
	var sumI, sumN int64
	var sumX float64
	var trues int
	var last string
	if err := s.DB().QueryRow(`SELECT count(*), count(*) - count(s), sum(i), sum(n), sum(x), count(*) FILTER (b),
		last(s ORDER BY i) FROM t`).Scan(&n, &nulls, &sumI, &sumN, &sumX, &trues, &last); err != nil {
		t.Fatal(err)
	}
	wantSum := int64(rows) * int64(rows-1) / 2
	if n != rows || nulls != (rows+2)/3 || sumI != wantSum || sumN != wantSum || sumX != float64(wantSum)/4 || trues != (rows+1)/2 {
		t.Fatalf("n %d nulls %d sums %d %d %v trues %d", n, nulls, sumI, sumN, sumX, trues)
	}
	if want := "Frøya " + strconv.Itoa(rows-1); last != want { // (rows−1) % 3 ≠ 0: not NULL
		t.Fatalf("last row %q, want %q", last, want)
	}
	for _, bad := range [][]driver.Value{{"a", "not a number", 1, 1.0, true}, {"a", int64(1)}} {
		err := s.WithConn(ctx, func(c *Conn) error {
			return c.Append("t", func(add func(...driver.Value) error) error { return add(bad...) })
		})
		if err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "socap-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
