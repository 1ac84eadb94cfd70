// Package yamlschema decodes YAML documents (socap.yaml, codebooks) after
// validating them against an embedded JSON Schema, reporting every problem as
// file:line:column with a readable message. An unknown key is reported with
// the closest key the schema allows ("did you mean …?").
package yamlschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Problem is one validation failure at a place in a YAML file.
type Problem struct {
	File    string
	Line    int // 1-based; 0 when unknown
	Column  int
	Path    string // JSON pointer of the offending value, e.g. /sources/0/wave
	Message string
	// Excerpt shows the offending lines of a YAML syntax error; "" otherwise.
	Excerpt string
}

func (p Problem) Error() string {
	msg := fmt.Sprintf("%s: %s", p.File, p.Message)
	if p.Line > 0 {
		msg = fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
	}
	if p.Excerpt != "" {
		msg += "\n" + p.Excerpt
	}
	return msg
}

// Error lists all problems of one document.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	var msgs []string
	for i, p := range e.Problems {
		if i == maxReported {
			msgs = append(msgs, fmt.Sprintf("… and %d more problems", len(e.Problems)-maxReported))
			break
		}
		msgs = append(msgs, p.Error())
	}
	return strings.Join(msgs, "\n")
}

// maxReported is the number of problems Error lists before summarising the
// rest (all stay in Problems).
const maxReported = 20

// Schema is a compiled JSON Schema together with its source document, which
// is consulted to suggest valid keys.
type Schema struct {
	compiled *jsonschema.Schema
	doc      any
}

// Compile compiles a JSON Schema document. It panics on an invalid schema:
// schemas are embedded in the binary, so that is a programmer error.
func Compile(name string, schemaJSON []byte) *Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		panic(fmt.Sprintf("yamlschema: schema %s: %v", name, err))
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		panic(fmt.Sprintf("yamlschema: schema %s: %v", name, err))
	}
	sch, err := c.Compile(name)
	if err != nil {
		panic(fmt.Sprintf("yamlschema: schema %s: %v", name, err))
	}
	return &Schema{compiled: sch, doc: doc}
}

// Decode validates data (the contents of file) against the schema and, when
// valid, decodes it into out. The returned error is a *Error for schema
// violations, or a positioned YAML syntax error.
func (s *Schema) Decode(file string, data []byte, out any) error {
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		return syntaxError(file, err)
	}
	var generic any
	if err := yaml.Unmarshal(data, &generic); err != nil {
		return syntaxError(file, err)
	}
	instance, err := toJSONValue(generic)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := s.compiled.Validate(instance); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return fmt.Errorf("%s: %w", file, err)
		}
		return s.problems(file, astFile, ve)
	}
	if err := yaml.UnmarshalWithOptions(data, out, yaml.Strict()); err != nil {
		return syntaxError(file, err)
	}
	return nil
}

// syntaxError turns a go-yaml error into a positioned *Error whose excerpt
// shows the offending lines.
func syntaxError(file string, err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil || ye.GetToken().Position == nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	pos := ye.GetToken().Position
	excerpt := yaml.FormatError(err, false, true)
	if _, rest, ok := strings.Cut(excerpt, "\n"); ok {
		excerpt = strings.TrimRight(rest, "\n")
	} else {
		excerpt = ""
	}
	return &Error{Problems: []Problem{{File: file, Line: pos.Line, Column: pos.Column, Message: ye.GetMessage(), Excerpt: excerpt}}}
}

// At returns a Problem placed at the value with the location loc (keys and
// array indices, e.g. "sources", "1", "id") in the YAML document data, for
// checks made after schema validation. The position is 0:0 when loc is not
// in data.
func At(file string, data []byte, loc []string, format string, args ...any) Problem {
	p := Problem{File: file, Path: pointer(loc), Message: fmt.Sprintf(format, args...)}
	if f, err := parser.ParseBytes(data, 0); err == nil {
		p.Line, p.Column = position(f, loc, false)
	}
	return p
}

