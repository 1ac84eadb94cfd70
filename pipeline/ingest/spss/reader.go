// Package spss reads SPSS system files: .sav (uncompressed or
// bytecode-compressed) and .zsav (zlib-compressed), streaming their cases in
// columnar batches.
//
// The layout follows the PSPP developers' guide, chapter "System File
// Format" (https://www.gnu.org/software/pspp/pspp-dev/html_node/System-File-Format.html):
// a 176-byte file header record; a dictionary of variable records (type 2),
// value label records (types 3 and 4), a document record (type 6) and
// extension records (type 7); the dictionary termination record (type 999);
// then the data. The reader is pure Go and reads a file once, front to back;
// memory is bounded by the dictionary plus one batch.
//
// Use:
//
//	r, err := spss.Open("wave2.sav", spss.Options{})
//	if err != nil { … }
//	defer r.Close()
//	// r.File: label, documents, encoding, row count (-1 if unknown).
//	// r.Variables: name, label, kind and width, format, measure,
//	// value labels, user-missing values.
//	b := r.NewBatch(16 << 10) // a *labelled.Batch
//	for {
//		n, err := r.Next(b)
//		if err == io.EOF { break }
//		if err != nil { … }
//		// b.Columns[j].Floats[:n] or .Strings[:n], .Valid[:n]
//	}
//
// Values arrive converted: strings to UTF-8 without trailing blanks;
// system-missing, and by default user-missing, values as null (Valid
// false); dates as days and timestamps as seconds since 1970-01-01 (see
// labelled.Kind). Errors name the file, the byte offset and what was
// expected (labelled.FormatError) and wrap io.ErrUnexpectedEOF for
// truncated files or ErrFormat for invalid ones. Package labelled holds
// the types this reader shares with package stata.
package spss

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"socap/pipeline/ingest/labelled"
)

// Options control how values are delivered.
type Options struct {
	// KeepUserMissing keeps values declared user-missing as ordinary values,
	// like haven's read_sav(user_na = TRUE). By default they are null.
	KeepUserMissing bool
	// Encoding overrides the file's character encoding (an IANA or Windows
	// name such as "windows-1252"). Empty means: the encoding record, else
	// the code page of the machine integer info record, else windows-1252.
	Encoding string
}

// FileInfo is the file-level metadata.
type FileInfo struct {
	Label     string   // file label from the header, trimmed
	Documents []string // lines of the document record, trailing blanks removed
	Encoding  string   // the character encoding the text was decoded from
	// Rows is the number of cases the header or the extended case count
	// record announces, or -1 when the file does not say.
	Rows        int64
	Compression string // "none", "bytecode" or "zlib"
	Product     string // the writing program, from the header
	Created     string // creation date and time as written, e.g. "16 Aug 18 17:22:37"
	// Weight names the variable SPSS weights cases by (WEIGHT BY), or is
	// empty.
	Weight string
}

// Variable describes one variable (a very long string counts once).
type Variable struct {
	Name      string // long variable name
	ShortName string // the 8-byte name in the variable record
	Label     string
	Kind      labelled.Kind // String (trailing blanks removed), else from the print format
	Width     int           // string width in bytes; 0 for numeric kinds
	Format    string        // print format, e.g. F8.2, A20, DATE11
	Measure   Measure
	// ValueLabels are in file order. Numeric keys are in file units (for a
	// date variable, seconds since 1582-10-14).
	ValueLabels []labelled.ValueLabel
	Missing     Missing
}

// Missing lists a variable's user-missing values: up to three discrete
// values, or a range plus at most one discrete value (PSPP "System File
// Format", Variable Record, n_missing_values). Ranges open at LO or HI have
// an infinite bound.
type Missing struct {
	Values  []float64
	Ranges  []Range
	Strings []string
}

// Range is an inclusive numeric range.
type Range struct{ Lo, Hi float64 }

func (m Missing) empty() bool {
	return len(m.Values) == 0 && len(m.Ranges) == 0 && len(m.Strings) == 0
}

func (m Missing) hasNumber(v float64) bool {
	for _, x := range m.Values {
		if v == x {
			return true
		}
	}
	for _, r := range m.Ranges {
		if v >= r.Lo && v <= r.Hi {
			return true
		}
	}
	return false
}

func (m Missing) hasString(s string) bool {
	for _, x := range m.Strings {
		if s == x {
			return true
		}
	}
	return false
}

