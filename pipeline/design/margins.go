package design

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline/dataerr"
)

// Margins are population totals to calibrate to: a CSV with the header
// variable,level,total and optionally a fourth column wave. A row without a
// wave applies to every wave.
type Margins struct {
	rows []marginRow
}

type marginRow struct {
	wave int // 0: every wave
	m    survey.Margin
}

// ErrMarginsFile is wrapped by every failure to read a margins file; the
// command line maps it to bad input.
var ErrMarginsFile = errors.New("margins file")

// ReadMargins reads the margins file at path. Errors name the file, row and
// column.
func ReadMargins(path string) (*Margins, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMarginsFile, err)
	}
	defer fh.Close()
	return parseMargins(path, fh)
}

func parseMargins(path string, r io.Reader) (*Margins, error) {
	bad := func(row int64, col string, format string, a ...any) error {
		return &dataerr.DataError{File: path, Row: row, Column: col, Err: fmt.Errorf("%w: %s", ErrMarginsFile, fmt.Sprintf(format, a...))}
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, &dataerr.DataError{File: path, Err: fmt.Errorf("%w: %w", ErrMarginsFile, err)}
	}
	if len(recs) == 0 {
		return nil, bad(0, "", "empty; want the header variable,level,total[,wave]")
	}
	header := recs[0]
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	withWave := len(header) == 4 && header[3] == "wave"
	if len(header) < 3 || header[0] != "variable" || header[1] != "level" || header[2] != "total" || (len(header) == 4 && !withWave) || len(header) > 4 {
		return nil, bad(0, "", "header must be variable,level,total[,wave], not %s", strings.Join(header, ","))
	}
	m := &Margins{}
	for i, r := range recs[1:] {
		row := int64(i + 1)
		if len(r) != len(header) {
			return nil, bad(row, "", "%d fields, want %d", len(r), len(header))
		}
		v := strings.TrimSpace(r[0])
		if v == "" {
			return nil, bad(row, "variable", "empty variable name")
		}
		t, err := strconv.ParseFloat(strings.TrimSpace(r[2]), 64)
		if err != nil {
			return nil, bad(row, "total", "%q is not a number", r[2])
		}
		mr := marginRow{m: survey.Margin{Variable: v, Level: strings.TrimSpace(r[1]), Total: t}}
		if withWave && strings.TrimSpace(r[3]) != "" {
			if mr.wave, err = strconv.Atoi(strings.TrimSpace(r[3])); err != nil || mr.wave < 1 {
				return nil, bad(row, "wave", "%q is not a wave number", r[3])
			}
		}
		m.rows = append(m.rows, mr)
	}
	if len(m.rows) == 0 {
		return nil, bad(0, "", "no margins")
	}
	return m, nil
}

// ForWave returns the margins of wave (rows of that wave and rows for every
// wave), in file order.
func (m *Margins) ForWave(wave int) []survey.Margin {
	var out []survey.Margin
	for _, r := range m.rows {
		if r.wave == 0 || r.wave == wave {
			out = append(out, r.m)
		}
	}
	return out
}

// Waved reports whether some row names a wave.
func (m *Margins) Waved() bool {
	for _, r := range m.rows {
		if r.wave != 0 {
			return true
		}
	}
	return false
}

// Variables lists the margin variables, in first-seen order.
func (m *Margins) Variables() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range m.rows {
		if !seen[r.m.Variable] {
			seen[r.m.Variable] = true
			out = append(out, r.m.Variable)
		}
	}
	return out
}
