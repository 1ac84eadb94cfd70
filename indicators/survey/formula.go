package survey

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// expr is a node of an R expression inside a formula: a column name, a number, a
// function call, a unary minus, a parenthesised expression or a binary operator.
type expr struct {
	op   string // "var", "num", "call", "neg", "paren", or one of + - * / ^
	name string // column or function name; the literal text of a number
	val  float64
	args []*expr
}

// deparse prints e as R's deparse does: spaces around + - *, none around / ^, so that
// term names match R's exactly ("I(x * 2)", "I(agea^2)", "I((x + 1)^2)").
func (e *expr) deparse() string {
	switch e.op {
	case "var":
		if isSyntacticName(e.name) {
			return e.name
		}
		return "`" + e.name + "`"
	case "num":
		return e.name
	case "neg":
		return "-" + e.args[0].deparse()
	case "paren":
		return "(" + e.args[0].deparse() + ")"
	case "call":
		parts := make([]string, len(e.args))
		for i, a := range e.args {
			parts[i] = a.deparse()
		}
		return e.name + "(" + strings.Join(parts, ", ") + ")"
	case "/", "^":
		return e.args[0].deparse() + e.op + e.args[1].deparse()
	}
	return e.args[0].deparse() + " " + e.op + " " + e.args[1].deparse()
}

func isSyntacticName(s string) bool {
	for i, r := range s {
		if !(unicode.IsLetter(r) || r == '.' || r == '_' || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != "" && s[0] != '_'
}

// columns appends the data columns e reads.
func (e *expr) columns(out []string) []string {
	if e.op == "var" {
		if !slices.Contains(out, e.name) {
			out = append(out, e.name)
		}
		return out
	}
	for _, a := range e.args {
		out = a.columns(out)
	}
	return out
}

// numFuncs are the functions a numeric formula variable may call, with derivatives.
var numFuncs = map[string]struct {
	f, df func(float64) float64
}{
	"I":     {func(x float64) float64 { return x }, func(float64) float64 { return 1 }},
	"log":   {math.Log, func(x float64) float64 { return 1 / x }},
	"log2":  {math.Log2, func(x float64) float64 { return 1 / (x * math.Ln2) }},
	"log10": {math.Log10, func(x float64) float64 { return 1 / (x * math.Ln10) }},
	"log1p": {math.Log1p, func(x float64) float64 { return 1 / (1 + x) }},
	"exp":   {math.Exp, math.Exp},
	"sqrt":  {math.Sqrt, func(x float64) float64 { return 0.5 / math.Sqrt(x) }},
	"abs": {math.Abs, func(x float64) float64 {
		if x < 0 {
			return -1
		}
		return 1
	}},
}

// eval returns e at row i and its derivative with respect to column wrt ("" for none):
// forward-mode automatic differentiation with dual numbers.
func (e *expr) eval(cols map[string][]float64, i int, wrt string) (v, dv float64) {
	switch e.op {
	case "var":
		v = cols[e.name][i]
		if e.name == wrt {
			dv = 1
		}
		return v, dv
	case "num":
		return e.val, 0
	case "neg":
		v, dv = e.args[0].eval(cols, i, wrt)
		return -v, -dv
	case "paren":
		return e.args[0].eval(cols, i, wrt)
	case "call":
		fn := numFuncs[e.name]
		a, da := e.args[0].eval(cols, i, wrt)
		if da == 0 {
			return fn.f(a), 0
		}
		return fn.f(a), fn.df(a) * da
	}
	a, da := e.args[0].eval(cols, i, wrt)
	b, db := e.args[1].eval(cols, i, wrt)
	switch e.op {
	case "+":
		return a + b, da + db
	case "-":
		return a - b, da - db
	case "*":
		return a * b, da*b + a*db
	case "/":
		return a / b, (da*b - a*db) / (b * b)
	}
	v = math.Pow(a, b) // "^"
	if da != 0 {
		dv += b * math.Pow(a, b-1) * da
	}
	if db != 0 {
		dv += v * math.Log(a) * db
	}
	return v, dv
}

// Formula is a parsed R model formula "response ~ terms" (Chambers & Hastie 1992,
// ch. 2; R's terms.formula): + adds terms, - removes them, a:b is an interaction,
// a*b = a + b + a:b, - 1 drops the intercept. A variable is a column, factor(col),
// or a numeric expression: I(...), log(col), exp, sqrt, abs, log2, log10, log1p.
type Formula struct {
	text      string
	response  *expr
	vars      []*expr // formula variables in order of first appearance (R's variables)
	terms     [][]int // each term: indices into vars, ascending; ordered by degree
	intercept bool
}

// String returns the formula as given.
func (f *Formula) String() string { return f.text }

// Columns returns the data columns the formula reads, response first, each once (R's
// all.vars).
func (f *Formula) Columns() []string {
	var out []string
	for _, v := range f.vars {
		out = v.columns(out)
	}
	return out
}

// TermLabels returns the term labels as R's attr(terms(f), "term.labels").
func (f *Formula) TermLabels() []string {
	out := make([]string, len(f.terms))
	for t := range f.terms {
		out[t] = f.termLabel(t)
	}
	return out
}

func (f *Formula) termLabel(t int) string {
	parts := make([]string, len(f.terms[t]))
	for k, v := range f.terms[t] {
		parts[k] = f.vars[v].deparse()
	}
	return strings.Join(parts, ":")
}

// ParseFormula parses an R model formula.
func ParseFormula(s string) (*Formula, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, fmt.Errorf("formula %q: %w", s, err)
	}
	p := &fparser{toks: toks, f: &Formula{text: s, intercept: true}}
	if err := p.formula(); err != nil {
		return nil, fmt.Errorf("formula %q: %w", s, err)
	}
	return p.f, nil
}

type token struct {
	kind string // "name", "num", "op", "end"
	text string
	pos  int
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("column %d: unclosed backquote", i+1)
			}
			out = append(out, token{"name", s[i+1 : i+1+j], i})
			i += j + 2
		case unicode.IsLetter(c) || c == '.' && !(i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == '_') {
				j++
			}
			out = append(out, token{"name", s[i:j], i})
			i = j
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '-' || s[j] == '+') && j > i && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{"num", s[i:j], i})
			i = j
		case strings.ContainsRune("~+-*/^:(),", c):
			out = append(out, token{"op", string(c), i})
			i++
		default:
			return nil, fmt.Errorf("column %d: unexpected %q", i+1, c)
		}
	}
	return append(out, token{"end", "", len(s)}), nil
}

