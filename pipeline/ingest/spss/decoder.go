package spss

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// decoder reads the dictionary sequentially with a sticky error: after the
// first failure every method returns zero values and err names the file, the
// offset and what was expected. Every read is checked against the bytes left
// in the file, so a lying count or length can never make the reader allocate
// more than the file holds.
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

// failf records a format error (the file is readable but its content is
// invalid).
func (d *decoder) failf(expected, format string, args ...any) {
	d.fail(expected, fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...))
}

// remaining is the number of bytes left in the file after the current
// offset.
func (d *decoder) remaining() int64 { return d.size - d.off }

// bytes returns the next n bytes; the slice is freshly allocated.
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
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.fail(what, err)
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

func (d *decoder) i32(what string) int32 {
	b := d.bytes(4, what)
	if b == nil {
		return 0
	}
	return int32(d.order.Uint32(b))
}

func (d *decoder) i64(what string) int64 {
	b := d.bytes(8, what)
	if b == nil {
		return 0
	}
	return int64(d.order.Uint64(b))
}

func (d *decoder) f64(what string) float64 {
	b := d.bytes(8, what)
	if b == nil {
		return 0
	}
	return math.Float64frombits(d.order.Uint64(b))
}

// count reads a 32-bit element count and checks that count elements of at
// least minSize bytes each fit in the rest of the file.
func (d *decoder) count(minSize int64, what string) int {
	at := d.off
	n := d.i32(what)
	if d.err != nil {
		return 0
	}
	if n < 0 || int64(n)*minSize > d.remaining() {
		d.off = at
		d.failf(what, "count %d does not fit in the %d bytes left", n, d.remaining())
		return 0
	}
	return int(n)
}
