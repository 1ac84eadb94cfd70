package stata

import "errors"

// ErrFormat is wrapped by every error that reports a file which is not a
// valid .dta file (as opposed to a truncated one, which wraps
// io.ErrUnexpectedEOF).
var ErrFormat = errors.New("invalid stata file")
