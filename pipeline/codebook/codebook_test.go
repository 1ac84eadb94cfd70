package codebook

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"socap/internal/golden"
	"socap/pipeline/yamlschema"
)

const trust = `name: trust
version: 1
variables:
  - name: resp_id
    type: id
    columns: {wave1: ID}
  - name: weight
    type: weight
    required: false
  - name: kommune
    type: categorical
    values:
      - {code: "5001", nb: Trondheim, en: Trondheim}
      - {code: 5014, nb: Frøya}
  - name: trust_people
    type: ordinal
    label: {nb: Tillit til folk, en: Trust in people}
    columns: {wave1: q7, wave2: Q7}
    range: [1, 5]
    values: [{code: 1.0, en: none}, {code: 5, en: complete}]
    missing: [8, 9.5, NA]
    reverse: true
    dimension: cognitive
  - name: member
    type: binary
    required: true
    values: [{code: 0, en: "no"}, {code: 1, en: "yes"}]
  - name: satisfied
    type: ordinal
    values: [{code: 1, en: low}, {code: 2, en: high}]
  - name: hours
    type: continuous
    values: [{code: 0, en: none}]
`

func parseTrust(t *testing.T) *Codebook {
	t.Helper()
	cb, err := Parse("trust.yaml", []byte(trust))
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func TestParseDecodesVariables(t *testing.T) {
	cb := parseTrust(t)
	v := cb.Variable("trust_people")
	if v == nil {
		t.Fatal("trust_people not found")
	}
	if !reflect.DeepEqual(v.Missing, []Code{"8", "9.5", "NA"}) {
		t.Errorf("missing = %q, want canonical codes [8 9.5 NA]", v.Missing)
	}
	if v.Values[0].Code != "1" || v.Values[1].Code != "5" {
		t.Errorf("codes = %q, %q; want 1, 5", v.Values[0].Code, v.Values[1].Code)
	}
	if got := cb.Variable("kommune").Values[1].Code; got != "5014" {
		t.Errorf("numeric categorical code = %q, want 5014", got)
	}
	if !v.Reverse || v.Dimension != "cognitive" || v.Label.In("nb") != "Tillit til folk" || v.Label.In("en") != "Trust in people" {
		t.Errorf("trust_people decoded as %+v", v)
	}
	if cb.IDVariable().Name != "resp_id" {
		t.Errorf("id %q, want resp_id", cb.IDVariable().Name)
	}
	if cb.Variable("nope") != nil {
		t.Error("Variable(nope) is not nil")
	}
}

func TestTextInFallsBackToEnglish(t *testing.T) {
	tests := []struct {
		text Text
		lang string
		want string
	}{
		{Text{NB: "ja", EN: "yes"}, "nb", "ja"},
		{Text{NB: "ja", EN: "yes"}, "en", "yes"},
		{Text{EN: "yes"}, "nb", "yes"},
	}
	for _, tt := range tests {
		if got := tt.text.In(tt.lang); got != tt.want {
			t.Errorf("%+v.In(%s) = %q, want %q", tt.text, tt.lang, got, tt.want)
		}
	}
}

func TestVariableRules(t *testing.T) {
	cb := parseTrust(t)
	tests := []struct {
		name       string
		numeric    bool
		required   bool
		restricted bool
		bounds     []float64
		wave1      string
		wave3      string
	}{
		{"resp_id", false, true, false, nil, "ID", "resp_id"},
		{"weight", true, false, false, nil, "weight", "weight"},
		{"kommune", false, false, true, nil, "kommune", "kommune"},
		{"trust_people", true, false, false, []float64{1, 5}, "q7", "trust_people"},
		{"member", true, true, true, nil, "member", "member"},
		{"satisfied", true, false, true, nil, "satisfied", "satisfied"},
		{"hours", true, false, false, nil, "hours", "hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := cb.Variable(tt.name)
			if v.Type.Numeric() != tt.numeric {
				t.Errorf("Numeric() = %v", !tt.numeric)
			}
			if v.IsRequired() != tt.required {
				t.Errorf("IsRequired() = %v", !tt.required)
			}
			if v.RestrictedToLabels() != tt.restricted {
				t.Errorf("RestrictedToLabels() = %v", !tt.restricted)
			}
			lo, hi, ok := v.Bounds()
			if ok != (tt.bounds != nil) || ok && (lo != tt.bounds[0] || hi != tt.bounds[1]) {
				t.Errorf("Bounds() = %g, %g, %v; want %v", lo, hi, ok, tt.bounds)
			}
			if got := v.Column("wave1"); got != tt.wave1 {
				t.Errorf("Column(wave1) = %q, want %q", got, tt.wave1)
			}
			if got := v.Column("wave3"); got != tt.wave3 {
				t.Errorf("Column(wave3) = %q, want %q", got, tt.wave3)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{uint64(7), "7"}, {int64(-1), "-1"}, {3, "3"}, {2.0, "2"}, {9.5, "9.5"}, {"NA", "NA"}, {true, "true"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.in); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trust.yaml")
	if err := os.WriteFile(path, []byte(trust), 0o644); err != nil {
		t.Fatal(err)
	}
	cb, err := Load(path)
	if err != nil || cb.Name != "trust" {
		t.Fatalf("Load(file) = %v, %v", cb, err)
	}
	if _, err := Load(filepath.Join(dir, "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing file) error = %v, want os.ErrNotExist", err)
	}
	_, err = Load("builtin:nope")
	if err == nil || !strings.Contains(err.Error(), `no built-in codebook "nope" (have: `) {
		t.Errorf("Load(builtin:nope) error = %v", err)
	}
	if len(Builtins()) == 0 {
		t.Error("no built-in codebooks")
	}
}

// TestBadCodebooks checks the message for every file in
// testdata/bad/codebook against its golden file; every problem must be
// placed at a line.
func TestBadCodebooks(t *testing.T) {
	files, err := filepath.Glob("../../testdata/bad/codebook/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad codebooks: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(name, data)
			if err == nil {
				t.Fatal("Parse accepted a bad codebook")
			}
			var ye *yamlschema.Error
			if !errors.As(err, &ye) {
				t.Fatalf("error %v is not a *yamlschema.Error", err)
			}
			for _, p := range ye.Problems {
				if p.Line == 0 {
					t.Errorf("problem without a line: %v", p)
				}
			}
			golden.CheckString(t, strings.TrimSuffix(f, ".yaml")+".golden", err.Error())
		})
	}
}

// TestBuiltinsParse loads every built-in codebook.
func TestBuiltinsParse(t *testing.T) {
	for _, name := range Builtins() {
		if _, err := Load(BuiltinPrefix + name); err != nil {
			t.Errorf("built-in codebook %s: %v", name, err)
		}
	}
}

// TestParseAcceptsValidCornerCases guards the consistency checks against
// false alarms.
func TestParseAcceptsValidCornerCases(t *testing.T) {
	tests := []struct{ name, variables string }{
		{"columns swapped between waves", `
  - {name: a, type: ordinal, columns: {w1: x, w2: y}}
  - {name: b, type: ordinal, columns: {w1: y, w2: x}}`},
		{"a default name free in the mapped source", `
  - {name: q7, type: ordinal, columns: {w2: q7_old}}
  - {name: trust, type: ordinal, columns: {w2: q7}}`},
		{"a missing code with a label", `
  - {name: a, type: ordinal, range: [1, 5], missing: [8], values: [{code: 8, en: "don't know"}]}`},
		{"reverse by labels", `
  - {name: a, type: binary, reverse: true, values: [{code: 0, en: "no"}, {code: 1, en: "yes"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := "name: t\nvariables:\n  - {name: id, type: id}" + tt.variables + "\n"
			if _, err := Parse("t.yaml", []byte(yaml)); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}
