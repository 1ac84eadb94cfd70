package spss

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"socap/pipeline/ingest/labelled"
)

// WriterOptions control the file-level parts of what a Writer writes.
type WriterOptions struct {
	// Label is the file label; SPSS keeps 64 bytes of it, so a longer
	// label is cut at a character boundary.
	Label string
	// Weight names the numeric variable SPSS weights cases by, or is empty.
	Weight string
	// Compression is "bytecode" (also the default, ""), as SPSS writes
	// .sav files; "none"; or "zlib", a .zsav file, which needs an
	// io.WriteSeeker.
	Compression string
	// ByteOrder of the numbers: binary.BigEndian, or little-endian (as
	// SPSS writes on x86 machines) for anything else. Readers take either.
	ByteOrder binary.ByteOrder
	// Created is the creation time written in the header; the zero time
	// means now.
	Created time.Time
}

// Writer streams cases into an SPSS system file in the layout the reader
// documents (PSPP developers' guide, "System File Format"): the header,
// one variable record per 8-byte unit of a case, value labels, the
// extension records SPSS writes (machine integer and floating-point info,
// display parameters, long variable names, very long strings, the
// extended case count, the character encoding — always UTF-8 — and long
// string value labels), then the cases. Memory is bounded by the
// dictionary, one output buffer and, for zlib, one block.
//
// Variables are described with the reader's Variable: Name, Label, Kind,
// Width (strings, 1 to 32767 bytes), Format (parsed as SPSS spells it,
// e.g. F8.2; empty means F8.2, DATE11, DATETIME20 or TIME8 by Kind),
// Measure, ValueLabels and Missing; ShortName is generated. Values are
// given as the reader delivers them (dates as days, timestamps as seconds
// since 1970-01-01).
type Writer struct {
	labelled.Output
	order   labelled.ByteOrder
	comp    int32 // 0 none, 1 bytecode, 2 zlib
	vars    []wvar
	slots   int
	rows    int64
	casesAt int64 // offset of the int64 case count of the extended case count record

	buf   []byte      // encoded data not yet written
	cmdAt int         // offset in buf of the current bytecode command block
	ncmd  int         // commands in it; 8 when full
	data  io.Writer   // where the data goes: the file, or zlib for zlib compression
	zlib  *zlibWriter // nil unless zlib compression
	err   error       // the first error, returned from then on
}

// wvar is a variable prepared for writing.
type wvar struct {
	v      *Variable
	segs   []int // widths of the segments of a string (one unless very long); nil for numbers
	shorts []string
	toFile func(float64) float64 // from delivered units to file units
}

// Create creates the file at path and returns a Writer to it; Close
// closes the file.
func Create(path string, vars []Variable, opts WriterOptions) (*Writer, error) {
	return labelled.Create(path, func(f *os.File) (*Writer, error) { return NewWriter(f, path, vars, opts) })
}

// NewWriter writes the dictionary of vars to out and returns a Writer for
// the cases; name is used in error messages. When out is an
// io.WriteSeeker, Close writes the number of cases into the header;
// otherwise the header says -1 (unknown), which the format allows.
func NewWriter(out io.Writer, name string, vars []Variable, opts WriterOptions) (*Writer, error) {
	w := &Writer{Output: labelled.NewOutput(out, name), order: labelled.OrderOf(opts.ByteOrder)}
	switch opts.Compression {
	case "", "bytecode":
		w.comp = 1
	case "none":
	case "zlib":
		w.comp = 2
		if w.Seeker() == nil {
			return nil, w.Errorf("zlib compression needs an io.WriteSeeker to write the offsets of its blocks")
		}
	default:
		return nil, w.Errorf("compression %q: want bytecode, none or zlib", opts.Compression)
	}
	if err := w.prepare(vars); err != nil {
		return nil, err
	}
	dict, err := w.dictionary(opts)
	if err != nil {
		return nil, err
	}
	if _, err := out.Write(dict); err != nil {
		return nil, w.Errorf("%w", err)
	}
	w.data = out
	if w.comp == 2 {
		w.zlib = newZlibWriter(out, int64(len(dict)), w.order)
		if err := w.zlib.header(); err != nil {
			return nil, w.Errorf("%w", err)
		}
		w.data = w.zlib
	}
	w.ncmd = 8
	return w, nil
}

