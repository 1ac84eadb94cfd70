package spss

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"socap/pipeline/ingest/labelled"
)

// NewBatch allocates a batch for up to capacity cases (8k to 64k suits
// most callers), fewer when the data cannot hold that many: a case needs
// rowBytes bytes uncompressed and at least one byte per 8-byte unit
// compressed, and zlib expands at most 1032-fold. A capacity below 1
// counts as 1.
func (r *Reader) NewBatch(capacity int) *labelled.Batch {
	return labelled.NewBatch(len(r.plan), func(i int) labelled.Kind { return r.plan[i].kind }, capacity, r.maxRows)
}

// Next fills b with the next cases and returns how many it read. At the end
// of the data it returns 0, io.EOF. On a read error it returns the cases
// decoded before the error together with the error, and the same error
// from then on. A batch of a file with no variables holds no cases.
func (r *Reader) Next(b *labelled.Batch) (int, error) {
	return b.Fill(&r.err, r.nextCase)
}

// nextCase decodes the next case into row i of b, or reports false at the
// end of the data.
func (r *Reader) nextCase(b *labelled.Batch, i int) (bool, error) {
	if r.rowsLeft == 0 {
		return false, nil
	}
	ok, err := r.src.readRow(r.row)
	if err != nil {
		return false, err
	}
	if !ok {
		if r.rowsLeft > 0 {
			return false, r.src.truncated(fmt.Sprintf("%d more cases announced by the header", r.rowsLeft))
		}
		r.rowsLeft = 0
		return false, nil
	}
	if r.rowsLeft > 0 {
		r.rowsLeft--
	}
	r.decodeRow(b, i)
	return true, nil
}

// decodeRow converts the case in r.row into row i of b.
func (r *Reader) decodeRow(b *labelled.Batch, i int) {
	row := r.row
	for vi := range r.plan {
		p := &r.plan[vi]
		c := &b.Columns[vi]
		if p.kind == labelled.String {
			raw := row[p.segs[0].off : p.segs[0].off+p.segs[0].n]
			if len(p.segs) > 1 {
				r.long = r.long[:0]
				for _, s := range p.segs {
					r.long = append(r.long, row[s.off:s.off+s.n]...)
				}
				raw = r.long[:min(len(r.long), p.width)]
			}
			end := len(raw)
			for end > 0 && (raw[end-1] == ' ' || raw[end-1] == 0) {
				end--
			}
			s := r.text.Decode(raw[:end])
			c.Strings[i] = s
			c.Valid[i] = p.miss == nil || !p.miss.hasString(s)
			continue
		}
		var bits uint64
		if r.bigEndian {
			bits = binary.BigEndian.Uint64(row[p.segs[0].off:])
		} else {
			bits = binary.LittleEndian.Uint64(row[p.segs[0].off:])
		}
		x := math.Float64frombits(bits)
		valid := bits != sysmisBits && x == x // x != x is NaN
		if valid && p.miss != nil && p.miss.hasNumber(x) {
			valid = false
		}
		switch p.kind {
		case labelled.Date:
			x = (x - spssEpochOffset) / 86400
		case labelled.DateTime:
			x -= spssEpochOffset
		}
		c.Floats[i] = x
		c.Valid[i] = valid
	}
}

// rowSource yields raw cases: nslots 8-byte units laid out as in an
// uncompressed file.
type rowSource interface {
	// readRow fills row and reports false at a clean end of data.
	readRow(row []byte) (bool, error)
	// truncated builds the error for data that ends early.
	truncated(expected string) error
}

// chunkReader hands out the data in slices of its buffer, counting the
// offset for error messages. It replaces bufio plus io.ReadFull on the hot
// path: most reads are 8 bytes.
type chunkReader struct {
	r        io.Reader
	buf      []byte
	pos, end int
	off      int64 // offset of buf[pos] in the stream
	err      error
}

func newChunkReader(r io.Reader, off int64, min int) *chunkReader {
	return &chunkReader{r: r, buf: make([]byte, max(1<<16, 2*min)), off: off}
}

