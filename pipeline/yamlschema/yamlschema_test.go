package yamlschema

import (
	"errors"
	"strings"
	"testing"
)

var testSchema = Compile("test.json", []byte(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["name", "items"],
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z]+$", "description": "Lower-case letters."},
    "items": {"type": "array", "items": {
      "type": "object", "additionalProperties": false, "required": ["size"],
      "properties": {"size": {"type": "integer"}, "colour": {"enum": ["red", "green", "blue"]}}}}
  }
}`))

type doc struct {
	Name  string `yaml:"name"`
	Items []struct {
		Size   int    `yaml:"size"`
		Colour string `yaml:"colour"`
	} `yaml:"items"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // problems, in order, without a syntax error's excerpt; nil for valid input
	}{
		{"valid", "name: a\nitems:\n  - {size: 1, colour: red}\n", nil},
		{"typo of optional key", "name: a\nitems:\n  - size: 1\n    color: red\n", []string{`f.yaml:4:5: unknown key "color" (did you mean "colour"?)`}},
		{"typo explains missing key", "name: a\nitems:\n  - sise: 1\n", []string{`f.yaml:3:5: unknown key "sise" (did you mean "size"?)`}},
		{"no close key lists allowed", "name: a\nitems: []\nzzzzzzzz: 1\n", []string{`f.yaml:3:1: unknown key "zzzzzzzz" (allowed: items, name)`}},
		{"missing key at mapping start", "name: a\n", []string{`f.yaml:1:1: missing property 'items'`}},
		{"wrong type", "name: a\nitems:\n  - size: big\n", []string{`f.yaml:3:11: /items/0/size: got string, want integer`}},
		{"problems sorted by line", "nme: a\nitems:\n  - size: x\n", []string{
			`f.yaml:1:1: unknown key "nme" (did you mean "name"?)`,
			`f.yaml:3:11: /items/0/size: got string, want integer`,
		}},
		{"pattern explained by the description", "name: A1\nitems: []\n", []string{`f.yaml:1:7: /name: 'A1' does not match pattern '^[a-z]+$' (Lower-case letters)`}},
		{"enum value typo", "name: a\nitems:\n  - {size: 1, colour: gren}\n", []string{`f.yaml:3:23: /items/0/colour: value must be one of 'red', 'green', 'blue' (did you mean "green"?)`}},
		{"enum value far off", "name: a\nitems:\n  - {size: 1, colour: purple}\n", []string{`f.yaml:3:23: /items/0/colour: value must be one of 'red', 'green', 'blue'`}},
		{"syntax error", "name: a\n  items: [\n", []string{"f.yaml:1:7: mapping value is not allowed in this context"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := testSchema.Decode("f.yaml", []byte(tt.yaml), &d)
			if tt.want == nil {
				if err != nil || d.Name != "a" || d.Items[0].Colour != "red" {
					t.Fatalf("Decode = %+v, %v", d, err)
				}
				return
			}
			var ye *Error
			if !errors.As(err, &ye) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if len(ye.Problems) != len(tt.want) {
				t.Fatalf("problems:\n%v\nwant %d", err, len(tt.want))
			}
			for i, p := range ye.Problems {
				excerpt := p.Excerpt
				p.Excerpt = ""
				if p.Error() != tt.want[i] {
					t.Errorf("problem %d = %q, want %q", i, p.Error(), tt.want[i])
				}
				if syntax := strings.HasPrefix(tt.name, "syntax"); syntax != strings.Contains(excerpt, ">  1 | name: a") {
					t.Errorf("problem %d has excerpt %q", i, excerpt)
				}
			}
		})
	}
}

func TestAt(t *testing.T) {
	data := []byte("name: a\nitems:\n  - size: 1\n  - size: 2\n    colour: red\n")
	tests := []struct {
		loc       []string
		line, col int
	}{
		{[]string{"items", "1", "colour"}, 5, 13},
		{[]string{"items", "1"}, 4, 5},
		{[]string{"items", "7"}, 0, 0},
	}
	for _, tt := range tests {
		p := At("f.yaml", data, tt.loc, "bad %s", "thing")
		if p.Line != tt.line || p.Column != tt.col || p.Message != "bad thing" {
			t.Errorf("At(%v) = %+v, want %d:%d", tt.loc, p, tt.line, tt.col)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"codebook", "sources", "store", "engine"}
	tests := []struct{ in, want string }{
		{"codebok", "codebook"},
		{"Sources", "sources"},
		{"stor", "store"},
		{"colour_scheme", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.in, keys); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Closest("a", nil); got != "" {
		t.Errorf("Closest with no candidates = %q", got)
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"Tromsø", "Tromso", 1}, {"wave", "wave", 0},
	}
	for _, tt := range tests {
		if got := Levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
