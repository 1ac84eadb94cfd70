package stata

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"socap/pipeline/ingest/labelled"
)

// put writes b and counts it.
func (w *Writer) put(b []byte) {
	n, _ := w.out.Write(b) // a write error stays in w.out and surfaces at Flush
	w.off += int64(n)
}

func (w *Writer) putString(s string) { w.put([]byte(s)) }

// putUint writes the low n bytes of x in the file's byte order.
func (w *Writer) putUint(x uint64, n int) { w.put(appendUint(nil, w.order, x, n)) }

// appendUint appends the low n bytes of x in byte order order.
func appendUint(b []byte, order labelled.ByteOrder, x uint64, n int) []byte {
	var u [8]byte
	order.PutUint64(u[:], x)
	if order == labelled.ByteOrder(binary.BigEndian) {
		return append(b, u[8-n:]...)
	}
	return append(b, u[:n]...)
}

// putNumber stores bits, a value or missing code of storage st, in dst.
func putNumber(dst []byte, order labelled.ByteOrder, st storage, bits uint64) {
	copy(dst, appendUint(dst[:0:0], order, bits, storageSize[st]))
}

// fixed writes s cut to n−1 bytes at a character boundary and NUL bytes
// up to n: a fixed-width field of the dta format, NUL-terminated.
func (w *Writer) fixed(s string, n int) {
	s = labelled.Cut(s, n-1)
	w.putString(s)
	w.put(make([]byte, n-len(s)))
}

// section records the offset of the map entry i and writes tag.
func (w *Writer) section(i int, tag string) {
	w.offsets[i] = uint64(w.off)
	w.putString(tag)
}

// header writes everything before the data (dta manual, 5.1–5.8): the
// header with release, byte order, K, N (written by Close), the label
// (2-byte length) and the time stamp (1-byte length, "dd Mon yyyy
// hh:mm"); the map; then per variable its type, name (129 bytes), sort
// order (none), display format (57 bytes), value label name (129 bytes)
// and label (321 bytes); and the characteristics holding the notes.
func (w *Writer) header(opts WriterOptions) {
	kLen := 2
	if w.release == 119 {
		kLen = 4
	}
	bo := "LSF"
	if w.order == labelled.ByteOrder(binary.BigEndian) {
		bo = "MSF"
	}
	w.section(0, "<stata_dta>")
	w.putString("<header><release>" + strconv.Itoa(w.release) + "</release><byteorder>" + bo + "</byteorder><K>")
	w.putUint(uint64(len(w.vars)), kLen)
	w.putString("</K><N>")
	w.nAt = w.off
	w.putUint(0, 8)
	w.putString("</N><label>")
	label := cutRunes(opts.Label, 80)
	w.putUint(uint64(len(label)), 2)
	w.putString(label + "</label><timestamp>")
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	stamp := created.Format("02 Jan 2006 15:04")
	w.putUint(uint64(len(stamp)), 1)
	w.putString(stamp + "</timestamp></header>")
	w.section(1, "<map>")
	w.mapAt = w.off
	w.put(make([]byte, 14*8))
	w.putString("</map>")
	w.section(2, "<variable_types>")
	for _, wv := range w.vars {
		code := [...]uint64{stByte: 65530, stInt: 65529, stLong: 65528, stFloat: 65527, stDouble: 65526, stStr: 0, stStrL: 32768}[wv.st]
		if wv.st == stStr {
			code = uint64(wv.width)
		}
		w.putUint(code, 2)
	}
	w.putString("</variable_types>")
	w.section(3, "<varnames>")
	for _, wv := range w.vars {
		w.fixed(wv.v.Name, 129)
	}
	w.putString("</varnames>")
	w.section(4, "<sortlist>")
	w.put(make([]byte, (len(w.vars)+1)*kLen))
	w.putString("</sortlist>")
	w.section(5, "<formats>")
	for _, wv := range w.vars {
		w.fixed(formatOf(wv.v, wv.st), 57)
	}
	w.putString("</formats>")
	w.section(6, "<value_label_names>")
	for _, wv := range w.vars {
		name := ""
		if len(wv.v.ValueLabels) > 0 {
			name = labelSet(wv.v)
		}
		w.fixed(name, 129)
	}
	w.putString("</value_label_names>")
	w.section(7, "<variable_labels>")
	for _, wv := range w.vars {
		w.fixed(cutRunes(wv.v.Label, 80), 321)
	}
	w.putString("</variable_labels>")
	// Characteristics (5.8): each a 4-byte length, the variable name
	// and the characteristic name (129 bytes each) and the NUL-terminated
	// contents; notes are _dta[note1] … and _dta[note0], their count.
	w.section(8, "<characteristics>")
	if len(opts.Notes) > 0 {
		w.characteristic("note0", strconv.Itoa(len(opts.Notes)))
		for i, note := range opts.Notes {
			w.characteristic("note"+strconv.Itoa(i+1), note)
		}
	}
	w.putString("</characteristics>")
	w.section(9, "<data>")
}

