package spss

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every error that reports a file which is not a
// valid system file (as opposed to a truncated one, which wraps
// io.ErrUnexpectedEOF).
var ErrFormat = errors.New("invalid system file")

// FormatError places a problem in a file: the file name, the byte offset
// where reading failed and what the reader expected to find there. For .zsav
// files, offsets past the dictionary count bytes of the decompressed data
// stream (Decompressed is true).
type FormatError struct {
	File         string
	Offset       int64
	Decompressed bool
	Expected     string
	Err          error
}

func (e *FormatError) Error() string {
	where := "offset"
	if e.Decompressed {
		where = "decompressed offset"
	}
	return fmt.Sprintf("read %s: %s %d: expected %s: %v", e.File, where, e.Offset, e.Expected, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }
