package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"socap/pipeline"
	"socap/pipeline/store"
)

// Stage is the ingest stage: it loads every source of socap.yaml into its
// raw table, skipping a file whose SHA-256 matches the loaded one. Each
// source loads in its own transaction (see LoadFile), so a failure or a
// crash leaves earlier sources loaded and the failing one as it was.
type Stage struct {
	sources []SourceInfo
	in, out int64
}

// Name is "ingest".
func (s *Stage) Name() string { return "ingest" }

// Sources reports, in configuration order, the sources of the last Run;
// Unchanged marks those that were already loaded.
func (s *Stage) Sources() []SourceInfo { return s.sources }

// RowCounts is the number of records in the configured sources' raw tables
// and the number loaded by the last Run.
func (s *Stage) RowCounts() (in, out int64) { return s.in, s.out }

// Run loads the configured sources.
func (s *Stage) Run(ctx context.Context, env *pipeline.Env) error {
	s.sources, s.in, s.out = nil, 0, 0
	log := env.Log
	if log == nil {
		log = io.Discard
	}
	for _, src := range env.Config.Sources {
		opts := FileOptions{
			Format:          Format(src.Format),
			Sheet:           src.Sheet,
			Encoding:        src.Encoding,
			Delimiter:       src.Delimiter,
			Decimal:         src.Decimal,
			Now:             env.Now,
			KeepUserMissing: src.KeepUserMissing,
		}
		if env.Progress {
			opts.Progress = log
		}
		info, err := s.loadSource(ctx, env.Store, src.ID, env.Config.Resolve(src.Path), opts)
		if err != nil {
			return err
		}
		s.sources = append(s.sources, *info)
		s.in += info.Rows
		if info.Unchanged {
			fmt.Fprintf(log, "%s: unchanged (%d rows)\n", info.ID, info.Rows)
			continue
		}
		s.out += info.Rows
		fmt.Fprintf(log, "%s: %s\n", info.ID, info.Summary())
		for _, n := range info.Notes {
			fmt.Fprintf(log, "%s: note: %s\n", info.ID, n)
		}
	}
	return nil
}

// loadSource loads one source unless its file is already loaded.
func (s *Stage) loadSource(ctx context.Context, st *store.Store, id, path string, opts FileOptions) (*SourceInfo, error) {
	loaded, err := LoadedSource(ctx, st, id)
	if err != nil && !errors.Is(err, ErrNoSource) {
		return nil, err
	}
	if loaded != nil {
		sum, err := hashFile(path)
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", path, err)
		}
		if sum == loaded.SHA256 && loaded.matches(opts) {
			loaded.Unchanged = true
			return loaded, nil
		}
	}
	p, err := prepare(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return p.load(ctx, st, id)
}

// matches reports whether a loaded source was read the way opts ask: a
// changed format, sheet, encoding, delimiter or decimal override, or a
// changed keep_user_missing for an SPSS file, in socap.yaml reloads an
// unchanged file.
func (info *SourceInfo) matches(opts FileOptions) bool {
	same := func(override, loaded string) bool { return override == "" || override == loaded }
	return same(string(opts.Format), string(info.Format)) && opts.Sheet == info.Sheet &&
		same(opts.Encoding, info.Encoding) && same(opts.Delimiter, info.Delimiter) && same(opts.Decimal, info.Decimal) &&
		(!hasUserMissing(info.Format) || opts.KeepUserMissing == info.KeepUserMissing)
}

// Summary is a one-line description of a loaded source, e.g.
// "412 rows from data/w1.csv (csv, utf-8, delimiter ';', decimal ',')".
func (info *SourceInfo) Summary() string {
	details := []string{string(info.Format)}
	if info.Encoding != "" {
		details = append(details, info.Encoding)
	}
	if info.Delimiter != "" {
		details = append(details, fmt.Sprintf("delimiter %q", info.Delimiter))
	}
	if info.Decimal == "," {
		details = append(details, "decimal ','")
	}
	if info.Sheet != "" {
		details = append(details, "sheet "+info.Sheet)
	}
	if info.KeepUserMissing {
		details = append(details, "user-missing codes kept")
	}
	s := fmt.Sprintf("%d rows from %s (%s)", info.Rows, info.Path, strings.Join(details, ", "))
	if info.ProblemRows > 0 {
		s += fmt.Sprintf(", %d with a problem", info.ProblemRows)
	}
	return s
}

// ErrNoSource is returned by LoadedSource for a source that is not loaded.
var ErrNoSource = errors.New("source not loaded")

// LoadedSource reads what the sources and variables tables record about a
// loaded source; ErrNoSource (wrapped) when there is none.
func LoadedSource(ctx context.Context, st *store.Store, id string) (*SourceInfo, error) {
	var info SourceInfo
	var format string
	var enc, delim, dec, sheet sql.NullString
	var keep sql.NullBool
	err := st.DB().QueryRowContext(ctx, `SELECT path, sha256, format, encoding, delimiter, decimal_sep, sheet, raw_table, row_count, keep_user_missing
		FROM sources WHERE source_id = ?`, id).Scan(&info.Path, &info.SHA256, &format, &enc, &delim, &dec, &sheet, &info.Table, &info.Rows, &keep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("source %s: %w", id, ErrNoSource)
	}
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", id, err)
	}
	info.ID, info.Format = id, Format(format)
	info.Encoding, info.Delimiter, info.Decimal, info.Sheet = enc.String, delim.String, dec.String, sheet.String
	// An SPSS source loaded before keep_user_missing was recorded (NULL)
	// kept its codes: socap did not yet make them NULL.
	info.KeepUserMissing = hasUserMissing(info.Format) && (keep.Bool || !keep.Valid)
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM "+store.QuoteIdent(info.Table)+" WHERE "+ColProblem+" IS NOT NULL").
		Scan(&info.ProblemRows); err != nil {
		return nil, fmt.Errorf("source %s: %w", id, err)
	}
	if info.Columns, err = Columns(ctx, st, id); err != nil {
		return nil, err
	}
	return &info, nil
}