func (w *Writer) characteristic(name, contents string) {
	w.putString("<ch>")
	w.putUint(uint64(2*129+len(contents)+1), 4)
	w.fixed("_dta", 129)
	w.fixed(name, 129)
	w.putString(contents)
	w.put([]byte{0})
	w.putString("</ch>")
}

// Missing values (dta manual, 5.10 "Representation of numbers"): the
// codes of ., and of .a–.z after it, per storage type.
var missingBase = [...]uint64{stByte: 101, stInt: 32741, stLong: 2147483621, stFloat: floatMissing, stDouble: doubleMissing}

// missingStep is the distance between the codes of . and .a, .a and .b, …
var missingStep = [...]uint64{stByte: 1, stInt: 1, stLong: 1, stFloat: 1 << 11, stDouble: 1 << 40}

// The valid range of each integer type (dta manual, 5.10).
var (
	intMin = [...]float64{stByte: -127, stInt: -32767, stLong: -2147483647}
	intMax = [...]float64{stByte: 100, stInt: 32740, stLong: 2147483620}
)

// missingCode returns the code of the missing value tag ('.' or 'a'–'z'
// for .a–.z) in storage st.
func missingCode(st storage, tag byte) uint64 {
	k := uint64(0)
	if tag >= 'a' && tag <= 'z' {
		k = uint64(tag-'a') + 1
	}
	return missingBase[st] + k*missingStep[st]
}

// NewBatch allocates a batch for up to capacity observations of the
// writer's variables, to fill and pass to Write: Strings for string
// variables, Floats for the others, Valid false (or a NaN) for a missing
// value, which Tags may say is .a–.z ('a'–'z'; anything else is .).
func (w *Writer) NewBatch(capacity int) *labelled.Batch {
	b := labelled.NewBatch(len(w.vars), func(i int) labelled.Kind { return w.vars[i].v.Kind }, capacity, math.MaxInt64)
	for i := range b.Columns {
		if c := &b.Columns[i]; c.Floats != nil {
			c.Tags = make([]byte, len(c.Floats))
		}
	}
	return b
}

// Write appends the first b.Len rows of b as observations. A value its
// storage type cannot hold (a fraction in an integer type, a string
// longer than its strN) is an error naming the observation and the
// variable; the Writer then refuses further writes.
func (w *Writer) Write(b *labelled.Batch) error {
	if w.err != nil {
		return w.err
	}
	for i := 0; i < b.Len; i++ {
		w.rows++
		for j := range w.vars {
			if err := w.cell(&w.vars[j], &b.Columns[j], i); err != nil {
				w.err = w.Errorf("observation %d, variable %s: %v", w.rows, w.vars[j].v.Name, err)
				return w.err
			}
		}
		w.put(w.row)
	}
	return nil
}

// cell encodes value i of column c into the observation.
func (w *Writer) cell(wv *wvar, c *labelled.Column, i int) error {
	dst := w.row[wv.off : wv.off+wv.width]
	if wv.st == stStr || wv.st == stStrL {
		s := ""
		if c.Valid[i] {
			s = c.Strings[i]
		}
		if wv.st == stStr {
			if len(s) > wv.width {
				return fmt.Errorf("a string of %d bytes does not fit str%d", len(s), wv.width)
			}
			clear(dst[copy(dst, s):])
			return nil
		}
		return w.strL(dst, s, wv)
	}
	x := c.Floats[i]
	if !c.Valid[i] || math.IsNaN(x) {
		tag := byte('.')
		if c.Tags != nil {
			tag = c.Tags[i]
		}
		putNumber(dst, w.order, wv.st, missingCode(wv.st, tag))
		return nil
	}
	if wv.toFile != nil {
		x = wv.toFile(x)
	}
	switch wv.st {
	case stFloat:
		if !(math.Abs(x) <= float64(math.Float32frombits(floatMissing-1))) {
			return fmt.Errorf("%v is beyond the range of float", x)
		}
		putNumber(dst, w.order, wv.st, uint64(math.Float32bits(float32(x))))
	case stDouble:
		if !(math.Abs(x) <= math.Float64frombits(doubleMissing-1)) {
			return fmt.Errorf("%v is beyond the range of double", x)
		}
		putNumber(dst, w.order, wv.st, math.Float64bits(x))
	default:
		if x != math.Trunc(x) || x > intMax[wv.st] || x < intMin[wv.st] {
			return fmt.Errorf("%v does not fit %s", x, [...]string{"byte", "int", "long"}[wv.st])
		}
		putNumber(dst, w.order, wv.st, uint64(int64(x)))
	}
	return nil
}