type fparser struct {
	toks []token
	at   int
	f    *Formula
}

func (p *fparser) peek() token { return p.toks[p.at] }
func (p *fparser) next() token { t := p.toks[p.at]; p.at++; return t }

func (p *fparser) expect(op string) error {
	t := p.next()
	if t.kind != "op" || t.text != op {
		return p.errAt(t, "want %q", op)
	}
	return nil
}

func (p *fparser) errAt(t token, format string, args ...any) error {
	what := strconv.Quote(t.text)
	if t.kind == "end" {
		what = "end of formula"
	}
	return fmt.Errorf("column %d: %s: %s", t.pos+1, what, fmt.Sprintf(format, args...))
}

// termSet is a list of terms, each a sorted set of variable indices; the empty term is
// the intercept.
type termSet [][]int

func (p *fparser) formula() error {
	resp, err := p.arith()
	if err != nil {
		return err
	}
	p.f.response = resp
	p.varIndex(resp)
	if err := p.expect("~"); err != nil {
		return err
	}
	add, remove, err := p.sum()
	if err != nil {
		return err
	}
	if t := p.peek(); t.kind != "end" {
		return p.errAt(t, "unexpected after the formula")
	}
	var terms termSet
	for _, t := range add {
		if !containsTerm(remove, t) && !containsTerm(terms, t) {
			terms = append(terms, t)
		}
	}
	slices.SortStableFunc(terms, func(a, b []int) int { return len(a) - len(b) })
	for _, t := range terms {
		if slices.Contains(t, 0) {
			return fmt.Errorf("the response %s is also a predictor", p.f.vars[0].deparse())
		}
	}
	p.f.terms = terms
	if len(terms) == 0 && !p.f.intercept {
		return fmt.Errorf("no terms and no intercept")
	}
	return nil
}

func containsTerm(ts termSet, t []int) bool {
	for _, u := range ts {
		if slices.Equal(u, t) {
			return true
		}
	}
	return false
}

