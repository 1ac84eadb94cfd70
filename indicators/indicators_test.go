package indicators_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"

	"socap/indicators"
	"socap/indicators/core/coretest"
	"socap/pipeline/codebook"
	"socap/pipeline/synth"
)

// notModules are the packages under indicators/ that are not indicator
// modules.
var notModules = []string{"core", "scale", "survey"}

// TestModules is the meta-test: every module in the list has its code, a
// test, README.md, sample.conf and testdata/; every package directory under
// indicators/ is a module in the list (or one of notModules); each
// sample.conf holds the module's options and the module accepts them; an
// unknown option is refused; ids are unique.
func TestModules(t *testing.T) {
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	ids := map[string]string{}
	for _, m := range indicators.Modules {
		listed[m.Name] = true
		dir := m.Name
		for _, f := range []string{m.Name + ".go", m.Name + "_test.go", "README.md", "sample.conf"} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
				t.Errorf("module %s: no %s", m.Name, f)
			}
		}
		if entries, err := os.ReadDir(filepath.Join(dir, "testdata")); err != nil || len(entries) == 0 {
			t.Errorf("module %s: no testdata/", m.Name)
		}
		data, err := os.ReadFile(filepath.Join(dir, "sample.conf"))
		if err != nil {
			continue
		}
		var conf map[string]indicators.Options
		if err := yaml.Unmarshal(data, &conf); err != nil {
			t.Errorf("module %s: sample.conf: %v", m.Name, err)
			continue
		}
		opts, ok := conf[m.Name]
		if len(conf) != 1 || !ok {
			t.Errorf("module %s: sample.conf has %v, want the one key %s", m.Name, slices.Sorted(mapsKeys(conf)), m.Name)
		}
		ind, err := m.New(cb, opts)
		if err != nil {
			t.Errorf("module %s: options of sample.conf: %v", m.Name, err)
			continue
		}
		if ind.Module() != m.Name {
			t.Errorf("module %s names itself %s", m.Name, ind.Module())
		}
		for _, o := range ind.Outputs() {
			if prev, dup := ids[o.ID]; dup {
				t.Errorf("indicator %s in both %s and %s", o.ID, prev, m.Name)
			}
			ids[o.ID] = m.Name
			if o.Label.NB == "" || o.Label.EN == "" || o.Unit.Label.NB == "" || o.Unit.Label.EN == "" || o.Population.NB == "" || o.Population.EN == "" {
				t.Errorf("indicator %s: a label, unit or population lacks nb or en: %+v", o.ID, o)
			}
		}
		bad := indicators.Options{"no_such_option": 1}
		if _, err := m.New(cb, bad); !errors.Is(err, indicators.ErrOption) {
			t.Errorf("module %s: unknown option: err %v, want ErrOption", m.Name, err)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "testdata" && !slices.Contains(notModules, e.Name()) && !listed[e.Name()] {
			t.Errorf("indicators/%s is not in indicators.Modules", e.Name())
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestESSAvailability: the ESS codebook has the dimensions and employment,
// and says plainly which modules it cannot feed.
func TestESSAvailability(t *testing.T) {
	cb, err := codebook.Load("builtin:ess")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range indicators.Modules {
		_, err := m.New(cb, nil)
		switch m.Name {
		case "structural", "relational", "cognitive", "employment":
			if err != nil {
				t.Errorf("%s on builtin:ess: %v", m.Name, err)
			}
		default:
			if err != nil && !errors.Is(err, indicators.ErrUnavailable) {
				t.Errorf("%s on builtin:ess: %v, want nil or ErrUnavailable", m.Name, err)
			}
		}
	}
}

// rowCollector gathers synth's rows as columns.
type rowCollector map[string][]float64

func (c rowCollector) WriteRow(r *synth.Row) error {
	for j, col := range synth.Columns {
		c[col.Name] = append(c[col.Name], r.Values[j])
	}
	return nil
}

// TestSynthTruth scores a synthetic survey with every module on the
// builtin:ilag codebook and checks it against truth.json's
// indicator_definitions: the same ids, statistics, units and items (bounds
// and reversal), each respondent's value recomputed from the definition
// (score: mean over answered items of 100·(x−min)/(max−min), clamped and
// reversed, at least ⌈k/2⌉ items, aged 16–79; shares and the children's
// ratio over their stated populations), and the weighted estimate of the
// whole population within 5 linearised standard errors of the true value.
func TestSynthTruth(t *testing.T) {
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	cols := rowCollector{}
	truth, err := synth.Generate(synth.Options{Respondents: 4000, Waves: 1, Seed: 12, BlankMissing: true}, []synth.RowWriter{cols})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string][]float64{}
	outputs := map[string]indicators.Output{}
	scales := map[string]indicators.Scale{}
	for _, m := range indicators.Modules {
		ind, err := m.New(cb, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ind.Compute(cols)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ind.Outputs() {
			outputs[o.ID] = o
			if s, ok := ind.(indicators.Scale); ok && s.Items(o.ID) != nil {
				scales[o.ID] = s
			}
			for _, c := range o.Columns() {
				values[c] = v[c]
			}
		}
	}
	age, w := cols["age"], cols["weight"]
	in := func(i, lo, hi int) bool { return age[i] >= float64(lo) && age[i] <= float64(hi) }
	n := len(age)
	if len(truth.IndicatorDefinitions) != len(outputs) {
		t.Errorf("%d definitions in truth.json, %d outputs", len(truth.IndicatorDefinitions), len(outputs))
	}
	for _, def := range truth.IndicatorDefinitions {
		o, ok := outputs[def.Name]
		if !ok {
			t.Errorf("truth.json's %s: no module yields it", def.Name)
			continue
		}
		if o.Unit.ID != def.Unit {
			t.Errorf("%s: unit %s, truth %s", def.Name, o.Unit.ID, def.Unit)
		}
		want := make([]float64, n) // the definition's value per respondent
		num, den := make([]float64, n), make([]float64, n)
		for i := range want {
			want[i], num[i], den[i] = math.NaN(), math.NaN(), math.NaN()
		}
		switch {
		case def.Items != nil:
			s := scales[def.Name]
			if s == nil {
				t.Errorf("%s: not a Scale", def.Name)
				continue
			}
			items := s.Items(def.Name)
			if len(items) != len(def.Items) {
				t.Fatalf("%s: %d items, truth %d", def.Name, len(items), len(def.Items))
			}
			for j, it := range def.Items {
				if items[j].Name != it.Item || items[j].Min != it.Min || items[j].Max != it.Max || items[j].Reverse != it.Reverse {
					t.Errorf("%s: item %d is %+v, truth %+v", def.Name, j, items[j], it)
				}
			}
			ic, err := s.ItemColumns(def.Name, cols)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if !in(i, 16, 79) {
					continue
				}
				sum, k := 0.0, 0
				for j, it := range def.Items {
					x := cols[it.Item][i]
					if math.IsNaN(x) {
						if !math.IsNaN(ic[j][i]) {
							t.Fatalf("%s: ItemColumns has %v for an unanswered %s", def.Name, ic[j][i], it.Item)
						}
						continue
					}
					x = math.Max(it.Min, math.Min(it.Max, x))
					if it.Reverse {
						x = it.Min + it.Max - x
					}
					if ic[j][i] != x {
						t.Fatalf("%s: ItemColumns %s row %d: %v, want %v", def.Name, it.Item, i+1, ic[j][i], x)
					}
					sum += 100 * (x - it.Min) / (it.Max - it.Min)
					k++
				}
				if 2*k >= len(def.Items) {
					want[i] = sum / float64(k)
				}
			}
		case def.Statistic == "ratio":
			if o.Statistic.Kind != indicators.Ratio {
				t.Errorf("%s: statistic %v, truth ratio", def.Name, o.Statistic.Kind)
			}
			a, b := cols[def.Numerator], cols[def.Denominator]
			for i := range want {
				if !math.IsNaN(a[i]) && b[i] > 0 {
					want[i], num[i], den[i] = a[i]/b[i], a[i], b[i]
				}
			}
		default:
			band := map[string][2]int{"participation_youth": {16, 25}, "participation_adults": {26, 79}, "employment": {20, 66}}[def.Name]
			lo, hi := band[0], band[1]
			x := cols[def.Variable]
			for i := range want {
				if (hi == 0 || in(i, lo, hi)) && (def.Name != "jobmatch" || cols["employed"][i] == 1) {
					want[i] = x[i]
				}
			}
			kind := indicators.Mean
			if def.Unit == "proportion" {
				kind = indicators.Proportion
			}
			if o.Statistic.Kind != kind {
				t.Errorf("%s: statistic %v, want %v", def.Name, o.Statistic.Kind, kind)
			}
		}
		got := values[def.Name]
		answered := 0
		for i := range want {
			if !coretest.Same(got[i], want[i]) {
				t.Fatalf("%s: respondent %d: %v, definition gives %v", def.Name, i+1, got[i], want[i])
			}
			if !math.IsNaN(want[i]) {
				answered++
			}
		}
		if answered < 50 {
			t.Errorf("%s: only %d respondents with a value", def.Name, answered)
		}
		// The weighted estimate of the whole population against the truth.
		y, d := got, make([]float64, n)
		if def.Statistic == "ratio" {
			y, d = values[o.Statistic.Num], values[o.Statistic.Den]
			for i := range d {
				if !coretest.Same(y[i], num[i]) || !coretest.Same(d[i], den[i]) {
					t.Fatalf("%s: respondent %d: num/den %v/%v, want %v/%v", def.Name, i+1, y[i], d[i], num[i], den[i])
				}
			}
		} else {
			for i := range d {
				d[i] = 1
			}
		}
		var sy, sd float64
		for i := range y {
			if !math.IsNaN(y[i]) {
				sy += w[i] * y[i]
				sd += w[i] * d[i]
			}
		}
		est := sy / sd
		var v float64
		for i := range y {
			if !math.IsNaN(y[i]) {
				z := w[i] * (y[i] - est*d[i]) / sd
				v += z * z
			}
		}
		tv, ok := truth.FindIndicator(1, def.Name, map[string]string{})
		if !ok {
			t.Fatalf("%s: no truth", def.Name)
		}
		se := math.Sqrt(v)
		t.Logf("%s: %d respondents, estimate %.4f (SE %.4f), truth %.4f", def.Name, answered, est, se, tv.Value)
		if math.Abs(est-tv.Value) > 5*se {
			t.Errorf("%s: estimate %.4f, truth %.4f, more than 5 SE (%.4f) apart", def.Name, est, tv.Value, se)
		}
	}
}