// strL stores s as a strL of wv (dta manual, 5.11): an empty string as
// (v, o) = (0, 0), any other as a reference (v, o) to a GSO entry, v the
// 1-based variable and o the observation: 2 and 6 bytes in format 118, 3
// and 5 in 119. The entry, "GSO", v (4 bytes), o (8 bytes), type 130
// (text with a trailing NUL), length (4 bytes) and contents, goes to a
// temporary file until Close.
func (w *Writer) strL(dst []byte, s string, wv *wvar) error {
	if s == "" {
		clear(dst)
		return nil
	}
	vLen := 2
	if w.release == 119 {
		vLen = 3
	}
	v, o := uint64(wv.index+1), uint64(w.rows)
	copy(dst, appendUint(appendUint(dst[:0:0], w.order, v, vLen), w.order, o, 8-vLen))
	if w.strls == nil {
		f, err := os.CreateTemp("", "socap-strls-*")
		if err != nil {
			return err
		}
		w.strls, w.gso = f, bufio.NewWriterSize(f, 1<<16)
	}
	e := appendUint([]byte("GSO"), w.order, v, 4)
	e = appendUint(e, w.order, o, 8)
	e = append(e, 130)
	e = appendUint(e, w.order, uint64(len(s)+1), 4)
	w.gso.Write(e)
	w.gso.WriteString(s)
	return w.gso.WriteByte(0)
}

// valueLabels encodes the <value_labels> section (dta manual, 5.12):
// per value label table "<lbl>", its length (4 bytes), name (129 bytes),
// 3 bytes of padding, the table and "</lbl>". A table is the number of
// entries n and the length of the text (4 bytes each), n offsets into
// the text, n values (4 bytes each) and the NUL-terminated labels.
// Stata labels integers only: a value that is not an integer of a long
// (−2147483647 … 2147483620) is refused, as are two variables naming the
// same table with different labels. Labels of missing values are stored
// with the codes of ., .a–.z as long.
func (w *Writer) valueLabels() error {
	written := map[string][]labelled.ValueLabel{}
	var b []byte
	for _, wv := range w.vars {
		v := wv.v
		if len(v.ValueLabels) == 0 {
			continue
		}
		name := labelSet(v)
		if prev, ok := written[name]; ok {
			if !slices.Equal(prev, v.ValueLabels) {
				return w.Errorf("variable %s: value label table %s differs from that of another variable", v.Name, name)
			}
			continue
		}
		written[name] = v.ValueLabels
		var offs, vals, txt []byte
		for _, l := range v.ValueLabels {
			code := uint64(uint32(int32(l.Value)))
			switch {
			case l.Missing != 0:
				code = missingCode(stLong, l.Missing)
			case l.Value != math.Trunc(l.Value) || l.Value < intMin[stLong] || l.Value > intMax[stLong]:
				return w.Errorf("variable %s: value label %q for %v: Stata labels integers from %d to %d only", v.Name, l.Label, l.Value, int64(intMin[stLong]), int64(intMax[stLong]))
			}
			offs = appendUint(offs, w.order, uint64(len(txt)), 4)
			vals = appendUint(vals, w.order, code, 4)
			txt = append(append(txt, labelled.Cut(l.Label, maxValueLabel)...), 0)
		}
		b = append(b, "<lbl>"...)
		b = appendUint(b, w.order, uint64(8+len(offs)+len(vals)+len(txt)), 4)
		b = append(b, labelled.Cut(name, 128)...)
		b = append(b, make([]byte, 129-len(labelled.Cut(name, 128))+3)...)
		b = appendUint(b, w.order, uint64(len(v.ValueLabels)), 4)
		b = appendUint(b, w.order, uint64(len(txt)), 4)
		b = append(append(append(b, offs...), vals...), txt...)
		b = append(b, "</lbl>"...)
	}
	w.labels = b
	return nil
}

// maxValueLabel is the longest value label Stata keeps, in bytes (dta
// manual, 5.12: up to 32,000 characters).
const maxValueLabel = 32000

// Close writes the strLs, the value labels and the end of the file, then
// N and the map through the io.WriteSeeker; it closes the file when
// Create opened it.
func (w *Writer) Close() error {
	err := w.finish()
	if w.strls != nil {
		w.strls.Close()
		os.Remove(w.strls.Name())
	}
	return w.CloseFile(err)
}

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	w.putString("</data>")
	w.section(10, "<strls>")
	if w.strls != nil {
		if err := w.gso.Flush(); err != nil {
			return w.Errorf("%w", err)
		}
		if _, err := w.strls.Seek(0, io.SeekStart); err != nil {
			return w.Errorf("%w", err)
		}
		n, err := io.Copy(w.out, w.strls)
		w.off += n
		if err != nil {
			return w.Errorf("%w", err)
		}
	}
	w.putString("</strls>")
	w.section(11, "<value_labels>")
	w.put(w.labels)
	w.putString("</value_labels>")
	w.section(12, "</stata_dta>")
	w.offsets[13] = uint64(w.off)
	var m []byte
	for _, o := range w.offsets {
		m = appendUint(m, w.order, o, 8)
	}
	err := errors.Join(w.out.Flush(),
		w.Patch(w.nAt, appendUint(nil, w.order, uint64(w.rows), 8)),
		w.Patch(w.mapAt, m))
	if err != nil {
		return w.Errorf("%w", err)
	}
	return nil
}

// cutRunes shortens s to at most n characters.
func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
