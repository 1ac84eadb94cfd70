// Package ingest loads survey files into the store, one raw table per
// source, so that every record of every file can be accounted for.
//
// A source lands in raw_<source_id>: one VARCHAR column per file column,
// holding the text as in the file (an empty field is NULL; numbers from typed
// formats such as Parquet or SPSS are written in shortest round-trip form,
// integral values without a decimal point; dates in ISO 8601), followed by
// the provenance columns
//
//	_source   VARCHAR  the source id
//	_sha256   VARCHAR  SHA-256 of the file's bytes
//	_row      BIGINT   1-based record number in the file, header excluded
//	_problem  VARCHAR  NULL, or why the record could not be mapped to columns
//
// A record with a _problem (a ragged CSV row, a JSON line that is not an
// object) still lands, so that harmonisation can reject it with that reason:
// nothing is dropped silently. The sources table records path, hash, format,
// encoding, delimiter and decimal separator (harmonisation parses "3,5" when
// decimal_sep is ","); variables and value_labels record the file's
// metadata (names for every format; labels, formats and measures where the
// format has them).
//
// Each load runs in one store transaction: the raw table, and the source's
// rows in sources, variables and value_labels, are replaced together or not
// at all, so a crash mid-load leaves the previous state.
//
// Formats: CSV and TSV (delimiter, encoding and decimal separator detected),
// Parquet, JSON lines and XLSX, plus the SPSS and Stata readers of the
// sibling packages through the Reader seam (see reader.go).
package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"socap/pipeline/dataerr"
	"socap/pipeline/store"
)

// Provenance columns appended to every raw table, in this order.
const (
	ColSource  = "_source"
	ColSHA256  = "_sha256"
	ColRow     = "_row"
	ColProblem = "_problem"
)

var provenanceColumns = []string{ColSource, ColSHA256, ColRow, ColProblem}

// RowNamesColumn names a CSV's unnamed first column, where R's write.csv
// puts row names.
const RowNamesColumn = "row_names"

// Format is a supported input format.
type Format string

// The formats socap reads. The names are those of socap.yaml's format key.
const (
	FormatCSV     Format = "csv"
	FormatTSV     Format = "tsv"
	FormatParquet Format = "parquet"
	FormatJSONL   Format = "jsonl"
	FormatXLSX    Format = "xlsx"
	FormatSAV     Format = "sav"
	FormatZSAV    Format = "zsav"
	FormatDTA     Format = "dta"
)

// FormatOf picks the format from a file name's extension.
func FormatOf(path string) (Format, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	switch ext {
	case "csv", "txt":
		return FormatCSV, nil
	case "tsv", "tab":
		return FormatTSV, nil
	case "parquet", "pq":
		return FormatParquet, nil
	case "jsonl", "ndjson":
		return FormatJSONL, nil
	case "xlsx", "xlsm":
		return FormatXLSX, nil
	case "sav", "zsav", "dta":
		return Format(ext), nil
	}
	return "", fmt.Errorf("unknown file type %q (want .csv, .tsv, .parquet, .jsonl, .xlsx, .sav, .zsav or .dta)", filepath.Ext(path))
}

// FileOptions override what ingest would otherwise detect. The zero value
// detects everything.
type FileOptions struct {
	Format    Format // "" = from the extension
	Sheet     string // XLSX sheet; "" = the first
	Encoding  string // "utf-8", "windows-1252" or "latin-1"; "" = detected
	Delimiter string // ",", ";", "\t" or "|"; "" = detected
	Decimal   string // "." or ","; "" = detected
	// KeepUserMissing keeps the values an SPSS file declares user-missing
	// as ordinary values, like haven's read_sav(user_na = TRUE). By default
	// they land as NULL, like read_sav's default. Either way the declared
	// codes are recorded in variables.missing. Other formats ignore it.
	KeepUserMissing bool
	// Progress, when not nil, receives a progress bar for long loads.
	Progress io.Writer
	// Now is the clock for sources.loaded_at; nil = time.Now.
	Now func() time.Time
}

