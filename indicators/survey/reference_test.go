package survey

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
)

// Reference values come from testdata/reference/survey.R (R's survey package); the data
// they were computed on stays in ../shared/datasets beside the checkout.
const (
	refDir = "../../testdata/reference"
	relTol = 1e-8
)

// table is a CSV file as columns of text, "" and "NA" meaning missing.
type table struct {
	names []string
	cols  map[string][]string
}

func readTable(t testing.TB, path string) *table {
	t.Helper()
	recs := testcsv.Read(t, path)
	tb := &table{names: recs[0], cols: map[string][]string{}}
	for _, r := range recs[1:] {
		for j, name := range tb.names {
			v := r[j]
			if v == "NA" {
				v = ""
			}
			tb.cols[name] = append(tb.cols[name], v)
		}
	}
	return tb
}

// loadShared reads a dataset from ../shared, skipping the test when it is absent.
func loadShared(t testing.TB, rel string) *table {
	t.Helper()
	return readTable(t, shareddata.Path(t, rel))
}

// filter keeps the rows where keep is true.
func (tb *table) filter(keep func(i int) bool) *table {
	out := &table{names: tb.names, cols: map[string][]string{}}
	for i := range tb.cols[tb.names[0]] {
		if keep(i) {
			for _, name := range tb.names {
				out.cols[name] = append(out.cols[name], tb.cols[name][i])
			}
		}
	}
	return out
}

func (tb *table) add(name string, v []string) {
	tb.names = append(tb.names, name)
	tb.cols[name] = v
}

func (tb *table) rows() int { return len(tb.cols[tb.names[0]]) }

