package codebook

import (
	"errors"
	"strings"
	"testing"

	"socap/pipeline/yamlschema"
)

// TestScoreBounds checks the POMP bounds: score_range first, then range,
// then the smallest and largest numeric labelled code.
func TestScoreBounds(t *testing.T) {
	cb, err := Parse("t.yaml", []byte(`name: t
variables:
  - {name: id, type: id}
  - {name: friends, type: count, range: [0, 97], score_range: [0, 10]}
  - {name: trust, type: ordinal, range: [0, 10]}
  - {name: safe, type: ordinal, reverse: true, values: [{code: 4, en: very unsafe}, {code: 1, en: very safe}, {code: 2, en: safe}]}
  - {name: note, type: text}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lo, hi float64
		ok     bool
	}{{"friends", 0, 10, true}, {"trust", 0, 10, true}, {"safe", 1, 4, true}, {"note", 0, 0, false}}
	for _, tt := range tests {
		lo, hi, ok := cb.Variable(tt.name).ScoreBounds()
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("%s: ScoreBounds = %g, %g, %v; want %g, %g, %v", tt.name, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
}

// TestBadScoreRange checks that an empty or reversed score_range and one on
// a text variable are refused at their line.
func TestBadScoreRange(t *testing.T) {
	tests := []struct{ variable, want string }{
		{"{name: a, type: count, score_range: [10, 10]}", `t.yaml:4:`},
		{"{name: a, type: count, score_range: [10, 0]}", `variable "a": score_range [10, 0] needs min < max`},
		{"{name: a, type: text, score_range: [0, 1]}", `variable "a": score_range needs a numeric type, not text`},
		{"{name: a, type: count, score_range: [1]}", `score_range`},
	}
	for _, tt := range tests {
		_, err := Parse("t.yaml", []byte("name: t\nvariables:\n  - {name: id, type: id}\n  - "+tt.variable+"\n"))
		var ye *yamlschema.Error
		if err == nil || !errors.As(err, &ye) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want a placed error containing %q", tt.variable, err, tt.want)
			continue
		}
		if ye.Problems[0].Line != 4 {
			t.Errorf("%s: problem at line %d, want 4", tt.variable, ye.Problems[0].Line)
		}
	}
}

// TestDefaultColumn checks column: (the column of every source that columns
// does not list) and that two variables reading one column that way clash.
func TestDefaultColumn(t *testing.T) {
	cb, err := Parse("t.yaml", []byte(`name: t
variables:
  - {name: id, type: id, column: idno}
  - {name: trust_people, type: ordinal, column: ppltrst, columns: {old: q7}}
  - {name: gender, type: categorical}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ variable, source, want string }{
		{"id", "ess9", "idno"}, {"trust_people", "ess9", "ppltrst"}, {"trust_people", "old", "q7"}, {"gender", "ess9", "gender"},
	} {
		if got := cb.Variable(tt.variable).Column(tt.source); got != tt.want {
			t.Errorf("%s in %s: column %q, want %q", tt.variable, tt.source, got, tt.want)
		}
	}
	_, err = Parse("t.yaml", []byte(`name: t
variables:
  - {name: id, type: id}
  - {name: confide, type: ordinal, column: inprdsc}
  - {name: close_people, type: ordinal, column: inprdsc}
  - {name: gndr, type: categorical}
  - {name: gender, type: categorical, column: gndr}
`))
	for _, want := range []string{
		`t.yaml:5:`, `variables "confide" and "close_people" both read column "inprdsc" of every source without a columns entry for them`,
		`t.yaml:7:`, `variables "gndr" and "gender" both read column "gndr"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}
