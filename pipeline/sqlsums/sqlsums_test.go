package sqlsums

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socap/indicators/survey"
	"socap/pipeline/ingest"
	"socap/pipeline/load"
	"socap/pipeline/store"
)

// writeSurvey writes a seeded survey with every design feature the engine has: strata
// (one of them with a single PSU), PSUs numbered within strata, SSUs, fpc at both
// stages, weights, eight replicate-weight columns, missing values in the analysis and
// domain columns, text and numeric domains, a text column with number-like cells, a
// "nan" cell.
func writeSurvey(t *testing.T) string {
	rng := rand.New(rand.NewPCG(15, 1))
	var b strings.Builder
	b.WriteString("h,psu,ssu,fpc0,fpc1,fpc2,w,y,x,z,g,dom,area,mix")
	for r := 1; r <= 8; r++ {
		fmt.Fprintf(&b, ",rep%d", r)
	}
	b.WriteString("\n")
	for h := 1; h <= 6; h++ {
		npsu := 2 + h%3
		if h == 6 {
			npsu = 1 // lonely
		}
		for p := 1; p <= npsu; p++ {
			nssu := 1 + (h+p)%3
			for s := 1; s <= nssu; s++ {
				for range 3 + rng.IntN(5) {
					w := 1 + 9*rng.Float64()
					if rng.IntN(40) == 0 {
						w = 0
					}
					cell := func(v float64, missing int) string {
						if rng.IntN(missing) == 0 {
							return ""
						}
						return fmt.Sprint(v)
					}
					g := []string{"low", "mid", "high", "NA"}[rng.IntN(4)]
					dom := []string{"a", "b", ""}[rng.IntN(3)]
					y, x, z := cell(50+20*rng.NormFloat64(), 9), cell(10+rng.Float64(), 15), cell(float64(rng.IntN(2)), 12)
					if h == 2 && p == 1 && s == 1 {
						y = "nan" // a number that is missing, as NaN in a Frame
					}
					area := 1 + rng.IntN(3)
					mix := fmt.Sprint(area) // text with number-like cells
					if area == 3 {
						mix = "x3"
					}
					fmt.Fprintf(&b, "s%d,%d,%d,%d,%d,%d,%v,%s,%s,%s,%s,%s,%d,%s", h, p, s, 1000, 2*npsu+3, 10, w, y, x, z, g, dom, area, mix)
					for r := 1; r <= 8; r++ {
						f := 0.0
						if (p+r)%4 != 0 {
							f = w * (1 + float64((h*r+p)%5)/10)
						}
						fmt.Fprintf(&b, ",%v", f)
					}
					b.WriteString("\n")
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "survey.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// keep records the Sums a producer gives.
type keep struct {
	mem  []*survey.Sums
	rows []*survey.Sums
	src  *Source
}

func (k *keep) Accumulate(d *survey.Design, items []survey.Item, dom []int32, nDom int) []*survey.Sums {
	s := survey.MemoryProducer{}.Accumulate(d, items, dom, nDom)
	k.mem = append(k.mem, s...)
	return s
}

type keptSource struct {
	*Source
	k *keep
}

func (s keptSource) Accumulate(d *survey.Design, items []survey.Item, by []string, crossings *survey.Frame, domainOf []int32, nDom int) ([]*survey.Sums, error) {
	out, err := s.Source.Accumulate(d, items, by, crossings, domainOf, nDom)
	s.k.rows = append(s.k.rows, out...)
	return out, err
}

// close reports whether a and b agree to tol relative to scale (the larger of |a|, |b|
// and the magnitude the value is a difference of).
func close(a, b, scale, tol float64) bool {
	if a == b {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(scale, math.Max(math.Abs(a), math.Abs(b)))
}

func compareSums(t *testing.T, mem, rows *survey.Sums) {
	t.Helper()
	if mem.Domains != rows.Domains || mem.Units != rows.Units || mem.R != rows.R ||
		fmt.Sprint(mem.Start) != fmt.Sprint(rows.Start) || fmt.Sprint(mem.Unit) != fmt.Sprint(rows.Unit) || len(mem.Cells) != len(rows.Cells) {
		t.Fatalf("layout: memory %d domains, %d units, %d replicates, start %v, %d cells; sql %d, %d, %d, %v, %d",
			mem.Domains, mem.Units, mem.R, mem.Start, len(mem.Cells), rows.Domains, rows.Units, rows.R, rows.Start, len(rows.Cells))
	}
	cell := func(where string, m, r survey.Cell) {
		if m.N != r.N || m.NW != r.NW {
			t.Errorf("%s: counts memory %d/%d, sql %d/%d", where, m.N, m.NW, r.N, r.NW)
		}
		for _, f := range []struct {
			name string
			m, r float64
		}{{"W", m.W, r.W}, {"A", m.A, r.A}, {"B", m.B, r.B}, {"AA", m.AA, r.AA}, {"BB", m.BB, r.BB}, {"AB", m.AB, r.AB}} {
			if !close(f.m, f.r, 0, 1e-12) {
				t.Errorf("%s: %s memory %v, sql %v", where, f.name, f.m, f.r)
			}
		}
	}
	for j := range mem.Cells {
		cell(fmt.Sprintf("cell %d", j), mem.Cells[j], rows.Cells[j])
	}
	if len(mem.Rep) != len(rows.Rep) {
		t.Fatalf("replicate sums: memory %d, sql %d", len(mem.Rep), len(rows.Rep))
	}
	for j := range mem.Rep {
		cell(fmt.Sprintf("replicate cell %d", j), mem.Rep[j], rows.Rep[j])
	}
}

func compareRecords(t *testing.T, mem, rows []survey.Record) {
	t.Helper()
	if len(mem) != len(rows) {
		t.Fatalf("memory %d records, sql %d", len(mem), len(rows))
	}
	for i, m := range mem {
		r := rows[i]
		where := fmt.Sprintf("%s %s %s %v", m.Statistic, m.Variable, m.Level, m.By)
		if m.Variable != r.Variable || m.Level != r.Level || fmt.Sprint(m.By) != fmt.Sprint(r.By) || m.N != r.N || fmt.Sprint(m.Flags) != fmt.Sprint(r.Flags) {
			t.Errorf("%s: memory %+v, sql %+v", where, m, r)
			continue
		}
		for _, f := range []struct {
			name string
			m, r float64
		}{{"estimate", m.Estimate, r.Estimate}, {"se", m.SE, r.SE}, {"ci_low", m.CILow, r.CILow}, {"ci_high", m.CIHigh, r.CIHigh},
			{"df", m.DF, r.DF}, {"deff", m.Deff, r.Deff}, {"sum_weights", m.SumWeights, r.SumWeights}} {
			if !close(f.m, f.r, 0, 1e-12) {
				t.Errorf("%s: %s memory %v, sql %v", where, f.name, f.m, f.r)
			}
		}
	}
}

// TestIdentity checks that the DuckDB producer's Sums, and the records estimated from
// them, equal the in-memory producer's to 1e-12 relative on every design type, by
// domains and overall, with missing values in analysis and domain columns; quantiles
// (both rules, a continuous and a tied variable) through Distribution and the Woodruff
// sums; once on the ingested table and once with the CSV read in place.
func TestIdentity(t *testing.T) {
	ctx := context.Background()
	path := writeSurvey(t)
	in, err := load.Open(ctx, path, ingest.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	place := openInPlace(t, path)
	frame, err := in.Frame(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	reps := &survey.ReplicateSpec{Pattern: "^rep", Type: survey.Bootstrap}
	designs := []struct {
		name string
		spec survey.Spec
		conv *survey.Conversion
	}{
		{"weights only", survey.Spec{Weights: "w"}, nil},
		{"srs", survey.Spec{}, nil},
		{"strata, ids=~1, fpc", survey.Spec{Weights: "w", Strata: "h", FPC: []string{"fpc0"}}, nil},
		{"strata and nested PSUs, lonely adjust", survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}, Nest: true, LonelyPSU: survey.LonelyAdjust}, nil},
		{"lonely average, domain lonely", survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}, Nest: true, LonelyPSU: survey.LonelyAverage, AdjustDomainLonely: true}, nil},
		{"two stages, no fpc", survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu", "ssu"}, Nest: true, LonelyPSU: survey.LonelyRemove}, nil},
		{"multistage with fpc", survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu", "ssu"}, FPC: []string{"fpc1", "fpc2"}, Nest: true, LonelyPSU: survey.LonelyCertainty}, nil},
		{"multistage, weights from fpc", survey.Spec{Strata: "h", Clusters: []string{"psu", "ssu"}, FPC: []string{"fpc1", "fpc2"}, Nest: true, LonelyPSU: survey.LonelyRemove}, nil},
		{"supplied replicates", survey.Spec{Weights: "w", Replicates: reps}, nil},
		{"replicate multipliers, mse", survey.Spec{Weights: "w", Replicates: &survey.ReplicateSpec{Columns: []string{"rep1", "rep2", "rep3", "rep4", "rep5"}, Type: survey.JK1, MSE: true, Multipliers: true}}, nil},
		{"converted to JKn", survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}, Nest: true, LonelyPSU: survey.LonelyRemove}, &survey.Conversion{Type: survey.JKn}},
		{"converted to bootstrap", survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu", "ssu"}, FPC: []string{"fpc1", "fpc2"}, Nest: true, LonelyPSU: survey.LonelyRemove}, &survey.Conversion{Type: survey.Bootstrap, Replicates: 20, Seed: 3}},
	}
	reqs := []survey.Request{
		{Statistic: survey.Mean, Variable: "y"},
		{Statistic: survey.Total, Variable: "y"},
		{Statistic: survey.Ratio, Variable: "y", Denominator: "x"},
		{Statistic: survey.Prop, Variable: "z"},
		{Statistic: survey.Prop, Variable: "g"},
		{Statistic: survey.Prop, Variable: "area", Levels: []string{"2"}},
		{Statistic: survey.Prop, Variable: "mix", Levels: []string{"1"}},
		{Statistic: survey.Quantile, Variable: "y", Probs: []float64{0.1, 0.5, 0.9}},
		{Statistic: survey.Quantile, Variable: "area", Probs: []float64{0.25, 0.5}}, // ties
	}
	for i, tc := range designs {
		rule := []survey.QuantileRule{survey.QRuleMath, survey.QRuleHF7}[i%2]
		for _, by := range [][]string{nil, {"dom"}, {"dom", "area"}, {"mix"}} {
			t.Run(fmt.Sprintf("%s by %v, qrule %s", tc.name, by, rule), func(t *testing.T) {
				dm, err := survey.NewDesign(frame, tc.spec)
				if err != nil {
					t.Fatal(err)
				}
				if tc.conv != nil {
					if dm, err = dm.ToReplicates(*tc.conv); err != nil {
						t.Fatal(err)
					}
				}
				k := &keep{}
				want, err := dm.Estimate(reqs, survey.Options{By: by, Producer: k, Rule: rule})
				if err != nil {
					t.Fatal(err)
				}
				for _, tab := range []*load.Table{in, place} {
					ds, src, err := Design(ctx, tab, tc.spec)
					if err != nil {
						t.Fatal(err)
					}
					if tc.conv != nil {
						if ds, err = ds.ToReplicates(*tc.conv); err != nil {
							t.Fatal(err)
						}
					}
					k.rows = nil
					got, err := ds.EstimateRows(reqs, survey.Options{By: by, Rule: rule}, keptSource{src, k})
					if err != nil {
						t.Fatal(err)
					}
					if len(k.rows) != len(k.mem) {
						t.Fatalf("%d sums from sql, %d in memory", len(k.rows), len(k.mem))
					}
					for j := range k.mem {
						compareSums(t, k.mem[j], k.rows[j])
					}
					compareRecords(t, want, got)
				}
			})
		}
	}
}

// TestDesignErrors checks that bad design values are refused naming file, row and
// column, as NewDesign names them for rows in memory.
func TestDesignErrors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bad.csv")
	data := "h,psu,w,y\n1,1,2,3\n1,2,1,4\n,3,1,5\n2,4,-1,6\n2,5,1,6\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := openInPlace(t, path)
	for _, tc := range []struct {
		spec survey.Spec
		want string
	}{
		{survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}}, `bad.csv: design: column "h", row 3: missing value`},
		{survey.Spec{Weights: "w", Clusters: []string{"psu"}}, `bad.csv: design: weights: column "w", row 4: negative weight -1`},
		{survey.Spec{Weights: "ww"}, `bad.csv: design: column "ww": unknown column (did you mean "w"`},
	} {
		_, _, err := Design(ctx, tab, tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.spec, err, tc.want)
		}
	}
}

// TestOnePass checks that after Prepare the design and the estimates read the staged
// columns, never the CSV again: the CSV is parsed once.
func TestOnePass(t *testing.T) {
	ctx := context.Background()
	path := writeSurvey(t)
	tab := openInPlace(t, path)
	spec := survey.Spec{Weights: "w", Strata: "h", Clusters: []string{"psu"}, Nest: true, LonelyPSU: survey.LonelyAdjust}
	if err := Prepare(ctx, tab, spec, []string{"y", "x", "dom", "g"}); err != nil {
		t.Fatal(err)
	}
	var queries []string
	trace = func(q string) { queries = append(queries, q) }
	defer func() { trace = nil }()
	d, src, err := Design(ctx, tab, spec)
	if err != nil {
		t.Fatal(err)
	}
	reqs := []survey.Request{{Statistic: survey.Mean, Variable: "y"}, {Statistic: survey.Ratio, Variable: "y", Denominator: "x"}, {Statistic: survey.Prop, Variable: "g"}}
	if _, err := d.EstimateRows(reqs, survey.Options{By: []string{"dom"}}, src); err != nil {
		t.Fatal(err)
	}
	if len(queries) < 3 {
		t.Fatalf("%d queries traced, want the units, the domains and the sums at least", len(queries))
	}
	for _, q := range queries {
		if strings.Contains(q, "read_csv") {
			t.Errorf("a query after Prepare reads the CSV: %s", q)
		}
	}
}

// openInPlace reads path in place through a scratch store closed with the test.
func openInPlace(t testing.TB, path string) *load.Table {
	t.Helper()
	st, err := store.Open(context.Background(), "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tab, err := load.OpenInPlace(context.Background(), st, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	return tab
}
