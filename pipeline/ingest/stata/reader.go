// Package stata reads Stata .dta files, formats 113 to 119 (Stata 8 to
// Stata 18), streaming their observations in columnar batches.
//
// The layout follows Stata's "dta" manual entry (help dta; "Description of
// .dta file format"): formats 113–115 start with a binary header, then the
// descriptors (type, name, sort, format and value-label lists), variable
// labels, expansion fields, the data and the value label tables. Formats
// 117–119 wrap the same parts in <tags> and add strLs, long strings stored
// once in their own section (<strls>) and referenced from the data. The
// reader is pure Go and memory is bounded by the metadata plus one batch:
// strL contents are read on demand.
//
// Use:
//
//	r, err := stata.Open("wave2.dta", stata.Options{})
//	if err != nil { … }
//	defer r.Close()
//	// r.File: format version, label, notes, timestamp, encoding, row count.
//	// r.Variables: name, label, kind, storage type, format, value labels.
//	b := r.NewBatch(16 << 10) // a *labelled.Batch
//	for {
//		n, err := r.Next(b)
//		if err == io.EOF { break }
//		if err != nil { … }
//		// b.Columns[j].Floats[:n] or .Strings[:n], .Valid[:n], .Tags[:n]
//	}
//
// Values arrive converted: strings to UTF-8; missing values (., .a–.z) as
// null with their tag; dates as days and timestamps as seconds since
// 1970-01-01 (see labelled.Kind). The API mirrors package spss, with
// which it shares the types of package labelled; Stata has no
// user-missing values and no measurement levels. Errors name the file, the
// byte offset and what was expected (labelled.FormatError) and wrap
// io.ErrUnexpectedEOF for truncated files or ErrFormat for invalid ones.
package stata

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"

	"socap/pipeline/ingest/labelled"
)

// Options control how values are read.
type Options struct {
	// Encoding is the character encoding of formats 113–117, which Stata
	// wrote in the machine's code page. Empty means: text that is valid
	// UTF-8 is UTF-8 (other programs, R's haven among them, write UTF-8
	// into these formats, as in ESS9NO.dta), anything else windows-1252 (a
	// superset of the Latin-1 of most such files). Formats 118 and 119 are
	// UTF-8 and ignore it.
	Encoding string
}

// FileInfo is the file-level metadata.
type FileInfo struct {
	Version   int    // format: 113, 114, 115, 117, 118 or 119
	Label     string // dataset label
	Timestamp string // as written, e.g. "17 Dec 2018 14:53"
	// Encoding is the encoding text was decoded from. For formats 113–117
	// without Options.Encoding it is "UTF-8" when the labels' text is
	// valid UTF-8 and "windows-1252" otherwise.
	Encoding string
	Rows     int64 // number of observations
	// Documents are the dataset's notes (Stata's notes command), in
	// order: the counterpart of SPSS documents.
	Documents []string
}

// Variable describes one variable.
type Variable struct {
	Name    string
	Label   string
	Kind    labelled.Kind // String (cut at the first NUL), else from the format
	Storage string        // byte, int, long, float, double, str1…str2045 or strL
	Width   int           // width of a strN variable; 0 otherwise
	Format  string        // display format, e.g. %9.0g, %td, %-12s
	// LabelSet names the value label table attached to the variable;
	// ValueLabels are its entries in file order.
	LabelSet    string
	ValueLabels []labelled.ValueLabel
}

// storage types, normalised over the old (113–115) and new (117–119)
// type codes.
type storage uint8

const (
	stByte storage = iota
	stInt
	stLong
	stFloat
	stDouble
	stStr
	stStrL
)

var storageSize = [...]int{stByte: 1, stInt: 2, stLong: 4, stFloat: 4, stDouble: 8, stStrL: 8}

type column struct {
	st    storage
	off   int
	width int
}

// Reader streams the observations of one .dta file. Create it with Open
// or NewReader, read File and Variables (treat them as read-only), then
// call Next until io.EOF. A Reader is not safe for concurrent use.
type Reader struct {
	File      FileInfo
	Variables []Variable
	labelled.Closer

	name     string
	ra       io.ReaderAt
	order    binary.ByteOrder
	text     labelled.Text
	cols     []column
	rowLen   int
	rowsLeft int64
	in       *bufio.Reader
	off      int64
	row      []byte
	strls    map[[2]uint64]strl
	err      error // first data error, returned by every later Next
}