// reservedNames may not be variable names (IBM SPSS Statistics Command
// Syntax Reference, "Variable Names").
var reservedNames = map[string]bool{"ALL": true, "AND": true, "BY": true, "EQ": true, "GE": true, "GT": true,
	"LE": true, "LT": true, "NE": true, "NOT": true, "OR": true, "TO": true, "WITH": true}

// checkName applies SPSS's rules for variable names (IBM SPSS Statistics
// Command Syntax Reference, "Variable Names"): 1 to 64 bytes; a letter or
// @ first (# makes a scratch and $ a system variable); then letters,
// digits, ., _, $, # and @; no period at the end; not a reserved keyword.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > 64:
		return fmt.Errorf("name of %d bytes: SPSS allows 64", len(name))
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case reservedNames[strings.ToUpper(name)]:
		return errors.New("name is a reserved keyword of SPSS syntax")
	case strings.HasSuffix(name, "."):
		return errors.New("name ends with a period")
	}
	for i, r := range name {
		letter := unicode.IsLetter(r) || r == '@'
		if i == 0 && !letter {
			return fmt.Errorf("name starts with %q: SPSS wants a letter or @", r)
		}
		if !letter && !unicode.IsDigit(r) && !strings.ContainsRune("._$#", r) {
			return fmt.Errorf("name contains %q: SPSS allows letters, digits and . _ $ # @", r)
		}
	}
	return nil
}

// maxStringWidth is the widest string SPSS stores, in bytes (PSPP
// developers' guide, "Values": MAX_STRING, 32767).
const maxStringWidth = 32767

// prepare checks vars and lays them out in segments and 8-byte units.
func (w *Writer) prepare(vars []Variable) error {
	seen := make(map[string]bool, len(vars))
	shorts := shortNames{taken: map[string]bool{}}
	for i := range vars {
		v := &vars[i]
		bad := func(format string, args ...any) error {
			return w.Errorf("variable %s: "+format, append([]any{v.Name}, args...)...)
		}
		if err := checkName(v.Name); err != nil {
			return bad("%v", err)
		}
		if up := strings.ToUpper(v.Name); seen[up] {
			return bad("duplicate name (SPSS names ignore case)")
		} else {
			seen[up] = true
		}
		wv := wvar{v: v}
		if v.Kind == labelled.String {
			if v.Width < 1 || v.Width > maxStringWidth {
				return bad("string width %d: want 1 to %d", v.Width, maxStringWidth)
			}
			if v.Format != "" && !strings.HasPrefix(v.Format, "A") {
				return bad("format %s for a string", v.Format)
			}
			if len(v.Missing.Values) > 0 || len(v.Missing.Ranges) > 0 {
				return bad("numeric missing values for a string")
			}
			if len(v.Missing.Strings) > 3 || (len(v.Missing.Strings) > 0 && v.Width > 8) {
				return bad("%d missing strings: the writer declares up to three for strings up to 8 bytes wide", len(v.Missing.Strings))
			}
			wv.segs = segments(v.Width)
		} else {
			if _, err := parseFormat(v.Format, v.Kind); err != nil {
				return bad("%v", err)
			}
			if err := checkMissing(v.Missing); err != nil {
				return bad("%v", err)
			}
			wv.toFile = fileUnits(v.Kind)
		}
		for k := range max(1, len(wv.segs)) {
			wv.shorts = append(wv.shorts, shorts.next(v.Name, k))
			if wv.segs == nil {
				w.slots++
			} else {
				w.slots += (wv.segs[k] + 7) / 8
			}
		}
		if err := checkLabels(v); err != nil {
			return bad("%v", err)
		}
		w.vars = append(w.vars, wv)
	}
	return nil
}

// segments splits a string of width bytes as SPSS stores it (PSPP
// developers' guide, "Very Long String Record"): up to 255 bytes, one
// segment; wider, n = (width+251)/252 segments, each but the last 255
// bytes wide and the last width − 252(n−1).
func segments(width int) []int {
	if width <= 255 {
		return []int{width}
	}
	n := (width + 251) / 252
	segs := make([]int, n)
	for k := range segs {
		segs[k] = 255
	}
	segs[n-1] = width - 252*(n-1)
	return segs
}