// next returns the next n bytes (valid until the next call) or, at the
// end of the stream, the bytes that are left with io.EOF (none left) or
// io.ErrUnexpectedEOF (some left).
func (c *chunkReader) next(n int) ([]byte, error) {
	for c.end-c.pos < n && c.err == nil {
		if c.pos > 0 {
			c.end = copy(c.buf, c.buf[c.pos:c.end])
			c.pos = 0
		}
		var k int
		k, c.err = c.r.Read(c.buf[c.end:])
		c.end += k
	}
	if c.end-c.pos < n {
		rest := c.buf[c.pos:c.end]
		c.off += int64(len(rest))
		c.pos = c.end
		if c.err != io.EOF {
			return rest, c.err
		}
		if len(rest) == 0 {
			return nil, io.EOF
		}
		return rest, io.ErrUnexpectedEOF
	}
	b := c.buf[c.pos : c.pos+n]
	c.pos += n
	c.off += int64(n)
	return b, nil
}

// maxZlibRatio bounds how much a zlib stream can expand: deflate's longest
// match (258 bytes) costs at least two bits, about 1032:1.
const maxZlibRatio = 1032

// openData positions the reader at the data record, which starts at off,
// and bounds the number of cases by what the data can hold: a case takes
// rowBytes bytes uncompressed and at least one command byte per 8-byte unit
// compressed.
func (r *Reader) openData(ra io.ReaderAt, size, off int64, dict *rawDict) error {
	units := int64(r.rowBytes / 8)
	r.rowsLeft = r.File.Rows
	if units == 0 {
		r.rowsLeft, r.maxRows = 0, 0
		return nil
	}
	switch dict.compression {
	case 0:
		r.maxRows = (size - off) / units / 8
	case 1:
		r.maxRows = (size - off) / units
	case 2: // multiply first: a small file can hold a case larger than itself
		r.maxRows = (size - off) * maxZlibRatio / units
	}
	if r.rowsLeft > r.maxRows {
		return &labelled.FormatError{File: r.name, Offset: 80, Expected: "a case count the file can hold",
			Err: fmt.Errorf("%w: %d cases of %d bytes in %d bytes of data", ErrFormat, r.rowsLeft, r.rowBytes, size-off)}
	}
	if r.rowsLeft >= 0 {
		r.maxRows = r.rowsLeft
	}
	switch dict.compression {
	case 0:
		r.src = &plainRows{in: newChunkReader(io.NewSectionReader(ra, off, size-off), off, r.rowBytes), name: r.name}
	case 1:
		r.src = &bytecodeRows{in: newChunkReader(io.NewSectionReader(ra, off, size-off), off, 8), name: r.name, bias: dict.bias, order: r.order, cmdPos: 8}
	case 2:
		src, err := r.openZlib(ra, size, off, dict)
		if err != nil {
			return err
		}
		r.src = src
	}
	return nil
}

// openZlib reads the ZLIB data header (PSPP "System File Format", ZLIB
// Compressed Data Record): zheader_ofs, ztrailer_ofs and ztrailer_len as
// int64. The blocks between the header and the trailer are zlib streams
// whose concatenated output is bytecode-compressed data.
func (r *Reader) openZlib(ra io.ReaderAt, size, off int64, dict *rawDict) (rowSource, error) {
	d := labelled.NewDecoder(io.NewSectionReader(ra, off, size-off), r.name, off, size, r.order, ErrFormat)
	zheader := d.Int64("zlib data header offset")
	ztrailer := d.Int64("zlib trailer offset")
	zlen := d.Int64("zlib trailer length")
	if d.Err != nil {
		return nil, d.Err
	}
	// The trailer holds a 24-byte header and a 24-byte entry per block.
	if zheader != off || ztrailer < off+24 || zlen < 24 || ztrailer > size-zlen {
		return nil, &labelled.FormatError{File: r.name, Offset: off, Expected: "zlib header pointing inside the file",
			Err: fmt.Errorf("%w: header at %d, trailer of %d bytes at %d, file size %d", ErrFormat, zheader, zlen, ztrailer, size)}
	}
	start := off + 24
	raw := &byteCounter{r: io.NewSectionReader(ra, start, ztrailer-start)}
	z := &zlibChain{raw: raw, in: bufio.NewReader(raw), name: r.name, start: start}
	return &bytecodeRows{in: newChunkReader(z, 0, 8), name: r.name, bias: dict.bias, order: r.order, cmdPos: 8, decompressed: true}, nil
}

