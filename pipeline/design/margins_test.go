package design

import (
	"errors"
	"strings"
	"testing"

	"socap/pipeline/dataerr"
)

func TestParseMargins(t *testing.T) {
	m, err := parseMargins("m.csv", strings.NewReader("\ufeffvariable,level,total,wave\ngender,1,100,\ngender,2,110,\nage_group,1,50,1\nage_group,1,55,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	w2 := m.ForWave(2)
	if len(w2) != 3 || w2[2].Total != 55 || w2[0].Variable != "gender" || w2[1].Level != "2" {
		t.Errorf("wave 2 margins %+v", w2)
	}
	if got := m.Variables(); strings.Join(got, ",") != "gender,age_group" {
		t.Errorf("variables %v", got)
	}
	if !m.Waved() {
		t.Error("Waved false with a wave column")
	}
	if w0 := m.ForWave(0); len(w0) != 2 {
		t.Errorf("rows for every wave: %+v", w0)
	}
}

func TestParseMarginsRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		row            int64
		col            string
	}{
		{"header", "var,level,total\n", "header must be variable,level,total[,wave]", 0, ""},
		{"empty", "", "empty", 0, ""},
		{"no rows", "variable,level,total\n", "no margins", 0, ""},
		{"total", "variable,level,total\ngender,1,many\n", `"many" is not a number`, 1, "total"},
		{"variable", "variable,level,total\ngender,1,3\n ,2,4\n", "empty variable name", 2, "variable"},
		{"wave", "variable,level,total,wave\ngender,1,3,first\n", `"first" is not a wave number`, 1, "wave"},
		{"fields", "variable,level,total\ngender,1\n", "2 fields, want 3", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseMargins("m.csv", strings.NewReader(tc.in))
			var de *dataerr.DataError
			if !errors.As(err, &de) || !errors.Is(err, ErrMarginsFile) {
				t.Fatalf("error %v, want a DataError wrapping ErrMarginsFile", err)
			}
			if !strings.Contains(err.Error(), tc.want) || de.Row != tc.row || de.Column != tc.col || de.File != "m.csv" {
				t.Errorf("error %q (row %d, column %q), want %q at row %d, column %q", err, de.Row, de.Column, tc.want, tc.row, tc.col)
			}
		})
	}
}