// checkMissing checks numeric user-missing values against what a
// variable record holds (PSPP developers' guide, "Variable Record",
// n_missing_values): up to three discrete values, or one range and at
// most one discrete value.
func checkMissing(m Missing) error {
	switch {
	case len(m.Strings) > 0:
		return errors.New("missing strings for a number")
	case len(m.Ranges) > 1:
		return fmt.Errorf("%d missing ranges: SPSS declares one", len(m.Ranges))
	case len(m.Ranges) == 1 && len(m.Values) > 1:
		return fmt.Errorf("a missing range and %d values: SPSS declares one value beside a range", len(m.Values))
	case len(m.Values) > 3:
		return fmt.Errorf("%d discrete missing values: SPSS declares up to three", len(m.Values))
	}
	for _, x := range m.Values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("missing value %v", x)
		}
	}
	if len(m.Ranges) == 1 && !(m.Ranges[0].Lo <= m.Ranges[0].Hi) {
		return fmt.Errorf("missing range %v to %v", m.Ranges[0].Lo, m.Ranges[0].Hi)
	}
	return nil
}

// checkLabels checks value labels: of strings for string variables and
// of numbers otherwise, none for a missing tag (a Stata notion).
func checkLabels(v *Variable) error {
	for _, l := range v.ValueLabels {
		switch {
		case l.Missing != 0:
			return fmt.Errorf("value label %q for the tagged missing value .%c: SPSS has no tagged missing values", l.Label, l.Missing)
		case v.Kind == labelled.String && len(l.String) > v.Width:
			return fmt.Errorf("value label %q for %q, wider than the variable's %d bytes", l.Label, l.String, v.Width)
		case v.Kind != labelled.String && l.String != "":
			return fmt.Errorf("value label %q for the string %q of a numeric variable", l.Label, l.String)
		}
	}
	return nil
}

// fileUnits converts a value of kind k as the reader delivers it back
// into the units of the file: seconds since the SPSS epoch for dates and
// timestamps (PSPP manual, "Time and Date Formats").
func fileUnits(k labelled.Kind) func(float64) float64 {
	switch k {
	case labelled.Date:
		return func(x float64) float64 { return x*86400 + spssEpochOffset }
	case labelled.DateTime:
		return func(x float64) float64 { return x + spssEpochOffset }
	}
	return nil
}

// shortNames hands out the 8-byte names of the variable records (PSPP
// developers' guide, "Variable Record", name): the upper-cased long name
// when it is plain ASCII, fits and is free, else V1, V2, …; the long
// variable names record maps them back.
type shortNames struct {
	taken map[string]bool
	n     int
}

// next returns the short name of segment k of the variable name.
func (s *shortNames) next(name string, k int) string {
	up := strings.ToUpper(name)
	if k == 0 && len(up) <= 8 && isASCIIName(up) && !s.taken[up] {
		s.taken[up] = true
		return up
	}
	for {
		s.n++
		if c := "V" + strconv.Itoa(s.n); !s.taken[c] {
			s.taken[c] = true
			return c
		}
	}
}

func isASCIIName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c == '@' || i > 0 && (c >= '0' && c <= '9' || strings.IndexByte("._$#", c) >= 0)) {
			return false
		}
	}
	return true
}

// NewBatch allocates a batch for up to capacity cases of the writer's
// variables, to fill and pass to Write: Strings for string variables,
// Floats for the others, Valid false (or a NaN) for system-missing.
func (w *Writer) NewBatch(capacity int) *labelled.Batch {
	return labelled.NewBatch(len(w.vars), func(i int) labelled.Kind { return w.vars[i].v.Kind }, capacity, math.MaxInt64)
}