// plainRows reads uncompressed cases (compression 0): each case is the
// 8-byte units back to back.
type plainRows struct {
	in   *chunkReader
	name string
}

func (p *plainRows) readRow(row []byte) (bool, error) {
	b, err := p.in.next(len(row))
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, &labelled.FormatError{File: p.name, Offset: p.in.off - int64(len(b)), Expected: fmt.Sprintf("case of %d bytes", len(row)), Err: err}
	}
	copy(row, b)
	return true, nil
}

func (p *plainRows) truncated(expected string) error {
	return &labelled.FormatError{File: p.name, Offset: p.in.off, Expected: expected, Err: io.ErrUnexpectedEOF}
}

// bytecodeRows decodes bytecode compression (PSPP "System File Format",
// Data Record): blocks of 8 command bytes, each followed by the 8-byte
// literals its commands call for. 0 is padding; 1–251 is the number
// code-bias; 252 ends the data; 253 is a literal unit; 254 is 8 spaces; 255
// is system-missing. A number code in a string unit gives its float bytes
// (bias itself gives 8 NUL bytes, as PSPP documents).
type bytecodeRows struct {
	in           *chunkReader
	name         string
	bias         float64
	order        interface{ PutUint64([]byte, uint64) }
	cmd          [8]byte
	cmdPos       int
	ended        bool
	decompressed bool
}

func (b *bytecodeRows) readRow(row []byte) (bool, error) {
	if b.ended {
		return false, nil
	}
	units := len(row) / 8
	for i := 0; i < units; {
		if b.cmdPos == 8 {
			cmd, err := b.in.next(8)
			if err == io.EOF && i == 0 {
				b.ended = true
				return false, nil
			}
			if err != nil {
				return false, b.fail(int64(len(cmd)), "command block of 8 bytes", err)
			}
			copy(b.cmd[:], cmd)
			b.cmdPos = 0
		}
		code := b.cmd[b.cmdPos]
		b.cmdPos++
		u := row[i*8 : i*8+8]
		switch {
		case code == 0:
			continue
		case code <= 251:
			b.order.PutUint64(u, math.Float64bits(float64(code)-b.bias))
		case code == 252:
			if i != 0 {
				return false, b.fail(0, fmt.Sprintf("%d more units of the current case", units-i), fmt.Errorf("%w: end of data code inside a case", ErrFormat))
			}
			b.ended = true
			return false, nil
		case code == 253:
			lit, err := b.in.next(8)
			if err != nil {
				return false, b.fail(int64(len(lit)), "8-byte literal", err)
			}
			copy(u, lit)
		case code == 254:
			copy(u, "        ")
		default: // 255
			b.order.PutUint64(u, sysmisBits)
		}
		i++
	}
	return true, nil
}

func (b *bytecodeRows) fail(back int64, expected string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	var fe *labelled.FormatError
	if errors.As(err, &fe) {
		return err
	}
	return &labelled.FormatError{File: b.name, Offset: b.in.off - back, Decompressed: b.decompressed, Expected: expected, Err: err}
}

func (b *bytecodeRows) truncated(expected string) error {
	return b.fail(0, expected, io.ErrUnexpectedEOF)
}

// zlibChain reads the zlib streams between the ZLIB header and trailer
// back to back.
type zlibChain struct {
	raw   *byteCounter
	in    *bufio.Reader
	name  string
	start int64 // file offset of the first stream
	at    int64 // file offset of the current stream, for errors
	zr    io.ReadCloser
}

// byteCounter counts the bytes read from r.
type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (z *zlibChain) Read(p []byte) (int, error) {
	for {
		if z.zr == nil {
			if _, err := z.in.Peek(1); err != nil {
				return 0, io.EOF
			}
			z.at = z.start + z.raw.n - int64(z.in.Buffered())
			zr, err := zlib.NewReader(z.in)
			if err != nil {
				return 0, z.fail(err)
			}
			z.zr = zr
		}
		n, err := z.zr.Read(p)
		if err == io.EOF {
			z.zr = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, z.fail(err)
		}
		return n, nil
	}
}

func (z *zlibChain) fail(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &labelled.FormatError{File: z.name, Offset: z.at, Expected: "zlib-compressed data block", Err: fmt.Errorf("%w: %w", ErrFormat, err)}
}