// frame makes numeric columns of every column whose values all parse as numbers.
func (tb *table) frame(t testing.TB) *Frame {
	t.Helper()
	f := NewFrame()
	for _, name := range tb.names {
		if name == "" {
			continue // R's row names
		}
		v := tb.cols[name]
		num := make([]float64, len(v))
		ok := true
		for i, s := range v {
			if s == "" {
				num[i] = math.NaN()
				continue
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				ok = false
				break
			}
			num[i] = x
		}
		var err error
		if ok {
			err = f.AddFloat(name, num)
		} else {
			err = f.AddString(name, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// withReplicates adds columns rw1..rwR = multiplier of the row's unit × weight (the
// multiplier alone when weightCol is empty), from a reps_*.csv file written by survey.R.
func (tb *table) withReplicates(t testing.TB, file, unitCol, weightCol string) {
	reps := readTable(t, filepath.Join(refDir, file))
	byUnit := map[string]int{}
	for i, u := range reps.cols["unit"] {
		byUnit[u] = i
	}
	for r := 1; r < len(reps.names); r++ {
		name := reps.names[r]
		col := make([]string, tb.rows())
		for i, u := range tb.cols[unitCol] {
			j, ok := byUnit[u]
			if !ok {
				t.Fatalf("%s: no unit %q", file, u)
			}
			m, _ := strconv.ParseFloat(reps.cols[name][j], 64)
			w := 1.0
			if weightCol != "" {
				w, _ = strconv.ParseFloat(tb.cols[weightCol][i], 64)
			}
			col[i] = strconv.FormatFloat(m*w, 'g', -1, 64)
		}
		tb.add("rw"+strings.TrimPrefix(name, "r"), col)
	}
}

// refCase mirrors one case of survey.R.
type refCase struct {
	name string
	data func(t testing.TB) *table
	spec Spec
	conv *Conversion
	cal  func(t testing.TB) CalOptions
	reqs []Request
	bys  [][]string
}

func api(name string) func(t testing.TB) *table {
	return func(t testing.TB) *table { return loadShared(t, "api/"+name+".csv") }
}

// paired builds the paired design of survey.R: within each school type, schools in snum
// order form strata of ten, alternately split into two PSUs.
func paired(t testing.TB) *table {
	tb := api("apistrat")(t)
	type row struct {
		i    int
		snum float64
	}
	groups := map[string][]row{}
	for i, s := range tb.cols["stype"] {
		x, _ := strconv.ParseFloat(tb.cols["snum"][i], 64)
		groups[s] = append(groups[s], row{i, x})
	}
	str := make([]string, tb.rows())
	psu := make([]string, tb.rows())
	for s, rs := range groups {
		sort.Slice(rs, func(a, b int) bool { return rs[a].snum < rs[b].snum })
		for k, r := range rs {
			str[r.i] = fmt.Sprintf("%s%d", s, k/10)
			psu[r.i] = fmt.Sprintf("%s-%d", str[r.i], k%2)
		}
	}
	tb.add("pstr", str)
	tb.add("ppsu", psu)
	return tb
}

func pairedReps(t testing.TB) *table {
	tb := paired(t)
	tb.withReplicates(t, "reps_paired_fay.csv", "ppsu", "pw")
	return tb
}

// lonely keeps one school of stratum H; domain "a" is all of E and one school of M.
func lonely(t testing.TB) *table {
	tb := api("apistrat")(t)
	minSnum := func(tb *table, stype string) string {
		best, lab := math.Inf(1), ""
		for i, s := range tb.cols["stype"] {
			x, _ := strconv.ParseFloat(tb.cols["snum"][i], 64)
			if s == stype && x < best {
				best, lab = x, tb.cols["snum"][i]
			}
		}
		return lab
	}
	h := minSnum(tb, "H")
	tb = tb.filter(func(i int) bool { return tb.cols["stype"][i] != "H" || tb.cols["snum"][i] == h })
	m := minSnum(tb, "M")
	dom := make([]string, tb.rows())
	for i, s := range tb.cols["stype"] {
		dom[i] = "b"
		if s == "E" || tb.cols["snum"][i] == m {
			dom[i] = "a"
		}
	}
	tb.add("dom", dom)
	return tb
}

func mean(v string) Request  { return Request{Statistic: Mean, Variable: v} }
func total(v string) Request { return Request{Statistic: Total, Variable: v} }
func ratio(n, d string) Request {
	return Request{Statistic: Ratio, Variable: n, Denominator: d}
}
func prop(v string, levels ...string) Request {
	return Request{Statistic: Prop, Variable: v, Levels: levels}
}
func quant(v string, p ...float64) Request {
	return Request{Statistic: Quantile, Variable: v, Probs: p}
}

func refCases() []refCase {
	none := []string(nil)
	strat := Spec{Weights: "pw", Strata: "stype", FPC: []string{"fpc"}}
	clus1 := Spec{Weights: "pw", Clusters: []string{"dnum"}, FPC: []string{"fpc"}}
	fay := Spec{Weights: "pw", Replicates: &ReplicateSpec{Pattern: `^rw[0-9]+$`, Type: Fay, Rho: 0.3}}
	fayMSE := fay
	fayMSE.Replicates = &ReplicateSpec{Pattern: `^rw[0-9]+$`, Type: Fay, Rho: 0.3, MSE: true}
	cases := []refCase{
		{name: "strat", data: api("apistrat"), spec: strat,
			reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), prop("sch.wide", "No", "Yes"), quant("api00", 0.1, 0.25, 0.5, 0.9)},
			bys:  [][]string{none, {"stype"}, {"stype", "awards"}}},
		{name: "clus1", data: api("apiclus1"), spec: clus1,
			reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), prop("sch.wide", "Yes"), quant("api00", 0.5)},
			bys:  [][]string{none, {"stype"}}},
		{name: "clus2", data: api("apiclus2"), spec: Spec{Weights: "pw", Clusters: []string{"dnum", "snum"}, FPC: []string{"fpc1", "fpc2"}},
			reqs: []Request{mean("api00"), mean("enroll"), total("enroll"), ratio("api00", "api99")},
			bys:  [][]string{none, {"stype"}}},
		{name: "clus2_noweights", data: api("apiclus2"), spec: Spec{Clusters: []string{"dnum", "snum"}, FPC: []string{"fpc1", "fpc2"}},
			reqs: []Request{mean("api00"), total("enroll")}, bys: [][]string{none, {"stype"}}},
		{name: "clus1_jk1", data: api("apiclus1"), spec: clus1, conv: &Conversion{Type: JK1},
			reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), prop("sch.wide", "Yes")},
			bys:  [][]string{none, {"stype"}}},
		{name: "clus1_jk1", data: func(t testing.TB) *table {
			tb := api("apiclus1")(t)
			tb.withReplicates(t, "reps_clus1_jk1.csv", "dnum", "")
			return tb
		}, spec: Spec{Weights: "pw", Replicates: &ReplicateSpec{Pattern: `^rw[0-9]+$`, Type: JK1, Multipliers: true,
			Scale: (757.0 - 15) / 757 * 14 / 15}}, // fpc 757 districts, 15 sampled
			reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), prop("sch.wide", "Yes")},
			bys:  [][]string{none, {"stype"}}},
		{name: "strat_ps", data: api("apistrat"), spec: strat, cal: func(t testing.TB) CalOptions {
			pop := api("apipop")(t)
			counts := map[string]float64{}
			for _, a := range pop.cols["awards"] {
				counts[a]++
			}
			return CalOptions{Method: PostStratify, Margins: []Margin{{"awards", "No", counts["No"]}, {"awards", "Yes", counts["Yes"]}}}
		}, reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), prop("sch.wide", "Yes"), quant("api00", 0.5)},
			bys: [][]string{none, {"stype"}}},
		{name: "strat_jkn", data: api("apistrat"), spec: strat, conv: &Conversion{Type: JKn},
			reqs: []Request{mean("api00"), total("enroll")}, bys: [][]string{none, {"awards"}}},
		{name: "strat_boot", data: func(t testing.TB) *table {
			tb := api("apistrat")(t)
			tb.withReplicates(t, "reps_strat_boot.csv", "snum", "pw")
			return tb
		}, spec: Spec{Weights: "pw", Replicates: &ReplicateSpec{Pattern: `^rw[0-9]+$`, Type: Bootstrap}},
			reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), quant("api00", 0.5)},
			bys:  [][]string{none, {"stype"}}},
		{name: "paired_fay", data: pairedReps, spec: fay,
			reqs: []Request{mean("api00"), total("enroll"), ratio("api00", "api99"), prop("sch.wide", "Yes")},
			bys:  [][]string{none, {"stype"}}},
		{name: "paired_fay_mse", data: pairedReps, spec: fayMSE, reqs: []Request{mean("api00")}, bys: [][]string{{"stype"}}},
		{name: "paired", data: paired, spec: Spec{Weights: "pw", Strata: "pstr", Clusters: []string{"ppsu"}},
			reqs: []Request{mean("api00"), total("enroll")}, bys: [][]string{none, {"stype"}}},
		{name: "ess", data: func(t testing.TB) *table { return loadShared(t, "ess9no/ESS9NO.csv") },
			spec: Spec{Weights: "anweight", Strata: "stratum", Clusters: []string{"psu"}, Nest: true},
			reqs: []Request{mean("ppltrst"), mean("pplfair"), mean("pplhlp"), mean("trstprl"), mean("trstlgl"), mean("trstplc"), mean("trstplt"), prop("pdwrk"), quant("ppltrst", 0.5, 0.75)},
			bys:  [][]string{none, {"brncntr"}, {"brncntr", "gndr"}, {"gndr"}}},
	}
	for _, rule := range []LonelyPSU{LonelyRemove, LonelyAdjust, LonelyCertainty, LonelyAverage} {
		for _, adom := range []bool{false, true} {
			name := "lonely_" + string(rule)
			if adom {
				name += "_domain"
			}
			cases = append(cases, refCase{name: name, data: lonely,
				spec: Spec{Weights: "pw", Strata: "stype", LonelyPSU: rule, AdjustDomainLonely: adom},
				reqs: []Request{mean("api00"), total("enroll")}, bys: [][]string{none, {"dom"}}})
		}
		cases = append(cases, refCase{name: "lonely_" + string(rule) + "_jkn", data: lonely,
			spec: Spec{Weights: "pw", Strata: "stype", LonelyPSU: rule}, conv: &Conversion{Type: JKn},
			reqs: []Request{mean("api00"), total("enroll")}, bys: [][]string{none, {"dom"}}})
	}
	return cases
}

