package survey

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrUnknownColumn is wrapped by every error about a column name the Frame does not hold.
var ErrUnknownColumn = errors.New("unknown column")

// ErrNotNumeric is wrapped when a numeric column (weights, fpc, replicate weights,
// analysis variables) is given as text.
var ErrNotNumeric = errors.New("column is not numeric")

// Frame is a set of equally long named columns: numeric ([]float64, NaN = missing) or
// categorical ([]string, "" = missing). It is the engine's only input; callers fill it
// from any source (CSV, DuckDB, Arrow) and the engine never touches files.
type Frame struct {
	n     int
	order []string
	num   map[string][]float64
	str   map[string][]string

	mu    sync.Mutex
	coded map[string]codedColumn
}

type codedColumn struct {
	code   []int32
	labels []string
}

// NewFrame returns an empty Frame.
func NewFrame() *Frame {
	return &Frame{n: -1, num: map[string][]float64{}, str: map[string][]string{}, coded: map[string]codedColumn{}}
}

// AddFloat adds a numeric column; NaN marks a missing value. The slice is not copied.
func (f *Frame) AddFloat(name string, v []float64) error {
	if err := f.checkNew(name, len(v)); err != nil {
		return err
	}
	f.num[name] = v
	f.order = append(f.order, name)
	return nil
}

// AddString adds a categorical column; "" marks a missing value. The slice is not copied.
func (f *Frame) AddString(name string, v []string) error {
	if err := f.checkNew(name, len(v)); err != nil {
		return err
	}
	f.str[name] = v
	f.order = append(f.order, name)
	return nil
}

// AddAuto adds a column read as text: numeric when every value that is not missing
// parses as a number (strconv.ParseFloat), categorical otherwise. Missing values are
// "" and the given tokens (for example "NA", "."); they become NaN or "".
func (f *Frame) AddAuto(name string, v []string, missing ...string) error {
	isMissing := func(s string) bool { return s == "" || slices.Contains(missing, s) }
	num := make([]float64, len(v))
	for i, s := range v {
		if isMissing(s) {
			num[i] = math.NaN()
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			out := make([]string, len(v))
			for j, s := range v {
				if !isMissing(s) {
					out[j] = s
				}
			}
			return f.AddString(name, out)
		}
		num[i] = x
	}
	return f.AddFloat(name, num)
}

func (f *Frame) checkNew(name string, n int) error {
	if name == "" {
		return errors.New("frame: empty column name")
	}
	if f.Has(name) {
		return fmt.Errorf("frame: column %q added twice", name)
	}
	if f.n >= 0 && n != f.n {
		return fmt.Errorf("frame: column %q has %d rows, others have %d", name, n, f.n)
	}
	f.n = n
	return nil
}

// Rows returns the number of rows (0 for an empty Frame).
func (f *Frame) Rows() int { return max(f.n, 0) }

// Names returns the column names in the order they were added.
func (f *Frame) Names() []string { return append([]string(nil), f.order...) }

// Has reports whether the Frame holds a column called name.
func (f *Frame) Has(name string) bool {
	_, a := f.num[name]
	_, b := f.str[name]
	return a || b
}

// IsNumeric reports whether name is a numeric column.
func (f *Frame) IsNumeric(name string) bool { _, ok := f.num[name]; return ok }

// Float returns the numeric column name. A text column whose every non-empty value parses
// as a number is not converted: the caller chose its type.
func (f *Frame) Float(name string) ([]float64, error) {
	if v, ok := f.num[name]; ok {
		return v, nil
	}
	if _, ok := f.str[name]; ok {
		return nil, fmt.Errorf("column %q: %w", name, ErrNotNumeric)
	}
	return nil, f.unknown(name)
}

// Codes returns column name as dense codes 0..k−1 of its sorted distinct values (−1 for
// missing) and the values as text (numbers formatted as by Strings). Codes are computed
// once per column and shared: the columns must not change after they are added.
func (f *Frame) Codes(name string) ([]int32, []string, error) {
	f.mu.Lock()
	c, ok := f.coded[name]
	f.mu.Unlock()
	if ok {
		return c.code, c.labels, nil
	}
	var err error
	if c.code, c.labels, err = f.newCodes(name); err != nil {
		return nil, nil, err
	}
	f.mu.Lock()
	f.coded[name] = c
	f.mu.Unlock()
	return c.code, c.labels, nil
}

// newCodes is Codes computed afresh, in slices the caller owns.
func (f *Frame) newCodes(name string) ([]int32, []string, error) {
	if v, ok := f.num[name]; ok {
		code, labels := floatCodes(v)
		return code, labels, nil
	}
	if v, ok := f.str[name]; ok {
		code, labels := codes(v)
		return code, labels, nil
	}
	return nil, nil, f.unknown(name)
}

// floatCodes is codes for a numeric column, NaN missing, labels in numeric order.
// Whole numbers in a range not much wider than the column (ids, codes) are coded through
// a table; anything else through a map.
func floatCodes(v []float64) (code []int32, labels []string) {
	lo, hi, whole := math.Inf(1), math.Inf(-1), true
	for _, x := range v {
		if x != x { // NaN
			continue
		}
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
		whole = whole && x == float64(int64(x))
	}
	if whole && lo <= hi && hi-lo < float64(4*len(v)+1024) {
		return tableCodes(v, lo, int(hi-lo)+1)
	}
	return mapCodes(v)
}