// strl locates the contents of one strL in the file.
type strl struct {
	off, n int64
}

// Open opens the .dta file at path. Close releases it.
func Open(path string, opts Options) (*Reader, error) {
	return labelled.Open(path, func(ra io.ReaderAt, size int64, name string) (*Reader, error) {
		return NewReader(ra, size, name, opts)
	})
}

// NewReader reads the metadata of the size-byte .dta file in ra. name is
// used in error messages.
func NewReader(ra io.ReaderAt, size int64, name string, opts Options) (*Reader, error) {
	r := &Reader{name: name, ra: ra}
	d := labelled.NewDecoder(io.NewSectionReader(ra, 0, size), name, 0, size, nil, ErrFormat)
	var m *meta
	if d.Peek("<stata_dta>") {
		m = readNewHeader(d)
	} else {
		m = readOldHeader(d)
	}
	if d.Err != nil {
		return nil, d.Err
	}
	r.order = d.Order
	r.File.Version = m.version
	r.File.Encoding = "UTF-8"
	if m.version < 118 {
		enc := encoding.Encoding(charmap.Windows1252)
		r.File.Encoding = "windows-1252"
		if opts.Encoding != "" {
			e, err := ianaindex.IANA.Encoding(opts.Encoding)
			if err != nil || e == nil {
				return nil, fmt.Errorf("read %s: unsupported character encoding %q", name, opts.Encoding)
			}
			enc, r.File.Encoding = e, opts.Encoding
		} else {
			r.text.Sniff = true
			if looksUTF8(append([][]byte{m.label}, m.varLabels...)) {
				r.File.Encoding = "UTF-8"
			}
		}
		r.text.Decoder = enc.NewDecoder()
	}
	if err := r.build(m, d.Off, size); err != nil {
		return nil, err
	}
	return r, nil
}

// meta is the raw metadata before text decoding.
type meta struct {
	version                 int
	k                       int
	n                       uint64
	label, timestamp        []byte
	types                   []uint16
	names, formats, lblsets [][]byte
	varLabels               [][]byte
	old                     bool
	notes                   map[int][]byte // _dta[note1], _dta[note2], …
}

// characteristic keeps the dataset notes among the characteristics: a
// characteristic is a variable name and a characteristic name (nameLen
// bytes each) and NUL-terminated contents; Stata's notes command stores
// note n of the dataset as _dta[noten] (note0 holds the count).
func (m *meta) characteristic(ch []byte, nameLen int) {
	if len(ch) < 2*nameLen || string(cstr(ch[:nameLen])) != "_dta" {
		return
	}
	name := string(cstr(ch[nameLen : 2*nameLen]))
	n, err := strconv.Atoi(strings.TrimPrefix(name, "note"))
	if !strings.HasPrefix(name, "note") || err != nil || n < 1 {
		return
	}
	if m.notes == nil {
		m.notes = map[int][]byte{}
	}
	m.notes[n] = cstr(ch[2*nameLen:])
}

// readOldHeader reads formats 113–115: ds_format, byteorder (1 HILO, 2
// LOHI), filetype, padding, nvar (2 bytes), nobs (4 bytes), data_label
// (81), time_stamp (18); then typlist, varlist (33 each), srtlist,
// fmtlist (12 bytes in 113, 49 after), lbllist (33), variable labels (81)
// and the expansion fields, ending at the data.
func readOldHeader(d *labelled.Decoder) *meta {
	m := &meta{old: true}
	head := d.Bytes(4, "file header")
	if d.Err != nil {
		return m
	}
	m.version = int(head[0])
	if m.version < 113 || m.version > 115 {
		d.Failf(0, "<stata_dta> or format 113–115", "found first byte %d", head[0])
		return m
	}
	switch head[1] {
	case 1:
		d.Order = binary.BigEndian
	case 2:
		d.Order = binary.LittleEndian
	default:
		d.Failf(1, "byte order 1 (HILO) or 2 (LOHI)", "found %d", head[1])
		return m
	}
	m.k = int(d.Uint(2, "nvar"))
	m.n = d.Uint(4, "nobs")
	m.label = d.Bytes(81, "data label")
	m.timestamp = d.Bytes(18, "time stamp")
	fmtLen := int64(49)
	if m.version == 113 {
		fmtLen = 12
	}
	for i := 0; i < m.k && d.Err == nil; i++ {
		at := d.Off
		t := uint16(d.Uint(1, "variable type"))
		switch {
		case t >= 1 && t <= 244, t >= 251:
		default:
			d.Failf(at, "variable type 1–244 or 251–255", "found %d", t)
		}
		m.types = append(m.types, t)
	}
	m.names = strs(d, m.k, 33, "variable name")
	d.Skip(int64(m.k+1)*2, "sort list")
	m.formats = strs(d, m.k, fmtLen, "display format")
	m.lblsets = strs(d, m.k, 33, "value label name")
	m.varLabels = strs(d, m.k, 81, "variable label")
	for d.Err == nil {
		typ := d.Uint(1, "expansion field type")
		n := d.Uint(4, "expansion field length")
		if typ == 0 && n == 0 {
			break
		}
		if typ == 1 {
			m.characteristic(d.Bytes(int64(min(n, 1<<62)), "characteristic"), 33)
		} else {
			d.Skip(int64(min(n, 1<<62)), "expansion field")
		}
	}
	return m
}

