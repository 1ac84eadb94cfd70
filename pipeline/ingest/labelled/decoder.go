package labelled

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// FormatError places a problem in a file: the file name, the byte offset
// where reading failed and what the reader expected to find there. When
// Decompressed is true, Offset counts bytes of a decompressed data stream
// (the data of an SPSS .zsav file) rather than of the file.
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

// Decoder reads a file's metadata sequentially with a sticky error: after
// the first failure every method returns zero values and Err is a
// *FormatError naming the file, the offset and what was expected. Every
// read is checked against the bytes left in the file, so a lying count or
// length can never make a reader allocate more than the file holds.
type Decoder struct {
	R     *bufio.Reader
	File  string           // file name for errors
	Off   int64            // file offset of the next byte of R
	Size  int64            // file size: no read goes past it
	Order binary.ByteOrder // byte order of Uint
	Err   error            // the first error, or nil

	invalid error // the reader's sentinel for invalid content, wrapped by Failf
}

// NewDecoder decodes r, the bytes from offset off of the size-byte file
// named file, in byte order order. Failf wraps invalid, the reader's error
// for a readable file with invalid content (its ErrFormat).
func NewDecoder(r io.Reader, file string, off, size int64, order binary.ByteOrder, invalid error) *Decoder {
	return &Decoder{R: bufio.NewReader(r), File: file, Off: off, Size: size, Order: order, invalid: invalid}
}

// Fail records err at the current offset unless an error is recorded
// already.
func (d *Decoder) Fail(expected string, err error) {
	if d.Err == nil {
		d.Err = &FormatError{File: d.File, Offset: d.Off, Expected: expected, Err: err}
	}
}

// Failf records a format error (the file is readable but its content is
// invalid) at offset at, unless an error is recorded already.
func (d *Decoder) Failf(at int64, expected, format string, args ...any) {
	if d.Err == nil {
		d.Off = at
		d.Fail(expected, fmt.Errorf("%w: "+format, append([]any{d.invalid}, args...)...))
	}
}

// Remaining is the number of bytes left in the file after the current
// offset.
func (d *Decoder) Remaining() int64 { return d.Size - d.Off }

// Bytes returns the next n bytes in a freshly allocated slice.
func (d *Decoder) Bytes(n int64, what string) []byte {
	if d.Err != nil {
		return nil
	}
	if n < 0 || n > d.Remaining() {
		d.Fail(what, fmt.Errorf("%w: %d bytes needed, %d left in file", io.ErrUnexpectedEOF, n, d.Remaining()))
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.R, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.Fail(what, err)
		return nil
	}
	d.Off += n
	return b
}

// Skip consumes the next n bytes.
func (d *Decoder) Skip(n int64, what string) {
	if d.Err != nil {
		return
	}
	if n < 0 || n > d.Remaining() {
		d.Fail(what, fmt.Errorf("%w: %d bytes needed, %d left in file", io.ErrUnexpectedEOF, n, d.Remaining()))
		return
	}
	if _, err := d.R.Discard(int(n)); err != nil {
		d.Fail(what, io.ErrUnexpectedEOF)
		return
	}
	d.Off += n
}

// Int32 reads a 32-bit signed integer.
func (d *Decoder) Int32(what string) int32 { return int32(d.Uint(4, what)) }

// Int64 reads a 64-bit signed integer.
func (d *Decoder) Int64(what string) int64 { return int64(d.Uint(8, what)) }

// Float64 reads an IEEE 754 double.
func (d *Decoder) Float64(what string) float64 { return math.Float64frombits(d.Uint(8, what)) }

// Count reads a 32-bit element count and checks that count elements of at
// least minSize bytes each fit in the rest of the file.
func (d *Decoder) Count(minSize int64, what string) int {
	at := d.Off
	n := d.Int32(what)
	if d.Err != nil {
		return 0
	}
	if n < 0 || int64(n)*minSize > d.Remaining() {
		d.Failf(at, what, "count %d does not fit in the %d bytes left", n, d.Size-at)
		return 0
	}
	return int(n)
}

// Literal consumes the literal s (a signature or tag).
func (d *Decoder) Literal(s string) {
	at := d.Off
	b := d.Bytes(int64(len(s)), s)
	if d.Err == nil && string(b) != s {
		d.Failf(at, s, "found %q", b)
	}
}

// Peek reports whether the literal s comes next, without consuming it.
func (d *Decoder) Peek(s string) bool {
	if d.Err != nil || int64(len(s)) > d.Remaining() {
		return false
	}
	b, err := d.R.Peek(len(s))
	return err == nil && string(b) == s
}

// Uint reads an unsigned integer of n bytes (1 to 8) in the file's byte
// order.
func (d *Decoder) Uint(n int, what string) uint64 {
	b := d.Bytes(int64(n), what)
	if b == nil {
		return 0
	}
	return UintN(b, d.Order)
}

// UintN decodes an unsigned integer of len(b) bytes (up to 8) in byte
// order order.
func UintN(b []byte, order binary.ByteOrder) uint64 {
	var x uint64
	if order == binary.BigEndian {
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
		return x
	}
	for i := len(b) - 1; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}