// Write appends the first b.Len rows of b as cases. A string longer than
// its variable's width is an error naming the case and the variable; the
// Writer then refuses further writes.
func (w *Writer) Write(b *labelled.Batch) error {
	if w.err != nil {
		return w.err
	}
	for i := 0; i < b.Len; i++ {
		for j := range w.vars {
			wv := &w.vars[j]
			c := &b.Columns[j]
			if wv.segs != nil {
				s := ""
				if c.Valid[i] {
					s = c.Strings[i]
				}
				if len(s) > wv.v.Width {
					w.err = w.Errorf("case %d, variable %s: a value of %d bytes does not fit the width of %d", w.rows+1, wv.v.Name, len(s), wv.v.Width)
					return w.err
				}
				w.putString(s, wv.segs)
				continue
			}
			x := c.Floats[i]
			if !c.Valid[i] || math.IsNaN(x) {
				w.putSysmis()
				continue
			}
			if wv.toFile != nil {
				x = wv.toFile(x)
			}
			w.putNumber(x)
		}
		w.rows++
		if len(w.buf) >= 1<<16 {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// The bytecode of compressed data (PSPP developers' guide, "Data
// Record"): blocks of 8 command bytes, each block followed by the 8-byte
// literals its commands call for. 0 is padding, 1–251 the number
// code − bias, 253 a literal, 254 eight spaces, 255 system-missing.
const (
	bias        = 100
	codeLiteral = 253
	codeSpaces  = 254
	codeSysmis  = 255
)

// command appends a bytecode command, starting a new block when the
// current one is full.
func (w *Writer) command(c byte) {
	if w.ncmd == 8 {
		w.cmdAt = len(w.buf)
		w.buf = append(w.buf, 0, 0, 0, 0, 0, 0, 0, 0)
		w.ncmd = 0
	}
	w.buf[w.cmdAt+w.ncmd] = c
	w.ncmd++
}

func (w *Writer) putSysmis() {
	if w.comp == 0 {
		w.buf = w.order.AppendUint64(w.buf, sysmisBits)
		return
	}
	w.command(codeSysmis)
}

func (w *Writer) putNumber(x float64) {
	if w.comp == 0 {
		w.buf = w.order.AppendUint64(w.buf, math.Float64bits(x))
		return
	}
	if x >= 1-bias && x <= 251-bias && x == math.Trunc(x) && !(x == 0 && math.Signbit(x)) {
		w.command(byte(x + bias))
		return
	}
	w.command(codeLiteral)
	w.buf = w.order.AppendUint64(w.buf, math.Float64bits(x))
}

// putString writes s into the segments of a string variable: 255 bytes
// of it per segment, each segment padded with spaces to a multiple of 8
// bytes (PSPP developers' guide, "Very Long String Record").
func (w *Writer) putString(s string, segs []int) {
	for _, width := range segs {
		part := s[:min(len(s), 255)]
		s = s[len(part):]
		for u := 0; u < (width+7)/8; u++ {
			unit := part[min(len(part), 8*u):min(len(part), 8*u+8)]
			if w.comp != 0 && unit == "" {
				w.command(codeSpaces)
				continue
			}
			if w.comp != 0 {
				w.command(codeLiteral)
			}
			w.buf = append(w.buf, unit...)
			w.buf = append(w.buf, "        "[len(unit):]...)
		}
	}
}

// flush writes the encoded data up to the current command block, which
// may still gain commands.
func (w *Writer) flush() error {
	end := len(w.buf)
	if w.ncmd < 8 {
		end = w.cmdAt
	}
	if _, err := w.data.Write(w.buf[:end]); err != nil {
		w.err = w.Errorf("%w", err)
		return w.err
	}
	w.buf = w.buf[:copy(w.buf, w.buf[end:])]
	w.cmdAt = 0
	return nil
}

// Close writes what is buffered (the last command block padded with
// zeros), the zlib trailer and, through an io.WriteSeeker, the number of
// cases; it closes the file when Create opened it. It does not close a
// writer passed to NewWriter.
func (w *Writer) Close() error { return w.CloseFile(w.finish()) }

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	w.ncmd = 8
	if err := w.flush(); err != nil {
		return err
	}
	if w.zlib != nil {
		if err := w.zlib.close(w.Seeker()); err != nil {
			return w.Errorf("%w", err)
		}
	}
	if w.Seeker() == nil {
		return nil
	}
	n := int32(-1)
	if w.rows <= math.MaxInt32 {
		n = int32(w.rows)
	}
	err := errors.Join(
		w.Patch(headerCasesAt, w.order.AppendUint32(nil, uint32(n))),
		w.Patch(w.casesAt, w.order.AppendUint64(nil, uint64(w.rows))))
	if err != nil {
		return w.Errorf("%w", err)
	}
	return nil
}
