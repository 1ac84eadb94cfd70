package stata

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"socap/pipeline/ingest/labelled"
)

// WriterOptions control the file-level parts of what a Writer writes.
type WriterOptions struct {
	// Label is the dataset label; Stata keeps 80 characters of it, as of
	// variable labels, and the writer cuts longer ones.
	Label string
	// Notes are the dataset's notes (Stata's notes command), stored as
	// the characteristics _dta[note1], _dta[note2], … and _dta[note0],
	// their count.
	Notes []string
	// Created is the time stamp of the header; the zero time means now.
	Created time.Time
	// ByteOrder is binary.BigEndian (MSF), or little-endian (LSF, as
	// Stata writes on x86 machines) for anything else.
	ByteOrder binary.ByteOrder
	// Release is the format: 118 (also the default, 0), or 119, which
	// Stata writes for more than 32,767 variables and NewWriter chooses
	// then.
	Release int
}

// Writer streams observations into a Stata .dta file of format 118 (or
// 119), UTF-8, laid out as Stata's dta manual describes it ("Description
// of the .dta file format", sections 5.1–5.12): the header, the map of
// section offsets, the descriptors, variable labels, characteristics,
// the data, the strLs and the value label tables. The output must be an
// io.WriteSeeker: Close writes the number of observations and the map.
// Memory is bounded by the metadata and one observation; strLs wait in a
// temporary file until Close copies them after the data.
//
// Variables are described with the reader's Variable: Name, Label, Kind,
// Storage (byte, int, long, float, double, strN or strL; empty means
// double for numbers and, for strings, strN with N = Width up to 2045 and
// strL beyond), Format (empty: Stata's default for the storage type, %td
// for dates, %tc for timestamps, %tcHH:MM:SS for times), LabelSet (empty
// means the variable's name) and ValueLabels. Values are given as the
// reader delivers them; a missing number is system missing ., or .a–.z
// when its Tags entry says so.
type Writer struct {
	labelled.Output
	out     *bufio.Writer
	order   labelled.ByteOrder
	release int
	vars    []wvar
	row     []byte
	rows    int64
	off     int64         // bytes written so far
	nAt     int64         // offset of N in the header
	mapAt   int64         // offset of the map
	offsets [14]uint64    // the map: offsets of the sections
	labels  []byte        // the <value_labels> section
	strls   *os.File      // temporary file of the GSO entries, or nil
	gso     *bufio.Writer // buffers strls
	err     error         // the first error, returned from then on
}

// wvar is a variable prepared for writing.
type wvar struct {
	v      *Variable
	index  int // position among the variables
	st     storage
	width  int // bytes in an observation
	off    int // offset in an observation
	toFile func(float64) float64
}

// Create creates the file at path and returns a Writer to it; Close
// closes the file.
func Create(path string, vars []Variable, opts WriterOptions) (*Writer, error) {
	return labelled.Create(path, func(f *os.File) (*Writer, error) { return NewWriter(f, path, vars, opts) })
}

// NewWriter writes the header and descriptors of vars to out and returns
// a Writer for the observations; name is used in error messages.
func NewWriter(out io.WriteSeeker, name string, vars []Variable, opts WriterOptions) (*Writer, error) {
	w := &Writer{Output: labelled.NewOutput(out, name), out: bufio.NewWriterSize(out, 1<<16), order: labelled.OrderOf(opts.ByteOrder), release: 118}
	switch {
	case opts.Release == 119 || len(vars) > 32767:
		w.release = 119
	case opts.Release != 0 && opts.Release != 118:
		return nil, w.Errorf("release %d: the writer writes 118 or 119", opts.Release)
	}
	if err := w.prepare(vars); err != nil {
		return nil, err
	}
	if err := w.valueLabels(); err != nil {
		return nil, err
	}
	w.header(opts)
	if err := w.out.Flush(); err != nil {
		return nil, w.Errorf("%w", err)
	}
	return w, nil
}

// reservedNames may not name variables (Stata User's Guide, [U] 11.3
// "Naming conventions"), nor may str1 … str2045.
var reservedNames = map[string]bool{"_all": true, "_b": true, "byte": true, "_coef": true, "_cons": true,
	"double": true, "float": true, "if": true, "in": true, "int": true, "long": true, "_n": true, "_N": true,
	"_pi": true, "_pred": true, "_rc": true, "_skip": true, "strL": true, "using": true, "with": true}

