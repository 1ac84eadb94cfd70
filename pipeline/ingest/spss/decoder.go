package spss

import (
	"encoding/binary"
	"io"
	"math"

	"socap/pipeline/ingest/internal/labelled"
)

// decoder reads the dictionary: a labelled.Decoder (sticky, placed errors;
// no read past the end of the file) with the field types of system files.
type decoder struct{ *labelled.Decoder }

// newDecoder decodes r, the bytes from offset off of the size-byte file
// named name.
func newDecoder(r io.Reader, name string, off, size int64, order binary.ByteOrder) *decoder {
	return &decoder{labelled.NewDecoder(r, name, off, size, order, ErrFormat)}
}

func (d *decoder) i32(what string) int32 { return int32(d.Uint(4, what)) }

func (d *decoder) i64(what string) int64 { return int64(d.Uint(8, what)) }

func (d *decoder) f64(what string) float64 { return math.Float64frombits(d.Uint(8, what)) }

// count reads a 32-bit element count and checks that count elements of at
// least minSize bytes each fit in the rest of the file.
func (d *decoder) count(minSize int64, what string) int {
	at := d.Off
	n := d.i32(what)
	if d.Err != nil {
		return 0
	}
	if n < 0 || int64(n)*minSize > d.Remaining() {
		d.Failf(at, what, "count %d does not fit in the %d bytes left", n, d.Size-at)
		return 0
	}
	return int(n)
}