// readNewHeader reads formats 117–119 up to <data>.
func readNewHeader(d *labelled.Decoder) *meta {
	m := &meta{}
	d.Order = binary.LittleEndian
	d.Literal("<stata_dta><header><release>")
	at := d.Off
	rel := d.Bytes(3, "release")
	if d.Err != nil {
		return m
	}
	m.version, _ = strconv.Atoi(string(rel))
	if m.version < 117 || m.version > 119 {
		d.Failf(at, "release 117, 118 or 119", "found %q", rel)
		return m
	}
	d.Literal("</release><byteorder>")
	at = d.Off
	switch bo := string(d.Bytes(3, "byte order")); bo {
	case "LSF":
	case "MSF":
		d.Order = binary.BigEndian
	default:
		d.Failf(at, "byte order LSF or MSF", "found %q", bo)
	}
	// Field widths that changed between releases.
	kLen, nLen, labelLen, nameLen, fmtLen, varLabelLen := 2, 8, 2, int64(129), int64(57), int64(321)
	switch m.version {
	case 117:
		nLen, labelLen, nameLen, fmtLen, varLabelLen = 4, 1, 33, 49, 81
	case 119:
		kLen = 4
	}
	d.Literal("</byteorder><K>")
	m.k = int(d.Uint(kLen, "K"))
	d.Literal("</K><N>")
	m.n = d.Uint(nLen, "N")
	d.Literal("</N><label>")
	m.label = d.Bytes(int64(d.Uint(labelLen, "label length")), "label")
	d.Literal("</label><timestamp>")
	m.timestamp = d.Bytes(int64(d.Uint(1, "timestamp length")), "timestamp")
	d.Literal("</timestamp></header><map>")
	d.Skip(14*8, "map")
	d.Literal("</map><variable_types>")
	for i := 0; i < m.k && d.Err == nil; i++ {
		at := d.Off
		t := uint16(d.Uint(2, "variable type"))
		switch {
		case t >= 1 && t <= 2045, t == 32768, t >= 65526 && t <= 65530:
		default:
			d.Failf(at, "variable type 1–2045, 32768 or 65526–65530", "found %d", t)
		}
		m.types = append(m.types, t)
	}
	d.Literal("</variable_types><varnames>")
	m.names = strs(d, m.k, nameLen, "variable name")
	d.Literal("</varnames><sortlist>")
	d.Skip(int64(m.k+1)*int64(kLen), "sort list")
	d.Literal("</sortlist><formats>")
	m.formats = strs(d, m.k, fmtLen, "display format")
	d.Literal("</formats><value_label_names>")
	m.lblsets = strs(d, m.k, nameLen, "value label name")
	d.Literal("</value_label_names><variable_labels>")
	m.varLabels = strs(d, m.k, varLabelLen, "variable label")
	d.Literal("</variable_labels><characteristics>")
	for d.Err == nil && d.Peek("<ch>") {
		d.Literal("<ch>")
		m.characteristic(d.Bytes(int64(min(d.Uint(4, "characteristic length"), 1<<62)), "characteristic"), int(nameLen))
		d.Literal("</ch>")
	}
	d.Literal("</characteristics><data>")
	return m
}

// strs reads k fixed-width, NUL-terminated fields.
func strs(d *labelled.Decoder, k int, width int64, what string) [][]byte {
	if int64(k)*width > d.Remaining() {
		d.Fail(fmt.Sprintf("%d %ss of %d bytes", k, what, width), io.ErrUnexpectedEOF)
		return nil
	}
	out := make([][]byte, 0, k)
	for i := 0; i < k && d.Err == nil; i++ {
		out = append(out, cstr(d.Bytes(width, what)))
	}
	return out
}

