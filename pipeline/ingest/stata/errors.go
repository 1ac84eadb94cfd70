package stata

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every error that reports a file which is not a
// valid .dta file (as opposed to a truncated one, which wraps
// io.ErrUnexpectedEOF).
var ErrFormat = errors.New("invalid stata file")

// FormatError places a problem in a file: the file name, the byte offset
// where reading failed and what the reader expected to find there.
type FormatError struct {
	File     string
	Offset   int64
	Expected string
	Err      error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("read %s: offset %d: expected %s: %v", e.File, e.Offset, e.Expected, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }
