package spss

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"socap/pipeline/ingest/labelled"
)

// headerCasesAt is the offset of ncases in the file header record.
const headerCasesAt = 80

// encoder appends the fields of records in a byte order.
type encoder struct {
	b     []byte
	order labelled.ByteOrder
}

func (e *encoder) i32(xs ...int32) {
	for _, x := range xs {
		e.b = e.order.AppendUint32(e.b, uint32(x))
	}
}

func (e *encoder) i64(x int64)   { e.b = e.order.AppendUint64(e.b, uint64(x)) }
func (e *encoder) f64(x float64) { e.b = e.order.AppendUint64(e.b, math.Float64bits(x)) }

// padded appends s and spaces up to n bytes (s fits).
func (e *encoder) padded(s string, n int) {
	e.b = append(e.b, s...)
	e.b = append(e.b, strings.Repeat(" ", n-len(s))...)
}

// extension starts an extension record (type 7) of count elements of
// size bytes (PSPP developers' guide, "System File Format").
func (e *encoder) extension(subtype, size, count int32) { e.i32(7, subtype, size, count) }

// text appends an extension record of subtype holding s as bytes.
func (e *encoder) text(subtype int32, s string) {
	e.extension(subtype, 1, int32(len(s)))
	e.b = append(e.b, s...)
}

// dictionary encodes everything before the data: the file header record,
// the variable records, value labels and the extension records, ending
// with the dictionary termination record (PSPP developers' guide, "System
// File Format" and its sections named below).
func (w *Writer) dictionary(opts WriterOptions) ([]byte, error) {
	e := &encoder{order: w.order}
	weight := int32(0)
	slot := int32(1) // 1-based index of the next variable record
	first := make([]int32, len(w.vars))
	for i, wv := range w.vars {
		first[i] = slot
		for _, width := range wv.segs {
			slot += int32((width + 7) / 8)
		}
		if wv.segs == nil {
			slot++
		}
		if opts.Weight != "" && wv.v.Name == opts.Weight {
			if wv.segs != nil {
				return nil, w.Errorf("weight variable %s is a string", opts.Weight)
			}
			weight = first[i]
		}
	}
	if opts.Weight != "" && weight == 0 {
		return nil, w.Errorf("weight variable %s is not among the variables", opts.Weight)
	}

	// File Header Record: the signature ($FL3 for zlib), product, layout
	// code 2, nominal case size in 8-byte units, compression, weight
	// index, ncases (patched by Close), bias, creation date and time,
	// file label and 3 bytes of padding.
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	magic := "$FL2"
	if w.comp == 2 {
		magic = "$FL3"
	}
	e.b = append(e.b, magic...)
	e.padded("@(#) SPSS DATA FILE socap", 60)
	e.i32(2, int32(w.slots), w.comp, weight, -1)
	e.f64(bias)
	e.b = append(e.b, created.Format("02 Jan 0615:04:05")...)
	e.padded(labelled.Cut(opts.Label, 64), 64)
	e.b = append(e.b, 0, 0, 0)

	for _, wv := range w.vars {
		w.variableRecords(e, wv)
	}
	for i, wv := range w.vars {
		if len(wv.v.ValueLabels) > 0 && (wv.segs == nil || wv.v.Width <= 8) {
			valueLabels(e, wv, first[i])
		}
	}
	w.extensions(e)
	e.i32(999, 0)
	return e.b, nil
}

// variableRecords encodes the Variable Record of each segment of wv, and
// a continuation record (type −1) for every further 8 bytes of a string
// segment. The first segment carries the label and missing values.
func (w *Writer) variableRecords(e *encoder, wv wvar) {
	v := wv.v
	if wv.segs == nil {
		format, _ := parseFormat(v.Format, v.Kind)
		n := int32(len(v.Missing.Values))
		if len(v.Missing.Ranges) > 0 {
			n = -2 - n
		}
		e.i32(2, 0, int32(min(len(v.Label), 1)), n, format, format)
		e.padded(wv.shorts[0], 8)
		label(e, v.Label)
		for _, r := range v.Missing.Ranges {
			e.f64(rangeBound(r.Lo, lowestBits))
			e.f64(rangeBound(r.Hi, highestBits))
		}
		for _, x := range v.Missing.Values {
			e.f64(x)
		}
		return
	}
	for k, width := range wv.segs {
		format := int32(1<<16 | width<<8)
		hasLabel, n := int32(0), int32(0)
		if k == 0 {
			hasLabel, n = int32(min(len(v.Label), 1)), int32(len(v.Missing.Strings))
		}
		e.i32(2, int32(width), hasLabel, n, format, format)
		e.padded(wv.shorts[k], 8)
		if k == 0 {
			label(e, v.Label)
			for _, s := range v.Missing.Strings {
				e.padded(s, 8)
			}
		}
		for range (width+7)/8 - 1 {
			e.i32(2, -1, 0, 0, 0, 0)
			e.padded("", 8)
		}
	}
}

// rangeBound encodes a bound of a missing range: an infinite one as LO
// or HI, the flt64 values bits stands for (PSPP developers' guide,
// "System File Record Types").
func rangeBound(x float64, bits uint64) float64 {
	if math.IsInf(x, 0) {
		return math.Float64frombits(bits)
	}
	return x
}

// maxLabel is the longest label the writer stores, in bytes: the length
// byte of a value label caps it at 255 (PSPP developers' guide, "Value
// Labels Records"), and SPSS documents no longer variable labels.
const maxLabel = 255

// label encodes a variable label, when there is one: its length and the
// text padded with spaces to a multiple of 4 bytes.
func label(e *encoder, s string) {
	if s == "" {
		return
	}
	s = labelled.Cut(s, maxLabel)
	e.i32(int32(len(s)))
	e.padded(s, (len(s)+3)/4*4)
}

// valueLabels encodes the Value Labels Records of a numeric variable or
// a string up to 8 bytes wide: record 3 with each value (8 bytes), the
// label's length byte and the label, padded so that length and label fill
// a multiple of 8 bytes; then record 4 naming the variable by the index
// of its first variable record.
func valueLabels(e *encoder, wv wvar, index int32) {
	e.i32(3, int32(len(wv.v.ValueLabels)))
	for _, l := range wv.v.ValueLabels {
		if wv.segs == nil {
			e.f64(l.Value)
		} else {
			e.padded(l.String, 8)
		}
		s := labelled.Cut(l.Label, maxLabel)
		e.b = append(e.b, byte(len(s)))
		e.padded(s, (len(s)+8)/8*8-1)
	}
	e.i32(4, 1, index)
}