// Column describes one variable of a source file.
type Column struct {
	Name    string
	Label   string // variable label ("" when the format has none)
	Type    string // type in the file: "text" for text formats; numeric, string, date… for typed ones
	Format  string // display format or storage type in the file, when known
	Measure string // nominal, ordinal or scale (SPSS), when known
	// MissingCodes lists declared user-missing codes (SPSS): "97..99, -1".
	MissingCodes string
	// ValueLabels maps values (as they appear in the raw table) to labels.
	ValueLabels []ValueLabel
}

// ValueLabel labels one value of a variable.
type ValueLabel struct {
	Value string
	Label string
}

// SourceInfo describes a loaded (or, for Stage, an unchanged) source.
type SourceInfo struct {
	ID        string
	Path      string
	SHA256    string
	Format    Format
	Encoding  string // text formats: "utf-8", "utf-8-bom", "windows-1252"…
	Delimiter string // CSV/TSV
	Decimal   string // "." or ","
	Sheet     string // XLSX
	// KeepUserMissing is set when an SPSS file was loaded with its
	// user-missing codes kept as values (FileOptions.KeepUserMissing).
	KeepUserMissing bool
	Table           string // raw_<id>
	Rows            int64  // records loaded
	// ProblemRows counts records that landed with a _problem.
	ProblemRows int64
	Columns     []Column
	// Notes are things worth telling the user, e.g. a header-only file.
	Notes []string
	// Unchanged is set by Stage when the file was already loaded.
	Unchanged bool
}

// RawTable is the name of a source's raw table.
func RawTable(sourceID string) string { return "raw_" + sourceID }

// LoadFile loads the file at path as source sourceID: it detects format,
// encoding, delimiter and decimal separator (unless opts fix them), then in
// one transaction replaces raw_<sourceID> and the source's rows in sources,
// variables and value_labels. It loads even when the same file is already
// loaded (Stage is what skips unchanged files). Bad input is reported as a
// *dataerr.DataError naming the file and, where known, row and column.
//
// describe, convert and estimate use it on a scratch store for one-off
// files; Stage uses it for the sources of socap.yaml.
func LoadFile(ctx context.Context, st *store.Store, path string, opts FileOptions, sourceID string) (*SourceInfo, error) {
	src, err := prepare(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return src.load(ctx, st, sourceID)
}

// prepared is a file that has been read far enough to know its hash, its
// format details and how to load it.
type prepared struct {
	info   SourceInfo
	opts   FileOptions
	loader loader
	// cleanup, when set, removes temporary files; load calls it.
	cleanup func()
}

// loader fills a raw table inside a load transaction. It creates the table
// (which does not exist) and returns the rows loaded and those with a
// _problem; it may update columns and notes in info.
type loader interface {
	load(ctx context.Context, c *store.Conn, info *SourceInfo) (rows, problems int64, err error)
}

// prepare hashes and inspects the file at path.
func prepare(ctx context.Context, path string, opts FileOptions) (*prepared, error) {
	format := opts.Format
	if format == "" {
		f, err := FormatOf(path)
		if err != nil {
			return nil, &dataerr.DataError{File: path, Err: err}
		}
		format = f
	}
	p := &prepared{opts: opts, info: SourceInfo{Path: path, Format: format, Decimal: "."}}
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("ingest %s: %w", path, err)
	} else if fi.IsDir() {
		return nil, &dataerr.DataError{File: path, Err: errors.New("is a directory, not a file")}
	}
	var err error
	switch format {
	case FormatCSV, FormatTSV:
		err = p.prepareCSV(ctx)
	case FormatParquet:
		err = p.prepareParquet()
	default:
		err = p.prepareReader()
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// close removes the temporary files of p.
func (p *prepared) close() {
	if p.cleanup != nil {
		p.cleanup()
		p.cleanup = nil
	}
}

// hashFile returns the hex SHA-256 of the file at path.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadSettings are DuckDB settings in force during a load, reset after it.
// Raw tables are stored uncompressed: compressing millions of short strings
// costs DuckDB about three times the load itself, and raw tables are read
// whole, once per harmonisation. Insertion order need not be kept: every
// record carries its place in _row, and DuckDB loads in less memory
// without it.
var loadSettings = [][2]string{
	{"force_compression", "'uncompressed'"},
	{"preserve_insertion_order", "false"},
}

// load runs the load transaction for source id. When read_csv fails on a
// file the pre-scan found clean, the load is retried (the failed attempt
// rolled back) with socap's own CSV reader, and a note says so.
func (p *prepared) load(ctx context.Context, st *store.Store, id string) (*SourceInfo, error) {
	defer p.close()
	for _, set := range loadSettings {
		if _, err := st.DB().ExecContext(ctx, "SET GLOBAL "+set[0]+" = "+set[1]); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", p.info.Path, err)
		}
		defer st.DB().ExecContext(context.WithoutCancel(ctx), "RESET GLOBAL "+set[0])
	}
	info, err := p.loadWith(ctx, st, id, p.loader)
	if d, ok := p.loader.(*duckCSVLoader); ok && err != nil && ctx.Err() == nil {
		note := fmt.Sprintf("read_csv could not load the file (%v); loaded with socap's own CSV reader", err)
		if info, err = p.loadWith(ctx, st, id, d.fallback); err == nil {
			info.Notes = append(info.Notes, note)
		}
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("ingest %s: %w", p.info.Path, ctxErr)
		}
		if dataerr.Is(err) {
			return nil, err
		}
		return nil, fmt.Errorf("ingest %s: %w", p.info.Path, err)
	}
	return info, nil
}