// cstr cuts b at its first NUL byte.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// looksUTF8 reports whether the texts hold non-ASCII bytes, all of them
// in valid UTF-8.
func looksUTF8(texts [][]byte) bool {
	nonASCII := false
	for _, t := range texts {
		t = cstr(t)
		if !utf8.Valid(t) {
			return false
		}
		nonASCII = nonASCII || utf8.RuneCount(t) != len(t)
	}
	return nonASCII
}

// build decodes the metadata, locates the data and reads the strL index
// and value labels that follow it.
func (r *Reader) build(m *meta, dataStart, size int64) error {
	r.File.Label = r.text.Decode(cstr(m.label))
	r.File.Timestamp = r.text.Decode(cstr(m.timestamp))
	keys := make([]int, 0, len(m.notes))
	for n := range m.notes {
		keys = append(keys, n)
	}
	sort.Ints(keys)
	for _, n := range keys {
		r.File.Documents = append(r.File.Documents, r.text.Decode(m.notes[n]))
	}
	for i := 0; i < m.k; i++ {
		t := m.types[i]
		v := Variable{Name: r.text.Decode(m.names[i]), Label: r.text.Decode(m.varLabels[i]), Format: r.text.Decode(m.formats[i]), LabelSet: r.text.Decode(m.lblsets[i])}
		c := column{off: r.rowLen}
		switch {
		case m.old && t <= 244, !m.old && t <= 2045:
			c.st, c.width = stStr, int(t)
		case m.old:
			c.st = storage(t - 251)
		case t == 32768:
			c.st = stStrL
		default:
			c.st = storage(65530 - t)
		}
		if c.st != stStr {
			c.width = storageSize[c.st]
		}
		switch c.st {
		case stStr:
			v.Kind, v.Width, v.Storage = labelled.String, c.width, "str"+strconv.Itoa(c.width)
		case stStrL:
			v.Kind, v.Storage = labelled.String, "strL"
		default:
			v.Kind = kindOfFormat(v.Format)
			v.Storage = [...]string{"byte", "int", "long", "float", "double"}[c.st]
		}
		r.rowLen += c.width
		r.cols = append(r.cols, c)
		r.Variables = append(r.Variables, v)
	}
	// The data is n rows of rowLen bytes; it must fit in the file.
	if r.rowLen > 0 && m.n > uint64(size-dataStart)/uint64(r.rowLen) {
		return &labelled.FormatError{File: r.name, Offset: dataStart, Expected: fmt.Sprintf("%d observations of %d bytes", m.n, r.rowLen),
			Err: fmt.Errorf("%w: only %d bytes left in file", io.ErrUnexpectedEOF, size-dataStart)}
	}
	if r.rowLen == 0 {
		m.n = 0
	}
	r.File.Rows = int64(m.n)
	r.rowsLeft = r.File.Rows
	after := dataStart + int64(m.n)*int64(r.rowLen)
	d := labelled.NewDecoder(io.NewSectionReader(r.ra, after, size-after), r.name, after, size, r.order, ErrFormat)
	if m.old {
		r.readOldLabels(d)
	} else {
		d.Literal("</data><strls>")
		r.readStrls(d, m.version)
		d.Literal("</strls><value_labels>")
		for d.Err == nil && d.Peek("<lbl>") {
			d.Literal("<lbl>")
			n := d.Uint(4, "value label table length")
			nameLen := int64(129)
			if m.version == 117 {
				nameLen = 33
			}
			name := r.text.Decode(cstr(d.Bytes(nameLen, "value label name")))
			d.Skip(3, "value label padding")
			at := d.Off
			r.labelTable(d, name, d.Bytes(int64(min(n, 1<<62)), "value label table"), at)
			d.Literal("</lbl>")
		}
		d.Literal("</value_labels></stata_dta>")
	}
	if d.Err != nil {
		return d.Err
	}
	r.off = dataStart
	r.in = bufio.NewReaderSize(io.NewSectionReader(r.ra, dataStart, after-dataStart), 1<<16)
	r.row = make([]byte, r.rowLen)
	return nil
}

