package disclose

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestPrimaryReason(t *testing.T) {
	r := DefaultRules()
	tests := []struct {
		n, attr int
		prop    bool
		want    string
	}{
		{9, 5, false, "primary: n < 10"},
		{10, 0, false, ""},
		{0, 0, false, "primary: n < 10"},
		{10, 5, true, ""},
		{50, 2, true, "primary: fewer than 3 with the attribute"},
		{50, 48, true, "primary: fewer than 3 without the attribute"},
		{50, 47, true, ""},
		{9, 5, true, "primary: n < 10"},
	}
	for _, tt := range tests {
		if got := PrimaryReason(tt.n, tt.attr, tt.prop, r); got != tt.want {
			t.Errorf("PrimaryReason(%d, %d, %v) = %q, want %q", tt.n, tt.attr, tt.prop, got, tt.want)
		}
	}
	if got := PrimaryReason(15, 5, false, Rules{MinN: 20, MinCount: 3, Protection: 0.2}); got != "primary: n < 20" {
		t.Errorf("MinN 20: %q", got)
	}
}

func TestRulesCheck(t *testing.T) {
	for _, r := range []Rules{{0, 3, 0.2}, {10, -1, 0.2}, {10, 3, 0}, {10, 3, 1}, {10, 3, math.NaN()}} {
		if r.Check() == nil {
			t.Errorf("%+v accepted", r)
		}
		if _, _, err := Apply(nil, r); err == nil {
			t.Errorf("Apply accepted %+v", r)
		}
	}
	if err := DefaultRules().Check(); err != nil {
		t.Error(err)
	}
}

// oneWay is municipality × total with sums of weights 10 per respondent.
func oneWay(ns ...int) Table {
	t := Table{Indicator: "trust", Wave: "1", Kind: Mean, Min: 0, Max: 10}
	total := 0
	for i, n := range ns {
		t.Cells = append(t.Cells, Cell{Vars: []string{"kommune"}, Values: []string{string(rune('a' + i))}, N: n, Estimate: 5 + float64(i%3), SumWeights: 10 * float64(n)})
		total += n
	}
	sum := 0.0
	for _, c := range t.Cells {
		sum += c.Estimate * c.SumWeights
	}
	t.Cells = append(t.Cells, Cell{N: total, Estimate: sum / (10 * float64(total)), SumWeights: 10 * float64(total)})
	return t
}