// sum parses terms joined by + and -, returning the terms added and removed; "+ 1"
// and "- 1" set the intercept, the last one given winning.
func (p *fparser) sum() (add, remove termSet, err error) {
	sign := "+"
	if t := p.peek(); t.kind == "op" && t.text == "-" {
		p.next()
		sign = "-"
	}
	for {
		ts, err := p.product()
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			switch {
			case len(t) == 0:
				p.f.intercept = sign == "+"
			case sign == "+":
				add = append(add, t)
			default:
				remove = append(remove, t)
			}
		}
		t := p.peek()
		if t.kind != "op" || (t.text != "+" && t.text != "-") {
			return add, remove, nil
		}
		sign = p.next().text
	}
}

// product parses a*b*c: every subset interaction, lower orders first.
func (p *fparser) product() (termSet, error) {
	out, err := p.interaction()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != "op" || t.text != "*" {
			return out, nil
		}
		p.next()
		rhs, err := p.interaction()
		if err != nil {
			return nil, err
		}
		out = append(append(out, rhs...), cross(out, rhs)...)
	}
}

// interaction parses a:b:c.
func (p *fparser) interaction() (termSet, error) {
	out, err := p.atom()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != "op" || t.text != ":" {
			return out, nil
		}
		p.next()
		rhs, err := p.atom()
		if err != nil {
			return nil, err
		}
		out = cross(out, rhs)
	}
}

