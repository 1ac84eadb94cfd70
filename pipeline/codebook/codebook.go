// Package codebook reads socap codebooks: the YAML files that say, for every
// canonical variable, where it comes from in each source file, what type it
// has, which codes are valid, which mean "missing", how it is labelled in
// Norwegian and English, and which dimension of social capital it measures.
// Codebooks are validated against schemas/codebook.schema.json and then
// checked for consistency across variables.
package codebook

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"socap/pipeline/yamlschema"
	"socap/schemas"
)

// Type is a variable's measurement type.
type Type string

// The variable types a codebook may use.
const (
	ID          Type = "id"
	Weight      Type = "weight"
	Design      Type = "design" // strata, PSU, fpc …
	Binary      Type = "binary"
	Ordinal     Type = "ordinal"
	Count       Type = "count"
	Continuous  Type = "continuous"
	Categorical Type = "categorical"
	TextType    Type = "text"
)

// Numeric reports whether values of this type are stored as DOUBLE.
func (t Type) Numeric() bool {
	switch t {
	case Weight, Design, Binary, Ordinal, Count, Continuous:
		return true
	}
	return false
}

// Text is a label in Norwegian Bokmål and English.
type Text struct {
	NB string `yaml:"nb"`
	EN string `yaml:"en"`
}

// IsZero reports an empty text (so that YAML output omits it).
func (t Text) IsZero() bool { return t.NB == "" && t.EN == "" }

// In returns the text in lang ("nb" or "en"), falling back to English.
func (t Text) In(lang string) string {
	if lang == "nb" && t.NB != "" {
		return t.NB
	}
	return t.EN
}

// Code is a value code as written in the codebook, in canonical text form
// (integers without decimals: 2, not 2.0).
type Code string

// UnmarshalYAML accepts numbers and strings.
func (c *Code) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	*c = Code(FormatValue(v))
	return nil
}

