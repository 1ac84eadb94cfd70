package stata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

var formats = []int{113, 114, 115, 117, 118, 119}

// The largest non-missing float and double: the bit patterns just below
// . (2^127 and 2^1023).
var (
	maxFloat  = math.Float32frombits(floatMissing - 1)
	maxDouble = math.Float64frombits(doubleMissing - 1)
)

// sampleDta writes a file with every storage type, dates, extended
// missing values, value labels (including one for .a) and, from format
// 117, a strL: formats 118 and 119 with the Writer, older ones with
// writeDta.
func sampleDta(version int, order binary.ByteOrder) []byte {
	vars := []dtaVar{
		{Name: "b", Storage: "byte", Format: "%8.0g", LabelSet: "yesno", Label: "Agree?"},
		{Name: "i", Storage: "int", Format: "%8.0g"},
		{Name: "l", Storage: "long", Format: "%12.0g"},
		{Name: "f", Storage: "float", Format: "%9.0g"},
		{Name: "d", Storage: "double", Format: "%10.0g"},
		{Name: "day", Storage: "long", Format: "%td"},
		{Name: "stamp", Storage: "double", Format: "%tc"},
		{Name: "s", Storage: "str12", Format: "%12s"},
	}
	rows := [][]any{
		{1.0, -300.0, 100000.0, 1.5, -2.25, 0.0, 1000.0, "Tromsø"},
		{tagged('a'), tagged('.'), tagged('z'), tagged('b'), tagged('.'), tagged('.'), tagged('c'), ""},
		{-100.0, 32740.0, 2147483620.0, float64(maxFloat), maxDouble, 3653.0, 315619200000.0, "twelve chars"},
	}
	if version >= 117 {
		vars = append(vars, dtaVar{Name: "memo", Storage: "strL", Format: "%9s"})
		rows[0] = append(rows[0], strings.Repeat("ø", 3000))
		rows[1] = append(rows[1], "")
		rows[2] = append(rows[2], "short")
	}
	labels := map[string][]dtaLabel{"yesno": {{Value: 1, Label: "yes"}, {Value: -100, Label: "no"}, {Missing: 'a', Label: "refused"}}}
	if version >= 118 {
		return writeSample(vars, rows, labels["yesno"], WriterOptions{Label: "test data", Notes: []string{"Collected in Tromsø"}, Created: testCreated, ByteOrder: order, Release: version})
	}
	rows[0][7] = "Troms\xf8" // Latin-1 in old formats
	return writeDta(version, order, vars, rows, labels)
}

// testCreated is the time stamp of the test files.
var testCreated = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// writeSample writes the sample's variables and rows (in the units of
// the file, as writeDta takes them) with the Writer; labels are those of
// the variables naming a LabelSet.
func writeSample(vars []dtaVar, rows [][]any, labels []dtaLabel, opts WriterOptions) []byte {
	var wvars []Variable
	for _, v := range vars {
		wv := Variable{Name: v.Name, Label: v.Label, Storage: v.Storage, Format: v.Format, LabelSet: v.LabelSet, Kind: kindOfFormat(v.Format)}
		if strings.HasPrefix(v.Storage, "str") {
			wv.Kind = labelled.String
		}
		if v.LabelSet != "" {
			for _, l := range labels {
				wv.ValueLabels = append(wv.ValueLabels, labelled.ValueLabel{Value: float64(l.Value), Missing: byte(l.Missing), Label: l.Label})
			}
		}
		wvars = append(wvars, wv)
	}
	var m labelledtest.MemFile
	w, err := NewWriter(&m, "sample.dta", wvars, opts)
	if err != nil {
		panic(err)
	}
	b := w.NewBatch(len(rows))
	b.Len = len(rows)
	for i, row := range rows {
		for j, x := range row {
			c := &b.Columns[j]
			switch x := x.(type) {
			case string:
				c.Strings[i], c.Valid[i] = x, true
			case tagged:
				c.Valid[i], c.Tags[i] = false, byte(x)
			case float64:
				switch wvars[j].Kind {
				case labelled.Date:
					x -= stataEpochDays
				case labelled.DateTime:
					x = x/1000 - stataEpochDays*86400
				}
				c.Floats[i], c.Valid[i] = x, true
			}
		}
	}
	if err := errors.Join(w.Write(b), w.Close()); err != nil {
		panic(err)
	}
	return m.B
}

