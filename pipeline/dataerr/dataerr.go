// Package dataerr is the error type for bad input: it carries the place (file,
// row, column) so that a user can find the offending cell, and it tells the
// command line to exit with status 2 (bad input) rather than 1 (failure).
package dataerr

import (
	"errors"
	"fmt"
	"strings"
)

// DataError is a problem with the user's input at a place in a file.
// Row is 1-based counting data records (the header is row 0); 0 when the
// problem is not in one row. Column is "" when not in one column.
type DataError struct {
	File   string
	Row    int64
	Column string
	Err    error
}

func (e *DataError) Error() string {
	var place []string
	if e.Row > 0 {
		place = append(place, fmt.Sprintf("row %d", e.Row))
	}
	if e.Column != "" {
		place = append(place, "column "+e.Column)
	}
	if len(place) == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.File, strings.Join(place, ", "), e.Err)
}

func (e *DataError) Unwrap() error { return e.Err }

// New returns a DataError for file with a formatted message.
func New(file string, row int64, column string, format string, args ...any) *DataError {
	return &DataError{File: file, Row: row, Column: column, Err: fmt.Errorf(format, args...)}
}

// Is reports whether err is, or wraps, a DataError.
func Is(err error) bool {
	var de *DataError
	return errors.As(err, &de)
}