// tableCodes is floatCodes for whole numbers from lo to lo+size−1: a table marks the
// values present, numbering them in order, so that no sort is needed.
func tableCodes(v []float64, lo float64, size int) (code []int32, labels []string) {
	tab := make([]int32, size)
	for _, x := range v {
		if x == x {
			tab[int(x-lo)] = 1
		}
	}
	for k, present := range tab {
		tab[k] = -1
		if present != 0 {
			tab[k] = int32(len(labels))
			labels = append(labels, strconv.FormatFloat(lo+float64(k), 'g', -1, 64))
		}
	}
	code = make([]int32, len(v))
	for i, x := range v {
		code[i] = -1
		if x == x {
			code[i] = tab[int(x-lo)]
		}
	}
	return code, labels
}

// mapCodes is floatCodes through a map, for any numbers.
func mapCodes(v []float64) (code []int32, labels []string) {
	code = make([]int32, len(v))
	seen := map[float64]int32{}
	var first []float64
	for i, x := range v {
		if math.IsNaN(x) {
			code[i] = -1
			continue
		}
		if x == 0 {
			x = 0 // −0 and +0 are one value
		}
		c, ok := seen[x]
		if !ok {
			c = int32(len(first))
			seen[x] = c
			first = append(first, x)
		}
		code[i] = c
	}
	order := make([]int32, len(first))
	for k := range order {
		order[k] = int32(k)
	}
	sort.Slice(order, func(a, b int) bool { return first[order[a]] < first[order[b]] })
	rank := make([]int32, len(first))
	labels = make([]string, len(first))
	for r, k := range order {
		rank[k] = int32(r)
		labels[r] = strconv.FormatFloat(first[k], 'g', -1, 64)
	}
	for i, c := range code {
		if c >= 0 {
			code[i] = rank[c]
		}
	}
	return code, labels
}

// Strings returns column name as text: categorical columns as stored, numeric columns
// formatted with strconv.FormatFloat(v, 'g', -1, 64) and NaN as "" (missing).
func (f *Frame) Strings(name string) ([]string, error) {
	if v, ok := f.str[name]; ok {
		return v, nil
	}
	v, ok := f.num[name]
	if !ok {
		return nil, f.unknown(name)
	}
	out := make([]string, len(v))
	for i, x := range v {
		if !math.IsNaN(x) {
			out[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return out, nil
}

func (f *Frame) unknown(name string) error {
	close := closeMatches(name, f.order, 3)
	if len(close) == 0 {
		return fmt.Errorf("column %q: %w", name, ErrUnknownColumn)
	}
	return fmt.Errorf("column %q: %w (did you mean %s?)", name, ErrUnknownColumn, strings.Join(quoteAll(close), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

// closeMatches returns up to k names within edit distance max(2, len(name)/3) of name,
// nearest first, ties in name order; a case-insensitive match counts as distance 0.
func closeMatches(name string, names []string, k int) []string {
	type cand struct {
		s string
		d int
	}
	limit := max(2, len(name)/3)
	var cs []cand
	for _, s := range names {
		d := editDistance(strings.ToLower(name), strings.ToLower(s))
		if d <= limit || strings.Contains(strings.ToLower(s), strings.ToLower(name)) {
			cs = append(cs, cand{s, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	out := make([]string, 0, k)
	for i := 0; i < len(cs) && i < k; i++ {
		out = append(out, cs[i].s)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// codes maps a text column to dense integer codes 0..k-1 in sorted order of the labels
// (so results are deterministic); missing values ("") get code -1.
//
// A label is looked up in a table indexed by its length (mod 16) and first byte and
// confirmed by one comparison, which costs less than hashing it; labels that share a
// slot go through a map.
func codes(v []string) (code []int32, labels []string) {
	seen := map[string]int32{}
	code = make([]int32, len(v))
	var first []string      // labels in order of first appearance
	var slot [16 << 8]int32 // 1 + the code of the slot's one label; 0 none, −1 several
	for i, s := range v {
		if s == "" {
			code[i] = -1
			continue
		}
		k := (len(s)&15)<<8 | int(s[0])
		if c := slot[k] - 1; c >= 0 && first[c] == s {
			code[i] = c
			continue
		}
		c, ok := seen[s]
		if !ok {
			c = int32(len(first))
			seen[s] = c
			first = append(first, s)
			if slot[k] == 0 {
				slot[k] = c + 1
			} else {
				slot[k] = -1
			}
		}
		code[i] = c
	}
	labels = append([]string(nil), first...)
	sortLabels(labels)
	rank := make([]int32, len(first))
	for r, s := range labels {
		rank[seen[s]] = int32(r)
	}
	for i, c := range code {
		if c >= 0 {
			code[i] = rank[c]
		}
	}
	return code, labels
}

// SortLabels sorts group labels as Codes orders a column's levels: numerically when
// every label is a number, else as text. Code that gathers groups batch by batch
// uses it to put them in the order Codes gives all the rows at once.
func SortLabels(labels []string) { sortLabels(labels) }

// sortLabels sorts numerically when every label is a number (so "2" < "10", as R sorts
// the levels of a numeric factor), otherwise as strings.
func sortLabels(labels []string) {
	vals := make([]float64, len(labels))
	numeric := true
	for i, s := range labels {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			numeric = false
			break
		}
		vals[i] = x
	}
	if !numeric {
		sort.Strings(labels)
		return
	}
	idx := make([]int, len(labels))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
	out := make([]string, len(labels))
	for i, j := range idx {
		out[i] = labels[j]
	}
	copy(labels, out)
}