// FormatValue writes a YAML scalar in canonical code form.
func FormatValue(v any) string {
	switch v := v.(type) {
	case uint64:
		return strconv.FormatUint(v, 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// Float is the numeric value of the code.
func (c Code) Float() (float64, bool) {
	f, err := strconv.ParseFloat(string(c), 64)
	return f, err == nil
}

// Value is one labelled code.
type Value struct {
	Code Code   `yaml:"code"`
	NB   string `yaml:"nb"`
	EN   string `yaml:"en"`
}

// Variable is one canonical variable.
type Variable struct {
	Name     string            `yaml:"name"`
	Type     Type              `yaml:"type"`
	Label    Text              `yaml:"label,omitempty"`
	Question Text              `yaml:"question,omitempty"`
	Source   string            `yaml:"source"`
	Columns  map[string]string `yaml:"columns"`
	// DefaultColumn is the column read in every source that Columns does not
	// list ("column:" in YAML), when it differs from the canonical name: how
	// a built-in codebook maps a published survey's names (ESS's ppltrst
	// onto trust_people) whatever the source ids.
	DefaultColumn string    `yaml:"column"`
	Values        []Value   `yaml:"values"`
	Missing       []Code    `yaml:"missing"`
	Range         []float64 `yaml:"range"`
	// ScoreRange bounds the item in POMP scores (see ScoreBounds).
	ScoreRange []float64 `yaml:"score_range"`
	Reverse    bool      `yaml:"reverse"`
	// Recode maps a source's codes to the codebook's before anything else
	// (missing codes, ranges, labels and reverse all speak of the recoded
	// values); codes it does not list stay as they are. ESS's wrkorg
	// (1 yes, 2 no) becomes 1 yes, 0 no with {1: 1, 2: 0}.
	Recode map[Code]Code `yaml:"recode"`
	// AtMost names a numeric variable the value may not exceed in the same
	// row (how many of the children take part, at most the children): a
	// larger value is a rejected cell.
	AtMost    string `yaml:"at_most"`
	Dimension string `yaml:"dimension"`
	Required  *bool  `yaml:"required"`
}

// Column is the name of the variable's column in the given source: its
// entry in columns, else column, else the canonical name.
func (v *Variable) Column(sourceID string) string {
	if c, ok := v.Columns[sourceID]; ok {
		return c
	}
	if v.DefaultColumn != "" {
		return v.DefaultColumn
	}
	return v.Name
}

// IsRequired reports whether a source must have the variable's column.
func (v *Variable) IsRequired() bool {
	if v.Required != nil {
		return *v.Required
	}
	return v.Type == ID || v.Type == Weight
}

// Bounds is the valid interval [lo, hi] when the codebook gives a range.
func (v *Variable) Bounds() (lo, hi float64, ok bool) {
	if len(v.Range) == 2 {
		return v.Range[0], v.Range[1], true
	}
	return 0, 0, false
}

// ScoreBounds are the bounds [lo, hi] of the item in 0–100 POMP scores,
//
//	POMP(x) = 100 · (min(hi, max(lo, x)) − lo) / (hi − lo)
//
// (Cohen, Cohen, Aiken & West 1999, "The problem of units and the
// circumstance for POMP", Multivariate Behavioral Research 34(3)), applied
// after reverse coding: score_range when given, else the range, else the
// smallest and largest labelled code; ok is false when there are none.
func (v *Variable) ScoreBounds() (lo, hi float64, ok bool) {
	if len(v.ScoreRange) == 2 {
		return v.ScoreRange[0], v.ScoreRange[1], true
	}
	if lo, hi, ok := v.Bounds(); ok {
		return lo, hi, true
	}
	first := true
	for _, val := range v.Values {
		x, isNum := val.Code.Float()
		if !isNum {
			continue
		}
		if first || x < lo {
			lo = x
		}
		if first || x > hi {
			hi = x
		}
		first = false
	}
	return lo, hi, !first
}

// RestrictedToLabels reports whether only labelled codes are valid: true for
// binary and categorical variables with labels, and ordinal ones without a
// range.
func (v *Variable) RestrictedToLabels() bool {
	if len(v.Values) == 0 {
		return false
	}
	switch v.Type {
	case Binary, Categorical:
		return true
	case Ordinal:
		return len(v.Range) == 0
	}
	return false
}

// Codebook is a parsed, checked codebook.
type Codebook struct {
	Name        string      `yaml:"name"`
	Version     any         `yaml:"version"`
	Title       Text        `yaml:"title,omitempty"`
	Description Text        `yaml:"description,omitempty"`
	References  []Reference `yaml:"references"`
	Variables   []Variable  `yaml:"variables"`
}

// Reference is a cited instrument an item is based on.
type Reference struct {
	ID       string `yaml:"id"`
	Citation string `yaml:"citation"`
	URL      string `yaml:"url"`
}

// Variable returns the variable with the canonical name, or nil.
func (cb *Codebook) Variable(name string) *Variable {
	for i := range cb.Variables {
		if cb.Variables[i].Name == name {
			return &cb.Variables[i]
		}
	}
	return nil
}

// IDVariable is the respondent id variable.
func (cb *Codebook) IDVariable() *Variable { return cb.firstOfType(ID) }

func (cb *Codebook) firstOfType(t Type) *Variable {
	for i := range cb.Variables {
		if cb.Variables[i].Type == t {
			return &cb.Variables[i]
		}
	}
	return nil
}

var schema = yamlschema.Compile("codebook.schema.json", schemas.CodebookSchema)

// BuiltinPrefix marks a built-in codebook reference, e.g. "builtin:ilag".
const BuiltinPrefix = "builtin:"

// Load reads a codebook file, or a built-in one when ref is "builtin:NAME".
func Load(ref string) (*Codebook, error) {
	if name, ok := strings.CutPrefix(ref, BuiltinPrefix); ok {
		data, err := fs.ReadFile(schemas.Codebooks, path.Join("codebooks", name+".yaml"))
		if err != nil {
			return nil, fmt.Errorf("codebook %s: no built-in codebook %q (have: %s)", ref, name, strings.Join(Builtins(), ", "))
		}
		return Parse(ref, data)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("codebook: %w", err)
	}
	return Parse(ref, data)
}

// Builtins lists the names of the built-in codebooks.
func Builtins() []string {
	entries, _ := fs.ReadDir(schemas.Codebooks, "codebooks")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	return names
}

// Parse validates and decodes a codebook; file names it in errors.
func Parse(file string, data []byte) (*Codebook, error) {
	var cb Codebook
	if err := schema.Decode(file, data, &cb); err != nil {
		return nil, err
	}
	if err := cb.check(file, data); err != nil {
		return nil, err
	}
	return &cb, nil
}

// Reserved are the names of the columns that identify a respondent row in
// the respondents table besides the codebook variables; no variable may use
// them.
var Reserved = []string{"source_id", "wave"}

// check enforces what the schema cannot: unique names, one id variable, at
// most one weight, no two variables read from one column of one source,
// sensible ranges, codes and reverse coding. Problems are placed at their
// line in data and returned as a *yamlschema.Error.
func (cb *Codebook) check(file string, data []byte) error {
	var ps []yamlschema.Problem
	at := func(loc []string, format string, args ...any) {
		ps = append(ps, yamlschema.At(file, data, loc, format, args...))
	}
	line := func(loc []string) int { return yamlschema.At(file, data, loc, "").Line }
	first := map[string]int{}
	for i, v := range cb.Variables {
		if j, ok := first[v.Name]; ok {
			at(varAt(i, "name"), "variable %q is defined twice (first at line %d)", v.Name, line(varAt(j, "name")))
		} else {
			first[v.Name] = i
		}
		if slices.Contains(Reserved, v.Name) {
			at(varAt(i, "name"), "variable name %q is reserved for a column every respondent has (%s)", v.Name, strings.Join(Reserved, ", "))
		}
		if len(v.Range) == 2 && v.Range[0] > v.Range[1] {
			at(varAt(i, "range"), "variable %q: range [%g, %g] has min > max", v.Name, v.Range[0], v.Range[1])
		}
		if len(v.ScoreRange) == 2 && v.ScoreRange[0] >= v.ScoreRange[1] {
			at(varAt(i, "score_range"), "variable %q: score_range [%g, %g] needs min < max", v.Name, v.ScoreRange[0], v.ScoreRange[1])
		} else if len(v.ScoreRange) == 2 && !v.Type.Numeric() {
			at(varAt(i, "score_range"), "variable %q: score_range needs a numeric type, not %s", v.Name, v.Type)
		}
		if v.Reverse && !v.Type.Numeric() {
			at(varAt(i, "reverse"), "variable %q: reverse coding needs a numeric type, not %s", v.Name, v.Type)
		} else if v.Reverse && len(v.Range) != 2 && len(v.Values) == 0 {
			at(varAt(i, "reverse"), "variable %q: reverse coding needs a range or value labels", v.Name)
		}
		if v.Type.Numeric() {
			for k, val := range v.Values {
				if _, ok := val.Code.Float(); !ok {
					at(varAt(i, "values", strconv.Itoa(k), "code"), "variable %q: code %q is not a number but the type %s is numeric", v.Name, val.Code, v.Type)
				}
			}
			for _, from := range slices.Sorted(maps.Keys(v.Recode)) {
				_, okFrom := from.Float()
				if _, okTo := v.Recode[from].Float(); !okFrom || !okTo {
					at(varAt(i, "recode"), "variable %q: recode %s → %s: the type %s is numeric, so both codes must be numbers", v.Name, from, v.Recode[from], v.Type)
				}
			}
		}
		if v.AtMost != "" {
			if o := cb.Variable(v.AtMost); o == nil || !o.Type.Numeric() || !v.Type.Numeric() || o.Name == v.Name {
				at(varAt(i, "at_most"), "variable %q: at_most %q must name another numeric variable, and %q be numeric", v.Name, v.AtMost, v.Name)
			}
		}
		if len(v.Recode) > 0 && !v.Type.Numeric() && v.Type != Categorical {
			at(varAt(i, "recode"), "variable %q: recode needs a numeric or categorical type, not %s", v.Name, v.Type)
		}
	}
	if ids := cb.ofType(ID); len(ids) != 1 {
		loc := []string{"variables"}
		if len(ids) > 1 {
			loc = varAt(ids[1], "type")
		}
		at(loc, "a codebook needs exactly one variable of type id, found %d", len(ids))
	}
	if ws := cb.ofType(Weight); len(ws) > 1 {
		at(varAt(ws[1], "type"), "at most one variable of type weight, found %d", len(ws))
	}
	for _, c := range cb.columnClashes() {
		source := "source " + c.source
		if c.source == anySource {
			source = "every source without a columns entry for them"
		}
		at(c.loc, "variables %q and %q both read column %q of %s", cb.Variables[c.first].Name, cb.Variables[c.second].Name, c.column, source)
	}
	if len(ps) == 0 {
		return nil
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return &yamlschema.Error{Problems: ps}
}

// varAt locates a key of the i-th variable.
func varAt(i int, keys ...string) []string {
	return append([]string{"variables", strconv.Itoa(i)}, keys...)
}

// ofType lists the indices of the variables of type t.
func (cb *Codebook) ofType(t Type) []int {
	var idx []int
	for i, v := range cb.Variables {
		if v.Type == t {
			idx = append(idx, i)
		}
	}
	return idx
}

// anySource stands in clash checks for every source no columns map lists.
const anySource = "*"

// clash is two variables reading one column of one source.
type clash struct {
	source, column string
	first, second  int      // variable indices, first < second
	loc            []string // where to report it
}

// columnClashes finds two variables that read the same column of one of the
// sources named in any columns map, or of any other source (reported as
// source "*"). A variable not mapped for a source reads its column: or the
// column named like the variable.
func (cb *Codebook) columnClashes() []clash {
	sources := map[string]bool{anySource: true}
	for _, v := range cb.Variables {
		for s := range v.Columns {
			sources[s] = true
		}
	}
	var out []clash
	for _, s := range sortedKeys(sources) {
		reader := map[string]int{}
		for i := range cb.Variables {
			v := &cb.Variables[i]
			col := v.Column(s)
			j, taken := reader[col]
			if !taken {
				reader[col] = i
				continue
			}
			if s == anySource && v.DefaultColumn == "" && cb.Variables[j].DefaultColumn == "" {
				continue // two variables of one name, reported as such
			}
			loc := varAt(i, "name")
			if _, explicit := v.Columns[s]; explicit {
				loc = varAt(i, "columns", s)
			} else if _, explicit := cb.Variables[j].Columns[s]; explicit {
				loc = varAt(j, "columns", s)
			} else if v.DefaultColumn != "" {
				loc = varAt(i, "column")
			} else if cb.Variables[j].DefaultColumn != "" {
				loc = varAt(j, "column")
			}
			out = append(out, clash{source: s, column: col, first: j, second: i, loc: loc})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