// Special values of the flt64 format (PSPP "System File Format", System
// File Record Types): SYSMIS is -DBL_MAX, HIGHEST DBL_MAX and LOWEST the
// next value above -DBL_MAX; the last two only appear as bounds of missing
// value ranges.
const (
	sysmisBits  = 0xffefffffffffffff
	highestBits = 0x7fefffffffffffff
	lowestBits  = 0xffeffffffffffffe
)

const headerSize = 176

// Reader streams the cases of one system file. Create it with Open or
// NewReader, read File and Variables (treat them as read-only), then call
// Next until io.EOF. A Reader is not safe for concurrent use.
type Reader struct {
	File      FileInfo
	Variables []Variable
	labelled.Closer

	opts      Options
	name      string
	order     binary.ByteOrder
	text      labelled.Text
	rowBytes  int
	plan      []colPlan // per variable: how to decode it from a case
	bigEndian bool
	rowsLeft  int64 // cases still to read, or -1 when unknown
	maxRows   int64 // most cases the data can hold
	src       rowSource
	row       []byte
	long      []byte // scratch for assembling very long strings
	err       error  // first data error, returned by every later Next
}

// colPlan says where a variable lies in a case and how to convert it.
type colPlan struct {
	segs  []segment
	width int // string width
	kind  labelled.Kind
	miss  *Missing // user-missing values that become null; nil if none or kept
}

// segment is a run of bytes inside a case: a numeric value (8 bytes) or
// one segment of a string.
type segment struct{ off, n int }

// Open opens the system file at path. Close releases it.
func Open(path string, opts Options) (*Reader, error) {
	return labelled.Open(path, func(ra io.ReaderAt, size int64, name string) (*Reader, error) {
		return NewReader(ra, size, name, opts)
	})
}

// NewReader reads the dictionary of the size-byte system file in ra. name
// is used in error messages.
func NewReader(ra io.ReaderAt, size int64, name string, opts Options) (*Reader, error) {
	r := &Reader{opts: opts, name: name}
	d := labelled.NewDecoder(io.NewSectionReader(ra, 0, size), name, 0, size, nil, ErrFormat)
	dict, err := readDictionary(d)
	if err != nil {
		return nil, err
	}
	r.order = d.Order
	r.bigEndian = d.Order == binary.BigEndian
	if err := r.build(dict); err != nil {
		return nil, err
	}
	for i := range r.plan {
		if m := &r.Variables[i].Missing; !opts.KeepUserMissing && !m.empty() {
			r.plan[i].miss = m
		}
	}
	r.row = make([]byte, r.rowBytes)
	if err := r.openData(ra, size, d.Off, dict); err != nil {
		return nil, err
	}
	return r, nil
}

// rawVar is a variable record (type 2) before the text is decoded.
type rawVar struct {
	at       int64 // file offset of the record
	slot     int   // index of its first 8-byte unit in a case
	width    int   // 0 numeric, else string width (1..255)
	nslots   int
	name     string
	label    []byte
	print    int32
	nMissing int32
	missing  [][]byte
	measure  int32
	longName []byte
	vlsWidth int // width from the very long string record, 0 if none
}

type rawLabel struct{ value, label []byte }

type rawDict struct {
	magic         string
	product       []byte
	compression   int32
	weight        int32 // 1-based dictionary index of the weight variable, 0 for none
	ncases        int64
	bias          float64
	created       string
	label         []byte
	docs          [][]byte
	vars          []*rawVar
	slots         int
	codePage      int32
	encoding      string
	display       []int32
	longNames     []byte
	vls           []byte
	vlsAt         int64
	encodingAt    int64
	labelSets     []labelSet
	longLabels    [][]byte
	longLabelsAt  []int64
	longMissing   [][]byte
	longMissingAt []int64
}

type labelSet struct {
	labels []rawLabel
	slots  []int32
	at     int64
}

