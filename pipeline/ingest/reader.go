package ingest

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"socap/pipeline/store"
)

// Reader is the seam for formats that socap parses in Go (CSV files that
// DuckDB cannot load as they are, JSON lines, XLSX, SPSS, Stata): it streams
// the records of one file. The loader appends what it returns to the raw
// table and numbers the records from 1.
type Reader interface {
	// Columns describes the file's variables, in file order.
	Columns() []Column
	// Read fills values (one per column) with the next record: a string
	// holding the text as in the file, or nil for a missing value. A
	// non-empty problem says why the record does not map to the columns;
	// the record still lands, with that problem. Read returns io.EOF after
	// the last record.
	Read(values []driver.Value) (problem string, err error)
	// Close releases the file.
	Close() error
}

// openReader opens path with the Go reader for format: the registry of
// readers, an explicit switch.
func openReader(format Format, path string, opts FileOptions) (Reader, error) {
	switch format {
	case FormatJSONL:
		return openJSONLines(path)
	case FormatXLSX:
		return openXLSX(path, opts.Sheet)
	case FormatSAV, FormatZSAV:
		return openSPSS(path, opts)
	case FormatDTA:
		return openStata(path, opts)
	}
	return nil, fmt.Errorf("no reader for format %q", format)
}

// readerLoader loads a file through a Reader opened anew for each load.
type readerLoader struct {
	open     func() (Reader, error)
	progress io.Writer // nil = no progress bar
}

// prepareReader sets up a format read in Go: it hashes the file and opens
// the reader once to learn (and check) its columns.
func (p *prepared) prepareReader() error {
	path := p.info.Path
	sum, err := hashFile(path)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", path, err)
	}
	p.info.SHA256 = sum
	if p.info.Format == FormatXLSX {
		p.info.Sheet = p.opts.Sheet
	}
	if hasUserMissing(p.info.Format) {
		p.info.KeepUserMissing = p.opts.KeepUserMissing
	}
	open := func() (Reader, error) { return openReader(p.info.Format, path, p.opts) }
	r, err := open()
	if err != nil {
		return err
	}
	p.info.Columns = r.Columns()
	if err := r.Close(); err != nil {
		return fmt.Errorf("ingest %s: %w", path, err)
	}
	if err := checkNames(path, columnNames(p.info.Columns)); err != nil {
		return err
	}
	p.loader = &readerLoader{open: open, progress: p.opts.Progress}
	return nil
}

func (l *readerLoader) load(ctx context.Context, c *store.Conn, info *SourceInfo) (int64, int64, error) {
	r, err := l.open()
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	return appendRecords(ctx, c, info, r, newProgressBar(l.progress, info.Table, unitRows, 0))
}

// appendRecords creates info.Table for r's columns and appends every record
// of r with provenance, counting records on bar (nil for none) and
// finishing it.
func appendRecords(ctx context.Context, c *store.Conn, info *SourceInfo, r Reader, bar *progressBar) (rows, problems int64, err error) {
	cols := r.Columns()
	if err := createRawTable(c, info.Table, cols); err != nil {
		return 0, 0, err
	}
	n := len(cols)
	values := make([]driver.Value, n+len(provenanceColumns))
	values[n], values[n+1] = info.ID, info.SHA256
	err = c.Append(info.Table, func(appendRow func(...driver.Value) error) error {
		for {
			if rows%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			clear(values[:n])
			problem, err := r.Read(values[:n])
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			rows++
			bar.add(1)
			values[n+2] = rows
			values[n+3] = nil
			if problem != "" {
				values[n+3] = problem
				problems++
			}
			if err := appendRow(values...); err != nil {
				return fmt.Errorf("append row %d: %w", rows, err)
			}
		}
	})
	bar.finish()
	return rows, problems, err
}

func columnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}