// cross returns every union of a term of a with a term of b.
func cross(a, b termSet) termSet {
	var out termSet
	for _, x := range a {
		for _, y := range b {
			u := append(append([]int{}, x...), y...)
			slices.Sort(u)
			u = slices.Compact(u)
			if !containsTerm(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// atom parses (sum), 1, 0 or a variable.
func (p *fparser) atom() (termSet, error) {
	t := p.peek()
	switch {
	case t.kind == "op" && t.text == "(":
		p.next()
		add, remove, err := p.sum()
		if err != nil {
			return nil, err
		}
		if len(remove) > 0 {
			return nil, p.errAt(t, "removing terms inside parentheses is not supported")
		}
		return add, p.expect(")")
	case t.kind == "num" && (t.text == "1" || t.text == "0"):
		p.next()
		if t.text == "0" {
			return nil, p.errAt(t, "write - 1 to drop the intercept")
		}
		return termSet{nil}, nil
	}
	e, err := p.primary()
	if err != nil {
		return nil, err
	}
	if n := p.peek(); e.op != "var" && e.op != "call" || n.kind == "op" && strings.Contains("^/", n.text) {
		return nil, p.errAt(t, "wrap arithmetic in I(), e.g. I(x^2)")
	}
	return termSet{{p.varIndex(e)}}, nil
}

// varIndex returns the index of variable e, adding it in order of first appearance.
func (p *fparser) varIndex(e *expr) int {
	lab := e.deparse()
	for i, v := range p.f.vars {
		if v.deparse() == lab {
			return i
		}
	}
	p.f.vars = append(p.f.vars, e)
	return len(p.f.vars) - 1
}

// arith parses an arithmetic expression (inside I() and function calls) with R's
// precedence: ^ (right associative) above unary minus above * / above + -.
func (p *fparser) arith() (*expr, error) {
	lhs, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != "op" || (t.text != "+" && t.text != "-") {
			return lhs, nil
		}
		p.next()
		rhs, err := p.term()
		if err != nil {
			return nil, err
		}
		lhs = &expr{op: t.text, args: []*expr{lhs, rhs}}
	}
}

func (p *fparser) term() (*expr, error) {
	lhs, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != "op" || (t.text != "*" && t.text != "/") {
			return lhs, nil
		}
		p.next()
		rhs, err := p.unary()
		if err != nil {
			return nil, err
		}
		lhs = &expr{op: t.text, args: []*expr{lhs, rhs}}
	}
}

func (p *fparser) unary() (*expr, error) {
	if t := p.peek(); t.kind == "op" && t.text == "-" {
		p.next()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &expr{op: "neg", args: []*expr{e}}, nil
	}
	return p.power()
}

func (p *fparser) power() (*expr, error) {
	base, err := p.primary()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == "op" && t.text == "^" {
		p.next()
		exp, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &expr{op: "^", args: []*expr{base, exp}}, nil
	}
	return base, nil
}

func (p *fparser) primary() (*expr, error) {
	t := p.next()
	switch t.kind {
	case "num":
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errAt(t, "not a number")
		}
		return &expr{op: "num", name: t.text, val: v}, nil
	case "name":
		if n := p.peek(); n.kind == "op" && n.text == "(" {
			return p.call(t)
		}
		return &expr{op: "var", name: t.text}, nil
	case "op":
		if t.text == "(" {
			e, err := p.arith()
			if err != nil {
				return nil, err
			}
			return &expr{op: "paren", args: []*expr{e}}, p.expect(")")
		}
	}
	return nil, p.errAt(t, "want a column, a number or a function call")
}

func (p *fparser) call(name token) (*expr, error) {
	p.next() // (
	if name.text == "factor" || name.text == "as.factor" {
		t := p.next()
		if t.kind != "name" {
			return nil, p.errAt(t, "%s() takes a column name", name.text)
		}
		return &expr{op: "call", name: name.text, args: []*expr{{op: "var", name: t.text}}}, p.expect(")")
	}
	if _, ok := numFuncs[name.text]; !ok {
		return nil, p.errAt(name, "unknown function; use factor, I, log, log2, log10, log1p, exp, sqrt or abs")
	}
	arg, err := p.arith()
	if err != nil {
		return nil, err
	}
	return &expr{op: "call", name: name.text, args: []*expr{arg}}, p.expect(")")
}

// modelVar is a formula variable evaluated on a frame: numeric values, or a factor's
// level codes with the reference level first.
type modelVar struct {
	label  string
	e      *expr
	factor bool
	col    string    // factor: its column
	codes  []int32   // factor: level per frame row, −1 missing
	levels []string  // factor: levels, reference first
	num    []float64 // numeric: value per frame row
}

// modelPart is one factor of a model-matrix column: a numeric variable (level < 0) or
// the indicator of a factor level.
type modelPart struct {
	v     int
	level int32
}

// modelSpec is a formula bound to a frame: how to compute every model-matrix column
// for any row, as R's model.matrix with treatment contrasts (contr.treatment).
type modelSpec struct {
	f      *Formula
	vars   []*modelVar // vars[0] is the response
	cols   [][]modelPart
	names  []string
	assign []int // per column: 0 the intercept, t+1 term t (R's attr(, "assign"))
	data   map[string][]float64
	rows   []int // frame rows of the complete cases
}

// newModelSpec evaluates f's variables on fr and lays out the model-matrix columns.
// refs maps a factor's column to its reference level (default: the first level in
// sorted order, numerically when every level is a number). Complete cases are rows
// where the response and every variable are present (R's na.omit); factor levels are
// those present among them. With binary, a text response with two levels is coded 0
// for the first level and 1 for the second, as R's binomial family codes a factor.
func newModelSpec(f *Formula, fr *Frame, refs map[string]string, binary bool) (*modelSpec, error) {
	m := &modelSpec{f: f, data: map[string][]float64{}}
	for k, e := range f.vars {
		v := &modelVar{label: e.deparse(), e: e}
		isFactorCall := e.op == "call" && (e.name == "factor" || e.name == "as.factor")
		if isFactorCall || (e.op == "var" && fr.Has(e.name) && !fr.IsNumeric(e.name)) {
			if k == 0 {
				y, err := binaryResponse(fr, e, binary)
				if err != nil {
					return nil, fmt.Errorf("response %s: %w", v.label, err)
				}
				v.num = y
				m.vars = append(m.vars, v)
				continue
			}
			v.factor = true
			v.col = e.name
			if isFactorCall {
				v.col = e.args[0].name
			}
			var err error
			if v.codes, v.levels, err = fr.newCodes(v.col); err != nil { // relevel rewrites them
				return nil, fmt.Errorf("%s: %w", v.label, err)
			}
		} else {
			for _, c := range e.columns(nil) {
				x, err := fr.Float(c)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", v.label, err)
				}
				m.data[c] = x
			}
			if e.op == "var" {
				v.num = m.data[e.name] // a column: no need to evaluate
			} else {
				v.num = make([]float64, fr.Rows())
				for i := range v.num {
					v.num[i], _ = e.eval(m.data, i, "")
				}
			}
		}
		m.vars = append(m.vars, v)
	}
	if err := m.completeCases(fr.Rows()); err != nil {
		return nil, err
	}
	for _, v := range m.vars {
		if v.factor {
			if err := v.relevel(m.rows, refs); err != nil {
				return nil, err
			}
		}
	}
	for col := range refs {
		if !slices.ContainsFunc(m.vars, func(v *modelVar) bool { return v.factor && v.col == col }) {
			return nil, fmt.Errorf("reference level for %q: no factor of that column in the formula", col)
		}
	}
	m.layout()
	return m, nil
}