// toJSONValue round-trips through encoding/json so the validator sees plain
// JSON types (map[string]any, []any, json.Number, string, bool, nil).
func toJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("convert yaml for validation: %w", err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

var printer = message.NewPrinter(language.English)

func (s *Schema) problems(file string, astFile *ast.File, root *jsonschema.ValidationError) *Error {
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(root)
	// An unknown key that looks like a typo of a required one ("codebok")
	// explains the "missing property" error for the intended key; report
	// the typo only.
	suggested := map[string]bool{}
	for _, leaf := range leaves {
		if ap, ok := leaf.ErrorKind.(*kind.AdditionalProperties); ok {
			allowed := s.allowedKeys(leaf.SchemaURL)
			for _, key := range ap.Properties {
				if best := Closest(key, allowed); best != "" {
					suggested[pointer(append(append([]string{}, leaf.InstanceLocation...), best))] = true
				}
			}
		}
	}
	out := &Error{}
	seen := map[string]bool{}
	for _, leaf := range leaves {
		if req, ok := leaf.ErrorKind.(*kind.Required); ok {
			var missing []string
			for _, m := range req.Missing {
				if !suggested[pointer(append(append([]string{}, leaf.InstanceLocation...), m))] {
					missing = append(missing, m)
				}
			}
			if len(missing) == 0 {
				continue
			}
			req.Missing = missing
		}
		for _, p := range s.describe(file, astFile, leaf) {
			key := p.Error()
			if !seen[key] {
				seen[key] = true
				out.Problems = append(out.Problems, p)
			}
		}
	}
	sort.SliceStable(out.Problems, func(i, j int) bool {
		a, b := out.Problems[i], out.Problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

func (s *Schema) describe(file string, astFile *ast.File, e *jsonschema.ValidationError) []Problem {
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		allowed := s.allowedKeys(e.SchemaURL)
		var ps []Problem
		for _, key := range ap.Properties {
			loc := append(append([]string{}, e.InstanceLocation...), key)
			line, col := position(astFile, loc, true)
			msg := fmt.Sprintf("unknown key %q", key)
			if best := Closest(key, allowed); best != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", best)
			} else if len(allowed) > 0 {
				msg += fmt.Sprintf(" (allowed: %s)", strings.Join(allowed, ", "))
			}
			ps = append(ps, Problem{File: file, Line: line, Column: col, Path: pointer(loc), Message: msg})
		}
		return ps
	}
	line, col := position(astFile, e.InstanceLocation, false)
	msg := e.ErrorKind.LocalizedString(printer)
	if len(e.InstanceLocation) > 0 {
		msg = pointer(e.InstanceLocation) + ": " + msg
	}
	if en, ok := e.ErrorKind.(*kind.Enum); ok {
		if got, ok := en.Got.(string); ok {
			var want []string
			for _, w := range en.Want {
				if ws, ok := w.(string); ok {
					want = append(want, ws)
				}
			}
			if best := Closest(got, want); best != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", best)
			}
		}
	}
	if _, ok := e.ErrorKind.(*kind.Pattern); ok {
		// A regular expression explains little; the property's description
		// says what is wanted in words.
		if d, ok := s.object(e.SchemaURL, "pattern")["description"].(string); ok {
			msg += " (" + strings.TrimSuffix(d, ".") + ")"
		}
	}
	return []Problem{{File: file, Line: line, Column: col, Path: pointer(e.InstanceLocation), Message: msg}}
}

func pointer(loc []string) string {
	return "/" + strings.Join(loc, "/")
}

// allowedKeys lists the "properties" of the schema object at schemaURL, or
// of the object holding the additionalProperties keyword it points at.
func (s *Schema) allowedKeys(schemaURL string) []string {
	props, _ := s.object(schemaURL, "additionalProperties")["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// object is the schema object at schemaURL ("name#/json/pointer"), or the
// one holding keyword when the pointer ends with it; nil when it cannot be
// found.
func (s *Schema) object(schemaURL, keyword string) map[string]any {
	_, frag, _ := strings.Cut(schemaURL, "#")
	segs := strings.Split(strings.Trim(frag, "/"), "/")
	if segs[len(segs)-1] == keyword {
		segs = segs[:len(segs)-1]
	}
	node := s.doc
	for _, seg := range segs {
		if seg == "" {
			continue
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			node = n[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	obj, _ := node.(map[string]any)
	return obj
}

// position finds the line and column of the value at loc (or of its key,
// when wantKey) in the YAML document; 0, 0 when it cannot be found.
func position(f *ast.File, loc []string, wantKey bool) (int, int) {
	var sb strings.Builder
	sb.WriteString("$")
	for _, seg := range loc {
		if _, err := strconv.Atoi(seg); err == nil {
			sb.WriteString("[" + seg + "]")
		} else {
			sb.WriteString("." + quoteSegment(seg))
		}
	}
	p, err := yaml.PathString(sb.String())
	if err != nil {
		return 0, 0
	}
	node, err := p.FilterFile(f)
	if err != nil || node == nil {
		return 0, 0
	}
	tok := node.GetToken()
	if m, ok := node.(*ast.MappingNode); ok && len(m.Values) > 0 {
		// A mapping's own token is its first ':'; point at its first key.
		tok = m.Values[0].Key.GetToken()
	}
	if wantKey {
		// The value's token follows "key:"; walk back to the key token.
		for t := tok; t != nil; t = t.Prev {
			if t.Value == loc[len(loc)-1] && t.Next != nil && t.Next.Value == ":" {
				tok = t
				break
			}
		}
	}
	if tok == nil || tok.Position == nil {
		return 0, 0
	}
	return tok.Position.Line, tok.Position.Column
}

func quoteSegment(seg string) string {
	if strings.ContainsAny(seg, ".[]'\" ") {
		return "'" + strings.ReplaceAll(seg, "'", `\'`) + "'"
	}
	return seg
}

// Closest returns the candidate nearest to s by edit distance, if it is close
// enough to be a plausible typo (distance ≤ max(2, len/3)); "" otherwise.
func Closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := Levenshtein(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len(s)/3)
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// Levenshtein is the edit distance (insertions, deletions, substitutions)
// between a and b, by the Wagner–Fischer dynamic programme.
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