// readOldLabels reads the value label tables of formats 113–115, which run
// to the end of the file: length (4 bytes), name (33), padding (3), table.
func (r *Reader) readOldLabels(d *labelled.Decoder) {
	for d.Err == nil && d.Remaining() > 0 {
		n := d.Uint(4, "value label table length")
		name := r.text.Decode(cstr(d.Bytes(33, "value label name")))
		d.Skip(3, "value label padding")
		at := d.Off
		r.labelTable(d, name, d.Bytes(int64(min(n, 1<<62)), "value label table"), at)
	}
}

// labelTable decodes one value label table: n entries, the text length,
// n text offsets, n values (all 4-byte integers), then the NUL-terminated
// texts. Values above 2147483620 are the missing values . and .a–.z.
func (r *Reader) labelTable(d *labelled.Decoder, name string, t []byte, at int64) {
	if d.Err != nil {
		return
	}
	bad := func(format string, args ...any) {
		d.Failf(at, "value label table "+name, format, args...)
	}
	if len(t) < 8 {
		bad("table of %d bytes", len(t))
		return
	}
	n := labelled.UintN(t[0:4], r.order)
	txtLen := labelled.UintN(t[4:8], r.order)
	if n > uint64(len(t)-8)/8 || 8+8*n+txtLen > uint64(len(t)) {
		bad("%d entries and %d bytes of text in %d bytes", n, txtLen, len(t))
		return
	}
	offs, vals, txt := t[8:8+4*n], t[8+4*n:8+8*n], t[8+8*n:8+8*n+txtLen]
	var labels []labelled.ValueLabel
	for i := uint64(0); i < n; i++ {
		off := labelled.UintN(offs[4*i:4*i+4], r.order)
		if off >= txtLen {
			bad("text offset %d beyond %d bytes of text", off, txtLen)
			return
		}
		v := int32(labelled.UintN(vals[4*i:4*i+4], r.order))
		l := labelled.ValueLabel{Value: float64(v), Label: r.text.Decode(cstr(txt[off:]))}
		if v > 2147483620 {
			l.Value, l.Missing = 0, missingTag(uint64(v-2147483621))
		}
		labels = append(labels, l)
	}
	for i := range r.Variables {
		if r.Variables[i].LabelSet == name && r.Variables[i].Kind != labelled.String {
			r.Variables[i].ValueLabels = labels
		}
	}
}

// readStrls indexes the <strls> section: each GSO entry is "GSO", v (4
// bytes), o (4 bytes in 117, 8 after), t (1 byte: 129 binary, 130 text
// with a trailing NUL), len (4 bytes) and the contents, which are read
// when a row refers to them.
func (r *Reader) readStrls(d *labelled.Decoder, version int) {
	oLen := 8
	if version == 117 {
		oLen = 4
	}
	r.strls = map[[2]uint64]strl{}
	for d.Err == nil && d.Peek("GSO") {
		d.Literal("GSO")
		v := d.Uint(4, "strL v")
		o := d.Uint(oLen, "strL o")
		at := d.Off
		t := d.Uint(1, "strL type")
		n := int64(d.Uint(4, "strL length"))
		if d.Err == nil && t != 129 && t != 130 {
			d.Failf(at, "strL type 129 or 130", "found %d", t)
		}
		s := strl{off: d.Off, n: n}
		if t == 130 && n > 0 {
			s.n-- // the trailing NUL
		}
		d.Skip(n, "strL contents")
		r.strls[[2]uint64{v, o}] = s
	}
}

// kindOfFormat maps a display format to the kind of its values, as haven
// does: %td (and the %d of old files) are dates, %tc and %tC timestamps;
// a %tc format that shows only hours, minutes and seconds is a time of
// day. Weekly, monthly, quarterly, half-yearly and yearly formats stay
// numeric. Dates are stored as days and timestamps as milliseconds since
// 1960-01-01; the reader delivers them as labelled.Kind says, ignoring
// the leap seconds of %tC as haven does.
func kindOfFormat(f string) labelled.Kind {
	f = strings.TrimPrefix(strings.TrimPrefix(f, "%"), "-")
	switch {
	case strings.HasPrefix(f, "td"), strings.HasPrefix(f, "d"):
		return labelled.Date
	case strings.HasPrefix(f, "tc"), strings.HasPrefix(f, "tC"):
		if rest := f[2:]; rest != "" && strings.Trim(rest, "HhMmSs:.0123456789 ") == "" {
			return labelled.Time
		}
		return labelled.DateTime
	}
	return labelled.Numeric
}