func binaryResponse(fr *Frame, e *expr, binary bool) ([]float64, error) {
	if !binary || e.op != "var" {
		return nil, errors.New("want a numeric column (or, for binomial, one with two levels)")
	}
	s, err := fr.Strings(e.name)
	if err != nil {
		return nil, err
	}
	c, levels := codes(s)
	if len(levels) != 2 {
		return nil, fmt.Errorf("binomial needs 0/1 or two levels, found %d levels", len(levels))
	}
	y := make([]float64, len(c))
	for i, x := range c {
		y[i] = float64(x)
		if x < 0 {
			y[i] = math.NaN()
		}
	}
	return y, nil
}

// completeCases sets rows to the rows on which no variable is missing (na.omit) and
// refuses an infinite value (naming the first, in row order). A numeric column is
// scanned in blocks: Σ x·0 over a block is NaN exactly when the block holds a NaN or
// an infinity, so a clean block costs one multiply-add a value.
func (m *modelSpec) completeCases(n int) error {
	const block = 256
	drop := make([]bool, n)
	infRow, infVar := n, -1
	for k, v := range m.vars {
		if v.factor {
			for i, c := range v.codes {
				if c < 0 {
					drop[i] = true
				}
			}
			continue
		}
		for lo := 0; lo < n; lo += block {
			x := v.num[lo:min(lo+block, n)]
			var s0, s1, s2, s3 float64
			r := 0
			for ; r+4 <= len(x); r += 4 {
				s0 += x[r] * 0
				s1 += x[r+1] * 0
				s2 += x[r+2] * 0
				s3 += x[r+3] * 0
			}
			for ; r < len(x); r++ {
				s0 += x[r] * 0
			}
			if s0+s1+s2+s3 == 0 {
				continue
			}
			for r, xv := range x {
				switch {
				case math.IsNaN(xv):
					drop[lo+r] = true
				case math.IsInf(xv, 0) && lo+r < infRow:
					infRow, infVar = lo+r, k
				}
			}
		}
	}
	if infVar >= 0 {
		return fmt.Errorf("%s, row %d: infinite value", m.vars[infVar].label, infRow+1)
	}
	m.rows = make([]int, 0, n)
	for i, d := range drop {
		if !d {
			m.rows = append(m.rows, i)
		}
	}
	if len(m.rows) == 0 {
		return fmt.Errorf("no complete rows: every row misses the response or a predictor")
	}
	return nil
}

// relevel recodes a factor to the levels present in rows, the reference first.
func (v *modelVar) relevel(rows []int, refs map[string]string) error {
	present := make([]bool, len(v.levels))
	for _, i := range rows {
		present[v.codes[i]] = true
	}
	var levels []string
	recode := make([]int32, len(v.levels))
	for c, ok := range present {
		recode[c] = -1
		if ok {
			recode[c] = int32(len(levels))
			levels = append(levels, v.levels[c])
		}
	}
	if ref, ok := refs[v.col]; ok {
		r := slices.Index(levels, ref)
		if r < 0 {
			return fmt.Errorf("reference level %q of %s: not among its levels %s", ref, v.label, strings.Join(quoteAll(levels), ", "))
		}
		for c := range recode {
			switch {
			case recode[c] == int32(r):
				recode[c] = 0
			case recode[c] >= 0 && recode[c] < int32(r):
				recode[c]++
			}
		}
		levels = append([]string{ref}, slices.Delete(levels, r, r+1)...)
	}
	if !slices.Equal(levels, v.levels) { // else recode is the identity
		for i, c := range v.codes {
			if c >= 0 {
				v.codes[i] = recode[c]
			}
		}
	}
	v.levels = levels
	return nil
}