func readDictionary(d *labelled.Decoder) (*rawDict, error) {
	dict := &rawDict{}
	d.Order = binary.LittleEndian
	magic := d.Bytes(min(4, d.Size), "file header record")
	dict.magic = string(magic)
	if d.Err == nil && dict.magic != "$FL2" && dict.magic != "$FL3" {
		d.Failf(0, `"$FL2" or "$FL3" signature`, "found %q", magic)
	}
	if d.Err == nil && d.Size < headerSize {
		d.Off = 0
		d.Fail("file header record (176 bytes)", io.ErrUnexpectedEOF)
	}
	if d.Err != nil {
		return nil, d.Err
	}
	dict.product = d.Bytes(60, "product name")
	// The layout code is 2 or 3 in the writer's byte order; it tells the
	// byte order of every other integer and float.
	layout := d.Bytes(4, "layout code")
	if d.Err != nil {
		return nil, d.Err
	}
	switch {
	case binary.LittleEndian.Uint32(layout) == 2 || binary.LittleEndian.Uint32(layout) == 3:
	case binary.BigEndian.Uint32(layout) == 2 || binary.BigEndian.Uint32(layout) == 3:
		d.Order = binary.BigEndian
	default:
		d.Failf(d.Off-4, "layout code 2 or 3", "found % x", layout)
		return nil, d.Err
	}
	d.Int32("nominal case size")
	dict.compression = d.Int32("compression code")
	if d.Err == nil && (dict.compression < 0 || dict.compression > 2 || (dict.compression == 2) != (dict.magic == "$FL3")) {
		d.Failf(d.Off-4, "compression 0 or 1 ($FL2) or 2 ($FL3)", "found %d with %s", dict.compression, dict.magic)
	}
	dict.weight = d.Int32("weight index")
	dict.ncases = int64(d.Int32("number of cases"))
	dict.bias = d.Float64("compression bias")
	date := d.Bytes(9, "creation date")
	tm := d.Bytes(8, "creation time")
	dict.created = strings.TrimSpace(string(date) + " " + string(tm))
	dict.label = d.Bytes(64, "file label")
	d.Skip(3, "header padding")

	for d.Err == nil {
		at := d.Off
		rec := d.Int32("record type")
		if d.Err != nil {
			break
		}
		switch rec {
		case 2:
			readVariable(d, dict)
		case 3:
			readValueLabels(d, dict)
		case 6:
			n := d.Count(80, "document line count")
			for i := 0; i < n && d.Err == nil; i++ {
				dict.docs = append(dict.docs, d.Bytes(80, "document line"))
			}
		case 7:
			readExtension(d, dict)
		case 999:
			d.Int32("dictionary termination filler")
			return dict, d.Err
		default:
			d.Failf(at, "record type 2, 3, 6, 7 or 999", "found %d", rec)
		}
	}
	return nil, d.Err
}

