package stata

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
)

// dtaVar declares a variable for writeDta. Storage is byte, int, long,
// float, double, strN or strL.
type dtaVar struct {
	Name, Label, Format, Storage, LabelSet string
}

// tagged is a missing value in a row passed to writeDta: '.' or 'a'–'z'.
type tagged byte

// dtaLabel is one value label entry; Missing labels a missing value.
type dtaLabel struct {
	Value   int32
	Missing tagged
	Label   string
}

// writeDta writes a .dta file of format 113, 114, 115 or 117, which the
// Writer does not write (it writes 118 and 119), in byte order order, in
// the layout reader.go documents. rows hold float64 or tagged for numeric
// variables and string for string ones. strLs are stored once per cell,
// keyed (v, o) = (variable, observation), 1-based.
func writeDta(version int, order binary.ByteOrder, vars []dtaVar, rows [][]any, labels map[string][]dtaLabel) []byte {
	var w bytes.Buffer
	old := version < 117
	putN := func(x uint64, n int) { put(&w, order, x, n) }
	fixed := func(s string, n int) { w.WriteString(s); w.Write(make([]byte, n-len(s))) }
	kLen, nLen, nameLen, fmtLen, vlabLen := 2, 4, 33, 49, 81
	if version == 113 {
		fmtLen = 12
	}
	if old {
		bo := byte(2)
		if order == binary.BigEndian {
			bo = 1
		}
		w.Write([]byte{byte(version), bo, 1, 0})
		putN(uint64(len(vars)), 2)
		putN(uint64(len(rows)), 4)
		fixed("test data", 81)
		fixed("24 Nov 2026 20:00", 18)
	} else {
		bo := "LSF"
		if order == binary.BigEndian {
			bo = "MSF"
		}
		w.WriteString("<stata_dta><header><release>" + strconv.Itoa(version) + "</release><byteorder>" + bo + "</byteorder><K>")
		putN(uint64(len(vars)), kLen)
		w.WriteString("</K><N>")
		putN(uint64(len(rows)), nLen)
		w.WriteString("</N><label>")
		putN(9, 1)
		w.WriteString("test data</label><timestamp>")
		putN(17, 1)
		w.WriteString("24 Nov 2026 20:00</timestamp></header><map>")
		w.Write(make([]byte, 14*8))
		w.WriteString("</map><variable_types>")
	}
	for _, v := range vars {
		code := map[string]uint64{"byte": 65530, "int": 65529, "long": 65528, "float": 65527, "double": 65526, "strL": 32768}[v.Storage]
		if old {
			code = map[string]uint64{"byte": 251, "int": 252, "long": 253, "float": 254, "double": 255}[v.Storage]
		}
		if n, err := strconv.Atoi(v.Storage[min(3, len(v.Storage)):]); err == nil && v.Storage[:3] == "str" {
			code = uint64(n)
		}
		putN(code, map[bool]int{true: 1, false: 2}[old])
	}
	section := func(tag string) {
		if !old {
			w.WriteString(tag)
		}
	}
	section("</variable_types><varnames>")
	for _, v := range vars {
		fixed(v.Name, nameLen)
	}
	section("</varnames><sortlist>")
	w.Write(make([]byte, (len(vars)+1)*kLen))
	section("</sortlist><formats>")
	for _, v := range vars {
		fixed(v.Format, fmtLen)
	}
	section("</formats><value_label_names>")
	for _, v := range vars {
		fixed(v.LabelSet, nameLen)
	}
	section("</value_label_names><variable_labels>")
	for _, v := range vars {
		fixed(v.Label, vlabLen)
	}
	// Two dataset notes, stored as characteristics _dta[note0] (the
	// count) and _dta[note1]: expansion fields of type 1 in old formats.
	section("</variable_labels><characteristics>")
	for _, ch := range [][2]string{{"note0", "1"}, {"note1", "Collected in Tromsø"}} {
		if old {
			w.WriteByte(1)
		} else {
			w.WriteString("<ch>")
		}
		putN(uint64(2*nameLen+len(ch[1])+1), 4)
		fixed("_dta", nameLen)
		fixed(ch[0], nameLen)
		w.WriteString(ch[1] + "\x00")
		section("</ch>")
	}
	if old {
		w.Write(make([]byte, 5)) // expansion fields: end marker
	}
	section("</characteristics><data>")
	var strls bytes.Buffer
	for o, row := range rows {
		for vi, v := range vars {
			putCell(&w, &strls, order, v.Storage, row[vi], uint64(vi+1), uint64(o+1))
		}
	}
	if !old {
		w.WriteString("</data><strls>")
		w.Write(strls.Bytes())
		w.WriteString("</strls><value_labels>")
	}
	for name, entries := range labels {
		var txt bytes.Buffer
		var offs, vals []uint64
		for _, e := range entries {
			offs = append(offs, uint64(txt.Len()))
			txt.WriteString(e.Label + "\x00")
			v := uint64(uint32(e.Value))
			if e.Missing != 0 {
				v = 2147483621 + uint64(tagIndex(e.Missing))
			}
			vals = append(vals, v)
		}
		section("<lbl>")
		putN(uint64(8+8*len(entries)+txt.Len()), 4)
		fixed(name, nameLen)
		w.Write(make([]byte, 3))
		putN(uint64(len(entries)), 4)
		putN(uint64(txt.Len()), 4)
		for _, x := range append(offs, vals...) {
			putN(x, 4)
		}
		w.Write(txt.Bytes())
		section("</lbl>")
	}
	section("</value_labels></stata_dta>")
	if !old {
		fillMap(w.Bytes(), order)
	}
	return w.Bytes()
}

