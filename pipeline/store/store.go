// Package store opens socap's DuckDB database: offline (no extension is
// installed or loaded behind the user's back), bounded in threads and memory,
// migrated to the DDL embedded in package schemas. Every stage reads from and
// writes to a Store; multi-statement changes go through WithConn/WithTx so
// that a crash leaves either the old or the new state, never a mix.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"socap/schemas"
)

// Options bounds the database engine. Zero values pick defaults: all cores
// and DuckDB's own memory limit (80 % of RAM).
type Options struct {
	Threads     int    // worker threads; 0 = runtime.NumCPU()
	MemoryLimit string // e.g. "1GB"; "" = DuckDB default
	ReadOnly    bool
}

// Store is an open socap database.
type Store struct {
	db *sql.DB
}

// Open creates or opens the database at path (":memory:" or "" for an
// in-memory store) and applies any pending migrations.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	dsn, err := dataSourceName(path, opts)
	if err != nil {
		return nil, err
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", displayPath(path), err)
	}
	db := sql.OpenDB(connector)
	s := &Store{db: db}
	if !opts.ReadOnly {
		if err := s.migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %s: %w", displayPath(path), err)
		}
	}
	return s, nil
}

func dataSourceName(path string, opts Options) (string, error) {
	q := url.Values{}
	q.Set("autoinstall_known_extensions", "false")
	q.Set("autoload_known_extensions", "false")
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	q.Set("threads", strconv.Itoa(threads))
	if opts.MemoryLimit != "" {
		q.Set("memory_limit", opts.MemoryLimit)
	}
	if opts.ReadOnly {
		q.Set("access_mode", "READ_ONLY")
	}
	if path == ":memory:" {
		path = ""
	}
	if strings.ContainsAny(path, "?") {
		return "", fmt.Errorf("open store: path %q must not contain '?'", path)
	}
	return path + "?" + q.Encode(), nil
}

func displayPath(path string) string {
	if path == "" {
		return ":memory:"
	}
	return path
}

// DB is the underlying connection pool, for plain queries.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SchemaVersion is the number of the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v)
	return int(v.Int64), err
}

// migration is one embedded DDL file, ddl/NNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(schemas.DDL, "ddl")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", e.Name())
		}
		body, err := fs.ReadFile(schemas.DDL, "ddl/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies, each in its own transaction, every embedded migration
// newer than the recorded schema version.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := s.WithTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name) VALUES (?, ?)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// WithTx runs fn inside one transaction: committed when fn returns nil,
// rolled back otherwise.
func (s *Store) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Conn is one dedicated connection inside an open transaction. Bulk loads use
// its Appender, which shares the transaction, so a load and the bookkeeping
// around it commit together.
type Conn struct {
	conn *sql.Conn
	ctx  context.Context
}

// Exec runs a statement inside the transaction.
func (c *Conn) Exec(query string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(c.ctx, query, args...)
}

// QueryRow runs a query returning one row inside the transaction.
func (c *Conn) QueryRow(query string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(c.ctx, query, args...)
}

// Query runs a query inside the transaction.
func (c *Conn) Query(query string, args ...any) (*sql.Rows, error) {
	return c.conn.QueryContext(c.ctx, query, args...)
}

// Append bulk-inserts into table: fn receives a function adding one row
// (values in the table's column order: nil, string, int, int32, int64,
// float64 or bool). The rows are gathered into Arrow columns of the table's
// types and go to DuckDB through a temporary Parquet file (parquetAppender),
// inside the transaction; they are in the table when Append returns.
func (c *Conn) Append(table string, fn func(appendRow func(values ...driver.Value) error) error) error {
	pa, err := newParquetAppender(c, table)
	if err != nil {
		return fmt.Errorf("append to %s: %w", table, err)
	}
	defer pa.discard()
	if err := fn(pa.appendRow); err != nil {
		return err
	}
	if err := pa.insert(c); err != nil {
		return fmt.Errorf("append to %s: %w", table, err)
	}
	return nil
}

// WithConn runs fn on a dedicated connection inside BEGIN … COMMIT; any
// error (or a crash) rolls everything back.
func (s *Store) WithConn(ctx context.Context, fn func(c *Conn) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	if err := fn(&Conn{conn: conn, ctx: ctx}); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// QuoteIdent quotes an SQL identifier for DuckDB.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString quotes an SQL string literal.
func QuoteString(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}