// extensions encodes the extension records SPSS writes after the
// variables.
func (w *Writer) extensions(e *encoder) {
	// Machine Integer Info Record: version 1.0.0, machine code −1,
	// IEEE 754 floats (1), compression code 1, endianness (1 big, 2
	// little) and the character code, 65001 for UTF-8.
	endian := int32(2)
	if w.order == binary.BigEndian {
		endian = 1
	}
	e.extension(3, 4, 8)
	e.i32(1, 0, 0, -1, 1, 1, endian, 65001)

	// Machine Floating-Point Info Record: SYSMIS, HIGHEST and LOWEST.
	e.extension(4, 8, 3)
	for _, bits := range []uint64{sysmisBits, highestBits, lowestBits} {
		e.f64(math.Float64frombits(bits))
	}

	// Variable Display Parameter Record: per segment the measurement level
	// (1 nominal, 2 ordinal, 3 scale), the display width and the
	// alignment (0 left, 1 right).
	var display []int32
	for _, wv := range w.vars {
		measure := int32(wv.v.Measure)
		if measure == 0 {
			measure = int32(MeasureScale)
			if wv.segs != nil || len(wv.v.ValueLabels) > 0 {
				measure = int32(MeasureNominal)
			}
		}
		if wv.segs == nil {
			format, _ := parseFormat(wv.v.Format, wv.v.Kind)
			display = append(display, measure, int32(byte(format>>8)), 1)
		}
		for _, width := range wv.segs {
			display = append(display, measure, int32(width), 0)
		}
	}
	e.extension(11, 4, int32(len(display)))
	e.i32(display...)

	// Long Variable Names Record: SHORT=Long pairs separated by tabs.
	var names, vls []string
	for _, wv := range w.vars {
		names = append(names, wv.shorts[0]+"="+wv.v.Name)
		if len(wv.segs) > 1 {
			// Very Long String Record: SHORT=width (five digits), each
			// entry ended by a NUL and a tab.
			vls = append(vls, wv.shorts[0]+"="+leftZeros(wv.v.Width, 5)+"\x00\t")
		}
	}
	e.text(13, strings.Join(names, "\t"))
	if len(vls) > 0 {
		e.text(14, strings.Join(vls, ""))
	}

	// Extended Number of Cases Record: 1, then the case count as int64
	// (−1 when unknown; Close patches it).
	e.extension(16, 8, 2)
	e.i64(1)
	w.casesAt = int64(len(e.b))
	e.i64(-1)

	// Character Encoding Record.
	e.text(20, "UTF-8")

	// Long String Value Labels Record, for strings wider than 8 bytes:
	// per variable its name, width and label count, then per label the
	// value (padded with spaces to the width) and the label, each after
	// its length.
	var long encoder
	long.order = w.order
	for _, wv := range w.vars {
		v := wv.v
		if wv.segs == nil || v.Width <= 8 || len(v.ValueLabels) == 0 {
			continue
		}
		long.i32(int32(len(v.Name)))
		long.b = append(long.b, v.Name...)
		long.i32(int32(v.Width), int32(len(v.ValueLabels)))
		for _, l := range v.ValueLabels {
			long.i32(int32(v.Width))
			long.padded(l.String, v.Width)
			s := labelled.Cut(l.Label, maxLabel)
			long.i32(int32(len(s)))
			long.b = append(long.b, s...)
		}
	}
	if len(long.b) > 0 {
		e.text(21, string(long.b))
	}
}

// leftZeros formats n with leading zeros to at least digits digits.
func leftZeros(n, digits int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", max(0, digits-len(s))) + s
}

// parseFormat reads a print format as SPSS spells it (F8.2, COMMA10.1,
// DATE11) into the format word of a variable record, type<<16 |
// width<<8 | decimals (PSPP developers' guide, "Variable Record"). The
// empty format is F8.2, DATE11, DATETIME20 or TIME8 as kind says. The
// format must make values of kind (see kindOfFormat), have a width of 1
// to 40 and at most 16 decimals (PSPP manual, "Basic Numeric Formats").
func parseFormat(format string, kind labelled.Kind) (int32, error) {
	if format == "" {
		format = map[labelled.Kind]string{labelled.Date: "DATE11", labelled.DateTime: "DATETIME20", labelled.Time: "TIME8"}[kind]
		if format == "" {
			format = "F8.2"
		}
	}
	name := strings.TrimRight(strings.ToUpper(format), "0123456789.")
	size, decimals, _ := strings.Cut(format[len(name):], ".")
	width, err := strconv.Atoi(size)
	dec := 0
	if err == nil && decimals != "" {
		dec, err = strconv.Atoi(decimals)
	}
	typ, ok := formatCodes[name]
	switch {
	case !ok || err != nil || typ <= 2:
		return 0, fmt.Errorf("format %q: want a numeric SPSS format such as F8.2", format)
	case kindOfFormat(typ) != kind:
		return 0, fmt.Errorf("format %s makes %s values, the variable is %s", format, kindOfFormat(typ), kind)
	case width < 1 || width > 40 || dec > 16:
		return 0, fmt.Errorf("format %s: want a width of 1 to 40 and up to 16 decimals", format)
	}
	return int32(typ)<<16 | int32(width)<<8 | int32(dec), nil
}

// formatCodes maps format names to their type codes, the inverse of
// formatTypes.
var formatCodes = func() map[string]byte {
	m := make(map[string]byte, len(formatTypes))
	for code, name := range formatTypes {
		m[name] = code
	}
	return m
}()
