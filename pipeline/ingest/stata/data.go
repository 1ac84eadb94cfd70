package stata

import (
	"fmt"
	"io"
	"math"

	"socap/pipeline/ingest/labelled"
)

// NewBatch allocates a batch for up to capacity observations (8k to 64k
// suits most callers), fewer when the file has fewer. A capacity below 1
// counts as 1.
func (r *Reader) NewBatch(capacity int) *labelled.Batch {
	b := labelled.NewBatch(len(r.Variables), func(i int) labelled.Kind { return r.Variables[i].Kind }, capacity, r.File.Rows)
	for i := range b.Columns {
		if c := &b.Columns[i]; c.Floats != nil {
			c.Tags = make([]byte, len(c.Floats))
		}
	}
	return b
}

// Next fills b with the next observations and returns how many it read.
// At the end of the data it returns 0, io.EOF. On a read error it returns
// the observations decoded before the error together with the error, and
// the same error from then on.
func (r *Reader) Next(b *labelled.Batch) (int, error) {
	return b.Fill(&r.err, r.nextObservation)
}

// nextObservation decodes the next observation into row i of b, or
// reports false at the end of the data.
func (r *Reader) nextObservation(b *labelled.Batch, i int) (bool, error) {
	if r.rowsLeft <= 0 {
		return false, nil
	}
	if _, err := io.ReadFull(r.in, r.row); err != nil {
		return false, &labelled.FormatError{File: r.name, Offset: r.off, Expected: fmt.Sprintf("observation of %d bytes", r.rowLen), Err: io.ErrUnexpectedEOF}
	}
	if err := r.decodeRow(b, i); err != nil {
		return false, err
	}
	r.off += int64(r.rowLen)
	r.rowsLeft--
	return true, nil
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

func (r *Reader) decodeRow(b *labelled.Batch, i int) error {
	for vi, c := range r.cols {
		col := &b.Columns[vi]
		cell := r.row[c.off : c.off+c.width]
		var x float64
		missing, tag := false, byte(0)
		switch c.st {
		case stStr:
			col.Strings[i] = r.text.Decode(cstr(cell))
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
		case labelled.Date:
			x -= stataEpochDays
		case labelled.DateTime:
			x = x/1000 - stataEpochDays*86400
		case labelled.Time:
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
	return r.text.Decode(buf), nil
}