// loadWith replaces the source in one transaction, filling the raw table
// with l.
func (p *prepared) loadWith(ctx context.Context, st *store.Store, id string, l loader) (*SourceInfo, error) {
	info := p.info
	info.ID = id
	info.Table = RawTable(id)
	info.Notes = slices.Clone(p.info.Notes)
	now := time.Now
	if p.opts.Now != nil {
		now = p.opts.Now
	}
	err := st.WithConn(ctx, func(c *store.Conn) error {
		if _, err := c.Exec("DROP TABLE IF EXISTS " + store.QuoteIdent(info.Table)); err != nil {
			return err
		}
		rows, problems, err := l.load(ctx, c, &info)
		if err != nil {
			return err
		}
		info.Rows, info.ProblemRows = rows, problems
		if rows == 0 {
			info.Notes = append(info.Notes, "no data rows (header only)")
		}
		return recordSource(c, &info, now())
	})
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// recordSource replaces the source's rows in sources, variables and
// value_labels.
func recordSource(c *store.Conn, info *SourceInfo, loadedAt time.Time) error {
	for _, t := range []string{"sources", "variables", "value_labels"} {
		if _, err := c.Exec("DELETE FROM "+t+" WHERE source_id = ?", info.ID); err != nil {
			return fmt.Errorf("clear %s: %w", t, err)
		}
	}
	var keep driver.Value // NULL: not an SPSS file
	if hasUserMissing(info.Format) {
		keep = info.KeepUserMissing
	}
	if _, err := c.Exec(`INSERT INTO sources (source_id, path, sha256, format, encoding, delimiter, decimal_sep, sheet, raw_table, row_count, loaded_at, keep_user_missing)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		info.ID, info.Path, info.SHA256, string(info.Format), nullable(info.Encoding), nullable(info.Delimiter),
		nullable(info.Decimal), nullable(info.Sheet), info.Table, info.Rows, loadedAt.UTC(), keep); err != nil {
		return fmt.Errorf("record source: %w", err)
	}
	// One Appender per table: a wide file (ESS: ~570 variables, thousands
	// of value labels) cost seconds as one INSERT statement per row.
	err := c.Append("variables", func(appendRow func(...driver.Value) error) error {
		for i, col := range info.Columns {
			if err := appendRow(info.ID, int32(i+1), col.Name, nullable(col.Label), nullable(col.Type),
				nullable(col.Format), nullable(col.Measure), nullable(col.MissingCodes)); err != nil {
				return fmt.Errorf("variable %s: %w", col.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record variables: %w", err)
	}
	err = c.Append("value_labels", func(appendRow func(...driver.Value) error) error {
		for _, col := range info.Columns {
			for _, vl := range col.ValueLabels {
				if err := appendRow(info.ID, col.Name, vl.Value, vl.Label); err != nil {
					return fmt.Errorf("%s=%s: %w", col.Name, vl.Value, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record value labels: %w", err)
	}
	return nil
}

// duckError shortens a DuckDB error to its first line (DuckDB appends the
// offending SQL).
func duckError(err error) error {
	msg, _, cut := strings.Cut(err.Error(), "\n")
	if !cut {
		return err
	}
	return errors.New(strings.TrimSpace(msg))
}

// hasUserMissing reports whether format declares user-missing values
// (FileOptions.KeepUserMissing applies).
func hasUserMissing(f Format) bool { return f == FormatSAV || f == FormatZSAV }

func nullable(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// checkNames refuses column names a raw table cannot hold: empty names,
// names equal up to case (DuckDB identifiers ignore case), and the
// provenance names.
func checkNames(file string, names []string) error {
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return dataerr.New(file, 0, "", "header: column %d has no name", i+1)
		}
		key := strings.ToLower(n)
		if j, ok := seen[key]; ok {
			if names[j] == n {
				return dataerr.New(file, 0, "", "header: duplicate column name %q at positions %d and %d", n, j+1, i+1)
			}
			return dataerr.New(file, 0, "", "header: column names %q (position %d) and %q (position %d) differ only in case", names[j], j+1, n, i+1)
		}
		for _, p := range provenanceColumns {
			if key == p {
				return dataerr.New(file, 0, "", "header: column name %q (position %d) is reserved for provenance", n, i+1)
			}
		}
		seen[key] = i
	}
	return nil
}

// textColumns describes columns of a text format: names only, type "text".
func textColumns(names []string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: "text"}
	}
	return cols
}

// createRawTable creates an empty raw table for cols.
func createRawTable(c *store.Conn, table string, cols []Column) error {
	defs := make([]string, 0, len(cols)+len(provenanceColumns))
	for _, col := range cols {
		defs = append(defs, store.QuoteIdent(col.Name)+" VARCHAR")
	}
	defs = append(defs, ColSource+" VARCHAR", ColSHA256+" VARCHAR", ColRow+" BIGINT", ColProblem+" VARCHAR")
	_, err := c.Exec("CREATE TABLE " + store.QuoteIdent(table) + " (" + strings.Join(defs, ", ") + ")")
	return err
}

// Columns lists the file columns of a loaded source (provenance excluded),
// in file order, with the metadata recorded in variables and value_labels.
func Columns(ctx context.Context, st *store.Store, sourceID string) ([]Column, error) {
	rows, err := st.DB().QueryContext(ctx, `SELECT name, coalesce(label, ''), coalesce(type, ''), coalesce(format, ''),
		coalesce(measure, ''), coalesce(missing, '')
		FROM variables WHERE source_id = ? ORDER BY position`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", sourceID, err)
	}
	defer rows.Close()
	var cols []Column
	index := map[string]int{}
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Label, &c.Type, &c.Format, &c.Measure, &c.MissingCodes); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", sourceID, err)
		}
		index[c.Name] = len(cols)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", sourceID, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("columns of %s: no such source", sourceID)
	}
	vl, err := st.DB().QueryContext(ctx, `SELECT variable, value, label FROM value_labels WHERE source_id = ?
		ORDER BY variable, try_cast(value AS DOUBLE) NULLS LAST, value`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("value labels of %s: %w", sourceID, err)
	}
	defer vl.Close()
	for vl.Next() {
		var name string
		var l ValueLabel
		if err := vl.Scan(&name, &l.Value, &l.Label); err != nil {
			return nil, fmt.Errorf("value labels of %s: %w", sourceID, err)
		}
		if i, ok := index[name]; ok {
			cols[i].ValueLabels = append(cols[i].ValueLabels, l)
		}
	}
	return cols, vl.Err()
}
