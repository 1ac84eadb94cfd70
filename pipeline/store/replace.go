package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"strings"
)

// Table is an output table a stage replaces: its name, its column
// definitions ("estimate DOUBLE") and a function that adds its rows in
// order.
type Table struct {
	Name    string
	Columns []string
	Rows    func(add func(values ...driver.Value) error) error
}

// RowsOf adds the rows of a slice, for Table.Rows.
func RowsOf(rows [][]driver.Value) func(add func(values ...driver.Value) error) error {
	return func(add func(values ...driver.Value) error) error {
		for _, r := range rows {
			if err := add(r...); err != nil {
				return err
			}
		}
		return nil
	}
}

// Replace drops and recreates each table with its rows, all in one
// transaction: a failure or a crash leaves the tables as they were, so a
// stage that writes through Replace can be re-run.
func (s *Store) Replace(ctx context.Context, tables ...Table) error {
	return s.WithConn(ctx, func(c *Conn) error {
		for _, t := range tables {
			if err := c.replace(t); err != nil {
				return fmt.Errorf("write %s: %w", t.Name, err)
			}
		}
		return nil
	})
}

func (c *Conn) replace(t Table) error {
	if _, err := c.Exec("DROP TABLE IF EXISTS " + t.Name); err != nil {
		return err
	}
	if _, err := c.Exec("CREATE TABLE " + t.Name + " (" + strings.Join(t.Columns, ", ") + ")"); err != nil {
		return err
	}
	return c.Append(t.Name, t.Rows)
}

// Float is x as a table value: NULL when it is not a finite number.
func Float(x float64) driver.Value {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// Text is s as a table value: NULL when empty.
func Text(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}
