package survey

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func newDesign(t testing.TB, f *Frame, sp Spec) *Design {
	t.Helper()
	d, err := NewDesign(f, sp)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func estimate(t testing.TB, d *Design, reqs []Request, opt Options) []Record {
	t.Helper()
	recs, err := d.Estimate(reqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestEmptyDomainIsARecord(t *testing.T) {
	f := smallFrame(t)
	nan := math.NaN()
	if err := f.AddFloat("onlyu", []float64{1, 2, nan, nan, 3, 4, nan, nan, 5, 6}); err != nil {
		t.Fatal(err)
	}
	d := newDesign(t, f, Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, LonelyPSU: LonelyRemove})
	for _, rq := range []Request{mean("onlyu"), total("onlyu"), quant("onlyu", 0.5)} {
		recs := estimate(t, d, []Request{rq}, Options{By: []string{"g"}})
		if len(recs) != 2 {
			t.Fatalf("%s: %d records, want 2", rq.Statistic, len(recs))
		}
		u, v := recs[0], recs[1]
		if u.By["g"] != "u" || v.By["g"] != "v" {
			t.Fatalf("%s: domains %v, %v", rq.Statistic, u.By, v.By)
		}
		if u.N != 6 || math.IsNaN(u.Estimate) || slices.Contains(u.Flags, FlagEmpty) {
			t.Errorf("%s: domain u = %+v", rq.Statistic, u)
		}
		if v.N != 0 || v.SumWeights != 0 || !math.IsNaN(v.Estimate) || !math.IsNaN(v.SE) || !slices.Contains(v.Flags, FlagEmpty) {
			t.Errorf("%s: empty domain v = %+v", rq.Statistic, v)
		}
	}
}

func TestRecordJSON(t *testing.T) {
	p := 0.5
	r := Record{Variable: "api00", Statistic: Quantile, P: &p, By: map[string]string{"stype": "E"},
		Estimate: 1.0 / 3, SE: math.NaN(), CILow: math.Inf(-1), CIHigh: 2, DF: 197, Deff: math.NaN(),
		CV: 0.1, N: 12, SumWeights: 1e20, Flags: []string{FlagSmallN}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	want := map[string]any{
		"variable": "api00", "statistic": "quantile", "p": 0.5, "by": map[string]any{"stype": "E"},
		"estimate": 1.0 / 3, "se": nil, "ci_low": nil, "ci_high": 2.0, "df": 197.0, "deff": nil,
		"cv": 0.1, "n": 12.0, "sum_weights": 1e20, "flags": []any{"small_n"},
	}
	for k, v := range want {
		got, ok := back[k]
		if !ok {
			t.Errorf("%s: no field %q", b, k)
			continue
		}
		if gb, _ := json.Marshal(got); string(gb) != mustJSON(t, v) {
			t.Errorf("field %q = %s, want %s", k, gb, mustJSON(t, v))
		}
	}
	if _, ok := back["level"]; ok {
		t.Errorf("%s: empty level should be omitted", b)
	}
	empty, _ := json.Marshal(Record{Variable: "y", Statistic: Mean})
	if !strings.Contains(string(empty), `"flags":[]`) {
		t.Errorf("%s: flags should be an empty list", empty)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFlagsFollowThresholds(t *testing.T) {
	d := newDesign(t, smallFrame(t), Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, LonelyPSU: LonelyRemove})
	tests := []struct {
		th   Thresholds
		want []string
	}{
		{Thresholds{}, []string{FlagSmallN, FlagLowDF}},
		{Thresholds{MinN: 5, MinDF: 1}, []string{}},
		{Thresholds{MinN: 5, MinDF: 1, MaxCV: 1e-9}, []string{FlagHighCV}},
	}
	for _, tt := range tests {
		r := estimate(t, d, []Request{mean("y")}, Options{Thresholds: tt.th})[0]
		if !slices.Equal(r.Flags, tt.want) {
			t.Errorf("thresholds %+v: flags %v, want %v (n %d, cv %v, df %v)", tt.th, r.Flags, tt.want, r.N, r.CV, r.DF)
		}
	}
}

func TestDFOverride(t *testing.T) {
	f := smallFrame(t)
	sp := Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, LonelyPSU: LonelyRemove}
	base := estimate(t, newDesign(t, f, sp), []Request{mean("y")}, Options{})[0]
	sp.DF = math.Inf(1)
	normal := estimate(t, newDesign(t, f, sp), []Request{mean("y")}, Options{})[0]
	if base.DF != 2 || !math.IsInf(normal.DF, 1) {
		t.Fatalf("df %v and %v, want 2 and +Inf", base.DF, normal.DF)
	}
	z := (normal.CIHigh - normal.Estimate) / normal.SE
	if math.Abs(z-1.959963984540054) > 1e-12 || normal.SE != base.SE {
		t.Errorf("normal interval half-width %v SE, want 1.96; SE %v vs %v", z, normal.SE, base.SE)
	}
}

// pairedFrame is a synthetic design with 2 PSUs in each of 7 strata.
func pairedFrame(t testing.TB) *Frame {
	rng := rand.New(rand.NewPCG(7, 7))
	var str, psu, w, y []float64
	for h := 0; h < 7; h++ {
		for j := 0; j < 2; j++ {
			for k := 0; k < 4; k++ {
				str = append(str, float64(h))
				psu = append(psu, float64(2*h+j))
				w = append(w, 1+9*rng.Float64())
				y = append(y, float64(h)+rng.NormFloat64())
			}
		}
	}
	f := NewFrame()
	for _, err := range []error{f.AddFloat("h", str), f.AddFloat("psu", psu), f.AddFloat("w", w), f.AddFloat("y", y)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// With full orthogonal balance the BRR (and Fay) variance of a total equals the
// with-replacement linearisation variance (Wolter 2007, sec. 3.3).
func TestBRRTotalMatchesLinearisation(t *testing.T) {
	d := newDesign(t, pairedFrame(t), Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}})
	want := estimate(t, d, []Request{total("y")}, Options{})[0]
	for _, c := range []Conversion{{Type: BRR}, {Type: Fay, Rho: 0.5}, {Type: Fay, Rho: 0.3}} {
		rd, err := d.ToReplicates(c)
		if err != nil {
			t.Fatal(err)
		}
		got := estimate(t, rd, []Request{total("y")}, Options{})[0]
		if math.Abs(got.SE-want.SE) > 1e-10*want.SE || got.Estimate != want.Estimate {
			t.Errorf("%s rho %v: total %v SE %v, want %v SE %v", c.Type, c.Rho, got.Estimate, got.SE, want.Estimate, want.SE)
		}
		if s := rd.Summary(); s.Replicates == nil || s.Replicates.Count != 8 || s.Kind != "replicate" {
			t.Errorf("%s: summary %+v, want 8 replicates", c.Type, s)
		}
	}
}

func TestBootstrapIsSeededAndSensible(t *testing.T) {
	d := newDesign(t, pairedFrame(t), Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}})
	taylor := estimate(t, d, []Request{mean("y")}, Options{})[0]
	se := func(seed uint64) float64 {
		rd, err := d.ToReplicates(Conversion{Type: Bootstrap, Replicates: 2000, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return estimate(t, rd, []Request{mean("y")}, Options{})[0].SE
	}
	a, b, c := se(1), se(1), se(2)
	if a != b {
		t.Errorf("same seed gave SEs %v and %v", a, b)
	}
	if a == c {
		t.Errorf("different seeds gave the same SE %v", a)
	}
	// Rao–Wu with n_h = 2 is unbiased for the with-replacement variance.
	if r := a / taylor.SE; r < 0.85 || r > 1.15 {
		t.Errorf("bootstrap SE %v vs linearisation %v (ratio %v)", a, taylor.SE, r)
	}
}

func TestConversionRefusals(t *testing.T) {
	strat := newDesign(t, pairedFrame(t), Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}})
	flat := newDesign(t, pairedFrame(t), Spec{Weights: "w", Clusters: []string{"psu"}})
	three := newDesign(t, smallFrame(t), Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, LonelyPSU: LonelyRemove})
	tests := []struct {
		d    *Design
		c    Conversion
		want string
	}{
		{strat, Conversion{Type: JK1}, "JK1 needs an unstratified design"},
		{flat, Conversion{Type: JKn}, "JKn needs strata"},
		{three, Conversion{Type: BRR}, `stratum "c" has 1 PSUs; BRR needs exactly 2`},
		{strat, Conversion{Type: "SDR"}, `type "SDR"`},
		{strat, Conversion{Type: Fay}, "Fay needs rho"},
	}
	for _, tt := range tests {
		_, err := tt.d.ToReplicates(tt.c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.c, err, tt.want)
		}
	}
}

