package spss

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"socap/internal/shareddata"
	"socap/pipeline/ingest/internal/labelledtest"
	"socap/pipeline/ingest/labelled"
)

// TestFixtureMetadata checks the dictionary of fixtures against what
// ReadStat's extract_metadata reports for them.
func TestFixtureMetadata(t *testing.T) {
	ds := shareddata.Path(t, "readstat")
	r, err := Open(filepath.Join(ds, "basic/sample_missing.sav"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.File.Rows != 7 || r.File.Compression != "bytecode" || r.File.Encoding != "windows-1252" {
		t.Errorf("file info %+v", r.File)
	}
	if docs := []string{"some test text as notes", "   (Entered 15-Aug-2018)", "some other comments", "   (Entered 15-Aug-2018)"}; !reflect.DeepEqual(r.File.Documents, docs) {
		t.Errorf("documents %q, want %q", r.File.Documents, docs)
	}
	want := []struct {
		name, label, format string
		kind                labelled.Kind
		measure             Measure
		missing             Missing
		labels              int
	}{
		{"mychar", "character", "A1", labelled.String, MeasureNominal, Missing{}, 0},
		{"mynum", "numeric", "F8.2", labelled.Numeric, MeasureScale, Missing{Values: []float64{-1}, Ranges: []Range{{2000, 3000}}}, 0},
		{"mydate", "date", "EDATE10", labelled.Date, MeasureScale, Missing{}, 0},
		{"dtime", "datetime", "DATETIME20", labelled.DateTime, MeasureScale, Missing{}, 0},
		{"mylabl", "labeled", "F8.2", labelled.Numeric, MeasureScale, Missing{Values: []float64{-1}}, 3},
		{"myord", "ordinal", "F8.2", labelled.Numeric, MeasureOrdinal, Missing{Values: []float64{-1, -2, -3}}, 4},
		{"mytime", "time", "TIME8", labelled.Time, MeasureScale, Missing{}, 0},
	}
	if len(r.Variables) != len(want) {
		t.Fatalf("%d variables", len(r.Variables))
	}
	for i, w := range want {
		v := r.Variables[i]
		if v.Name != w.name || v.Label != w.label || v.Format != w.format || v.Kind != w.kind || v.Measure != w.measure ||
			!reflect.DeepEqual(v.Missing, w.missing) || len(v.ValueLabels) != w.labels {
			t.Errorf("variable %d: %+v, want %+v", i, v, w)
		}
	}
	if l := r.Variables[4].ValueLabels[2]; l.Value != 2 || l.Label != "Female" {
		t.Errorf("mylabl label 3: %+v", l)
	}

	cases := []struct {
		file  string
		check func(t *testing.T, r *Reader)
	}{
		{"basic/test_width.sav", func(t *testing.T, r *Reader) {
			if v := r.Variables[1]; v.Name != "StartDate" || v.ShortName != "STARTDAT" || v.Width != 1024 || v.Format != "A1024" {
				t.Errorf("very long string: %+v", v)
			}
		}},
		{"basic/hebrews.sav", func(t *testing.T, r *Reader) {
			if r.File.Encoding != "UTF-8" || r.File.Label != "jamovi data set" || r.Variables[0].Name != "ותק_ב" {
				t.Errorf("%+v %+v", r.File, r.Variables[0])
			}
		}},
		{"missing_data/missing_char.sav", func(t *testing.T, r *Reader) {
			v := r.Variables[0]
			if !reflect.DeepEqual(v.Missing.Strings, []string{"Z"}) || len(v.ValueLabels) != 1 || v.ValueLabels[0].String != "a" || v.ValueLabels[0].Label != "labeled" {
				t.Errorf("%+v", v)
			}
		}},
		{"basic/ordered_category.sav", func(t *testing.T, r *Reader) {
			if v := r.Variables[0]; v.Measure != MeasureOrdinal || len(v.ValueLabels) != 3 {
				t.Errorf("%+v", v)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := Open(filepath.Join(ds, c.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			c.check(t, r)
		})
	}
}

// TestMissingRange checks a range with LO (the LOWEST flt64 value) as
// its lower bound plus a discrete value: LO becomes -Inf, and values in
// the range or equal to the discrete value become null.
func TestMissingRange(t *testing.T) {
	vars := []Variable{{Name: "x", Missing: Missing{Ranges: []Range{{math.Inf(-1), 5}}, Values: []float64{9}}}}
	values := []float64{-1e300, 5, 6, 9, 5.5}
	var m labelledtest.MemFile
	writeCases(t, &m, vars, WriterOptions{}, len(values), func(r, c int) any { return values[r] })
	if lo := bytes.Index(m.B, binary.LittleEndian.AppendUint64(nil, lowestBits)); lo < 0 {
		t.Fatal("the range does not start at LOWEST")
	}
	r, err := NewReader(bytes.NewReader(m.B), int64(len(m.B)), "range.sav", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Variables[0].Missing; !reflect.DeepEqual(got, Missing{Values: []float64{9}, Ranges: []Range{{math.Inf(-1), 5}}}) {
		t.Errorf("missing %+v", got)
	}
	b := r.NewBatch(10)
	if n, err := r.Next(b); n != len(values) || err != nil {
		t.Fatalf("%d rows, %v", n, err)
	}
	if want := []bool{false, false, true, false, true}; !reflect.DeepEqual(b.Columns[0].Valid[:len(values)], want) {
		t.Errorf("valid %v, want %v", b.Columns[0].Valid[:len(values)], want)
	}
}