// layout enumerates the columns: the intercept, then each term's columns with the
// first variable varying fastest. A factor in a term is coded by treatment contrasts
// when the term without it is in the model (the intercept is the empty term), else by
// one indicator per level, as R's model.matrix (Chambers & Hastie 1992, sec. 2.4.1).
func (m *modelSpec) layout() {
	f := m.f
	if f.intercept {
		m.cols = append(m.cols, nil)
		m.names = append(m.names, "(Intercept)")
		m.assign = append(m.assign, 0)
	}
	// Without an intercept the first factor main effect takes its place: it is coded by
	// indicators, and the empty term counts as present after it.
	empty := f.intercept
	has := func(t []int) bool {
		if len(t) == 0 {
			return empty
		}
		return containsTerm(termSet(f.terms), t)
	}
	for ti, t := range f.terms {
		combos := [][]modelPart{nil}
		for _, vi := range t {
			v := m.vars[vi]
			var parts []modelPart
			if !v.factor {
				parts = []modelPart{{vi, -1}}
			} else {
				first := int32(0)
				if has(slices.DeleteFunc(slices.Clone(t), func(x int) bool { return x == vi })) {
					first = 1
				}
				for l := first; l < int32(len(v.levels)); l++ {
					parts = append(parts, modelPart{vi, l})
				}
				empty = empty || len(t) == 1
			}
			var next [][]modelPart
			for _, p := range parts {
				for _, c := range combos {
					next = append(next, append(slices.Clone(c), p))
				}
			}
			combos = next
		}
		for _, c := range combos {
			names := make([]string, len(c))
			for k, p := range c {
				names[k] = m.vars[p.v].label
				if p.level >= 0 {
					names[k] += m.vars[p.v].levels[p.level]
				}
			}
			m.cols = append(m.cols, c)
			m.names = append(m.names, strings.Join(names, ":"))
			m.assign = append(m.assign, ti+1)
		}
	}
}

// rowOverride changes one variable while a model-matrix row is computed: the factor
// on column col takes level (a marginal-effect contrast), or the derivative with
// respect to numeric column col is wanted (level < 0).
type rowOverride struct {
	col   string
	level int32
}

// fill writes the model-matrix row of frame row i into x and, for a derivative
// override, ∂x/∂col into dx (product rule over the parts of each column).
func (m *modelSpec) fill(i int, x, dx []float64, o *rowOverride, val, dval []float64) {
	for k, v := range m.vars {
		switch {
		case k == 0: // the response
		case v.factor:
			c := v.codes[i]
			if o != nil && o.level >= 0 && v.col == o.col {
				c = o.level
			}
			val[k] = float64(c) // level code, compared below
		case o != nil && o.level < 0:
			val[k], dval[k] = v.e.eval(m.data, i, o.col)
		default:
			val[k] = v.num[i]
		}
	}
	deriv := o != nil && o.level < 0
	for j, parts := range m.cols {
		prod := 1.0
		d := 0.0
		for _, p := range parts {
			if p.level >= 0 {
				if val[p.v] != float64(p.level) {
					prod, d = 0, 0
					break
				}
				continue
			}
			if deriv {
				d = d*val[p.v] + prod*dval[p.v]
			}
			prod *= val[p.v]
		}
		x[j] = prod
		if deriv {
			dx[j] = d
		}
	}
}

// matrix returns the model matrix and the response over the complete cases (row
// major, len(rows) × p): each column the product of its parts.
func (m *modelSpec) matrix() (x, y []float64) {
	type part struct {
		num   []float64
		codes []int32
		level int32
	}
	cols := make([][]part, len(m.cols))
	for j, parts := range m.cols {
		for _, pt := range parts {
			v := m.vars[pt.v]
			if pt.level >= 0 {
				cols[j] = append(cols[j], part{codes: v.codes, level: pt.level})
			} else {
				cols[j] = append(cols[j], part{num: v.num})
			}
		}
	}
	p := len(m.cols)
	x = make([]float64, len(m.rows)*p)
	y = make([]float64, len(m.rows))
	resp := m.vars[0].num
	parallelRows(len(m.rows), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i := m.rows[r]
			y[r] = resp[i]
			row := x[r*p : (r+1)*p]
			for j, parts := range cols {
				v := 1.0
				for _, pt := range parts {
					if pt.num != nil {
						v *= pt.num[i]
					} else if pt.codes[i] != pt.level {
						v = 0
						break
					}
				}
				row[j] = v
			}
		}
	})
	return x, y
}