// readVariable reads a variable record (type 2). A record of type -1
// continues the preceding string variable: one record per 8 bytes of width.
func readVariable(d *labelled.Decoder, dict *rawDict) {
	at := d.Off
	typ := d.Int32("variable type")
	hasLabel := d.Int32("variable label flag")
	nMissing := d.Int32("missing value count")
	print := d.Int32("print format")
	d.Int32("write format")
	name := d.Bytes(8, "variable name")
	if d.Err != nil {
		return
	}
	slot := dict.slots
	dict.slots++
	if typ == -1 {
		if len(dict.vars) == 0 || dict.vars[len(dict.vars)-1].width == 0 {
			d.Failf(at, "variable record", "continuation record without a preceding string variable")
			return
		}
		dict.vars[len(dict.vars)-1].nslots++
		return
	}
	if typ < 0 || typ > 255 {
		d.Failf(at, "variable type 0..255 or -1", "found %d", typ)
		return
	}
	v := &rawVar{at: at, slot: slot, width: int(typ), nslots: 1, name: strings.TrimRight(string(name), " "), print: print, nMissing: nMissing}
	if hasLabel == 1 {
		n := d.Count(1, "variable label length")
		v.label = d.Bytes(int64(n), "variable label")
		d.Skip(int64((4-n%4)%4), "variable label padding")
	}
	switch nMissing {
	case 0, 1, 2, 3, -2, -3:
	default:
		d.Failf(at+12, "missing value count 0..3, -2 or -3", "found %d", nMissing)
		return
	}
	if typ > 0 && nMissing < 0 {
		d.Failf(at+12, "discrete missing values for a string variable", "found a range")
		return
	}
	for i := int32(0); i < abs32(nMissing) && d.Err == nil; i++ {
		v.missing = append(v.missing, d.Bytes(8, "missing value"))
	}
	dict.vars = append(dict.vars, v)
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// readValueLabels reads a value label record (type 3) and the variable
// index record (type 4) that must follow it. Each label is an 8-byte value,
// a length byte and the label, padded so that length byte plus label fill a
// multiple of 8 bytes.
func readValueLabels(d *labelled.Decoder, dict *rawDict) {
	set := labelSet{at: d.Off}
	n := d.Count(16, "value label count")
	for i := 0; i < n && d.Err == nil; i++ {
		value := d.Bytes(8, "label value")
		lb := d.Bytes(1, "label length")
		if d.Err != nil {
			return
		}
		l := int64(lb[0])
		label := d.Bytes(l, "value label")
		d.Skip((8-(l+1)%8)%8, "value label padding")
		set.labels = append(set.labels, rawLabel{value: value, label: label})
	}
	at := d.Off
	if rec := d.Int32("value label variables record"); d.Err == nil && rec != 4 {
		d.Failf(at, "record type 4 after a value label record", "found %d", rec)
		return
	}
	m := d.Count(4, "value label variable count")
	for i := 0; i < m && d.Err == nil; i++ {
		set.slots = append(set.slots, d.Int32("value label variable index"))
	}
	dict.labelSets = append(dict.labelSets, set)
}

// readExtension reads an extension record (type 7): subtype, element size,
// element count, then size*count bytes. Subtypes that carry nothing socap
// uses (multiple response sets, attributes, XML, …) are skipped.
func readExtension(d *labelled.Decoder, dict *rawDict) {
	subtype := d.Int32("extension subtype")
	size := d.Int32("extension element size")
	at := d.Off
	count := d.Int32("extension element count")
	if d.Err != nil {
		return
	}
	if size < 0 || count < 0 || int64(size)*int64(count) > d.Remaining() {
		d.Failf(at, fmt.Sprintf("extension record %d of at most %d bytes", subtype, d.Size-at), "size %d × count %d", size, count)
		return
	}
	start := d.Off
	data := d.Bytes(int64(size)*int64(count), fmt.Sprintf("extension record %d", subtype))
	if d.Err != nil {
		return
	}
	sub := labelled.NewDecoder(bytes.NewReader(data), d.File, start, start+int64(len(data)), d.Order, ErrFormat)
	switch subtype {
	case 3: // machine integer info: 8 int32, the last is the character code
		if size == 4 && count == 8 {
			for i := 0; i < 7; i++ {
				sub.Int32("machine integer info")
			}
			dict.codePage = sub.Int32("character code")
		}
	case 11: // variable display parameters: measure, [width,] alignment
		if size == 4 {
			for i := int32(0); i < count; i++ {
				dict.display = append(dict.display, sub.Int32("display parameter"))
			}
		}
	case 13:
		dict.longNames = data
	case 14:
		dict.vls, dict.vlsAt = data, start
	case 16: // extended number of cases: int64 1, then int64 ncases
		if size == 8 && count == 2 {
			sub.Int64("extended case count")
			if n := sub.Int64("extended case count"); n >= 0 {
				dict.ncases = n
			}
		}
	case 20:
		dict.encoding, dict.encodingAt = string(data), start
	case 21:
		dict.longLabels = append(dict.longLabels, data)
		dict.longLabelsAt = append(dict.longLabelsAt, start)
	case 22:
		dict.longMissing = append(dict.longMissing, data)
		dict.longMissingAt = append(dict.longMissingAt, start)
	}
	if sub.Err != nil {
		d.Err = sub.Err
	}
}

// build decodes the dictionary into File and Variables and computes where
// each variable lies in a case.
func (r *Reader) build(dict *rawDict) error {
	encName := r.opts.Encoding
	switch {
	case encName != "":
	case dict.encoding != "":
		encName = strings.TrimRight(dict.encoding, "\x00 ")
	case codePages[dict.codePage] != "":
		encName = codePages[dict.codePage]
	default:
		encName = "windows-1252"
	}
	text, err := lookupEncoding(encName)
	if err != nil {
		return r.invalid(dict.encodingAt, "a supported character encoding", "%v", err)
	}
	r.text = text
	str := func(b []byte) string { return r.text.Decode(bytes.TrimRight(b, " \x00")) }

	r.File = FileInfo{
		Label:    strings.TrimSpace(str(dict.label)),
		Encoding: encName,
		Rows:     dict.ncases,
		Product:  strings.TrimSpace(strings.TrimPrefix(string(bytes.TrimRight(dict.product, " \x00")), "@(#)")),
		Created:  dict.created,
	}
	if r.File.Rows < 0 {
		r.File.Rows = -1
	}
	r.File.Compression = [...]string{"none", "bytecode", "zlib"}[dict.compression]
	for _, line := range dict.docs {
		r.File.Documents = append(r.File.Documents, str(line))
	}

	// Display parameters come one per variable record that is not a
	// continuation, with or without the width field.
	if n := len(dict.vars); n > 0 {
		per := 0
		switch len(dict.display) {
		case 3 * n:
			per = 3
		case 2 * n:
			per = 2
		}
		for i, v := range dict.vars {
			if per > 0 {
				v.measure = dict.display[i*per]
			}
		}
	}

	byShort := make(map[string]*rawVar, len(dict.vars))
	for _, v := range dict.vars {
		byShort[strings.ToUpper(v.name)] = v
	}
	for _, kv := range splitPairs(dict.longNames) {
		if v := byShort[strings.ToUpper(kv[0])]; v != nil {
			v.longName = []byte(kv[1])
		}
	}
	// Very long strings: SHORT=width pairs (PSPP "Very Long String Record").
	// The named variable is the first of n = (width+251)/252 segments; each
	// segment but the last is 255 bytes wide and the data is packed 255
	// bytes per segment.
	vars := dict.vars
	merged := make(map[*rawVar]bool)
	for _, kv := range splitPairs(dict.vls) {
		v := byShort[strings.ToUpper(kv[0])]
		w, err := strconv.Atoi(strings.TrimLeft(kv[1], "0"))
		if v == nil || err != nil || w <= 255 {
			return r.invalid(dict.vlsAt, "very long string entries naming a string variable and a width over 255", "found %q=%q", kv[0], kv[1])
		}
		v.vlsWidth = w
	}

	for _, v := range vars {
		if v.width > 0 && v.nslots != (v.width+7)/8 {
			return r.invalid(v.at, fmt.Sprintf("%d continuation records for string variable %s of width %d", (v.width+7)/8-1, v.name, v.width), "found %d", v.nslots-1)
		}
	}
	slotVar := make(map[int32]int) // 1-based slot of a variable's first unit -> index in Variables
	for i := 0; i < len(vars); i++ {
		v := vars[i]
		if merged[v] {
			continue
		}
		out := Variable{
			ShortName: str([]byte(v.name)),
			Name:      str([]byte(v.name)),
			Label:     str(v.label),
			Format:    formatString(v.print),
		}
		if v.longName != nil {
			out.Name = str(v.longName)
		}
		switch v.measure {
		case 1, 2, 3:
			out.Measure = Measure(v.measure)
		}
		var segs []segment
		if v.width == 0 {
			out.Kind = kindOfFormat(byte(v.print >> 16))
			segs = []segment{{off: v.slot * 8, n: 8}}
			for _, m := range v.missing {
				out.Missing.Values = append(out.Missing.Values, math.Float64frombits(r.order.Uint64(m)))
			}
			if v.nMissing < 0 {
				lo, hi := out.Missing.Values[0], out.Missing.Values[1]
				if math.Float64bits(lo) == lowestBits {
					lo = math.Inf(-1)
				}
				if math.Float64bits(hi) == highestBits {
					hi = math.Inf(1)
				}
				out.Missing.Ranges = []Range{{lo, hi}}
				out.Missing.Values = out.Missing.Values[2:]
			}
		} else {
			out.Kind = labelled.String
			out.Width = v.width
			segs = []segment{{off: v.slot * 8, n: v.width}}
			if v.vlsWidth > 0 {
				nseg := (v.vlsWidth + 251) / 252
				if i+nseg > len(vars) {
					return r.invalid(v.at, fmt.Sprintf("%d segment variables for very long string %s of width %d", nseg, v.name, v.vlsWidth), "the dictionary has %d more variables", len(vars)-i-1)
				}
				out.Width = v.vlsWidth
				out.Format = "A" + strconv.Itoa(v.vlsWidth)
				segs[0].n = 255
				for k := 1; k < nseg; k++ {
					s := vars[i+k]
					if s.width == 0 {
						return r.invalid(s.at, fmt.Sprintf("string segment %d of very long string %s", k, v.name), "found a numeric variable")
					}
					merged[s] = true
					n := 255
					if k == nseg-1 {
						n = s.width
					}
					segs = append(segs, segment{off: s.slot * 8, n: n})
				}
			}
			for _, m := range v.missing {
				out.Missing.Strings = append(out.Missing.Strings, str(m))
			}
		}
		slotVar[int32(v.slot+1)] = len(r.Variables)
		r.Variables = append(r.Variables, out)
		r.plan = append(r.plan, colPlan{segs: segs, width: out.Width, kind: out.Kind})
	}
	r.rowBytes = dict.slots * 8

	if dict.weight != 0 {
		vi, ok := slotVar[dict.weight]
		if !ok || r.Variables[vi].Kind == labelled.String {
			return r.invalid(76, "weight index of a numeric variable", "found %d", dict.weight)
		}
		r.File.Weight = r.Variables[vi].Name
	}
	for _, set := range dict.labelSets {
		for _, s := range set.slots {
			vi, ok := slotVar[s]
			if !ok {
				return r.invalid(set.at, "value labels for the first dictionary index of a variable", "found index %d", s)
			}
			v := &r.Variables[vi]
			for _, l := range set.labels {
				vl := labelled.ValueLabel{Label: str(l.label)}
				if v.Kind == labelled.String {
					vl.String = str(l.value)
				} else {
					vl.Value = math.Float64frombits(r.order.Uint64(l.value))
				}
				v.ValueLabels = append(v.ValueLabels, vl)
			}
		}
	}
	byName := make(map[string]int, len(r.Variables))
	for i, v := range r.Variables {
		byName[strings.ToUpper(v.ShortName)] = i
		byName[strings.ToUpper(v.Name)] = i
	}
	for k, data := range dict.longLabels {
		if err := r.longStringLabels(data, dict.longLabelsAt[k], byName, str); err != nil {
			return err
		}
	}
	for k, data := range dict.longMissing {
		if err := r.longStringMissing(data, dict.longMissingAt[k], byName, str); err != nil {
			return err
		}
	}
	return nil
}

// invalid reports a dictionary whose records are readable but inconsistent.
func (r *Reader) invalid(at int64, expected, format string, args ...any) error {
	return &labelled.FormatError{File: r.name, Offset: at, Expected: expected, Err: fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)}
}

