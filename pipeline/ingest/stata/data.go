package stata

import (
	"fmt"
	"io"
	"math"

	"socap/pipeline/ingest/internal/labelled"
)

// Batch holds up to Cap() observations column by column; Columns[i]
// belongs to Variables[i]. Next overwrites it.
type Batch struct {
	Len     int
	Columns []Column
}

// Column holds one variable's values for the observations of a batch.
// Floats is used by every kind but String, Strings by String. Valid[i] is
// false for missing values, and then Tags[i] says which: '.' for system
// missing, 'a'–'z' for the extended missing values .a–.z (R's haven calls
// these tagged NA).
type Column struct {
	Floats  []float64
	Strings []string
	Valid   []bool
	Tags    []byte
}

// NewBatch allocates a batch for up to capacity observations (8k to 64k
// suits most callers), fewer when the file has fewer. A capacity below 1
// counts as 1.
func (r *Reader) NewBatch(capacity int) *Batch {
	capacity = int(min(int64(max(capacity, 1)), r.File.Rows))
	b := &Batch{Columns: make([]Column, len(r.Variables))}
	for i, v := range r.Variables {
		c := &b.Columns[i]
		c.Valid = make([]bool, capacity)
		if v.Kind == String {
			c.Strings = make([]string, capacity)
		} else {
			c.Floats = make([]float64, capacity)
			c.Tags = make([]byte, capacity)
		}
	}
	return b
}

// Cap is the number of observations the batch can hold.
func (b *Batch) Cap() int {
	if len(b.Columns) == 0 {
		return 0
	}
	return len(b.Columns[0].Valid)
}

// Next fills b with the next observations and returns how many it read.
// At the end of the data it returns 0, io.EOF. On a read error it returns
// the observations decoded before the error together with the error, and
// the same error from then on.
func (r *Reader) Next(b *Batch) (int, error) {
	if r.err != nil {
		b.Len = 0
		return 0, r.err
	}
	n := 0
	for ; n < b.Cap() && r.rowsLeft > 0; n++ {
		if _, err := io.ReadFull(r.in, r.row); err != nil {
			b.Len = n
			r.err = &labelled.FormatError{File: r.name, Offset: r.off, Expected: fmt.Sprintf("observation of %d bytes", r.rowLen), Err: io.ErrUnexpectedEOF}
			return n, r.err
		}
		if err := r.decodeRow(b, n); err != nil {
			b.Len, r.err = n, err
			return n, err
		}
		r.off += int64(r.rowLen)
		r.rowsLeft--
	}
	b.Len = n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Missing values (dta manual, "Representation of numbers"): integers above
// the largest valid value, 100 for byte, 32740 for int, 2147483620 for
// long, are . then .a to .z; for float and double, . is 2^127 and 2^1023
// and .a–.z follow at steps of 2^11 and 2^40 in the bit pattern.
const (
	floatMissing  = 0x7f000000
	doubleMissing = 0x7fe0000000000000
)

// missingTag turns the index of a missing value (0 for ., 1–26 for
// .a–.z) into its tag; anything else counts as '.'.
func missingTag(k uint64) byte {
	if k >= 1 && k <= 26 {
		return 'a' + byte(k-1)
	}
	return '.'
}

func (r *Reader) decodeRow(b *Batch, i int) error {
	for vi, c := range r.cols {
		col := &b.Columns[vi]
		cell := r.row[c.off : c.off+c.width]
		var x float64
		missing, tag := false, byte(0)
		switch c.st {
		case stStr:
			col.Strings[i] = r.text(cstr(cell))
			col.Valid[i] = true
			continue
		case stStrL:
			s, err := r.strL(cell, vi)
			if err != nil {
				return err
			}
			col.Strings[i] = s
			col.Valid[i] = true
			continue
		case stByte:
			v := int8(cell[0])
			x, missing, tag = float64(v), v > 100, missingTag(uint64(int64(v)-101))
		case stInt:
			v := int16(r.order.Uint16(cell))
			x, missing, tag = float64(v), v > 32740, missingTag(uint64(int64(v)-32741))
		case stLong:
			v := int32(r.order.Uint32(cell))
			x, missing, tag = float64(v), v > 2147483620, missingTag(uint64(int64(v)-2147483621))
		case stFloat:
			bits := r.order.Uint32(cell)
			f := math.Float32frombits(bits)
			x = float64(f)
			missing = f > math.Float32frombits(floatMissing-1) || math.IsNaN(x)
			tag = missingTag(uint64(bits-floatMissing) >> 11)
			if bits < floatMissing || (bits-floatMissing)%(1<<11) != 0 {
				tag = '.'
			}
		case stDouble:
			bits := r.order.Uint64(cell)
			x = math.Float64frombits(bits)
			missing = x > math.Float64frombits(doubleMissing-1) || math.IsNaN(x)
			tag = missingTag((bits - doubleMissing) >> 40)
			if bits < doubleMissing || (bits-doubleMissing)%(1<<40) != 0 {
				tag = '.'
			}
		}
		if missing {
			col.Floats[i], col.Valid[i], col.Tags[i] = 0, false, tag
			continue
		}
		switch r.Variables[vi].Kind {
		case Date:
			x -= stataEpochDays
		case DateTime:
			x = x/1000 - stataEpochDays*86400
		case Time:
			x /= 1000
		}
		col.Floats[i], col.Valid[i], col.Tags[i] = x, true, 0
	}
	return nil
}

// stataEpochDays is the number of days from Stata's epoch, 1960-01-01, to
// the Unix epoch, 1970-01-01.
const stataEpochDays = 3653

// strL resolves a strL reference: v and o, the variable and observation
// that first stored the string (dta manual, "strLs"). Format 117 stores
// v and o as 4 bytes each; 118 as 2 and 6 bytes; 119 as 3 and 5 bytes,
// in file byte order. (0, 0) is the empty string.
func (r *Reader) strL(cell []byte, vi int) (string, error) {
	vLen := 2
	switch r.File.Version {
	case 117:
		vLen = 4
	case 119:
		vLen = 3
	}
	v, o := labelled.UintN(cell[:vLen], r.order), labelled.UintN(cell[vLen:], r.order)
	if v == 0 && o == 0 {
		return "", nil
	}
	s, ok := r.strls[[2]uint64{v, o}]
	if !ok {
		return "", &labelled.FormatError{File: r.name, Offset: r.off + int64(r.cols[vi].off), Expected: fmt.Sprintf("strL reference of variable %s to an entry of <strls>", r.Variables[vi].Name),
			Err: fmt.Errorf("%w: no strL (v=%d, o=%d)", ErrFormat, v, o)}
	}
	buf := make([]byte, s.n)
	if _, err := r.ra.ReadAt(buf, s.off); err != nil {
		return "", &labelled.FormatError{File: r.name, Offset: s.off, Expected: fmt.Sprintf("strL of %d bytes", s.n), Err: io.ErrUnexpectedEOF}
	}
	return r.text(buf), nil
}