func TestDomainsCrossInSortedOrder(t *testing.T) {
	f := NewFrame()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.AddFloat("w", []float64{1, 1, 1, 1, 1, 1}))
	must(f.AddFloat("y", []float64{1, 2, 3, 4, 5, 6}))
	must(f.AddFloat("num", []float64{10, 2, 10, 2, 2, math.NaN()}))
	must(f.AddString("txt", []string{"b", "a", "a", "b", "b", "a"}))
	d := newDesign(t, f, Spec{Weights: "w"})
	recs := estimate(t, d, []Request{total("y")}, Options{By: []string{"num", "txt"}})
	var got []string
	for _, r := range recs {
		got = append(got, r.By["num"]+r.By["txt"]+"="+strconv.FormatFloat(r.Estimate, 'g', -1, 64))
	}
	want := []string{"2a=2", "2b=9", "10a=3", "10b=1"}
	if !slices.Equal(got, want) {
		t.Errorf("domains %v, want %v (numeric levels in numeric order, missing by-values dropped)", got, want)
	}
}

func TestCategoricalProportionsSumToOne(t *testing.T) {
	f := smallFrame(t)
	if err := f.AddString("party", []string{"r", "g", "", "r", "g", "b", "r", "r", "b", "g"}); err != nil {
		t.Fatal(err)
	}
	d := newDesign(t, f, Spec{Weights: "w", Strata: "stratum"})
	recs := estimate(t, d, []Request{prop("party")}, Options{By: []string{"g"}})
	sums := map[string]float64{}
	var levels []string
	checked := 0
	for _, r := range recs {
		sums[r.By["g"]] += r.Estimate
		if r.By["g"] == "u" {
			levels = append(levels, r.Level)
		}
		if r.SE > 0 {
			checked++
			if !(r.CILow < r.Estimate && r.Estimate < r.CIHigh) {
				t.Errorf("%s in %v: %v outside (%v, %v)", r.Level, r.By, r.Estimate, r.CILow, r.CIHigh)
			}
		}
	}
	if checked == 0 {
		t.Error("no interval checked")
	}
	if !slices.Equal(levels, []string{"b", "g", "r"}) {
		t.Errorf("levels %v, want b g r", levels)
	}
	for g, s := range sums {
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("proportions in %s sum to %v", g, s)
		}
	}
}