// splitPairs splits the tab-separated KEY=VALUE list of the long variable
// names (subtype 13) and very long string (subtype 14) records. Entries of
// the latter end in NUL bytes.
func splitPairs(data []byte) [][2]string {
	var out [][2]string
	for _, item := range strings.Split(string(data), "\t") {
		item = strings.Trim(item, "\x00 ")
		if k, v, ok := strings.Cut(item, "="); ok {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// longStringLabels reads a long string value labels record (subtype 21):
// per variable, name length, name, width, label count, then per label the
// value length, value, label length and label.
func (r *Reader) longStringLabels(data []byte, at int64, byName map[string]int, str func([]byte) string) error {
	d := labelled.NewDecoder(bytes.NewReader(data), r.name, at, at+int64(len(data)), r.order, ErrFormat)
	for d.Remaining() > 0 && d.Err == nil {
		name := d.Bytes(int64(d.Count(1, "variable name length")), "variable name")
		d.Int32("variable width")
		n := d.Count(8, "label count")
		if d.Err != nil {
			break
		}
		vi, ok := byName[strings.ToUpper(string(name))]
		for i := 0; i < n && d.Err == nil; i++ {
			value := d.Bytes(int64(d.Count(1, "value length")), "value")
			label := d.Bytes(int64(d.Count(1, "label length")), "label")
			if ok && r.Variables[vi].Kind == labelled.String {
				r.Variables[vi].ValueLabels = append(r.Variables[vi].ValueLabels, labelled.ValueLabel{String: str(value), Label: str(label)})
			}
		}
	}
	return d.Err
}

// longStringMissing reads a long string missing values record (subtype
// 22): per variable, name length, name, a one-byte count, the value length
// (8) and the values.
func (r *Reader) longStringMissing(data []byte, at int64, byName map[string]int, str func([]byte) string) error {
	d := labelled.NewDecoder(bytes.NewReader(data), r.name, at, at+int64(len(data)), r.order, ErrFormat)
	for d.Remaining() > 0 && d.Err == nil {
		name := d.Bytes(int64(d.Count(1, "variable name length")), "variable name")
		nb := d.Bytes(1, "missing value count")
		vlen := d.Count(1, "missing value length")
		if d.Err != nil {
			break
		}
		vi, ok := byName[strings.ToUpper(string(name))]
		for i := 0; i < int(nb[0]) && d.Err == nil; i++ {
			value := d.Bytes(int64(vlen), "missing value")
			if ok && r.Variables[vi].Kind == labelled.String {
				r.Variables[vi].Missing.Strings = append(r.Variables[vi].Missing.Strings, str(value))
			}
		}
	}
	return d.Err
}
