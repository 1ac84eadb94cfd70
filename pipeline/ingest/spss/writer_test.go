package spss

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"
)

// testVar declares a variable for writeSav: Width 0 is numeric.
type testVar struct {
	Name    string // long name; the short name is V1, V2, …
	Label   string
	Width   int // 1..255 for strings
	Format  int32
	Missing []float64 // discrete numeric user-missing values: up to three, one with Range
	Range   []float64 // a user-missing range lo, hi
	Weight  bool      // the file is weighted by this variable
	Labels  map[float64]string
}

// writeSav writes a system file in byte order order with the given compression
// (0 none, 1 bytecode, 2 zlib) in the layout reader.go documents: header,
// variable records, value labels, machine integer info, long names, an
// UTF-8 encoding record, then rows cases whose values cell returns
// (float64, or string for string variables; NaN is system-missing). It is
// the inverse of the reader for the records socap's tests need.
func writeSav(t testing.TB, w io.Writer, order binary.ByteOrder, vars []testVar, rows int, compression int32, cell func(row, col int) any) {
	t.Helper()
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	put := func(vs ...any) {
		for _, v := range vs {
			if s, ok := v.(string); ok {
				bw.WriteString(s)
				continue
			}
			if err := binary.Write(bw, order, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }
	slots, weight := 0, int32(0)
	for _, v := range vars {
		if v.Weight {
			weight = int32(slots + 1)
		}
		slots += max(1, (v.Width+7)/8)
	}
	magic := "$FL2"
	if compression == 2 {
		magic = "$FL3"
	}
	put(magic, pad("@(#) SPSS DATA FILE socap test writer", 60), int32(2), int32(slots), compression, weight, int32(rows), 100.0,
		"24 Nov 26", "20:00:00", pad("socap test file", 64), "\x00\x00\x00")
	var longNames []string
	for i, v := range vars {
		short := pad("V"+itoa(i+1), 8)
		longNames = append(longNames, strings.TrimSpace(short)+"="+v.Name)
		format := v.Format
		if format == 0 {
			format = 5<<16 | 8<<8 | 2
			if v.Width > 0 {
				format = 1<<16 | int32(v.Width)<<8
			}
		}
		nMissing := int32(len(v.Missing))
		if v.Range != nil {
			nMissing = -2 - nMissing
		}
		put(int32(2), int32(v.Width), int32(min(len(v.Label), 1)), nMissing, format, format, short)
		if v.Label != "" {
			put(int32(len(v.Label)), pad(v.Label, (len(v.Label)+3)/4*4))
		}
		for _, m := range append(v.Range, v.Missing...) {
			put(m)
		}
		for k := 1; k < (v.Width+7)/8; k++ {
			put(int32(2), int32(-1), int32(0), int32(0), int32(0), int32(0), "        ")
		}
	}
	slot := 1
	for _, v := range vars {
		if len(v.Labels) > 0 {
			put(int32(3), int32(len(v.Labels)))
			for val, l := range v.Labels {
				put(val, uint8(len(l)), pad(l, (len(l)+1+7)/8*8-1))
			}
			put(int32(4), int32(1), int32(slot))
		}
		slot += max(1, (v.Width+7)/8)
	}
	put(int32(7), int32(3), int32(4), int32(8), int32(1), int32(0), int32(0), int32(-1), int32(1), int32(1), int32(2), int32(65001))
	names := strings.Join(longNames, "\t")
	put(int32(7), int32(13), int32(1), int32(len(names)), names)
	put(int32(7), int32(20), int32(1), int32(5), "UTF-8", int32(999), int32(0))

	var data bytes.Buffer
	var out io.Writer = bw
	if compression == 2 {
		out = &data
	}
	enc := &bytecodeWriter{w: out}
	unit := make([]byte, 8)
	for r := 0; r < rows; r++ {
		for c, v := range vars {
			x := cell(r, c)
			if v.Width == 0 {
				f := x.(float64)
				switch {
				case compression == 0 && math.IsNaN(f):
					put(uint64(sysmisBits))
				case compression == 0:
					put(f)
				case math.IsNaN(f):
					enc.code(255)
				case f == math.Trunc(f) && f >= -99 && f <= 151:
					enc.code(byte(f + 100))
				default:
					order.PutUint64(unit, math.Float64bits(f))
					enc.literal(unit)
				}
				continue
			}
			s := pad(x.(string), (v.Width+7)/8*8)
			for k := 0; k < len(s); k += 8 {
				switch {
				case compression == 0:
					put(s[k : k+8])
				case s[k:k+8] == "        ":
					enc.code(254)
				default:
					enc.literal([]byte(s[k : k+8]))
				}
			}
		}
	}
	if compression > 0 {
		enc.flush()
	}
	if compression == 2 {
		writeZlibData(bw, cw.n+int64(bw.Buffered()), data.Bytes(), put)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// zlibBlock is the uncompressed size of the test writer's zlib blocks,
// small so that test files have several (SPSS uses about 4 MB).
const zlibBlock = 256

// writeZlibData writes the ZLIB data header, the data as zlib blocks of
// zlibBlock bytes and the trailer with one entry per block (PSPP "System
// File Format", ZLIB Compressed Data Record). at is the file offset of the
// header.
func writeZlibData(bw *bufio.Writer, at int64, data []byte, put func(...any)) {
	var blocks [][]byte
	var sizes []int
	for len(data) > 0 {
		n := min(len(data), zlibBlock)
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data[:n])
		zw.Close()
		blocks, sizes = append(blocks, z.Bytes()), append(sizes, n)
		data = data[n:]
	}
	trailer := at + 24
	for _, b := range blocks {
		trailer += int64(len(b))
	}
	put(at, trailer, int64(24+24*len(blocks)))
	for _, b := range blocks {
		bw.Write(b)
	}
	put(int64(-100), int64(0), int32(zlibBlock), int32(len(blocks)))
	uoff, coff := at, at+24
	for k, b := range blocks {
		put(uoff, coff, int32(sizes[k]), int32(len(b)))
		uoff += int64(sizes[k])
		coff += int64(len(b))
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// bytecodeWriter groups commands in blocks of 8, each followed by its
// literals.
type bytecodeWriter struct {
	w    io.Writer
	cmds []byte
	lits []byte
}

func (b *bytecodeWriter) code(c byte) {
	b.cmds = append(b.cmds, c)
	if len(b.cmds) == 8 {
		b.flush()
	}
}

func (b *bytecodeWriter) literal(u []byte) {
	b.lits = append(b.lits, u...)
	b.code(253)
}

func (b *bytecodeWriter) flush() {
	if len(b.cmds) == 0 {
		return
	}
	for len(b.cmds) < 8 {
		b.cmds = append(b.cmds, 0)
	}
	b.w.Write(b.cmds)
	b.w.Write(b.lits)
	b.cmds, b.lits = b.cmds[:0], b.lits[:0]
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