func TestCloseMatches(t *testing.T) {
	names := []string{"api00", "api99", "apiold", "stype", "pw", "Weight"}
	tests := []struct {
		name string
		want []string
	}{
		{"api0", []string{"api00", "api99"}},
		{"apiOld", []string{"apiold"}},
		{"weight", []string{"Weight"}},
		{"type", []string{"stype"}},
		{"zzzzzz", []string{}},
	}
	for _, tt := range tests {
		if got := closeMatches(tt.name, names, 3); !slices.Equal(got, tt.want) {
			t.Errorf("closeMatches(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	d := newDesign(t, smallFrame(t), Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, LonelyPSU: LonelyRemove})
	s := d.Summary()
	if s.Kind != "linearisation" || s.NumStrata != 3 || s.NumPSU != 5 || s.DF != 2 || s.Rows != 10 || s.LonelyPSU != "remove" {
		t.Errorf("summary %+v", s)
	}
}

// mapProducer is a deliberately plain Producer standing in for any other (a SQL GROUP
// BY): it reads the source columns an Item names, not its slices, and sums with a map
// per cell, row by row. Estimate must give the same records from its sums.
type mapProducer struct{ calls int }

func (p *mapProducer) Accumulate(d *Design, items []Item, dom []int32, nDom int) []*Sums {
	p.calls++
	unit, nu := d.Units()
	out := make([]*Sums, len(items))
	for k, it := range items {
		col, _ := d.frame.Strings(it.Column)
		num, _ := d.frame.Float(it.Column)
		value := func(i int) float64 {
			switch {
			case it.Level != nil:
				if col[i] == "" {
					return math.NaN()
				}
				if col[i] == *it.Level {
					return 1
				}
				return 0
			case it.AtMost != nil:
				if math.IsNaN(num[i]) {
					return math.NaN()
				}
				if num[i] <= it.AtMost[dom[i]] {
					return 1
				}
				return 0
			}
			return num[i]
		}
		var den []float64
		if it.Denominator != "" {
			den, _ = d.frame.Float(it.Denominator)
		}
		cells := map[[2]int32]*Cell{}
		for i, dd := range dom {
			if dd < 0 {
				continue
			}
			y, x := value(i), 0.0
			if den != nil {
				x = den[i]
			}
			if math.IsNaN(y) || math.IsNaN(x) {
				continue
			}
			key := [2]int32{dd, unit[i]}
			c := cells[key]
			if c == nil {
				c = &Cell{}
				cells[key] = c
			}
			w := d.w[i]
			c.N++
			if w != 0 {
				c.NW++
			}
			c.W += w
			c.A += w * y
			c.B += w * x
			c.AA += w * y * y
			c.BB += w * x * x
			c.AB += w * y * x
		}
		keys := make([][2]int32, 0, len(cells))
		for key := range cells {
			keys = append(keys, key)
		}
		slices.SortFunc(keys, func(a, b [2]int32) int {
			if a[0] != b[0] {
				return int(a[0] - b[0])
			}
			return int(a[1] - b[1])
		})
		s := &Sums{Domains: nDom, Units: nu, Start: make([]int, nDom+1)}
		for _, key := range keys {
			s.Start[key[0]+1]++
			s.Unit = append(s.Unit, key[1])
			s.Cells = append(s.Cells, *cells[key])
		}
		for dd := 0; dd < nDom; dd++ {
			s.Start[dd+1] += s.Start[dd]
		}
		out[k] = s
	}
	return out
}

func TestProducersAgree(t *testing.T) {
	f := benchFrame(t, 20_000)
	cat := make([]string, f.Rows())
	y5, _ := f.Float("y5")
	for i, v := range y5 {
		cat[i] = strconv.Itoa(int(math.Abs(v)) % 3)
	}
	if err := f.AddString("cat", cat); err != nil {
		t.Fatal(err)
	}
	d := newDesign(t, f, Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, Nest: true, LonelyPSU: LonelyAdjust})
	reqs := []Request{mean("y0"), total("y1"), ratio("y2", "y3"), quant("y4", 0.5), prop("cat")}
	want := estimate(t, d, reqs, Options{By: []string{"dom"}})
	p := &mapProducer{}
	got := estimate(t, d, reqs, Options{By: []string{"dom"}, Producer: p})
	if p.calls != 2 { // linear statistics in one call, then the quantile's indicator
		t.Errorf("producer called %d times, want 2", p.calls)
	}
	if len(got) != len(want) || len(got) != 70 {
		t.Fatalf("%d and %d records, want 70", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		for _, pair := range [][2]float64{{g.Estimate, w.Estimate}, {g.SE, w.SE}, {g.CILow, w.CILow}, {g.Deff, w.Deff}} {
			if math.Abs(pair[0]-pair[1]) > 1e-12*math.Abs(pair[1]) {
				t.Errorf("%s %s %v: %v vs %v", w.Statistic, w.Variable, w.By, pair[0], pair[1])
			}
		}
	}
}

// Under simple random sampling with replacement the variance of p̂ is p̂(1−p̂)/(n−1)
// (svymean's n/(n−1) factor), so the Wilson interval is the textbook one on n−1.
func TestWilsonInterval(t *testing.T) {
	y := []float64{1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1}
	zeros := make([]float64, len(y))
	w := make([]float64, len(y))
	for i := range w {
		w[i] = 3
	}
	f := NewFrame()
	for _, err := range []error{f.AddFloat("y", y), f.AddFloat("none", zeros), f.AddFloat("w", w)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	d := newDesign(t, f, Spec{Weights: "w"})
	r := estimate(t, d, []Request{prop("y")}, Options{PropCI: CIWilson})[0]
	n, p := float64(len(y)-1), 15.0/20
	z := qt(0.975, 19)
	c := z * z / n
	lo := (p + c/2 - z*math.Sqrt(p*(1-p)/n+c/(4*n))) / (1 + c)
	hi := (p + c/2 + z*math.Sqrt(p*(1-p)/n+c/(4*n))) / (1 + c)
	if math.Abs(r.CILow-lo) > 1e-12 || math.Abs(r.CIHigh-hi) > 1e-12 {
		t.Errorf("wilson [%v, %v], want [%v, %v]", r.CILow, r.CIHigh, lo, hi)
	}
	// p̂ = 0: the interval is [0, something] rather than nothing.
	r = estimate(t, d, []Request{prop("none")}, Options{PropCI: CIWilson})[0]
	if r.CILow != 0 || !(r.CIHigh > 0 && r.CIHigh < 0.5) {
		t.Errorf("wilson at p̂=0: [%v, %v]", r.CILow, r.CIHigh)
	}
}

func TestAddAuto(t *testing.T) {
	f := NewFrame()
	for _, c := range []struct {
		name string
		v    []string
	}{
		{"num", []string{"1", " 2.5", "NA", "", "-3e2"}},
		{"txt", []string{"a", "1", ".", "b", ""}},
	} {
		if err := f.AddAuto(c.name, c.v, "NA", "."); err != nil {
			t.Fatal(err)
		}
	}
	num, err := f.Float("num")
	if err != nil {
		t.Fatal(err)
	}
	if num[0] != 1 || num[1] != 2.5 || !math.IsNaN(num[2]) || !math.IsNaN(num[3]) || num[4] != -300 {
		t.Errorf("numeric column %v", num)
	}
	if _, err := f.Float("txt"); !errors.Is(err, ErrNotNumeric) {
		t.Errorf("text column: %v, want ErrNotNumeric", err)
	}
	txt, _ := f.Strings("txt")
	if !slices.Equal(txt, []string{"a", "1", "", "b", ""}) {
		t.Errorf("text column %q", txt)
	}
}

// compactCells has a table path (few domain×unit pairs) and a bucketing path (many);
// both must give each row the cell of its own (domain, unit), one cell per pair present,
// ordered by domain then unit.
func TestCompactCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, nDom, nu int }{{5000, 4, 50}, {5000, 40, 5000}, {300, 7, 1}} {
		dom := make([]int32, tc.n)
		unit := make([]int32, tc.n)
		pairs := map[[2]int32]bool{}
		for i := range dom {
			dom[i] = int32(rng.IntN(tc.nDom+1)) - 1 // −1: outside every domain
			unit[i] = int32(rng.IntN(tc.nu))
			if dom[i] >= 0 {
				pairs[[2]int32{dom[i], unit[i]}] = true
			}
		}
		cell, start, units := compactCells(dom, unit, tc.nDom, tc.nu)
		if len(units) != len(pairs) || start[tc.nDom] != len(pairs) {
			t.Errorf("%+v: %d cells, start ends at %d, want %d", tc, len(units), start[tc.nDom], len(pairs))
		}
		for dd := 0; dd < tc.nDom; dd++ {
			for j := start[dd] + 1; j < start[dd+1]; j++ {
				if units[j] <= units[j-1] {
					t.Fatalf("%+v: domain %d units not increasing at %d", tc, dd, j)
				}
			}
		}
		for i, c := range cell {
			if dom[i] < 0 {
				if c != -1 {
					t.Fatalf("%+v: row %d outside domains has cell %d", tc, i, c)
				}
				continue
			}
			if int(c) < start[dom[i]] || int(c) >= start[dom[i]+1] || units[c] != unit[i] {
				t.Fatalf("%+v: row %d (domain %d, unit %d) in cell %d (unit %d)", tc, i, dom[i], unit[i], c, units[c])
			}
		}
	}
}

// TestCodes checks codes against a map and a sort, with labels that share codes'
// lookup slot (same first byte and length mod 16), multi-byte text, numbers and
// missing values.
func TestCodes(t *testing.T) {
	pool := []string{"male", "mean", "m", "mxxxxxxxxxxxxxxxxx", "mxx", "Ørsta", "Øst", "10", "2", "", "b", "a"}
	rng := rand.New(rand.NewPCG(9, 10))
	v := make([]string, 5000)
	for i := range v {
		v[i] = pool[rng.IntN(len(pool))]
	}
	code, labels := codes(v)
	want := []string{}
	for _, s := range pool {
		if s != "" {
			want = append(want, s)
		}
	}
	slices.Sort(want)
	if !slices.Equal(labels, want) {
		t.Fatalf("labels %q, want %q", labels, want)
	}
	for i, s := range v {
		switch {
		case s == "" && code[i] != -1:
			t.Fatalf("row %d: missing value has code %d", i, code[i])
		case s != "" && labels[code[i]] != s:
			t.Fatalf("row %d: %q coded %d (%q)", i, s, code[i], labels[code[i]])
		}
	}
	_, numeric := codes([]string{"10", "2", "", "1.5"})
	if !slices.Equal(numeric, []string{"1.5", "2", "10"}) {
		t.Errorf("numeric labels %q, want numeric order", numeric)
	}
}

// TestFloatCodes checks floatCodes' table and map paths against a sort of the distinct
// values: small whole numbers (with −0 and +0 one value), fractions, a range too wide
// for the table, and a column with no values.
func TestFloatCodes(t *testing.T) {
	nan := math.NaN()
	for _, v := range [][]float64{
		{3, -2, 0, math.Copysign(0, -1), 3, nan, 7, -2},
		{0.5, 2, 0.5, nan, -1.25},
		{1, 1e12, -5, 1},
		{nan, nan},
		{},
	} {
		code, labels := floatCodes(v)
		var distinct []float64
		for _, x := range v {
			if !math.IsNaN(x) && !slices.Contains(distinct, x) {
				distinct = append(distinct, x)
			}
		}
		slices.Sort(distinct)
		want := make([]string, len(distinct))
		for k, x := range distinct {
			want[k] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		if !slices.Equal(labels, want) && !(len(labels) == 0 && len(want) == 0) {
			t.Fatalf("%v: labels %q, want %q", v, labels, want)
		}
		for i, x := range v {
			switch {
			case math.IsNaN(x) && code[i] != -1:
				t.Fatalf("%v: row %d (NaN) coded %d", v, i, code[i])
			case !math.IsNaN(x) && labels[code[i]] != strconv.FormatFloat(x+0, 'g', -1, 64):
				t.Fatalf("%v: row %d (%v) coded %d (%s)", v, i, x, code[i], labels[code[i]])
			}
		}
	}
}
