package ingest

import (
	"context"
	"math"
	"reflect"
	"testing"

	"socap/pipeline/ingest/labelled"
	"socap/pipeline/ingest/spss"
)

// The files come from testdata/reference/ingest_labelled.R (R's haven).
func TestLoadLabelledFiles(t *testing.T) {
	spssTillit := Column{Name: "tillit", Label: "Tillit til kommunen", Type: "numeric", MissingCodes: "99",
		ValueLabels: []ValueLabel{{"1", "Ingen tillit"}, {"5", "Full tillit"}, {"99", "Vet ikke"}}}
	tests := []struct {
		file   string
		keep   bool // FileOptions.KeepUserMissing
		rows   [][]string
		tillit Column
	}{
		{
			// The user-missing 99 is NULL, as haven's read_sav gives NA;
			// variables.missing still declares it.
			file: "../../testdata/ingest/labelled.sav",
			rows: [][]string{
				{"1", "Frøya", "4", "0.5", "2024-03-01", "2024-03-01T10:30:00", "1", "∅"},
				{"2", "Tromsø", "∅", "1.25", "2024-03-02", "∅", "2", "∅"},
				{"3", "Åfjord", "∅", "2", "∅", "2024-03-02T08:00:05", "3", "∅"},
			},
			tillit: spssTillit,
		},
		{
			// Kept, as read_sav(user_na = TRUE).
			file: "../../testdata/ingest/labelled.sav",
			keep: true,
			rows: [][]string{
				{"1", "Frøya", "4", "0.5", "2024-03-01", "2024-03-01T10:30:00", "1", "∅"},
				{"2", "Tromsø", "99", "1.25", "2024-03-02", "∅", "2", "∅"},
				{"3", "Åfjord", "∅", "2", "∅", "2024-03-02T08:00:05", "3", "∅"},
			},
			tillit: spssTillit,
		},
		{
			file: "../../testdata/ingest/labelled.dta",
			rows: [][]string{
				{"1", "Frøya", "4", "0.5", "2024-03-01", "2024-03-01T10:30:00", "1", "∅"},
				{"2", "Tromsø", "5", "1.25", "2024-03-02", "∅", "2", "∅"},
				{"3", "Åfjord", "∅", "2", "∅", "2024-03-02T08:00:05", "3", "∅"},
			},
			tillit: Column{Name: "tillit", Label: "Tillit til kommunen", Type: "numeric",
				ValueLabels: []ValueLabel{{"1", "Ingen tillit"}, {"5", "Full tillit"}}},
		},
	}
	for _, tc := range tests {
		name := tc.file
		if tc.keep {
			name += "/keep"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, "")
			info, err := LoadFile(ctx, st, tc.file, FileOptions{KeepUserMissing: tc.keep}, "lab")
			if err != nil {
				t.Fatal(err)
			}
			if got := rawRows(t, st, info.Table); !reflect.DeepEqual(got, tc.rows) {
				t.Errorf("rows:\n got %q\nwant %q", got, tc.rows)
			}
			cols, err := Columns(ctx, st, "lab")
			if err != nil {
				t.Fatal(err)
			}
			got := cols[2]
			got.Format, got.Measure = "", ""
			if !reflect.DeepEqual(got, tc.tillit) {
				t.Errorf("tillit:\n got %+v\nwant %+v", got, tc.tillit)
			}
		})
	}
}

func TestValueText(t *testing.T) {
	tests := []struct {
		kind labelled.Kind
		v    float64
		want string
	}{
		{labelled.Numeric, 3, "3"},
		{labelled.Numeric, -0.1, "-0.1"},
		{labelled.Numeric, 1e15, "1e+15"},
		{labelled.Numeric, 123456789012345, "123456789012345"},
		{labelled.Numeric, math.NaN(), "NaN"},
		{labelled.Date, 19783, "2024-03-01"},
		{labelled.Date, -1, "1969-12-31"},
		{labelled.Date, 19783.5, "2024-03-01T12:00:00"},
		{labelled.DateTime, 1709289000, "2024-03-01T10:30:00"},
		{labelled.DateTime, 1709289000.25, "2024-03-01T10:30:00.25"},
		{labelled.Time, 3725, "01:02:05"},
		{labelled.Time, 97200.5, "27:00:00.5"},
		{labelled.Time, -60, "-00:01:00"},
	}
	for _, tc := range tests {
		if got := valueText(tc.kind, tc.v); got != tc.want {
			t.Errorf("valueText(%d, %v) = %q, want %q", tc.kind, tc.v, got, tc.want)
		}
	}
}

// TestParseSPSSMissing reads back every kind of declaration spssMissing writes.
func TestParseSPSSMissing(t *testing.T) {
	for _, c := range []struct {
		m    spss.Missing
		text bool
	}{
		{spss.Missing{Values: []float64{-1, 97.5, 99}}, false},
		{spss.Missing{Ranges: []spss.Range{{Lo: math.Inf(-1), Hi: 0}}, Values: []float64{99}}, false},
		{spss.Missing{Ranges: []spss.Range{{Lo: 97, Hi: math.Inf(1)}}}, false},
		{spss.Missing{Strings: []string{"NA", "x"}}, true},
		{spss.Missing{}, false},
	} {
		got := ParseSPSSMissing(spssMissing(c.m), c.text)
		if !reflect.DeepEqual(got, c.m) {
			t.Errorf("%q read back as %+v, want %+v", spssMissing(c.m), got, c.m)
		}
	}
}