// recordKey identifies a record as survey.R writes it.
func recordKey(variable, statistic, level, p, by string) string {
	return strings.Join([]string{variable, statistic, level, p, by}, "|")
}

func keyOf(r Record, by []string) string {
	p := ""
	if r.P != nil {
		p = strconv.FormatFloat(*r.P, 'g', -1, 64)
	}
	parts := make([]string, len(by))
	for j, b := range by {
		parts[j] = b + "=" + r.By[b]
	}
	return recordKey(r.Variable, string(r.Statistic), r.Level, p, strings.Join(parts, ";"))
}

func parseRef(s string) float64 {
	if s == "" {
		return math.NaN()
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return x
}

func close(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= relTol*math.Max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) < 1e-300
}

func TestAgainstR(t *testing.T) {
	ref := readTable(t, filepath.Join(refDir, "survey.csv"))
	groups := map[string][]int{} // case|method → reference rows
	for i := range ref.rows() {
		k := ref.cols["case"][i] + "|" + ref.cols["method"][i]
		groups[k] = append(groups[k], i)
	}
	compared := 0
	for _, rc := range refCases() {
		t.Run(rc.name, func(t *testing.T) {
			f := rc.data(t).frame(t)
			d, err := NewDesign(f, rc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if rc.conv != nil {
				if d, err = d.ToReplicates(*rc.conv); err != nil {
					t.Fatal(err)
				}
			}
			if rc.cal != nil {
				if d, _, err = d.Calibrate(rc.cal(t)); err != nil {
					t.Fatal(err)
				}
			}
			methods := map[string]bool{}
			for k := range groups {
				if c, m, _ := strings.Cut(k, "|"); c == rc.name {
					methods[m] = true
				}
			}
			if len(methods) == 0 {
				t.Fatalf("no reference rows for case %s", rc.name)
			}
			for m := range methods {
				opt := Options{}
				rule, itype, _ := strings.Cut(m, "+")
				switch rule {
				case "math", "hf7":
					opt.Rule = QuantileRule(rule)
					opt.QuantileCI = PropCI(itype)
				case "":
				default:
					opt.PropCI = PropCI(m)
				}
				got := map[string]Record{}
				for _, by := range rc.bys {
					opt.By = by
					recs, err := d.Estimate(rc.reqs, opt)
					if err != nil {
						t.Fatalf("method %q by %v: %v", m, by, err)
					}
					for _, r := range recs {
						got[keyOf(r, by)] = r
					}
				}
				for _, i := range groups[rc.name+"|"+m] {
					col := func(c string) string { return ref.cols[c][i] }
					p := col("p")
					if p != "" {
						p = strconv.FormatFloat(parseRef(p), 'g', -1, 64)
					}
					key := recordKey(col("variable"), col("statistic"), col("level"), p, col("by"))
					r, ok := got[key]
					if !ok {
						t.Errorf("method %q: no record %s", m, key)
						continue
					}
					fields := []struct {
						name string
						got  float64
					}{{"estimate", r.Estimate}, {"se", r.SE}, {"ci_low", r.CILow}, {"ci_high", r.CIHigh},
						{"df", r.DF}, {"deff", r.Deff}, {"sum_weights", r.SumWeights}, {"n", float64(r.N)}}
					for _, fl := range fields {
						want := parseRef(col(fl.name))
						if m == "logit" && (r.Estimate == 0 || r.Estimate == 1) && strings.HasPrefix(fl.name, "ci") {
							// R's glm diverges at p̂ ∈ {0,1} and prints noise; socap gives no interval.
							if !math.IsNaN(fl.got) {
								t.Errorf("%s %s: got %v, want NaN for a degenerate proportion", key, fl.name, fl.got)
							}
							continue
						}
						if !close(fl.got, want) {
							t.Errorf("method %q %s %s: got %.17g, want %.17g (rel %.2g)", m, key, fl.name, fl.got, want,
								math.Abs(fl.got-want)/math.Abs(want))
						}
						compared++
					}
				}
			}
		})
	}
	t.Logf("compared %d numbers with R", compared)
}