// fillMap writes the offsets of the sections into <map> (ReadStat seeks
// by them; the reader reads sections in order): <stata_dta>, <map>, the
// ten sections from <variable_types> to <value_labels>, </stata_dta> and
// the end of the file. Test data never contains the tags.
func fillMap(b []byte, order binary.ByteOrder) {
	at := bytes.Index(b, []byte("<map>")) + len("<map>")
	tags := []string{"<stata_dta>", "<map>", "<variable_types>", "<varnames>", "<sortlist>", "<formats>",
		"<value_label_names>", "<variable_labels>", "<characteristics>", "<data>", "<strls>", "<value_labels>", "</stata_dta>"}
	for i, tag := range tags {
		order.PutUint64(b[at+8*i:], uint64(bytes.Index(b, []byte(tag))))
	}
	order.PutUint64(b[at+8*len(tags):], uint64(len(b)))
}

// put writes the low n bytes of x in file order.
func put(w *bytes.Buffer, order binary.ByteOrder, x uint64, n int) {
	b := make([]byte, 8)
	if order == binary.BigEndian {
		binary.BigEndian.PutUint64(b, x)
		w.Write(b[8-n:])
	} else {
		binary.LittleEndian.PutUint64(b, x)
		w.Write(b[:n])
	}
}

// putCell writes one value; strLs go to strls as GSO entries.
func putCell(w, strls *bytes.Buffer, order binary.ByteOrder, st string, x any, v, o uint64) {
	if s, ok := x.(string); ok {
		if st != "strL" {
			n, _ := strconv.Atoi(st[3:])
			w.WriteString(s)
			w.Write(make([]byte, n-len(s)))
			return
		}
		if s == "" {
			put(w, order, 0, 8)
			return
		}
		put(w, order, v, 4)
		put(w, order, o, 4)
		strls.WriteString("GSO")
		put(strls, order, v, 4)
		put(strls, order, o, 4)
		put(strls, order, 130, 1)
		put(strls, order, uint64(len(s)+1), 4)
		strls.WriteString(s + "\x00")
		return
	}
	size := map[string]int{"byte": 1, "int": 2, "long": 4, "float": 4, "double": 8}[st]
	if tag, ok := x.(tagged); ok {
		k := uint64(tagIndex(tag))
		put(w, order, map[string]uint64{"byte": 101 + k, "int": 32741 + k, "long": 2147483621 + k, "float": 0x7f000000 + k<<11, "double": 0x7fe0000000000000 + k<<40}[st], size)
		return
	}
	f := x.(float64)
	switch st {
	case "float":
		put(w, order, uint64(math.Float32bits(float32(f))), 4)
	case "double":
		put(w, order, math.Float64bits(f), 8)
	default:
		put(w, order, uint64(int64(f)), size)
	}
}

func tagIndex(t tagged) int {
	if t == '.' {
		return 0
	}
	return int(t-'a') + 1
}