// TestRoundTrip reads files of every format in both byte orders.
func TestRoundTrip(t *testing.T) {
	for _, version := range formats {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			data := sampleDta(version, order)
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "rt.dta", Options{})
			if err != nil {
				t.Fatalf("format %d %v: %v", version, order, err)
			}
			name := func(s string) string {
				return s + " (format " + string(rune('0'+version/100)) + string(rune('0'+version/10%10)) + string(rune('0'+version%10)) + " " + order.String() + ")"
			}
			if r.File.Version != version || r.File.Rows != 3 || r.File.Label != "test data" || r.File.Timestamp != "24 Nov 2026 20:00" ||
				len(r.File.Documents) != 1 || r.File.Documents[0] != "Collected in Tromsø" {
				t.Errorf("%s: %+v", name("file info"), r.File)
			}
			v := r.Variables
			if v[0].Label != "Agree?" || v[0].Storage != "byte" || len(v[0].ValueLabels) != 3 || v[0].ValueLabels[2] != (labelled.ValueLabel{Missing: 'a', Label: "refused"}) || v[0].ValueLabels[1].Value != -100 {
				t.Errorf("%s: %+v", name("variable b"), v[0])
			}
			if v[5].Kind != labelled.Date || v[6].Kind != labelled.DateTime || v[7].Kind != labelled.String || v[7].Width != 12 || v[7].Storage != "str12" {
				t.Errorf("%s: %+v", name("kinds"), v)
			}
			b := labelledtest.ReadAll(t, r)
			c := b.Columns
			want := []float64{1, -300, 100000, 1.5, -2.25, -3653, 1 - 315619200}
			for j, w := range want {
				if !c[j].Valid[0] || c[j].Floats[0] != w {
					t.Errorf("%s: %v, want %v", name("row 1 "+v[j].Name), c[j].Floats[0], w)
				}
			}
			for j, tag := range []byte{'a', '.', 'z', 'b', '.', '.', 'c'} {
				if c[j].Valid[1] || c[j].Tags[1] != tag {
					t.Errorf("%s: valid %v tag %q, want %q", name("row 2 "+v[j].Name), c[j].Valid[1], c[j].Tags[1], tag)
				}
			}
			for j, w := range []float64{-100, 32740, 2147483620, float64(maxFloat), maxDouble, 0, 0} {
				if !c[j].Valid[2] || c[j].Floats[2] != w {
					t.Errorf("%s: %v, want %v", name("row 3 "+v[j].Name), c[j].Floats[2], w)
				}
			}
			if c[7].Strings[0] != "Tromsø" || c[7].Strings[2] != "twelve chars" {
				t.Errorf("%s: %q", name("strings"), c[7].Strings)
			}
			if version >= 117 && (c[8].Strings[0] != strings.Repeat("ø", 3000) || c[8].Strings[1] != "" || c[8].Strings[2] != "short") {
				t.Errorf("%s: %.20q", name("strL"), c[8].Strings)
			}
		}
	}
}

// TestTruncated cuts files at every length: each prefix must fail with a
// FormatError inside the prefix, wrapping io.ErrUnexpectedEOF or
// ErrFormat. Formats 113–115 end with optional value labels, so a cut
// at the end of the data or between tables is a valid file.
func TestTruncated(t *testing.T) {
	for _, version := range formats {
		data := sampleDta(version, binary.LittleEndian)
		for n := 0; n < len(data); n++ {
			err := readErr(data[:n], "cut.dta")
			if err == nil && version < 117 {
				continue
			}
			labelledtest.CheckCut(t, fmt.Sprintf("format %d, %d of %d bytes", version, n, len(data)), err, "cut.dta", n, ErrFormat)
		}
	}
}

// readErr reads a whole file and returns the first error (nil at io.EOF).
func readErr(data []byte, name string) error {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), name, Options{})
	if err != nil {
		return err
	}
	return labelledtest.FirstError(r, 2)
}

// TestErrorMessages pins the wording of errors: file, offset, what was
// expected, and the cause.
func TestErrorMessages(t *testing.T) {
	good := sampleDta(118, binary.LittleEndian)
	data := bytes.Index(good, []byte("<data>")) + len("<data>")
	cut := bytes.Index(good, []byte("</data>")) - 5 // inside the last observation
	for _, tt := range []struct {
		data []byte
		want string
	}{
		{[]byte("PK\x03\x04 not a dta file"), "read bad.dta: offset 0: expected <stata_dta> or format 113–115: invalid stata file: found first byte 80"},
		{[]byte("<stata_dta><header><release>120</release>"), `read bad.dta: offset 28: expected release 117, 118 or 119: invalid stata file: found "120"`},
		{good[:cut], "read bad.dta: offset " + strconv.Itoa(data) + ": expected 3 observations of 51 bytes: unexpected EOF: only " + strconv.Itoa(cut-data) + " bytes left in file"},
	} {
		labelledtest.CheckMessage(t, readErr(tt.data, "bad.dta"), tt.want)
	}
}

// TestErrorIsSticky checks that Next keeps returning its first error: a
// strL reference to no entry of <strls>.
func TestErrorIsSticky(t *testing.T) {
	data := sampleDta(118, binary.LittleEndian)
	gso := bytes.Index(data, []byte("GSO"))
	data[gso+3] = 99 // the first strL now claims variable 99
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bad.dta", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := r.NewBatch(100)
	n, first := r.Next(b)
	if first == nil || n != 0 || !strings.Contains(first.Error(), "no strL (v=9, o=1)") {
		t.Fatalf("first Next: %d rows, %v", n, first)
	}
	labelledtest.CheckSticky(t, r, b, first)
}

// TestLyingHeaders patches counts in a valid file to values the file
// cannot hold: each must be refused before anything of that size is
// allocated.
func TestLyingHeaders(t *testing.T) {
	le := binary.LittleEndian
	for _, lie := range []labelledtest.Lie{
		{Name: "observation count", Want: "expected 1099511627776 observations", Patch: func(b []byte, at func([]byte) int) {
			le.PutUint64(b[at([]byte("<N>"))+3:], 1<<40)
		}},
		{Name: "variable count", Want: "expected variable type", Patch: func(b []byte, at func([]byte) int) {
			le.PutUint16(b[at([]byte("<K>"))+3:], 65535)
		}},
		{Name: "value label table length", Want: "expected value label table", Patch: func(b []byte, at func([]byte) int) {
			le.PutUint32(b[at([]byte("<lbl>"))+5:], 1<<31-1)
		}},
		{Name: "strL length", Want: "expected strL contents", Patch: func(b []byte, at func([]byte) int) {
			le.PutUint32(b[at([]byte("GSO"))+16:], 1<<31-1)
		}},
	} {
		labelledtest.CheckLie(t, lie.Name, lie, sampleDta(118, le), "lie.dta", readErr)
	}
}