// checkName applies Stata's rules for names of variables and value
// labels ([U] 11.3): 1 to 32 characters, letters (Unicode letters since
// Stata 14), digits and _, not starting with a digit, not reserved.
func checkName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return errors.New("empty name")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case n > 32:
		return fmt.Errorf("name of %d characters: Stata allows 32", n)
	case reservedNames[name]:
		return errors.New("name is reserved in Stata")
	}
	if w, err := strconv.Atoi(strings.TrimPrefix(name, "str")); err == nil && strings.HasPrefix(name, "str") && w >= 1 && w <= 2045 {
		return errors.New("name is reserved in Stata")
	}
	for i, r := range name {
		if i == 0 && unicode.IsDigit(r) {
			return fmt.Errorf("name starts with %q: Stata wants a letter or _", r)
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return fmt.Errorf("name contains %q: Stata allows letters, digits and _", r)
		}
	}
	return nil
}

// maxStrN is the widest strN; wider strings are strLs (dta manual,
// 5.4 "Variable types").
const maxStrN = 2045

// prepare checks vars and lays out an observation.
func (w *Writer) prepare(vars []Variable) error {
	seen := make(map[string]bool, len(vars))
	offset := 0
	for i := range vars {
		v := &vars[i]
		bad := func(format string, args ...any) error {
			return w.Errorf("variable %s: "+format, append([]any{v.Name}, args...)...)
		}
		if err := checkName(v.Name); err != nil {
			return bad("%v", err)
		}
		if seen[v.Name] {
			return bad("duplicate name")
		}
		seen[v.Name] = true
		wv := wvar{v: v, index: i, off: offset}
		st, width, err := storageOf(v)
		if err != nil {
			return bad("%v", err)
		}
		wv.st, wv.width = st, width
		if v.Kind == labelled.String {
			if len(v.ValueLabels) > 0 {
				return bad("value labels for a string: Stata labels numbers only")
			}
		} else {
			if f := formatOf(v, st); kindOfFormat(f) != v.Kind {
				return bad("format %s makes %s values, the variable is %s", f, kindOfFormat(f), v.Kind)
			}
			wv.toFile = fileUnits(v.Kind)
		}
		if len(v.ValueLabels) > 0 {
			if err := checkName(labelSet(v)); err != nil {
				return bad("value label name %s: %v", labelSet(v), err)
			}
		}
		offset += width
		w.vars = append(w.vars, wv)
	}
	w.row = make([]byte, offset)
	return nil
}

// storageOf returns the storage type of v and its width in bytes.
func storageOf(v *Variable) (storage, int, error) {
	s := v.Storage
	if v.Kind == labelled.String {
		switch {
		case s == "" && v.Width >= 1 && v.Width <= maxStrN:
			return stStr, v.Width, nil
		case s == "" || s == "strL":
			return stStrL, 8, nil
		}
		n, err := strconv.Atoi(strings.TrimPrefix(s, "str"))
		if !strings.HasPrefix(s, "str") || err != nil || n < 1 || n > maxStrN {
			return 0, 0, fmt.Errorf("storage %q for a string: want str1 … str2045 or strL", s)
		}
		return stStr, n, nil
	}
	i := slices.Index([]string{"byte", "int", "long", "float", "double"}, s)
	switch {
	case s == "":
		return stDouble, 8, nil
	case i < 0:
		return 0, 0, fmt.Errorf("storage %q for a number: want byte, int, long, float or double", s)
	}
	return storage(i), storageSize[i], nil
}

// formatOf returns v's display format, or Stata's default for its
// storage type and kind.
func formatOf(v *Variable, st storage) string {
	switch {
	case v.Format != "":
		return v.Format
	case v.Kind == labelled.Date:
		return "%td"
	case v.Kind == labelled.DateTime:
		return "%tc"
	case v.Kind == labelled.Time:
		return "%tcHH:MM:SS"
	case st == stStr:
		return "%" + strconv.Itoa(v.Width) + "s"
	}
	return [...]string{stByte: "%8.0g", stInt: "%8.0g", stLong: "%12.0g", stFloat: "%9.0g", stDouble: "%10.0g", stStrL: "%9s"}[st]
}

// labelSet names the value label table of v.
func labelSet(v *Variable) string {
	if v.LabelSet != "" {
		return v.LabelSet
	}
	return v.Name
}

// fileUnits converts a value of kind k as the reader delivers it back
// into the units of the file: days since 1960-01-01 for %td, milliseconds
// since 1960-01-01 for %tc and milliseconds for times of day.
func fileUnits(k labelled.Kind) func(float64) float64 {
	switch k {
	case labelled.Date:
		return func(x float64) float64 { return x + stataEpochDays }
	case labelled.DateTime:
		return func(x float64) float64 { return (x + stataEpochDays*86400) * 1000 }
	case labelled.Time:
		return func(x float64) float64 { return x * 1000 }
	}
	return nil
}
