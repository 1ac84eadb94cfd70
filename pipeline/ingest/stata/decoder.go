package stata

import (
	"encoding/binary"
	"io"

	"socap/pipeline/ingest/internal/labelled"
)

// decoder reads the metadata: a labelled.Decoder (sticky, placed errors;
// no read past the end of the file) with the <tags> of formats 117 and
// later.
type decoder struct{ *labelled.Decoder }

// newDecoder decodes r, the bytes from offset off of the size-byte file
// named name.
func newDecoder(r io.Reader, name string, off, size int64, order binary.ByteOrder) *decoder {
	return &decoder{labelled.NewDecoder(r, name, off, size, order, ErrFormat)}
}

// tag consumes the literal s (one of the <tags> of formats 117 and later).
func (d *decoder) tag(s string) {
	at := d.Off
	b := d.Bytes(int64(len(s)), s)
	if d.Err == nil && string(b) != s {
		d.Failf(at, s, "found %q", b)
	}
}

// peekTag reports whether s comes next, without consuming it.
func (d *decoder) peekTag(s string) bool {
	if d.Err != nil || int64(len(s)) > d.Remaining() {
		return false
	}
	b, err := d.R.Peek(len(s))
	return err == nil && string(b) == s
}
