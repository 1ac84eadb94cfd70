package stata

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// decoder reads the file sequentially with a sticky error: after the first
// failure every method returns zero values and err names the file, the
// offset and what was expected. Every read is checked against the bytes
// left in the file, so a lying count or length can never make the reader
// allocate more than the file holds.
type decoder struct {
	r     *bufio.Reader
	file  string
	off   int64
	size  int64
	order binary.ByteOrder
	err   error
}

func (d *decoder) fail(expected string, err error) {
	if d.err == nil {
		d.err = &FormatError{File: d.file, Offset: d.off, Expected: expected, Err: err}
	}
}

// failf records a format error at offset at.
func (d *decoder) failf(at int64, expected, format string, args ...any) {
	if d.err == nil {
		d.off = at
		d.fail(expected, fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...))
	}
}

func (d *decoder) remaining() int64 { return d.size - d.off }

// bytes returns the next n bytes in a fresh slice.
func (d *decoder) bytes(n int64, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.remaining() {
		d.fail(what, fmt.Errorf("%w: %d bytes needed, %d left in file", io.ErrUnexpectedEOF, n, d.remaining()))
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(what, io.ErrUnexpectedEOF)
		return nil
	}
	d.off += n
	return b
}

func (d *decoder) skip(n int64, what string) {
	if d.err != nil {
		return
	}
	if n < 0 || n > d.remaining() {
		d.fail(what, fmt.Errorf("%w: %d bytes needed, %d left in file", io.ErrUnexpectedEOF, n, d.remaining()))
		return
	}
	if _, err := d.r.Discard(int(n)); err != nil {
		d.fail(what, io.ErrUnexpectedEOF)
		return
	}
	d.off += n
}

// uint reads an unsigned integer of n bytes (1, 2, 4 or 8) in file order.
func (d *decoder) uint(n int, what string) uint64 {
	b := d.bytes(int64(n), what)
	if b == nil {
		return 0
	}
	return uintN(b, d.order)
}

// uintN decodes an unsigned integer of len(b) bytes (up to 8).
func uintN(b []byte, order binary.ByteOrder) uint64 {
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

// tag consumes the literal s (one of the <tags> of formats 117 and later).
func (d *decoder) tag(s string) {
	at := d.off
	b := d.bytes(int64(len(s)), s)
	if d.err == nil && string(b) != s {
		d.failf(at, s, "found %q", b)
	}
}

// peekTag reports whether s comes next, without consuming it.
func (d *decoder) peekTag(s string) bool {
	if d.err != nil || int64(len(s)) > d.remaining() {
		return false
	}
	b, err := d.r.Peek(len(s))
	return err == nil && string(b) == s
}