func TestSecondaryOneWay(t *testing.T) {
	// One small municipality: the smallest other one is suppressed with it,
	// and the total stays published.
	marked, rep, err := Apply([]Table{oneWay(5, 40, 12, 80)}, DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	want := []Mark{
		{Primary, "primary: n < 10"},
		{Published, ""},
		{Secondary, "secondary: protects kommune=a"},
		{Published, ""},
		{Published, ""},
	}
	if !reflect.DeepEqual(marked[0], want) {
		t.Errorf("marks = %v, want %v", marked[0], want)
	}
	if rep.Totals.Primary != 1 || rep.Totals.Secondary != 1 || rep.Totals.Cells != 5 || rep.Unprotected != 0 {
		t.Errorf("report = %+v", rep.Totals)
	}
	if got, want := rep.Totals.PopulationShare, (50.0+120)/(50+400+120+800+1370); math.Abs(got-want) > 1e-12 {
		t.Errorf("population share %v, want %v", got, want)
	}
	// Two municipalities only: the other one cannot hide the small one
	// without the total going too.
	marked, _, _ = Apply([]Table{oneWay(5, 40)}, DefaultRules())
	for i, m := range marked[0][:2] {
		if m.Publishable() {
			t.Errorf("cell %d published: %v", i, marked[0])
		}
	}
}

func TestInvalidCells(t *testing.T) {
	tab := oneWay(40, 50, 60)
	tab.Cells = append(tab.Cells,
		Cell{Vars: []string{"kommune"}, Values: []string{"a"}, N: 40, Estimate: 5, SumWeights: 400}, // twice
		Cell{Vars: []string{"kommune", "kjonn"}, Values: []string{"b"}, N: 20, Estimate: 1, SumWeights: 1},
		Cell{Vars: []string{"kommune"}, Values: []string{"x"}, N: 20, Estimate: math.NaN(), SumWeights: 1},
		Cell{Vars: []string{"kommune"}, Values: []string{"y"}, N: 20, Estimate: 11, SumWeights: 1},
		Cell{Vars: []string{"kommune"}, Values: []string{"z"}, N: -1, Estimate: 1, SumWeights: 1},
	)
	marked, _, err := Apply([]Table{tab}, DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]string{0: "group given twice", 4: "group given twice", 5: "2 variables but 1 values",
		6: "estimate NaN", 7: "mean 11 outside 0..10", 8: "n -1 is negative"} {
		if m := marked[0][i]; m.Status != Primary || !strings.Contains(m.Reason, "invalid cell: "+want) {
			t.Errorf("cell %d: %+v, want invalid: %s", i, m, want)
		}
	}
}

func TestDerivedAndShowN(t *testing.T) {
	pub, sup := Mark{}, Mark{Status: Primary, Reason: "primary: n < 10"}
	if m := Derived(Part{"kommune=a", pub}, Part{"all", pub}); !m.Publishable() {
		t.Errorf("difference of published cells suppressed: %+v", m)
	}
	if m := Derived(Part{"all", pub}, Part{"kommune=a", sup}); m.Publishable() || m.Reason != "derived: uses suppressed kommune=a" {
		t.Errorf("difference with a suppressed cell: %+v", m)
	}
	if m := Derived(); m.Publishable() {
		t.Error("a number derived from nothing is published")
	}
	r := DefaultRules()
	for _, tt := range []struct {
		n    int
		m    Mark
		want string
	}{{7, pub, "7"}, {7, sup, "under 10"}, {40, Mark{Status: Secondary}, ":"}, {40, pub, "40"}} {
		if got := ShowN(tt.n, tt.m, r); got != tt.want {
			t.Errorf("ShowN(%d, %v) = %q, want %q", tt.n, tt.m.Status, got, tt.want)
		}
	}
}

// TestProperties: on random tables, every suppressed cell has a reason,
// every publishable one has none and is not sensitive, and shuffling the
// tables, the cells and the variables within a cell changes nothing.
func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rules := DefaultRules()
	var tables []Table
	for i := 0; i < 12; i++ {
		tables = append(tables, genTable(rng, "t", randomLevels(rng, 80), Kind(i%2), smallCells(rng)))
	}
	marked, rep, err := Apply(tables, rules)
	if err != nil {
		t.Fatal(err)
	}
	for ti, tab := range tables {
		for i, c := range tab.Cells {
			m := marked[ti][i]
			sens := PrimaryReason(c.N, c.NAttr, tab.Kind == Proportion, rules)
			switch {
			case m.Publishable() && (m.Reason != "" || sens != ""):
				t.Errorf("published %s with reason %q, primary rule %q", Label(c), m.Reason, sens)
			case !m.Publishable() && m.Reason == "":
				t.Errorf("%s suppressed without a reason", Label(c))
			case m.Status == Primary && m.Reason != sens:
				t.Errorf("%s: reason %q, rule says %q", Label(c), m.Reason, sens)
			case m.Status == Secondary && !strings.HasPrefix(m.Reason, "secondary: protects "):
				t.Errorf("%s: secondary reason %q", Label(c), m.Reason)
			}
		}
	}
	// Shuffle tables, cells and variables.
	perm := rng.Perm(len(tables))
	shuffled := make([]Table, len(tables))
	cellPerm := make([][]int, len(tables))
	for i, p := range perm {
		tab := tables[p]
		tab.Cells = append([]Cell(nil), tab.Cells...)
		cellPerm[i] = rng.Perm(len(tab.Cells))
		for j, q := range cellPerm[i] {
			c := tables[p].Cells[q]
			vp := rng.Perm(len(c.Vars))
			c.Vars, c.Values = make([]string, len(vp)), make([]string, len(vp))
			for k, v := range vp {
				c.Vars[k], c.Values[k] = tables[p].Cells[q].Vars[v], tables[p].Cells[q].Values[v]
			}
			tab.Cells[j] = c
		}
		shuffled[i] = tab
	}
	marked2, rep2, err := Apply(shuffled, rules)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range perm {
		for j, q := range cellPerm[i] {
			if marked2[i][j] != marked[p][q] {
				t.Fatalf("table %d cell %s: %+v in order, %+v shuffled", p, Label(tables[p].Cells[q]), marked[p][q], marked2[i][j])
			}
		}
	}
	if !reflect.DeepEqual(rep, rep2) {
		t.Errorf("reports differ:\n%+v\n%+v", rep, rep2)
	}
	if rep.Totals.Secondary == 0 {
		t.Error("no secondary suppression in the random tables")
	}
}
