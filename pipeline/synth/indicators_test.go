package synth

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"testing"

	"socap/pipeline/codebook"
)

// TestIndicatorTruthRecount recomputes the indicator truth person by person
// over the whole two-wave population, scoring the dimensions from the
// builtin:ilag codebook's dimension, reverse and score bounds (not from the
// generator's item table), and compares it with truth.json's values for the
// whole population, by background, by municipality and by municipality ×
// background × gender, within 1e-9.
func TestIndicatorTruthRecount(t *testing.T) {
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Respondents: 1000, Waves: 2, Seed: 5}
	_, truth := generateCSV(t, opts)
	type scored struct {
		item           int
		lo, hi         float64
		reverse        bool
		dimension      string
		dimensionIndex int
	}
	var scoredItems []scored
	for j, it := range items {
		v := cb.Variable(it.Name)
		lo, hi, ok := v.ScoreBounds()
		if !ok || v.Dimension == "" || v.Dimension == "none" {
			t.Fatalf("%s: no score bounds or dimension in the codebook", it.Name)
		}
		d := -1
		for k, name := range dimNames {
			if name == v.Dimension {
				d = k
			}
		}
		scoredItems = append(scoredItems, scored{j, lo, hi, v.Reverse, v.Dimension, d})
	}
	// sums[key] = {sum, n} per indicator, wave and group.
	sums := map[string]*[2]float64{}
	add := func(key string, v, n float64) {
		s := sums[key]
		if s == nil {
			s = &[2]float64{}
			sums[key] = s
		}
		s[0] += v
		s[1] += n
	}
	pl := newPlan(opts, municipalities)
	for h := range pl.strata {
		m := pl.strata[h].m
		for a, size := range pl.areaSizes(h) {
			r, ap := pl.area(h, a)
			cr := pl.stream(streamChildren, h, a)
			for range size {
				p := newPerson(r, m, &ap, 2)
				p.drawChildren(cr, 2)
				groups := []string{"all", "bg" + strconv.Itoa(p.bg), "m" + strconv.Itoa(m.code),
					"m" + strconv.Itoa(m.code) + "bg" + strconv.Itoa(p.bg) + "g" + strconv.Itoa(p.gender)}
				for w := range 2 {
					mw := &p.wave[w]
					var score, count [3]float64
					for _, s := range scoredItems {
						x := math.Max(s.lo, math.Min(s.hi, float64(mw.items[s.item])))
						if s.reverse {
							x = s.lo + s.hi - x
						}
						score[s.dimensionIndex] += 100 * (x - s.lo) / (s.hi - s.lo)
						count[s.dimensionIndex]++
					}
					for _, g := range groups {
						k := func(ind string) string { return ind + "|" + strconv.Itoa(w+1) + "|" + g }
						for d, name := range dimNames {
							add(k(name), score[d]/count[d], 1)
						}
						add(k("participation_children"), float64(mw.childrenActive), float64(p.children))
						if p.age <= 25 {
							add(k("participation_youth"), float64(mw.items[itemOrgMember]), 1)
						} else {
							add(k("participation_adults"), float64(mw.items[itemOrgMember]), 1)
						}
						if p.age >= 20 && p.age <= 66 {
							add(k("employment"), indicator(mw.employed), 1)
						}
						if mw.employed {
							add(k("jobmatch"), float64(mw.jobMatch), 1)
						}
						add(k("qol"), float64(mw.qol), 1)
					}
				}
			}
		}
	}
	checked := 0
	for _, v := range truth.Indicators {
		var g string
		switch v.GroupSet {
		case "all":
			g = "all"
		case "background":
			g = "bg" + v.By["background"]
		case "municipality":
			g = "m" + v.By["municipality"]
		case "municipality+background+gender":
			g = "m" + v.By["municipality"] + "bg" + v.By["background"] + "g" + v.By["gender"]
		default:
			continue
		}
		s := sums[v.Indicator+"|"+strconv.Itoa(v.Wave)+"|"+g]
		if s == nil {
			t.Errorf("%s wave %d %s: in the truth but not in the recount", v.Indicator, v.Wave, g)
			continue
		}
		if want := s[0] / s[1]; math.Abs(v.Value-want) > 1e-9*math.Max(1, math.Abs(want)) || v.Population != s[1] {
			t.Errorf("%s wave %d %s: truth %.10g of %g, recount %.10g of %g", v.Indicator, v.Wave, g, v.Value, v.Population, want, s[1])
		}
		checked++
	}
	// 9 indicators × 2 waves × (1 + 3 backgrounds + 13 municipalities + their
	// non-empty background × gender cells).
	if checked < 9*2*(1+3+13+13*2) {
		t.Errorf("checked %d indicator values only", checked)
	}
	if len(truth.IndicatorDefinitions) != 9 {
		t.Errorf("%d indicator definitions, want 9", len(truth.IndicatorDefinitions))
	}
}

// ratioEstimate is the design-based ratio Σ w y / Σ w x with its
// linearisation standard error (Wolter 2007, §6.5: the mean's formula with
// z_hi = Σ_{k∈i} w_k (y_k − R x_k) / Σ w x), over the rows where both are
// observed.
func ratioEstimate(rows []Row, y, x func(r *Row) (float64, bool)) (est, se float64) {
	var swy, swx float64
	both := func(r *Row) (float64, float64, bool) {
		yv, ok1 := y(r)
		xv, ok2 := x(r)
		return yv, xv, ok1 && ok2
	}
	for i := range rows {
		if yv, xv, ok := both(&rows[i]); ok {
			swy += rows[i].Values[colWeight] * yv
			swx += rows[i].Values[colWeight] * xv
		}
	}
	est = swy / swx
	// The ratio's linearised variable, as a "mean" whose estimate is 0 over
	// weights summing to Σ w x: reuse estimate's ultimate-cluster variance.
	_, se = estimate(rows, true, true, func(r *Row) (float64, bool) {
		yv, xv, ok := both(r)
		if !ok {
			return 0, true
		}
		return (yv - est*xv) / swx, true
	})
	return est, se
}

// TestIndicatorsCovered estimates every indicator from the 50,000-respondent
// sample, overall and by background, as the indicator modules define them,
// and requires the design-based estimates to lie within 3 standard errors
// of the truth.
func TestIndicatorsCovered(t *testing.T) {
	sample, truth := sample50k()
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	// score is the POMP score of a dimension over the answered items.
	score := func(d string) func(r *Row) (float64, bool) {
		type col struct {
			j       int
			lo, hi  float64
			reverse bool
		}
		var cols []col
		for _, v := range cb.Variables {
			if v.Dimension == d {
				lo, hi, _ := v.ScoreBounds()
				cols = append(cols, col{column(v.Name), lo, hi, v.Reverse})
			}
		}
		return func(r *Row) (float64, bool) {
			s, n := 0.0, 0
			for _, c := range cols {
				x, ok := observed(r, c.j)
				if !ok {
					continue
				}
				x = math.Max(c.lo, math.Min(c.hi, x))
				if c.reverse {
					x = c.lo + c.hi - x
				}
				s += 100 * (x - c.lo) / (c.hi - c.lo)
				n++
			}
			return s / float64(n), n > 0
		}
	}
	in := func(name string, keep func(r *Row) bool) func(r *Row) (float64, bool) {
		j := column(name)
		return func(r *Row) (float64, bool) {
			v, ok := observed(r, j)
			return v, ok && keep(r)
		}
	}
	all := func(*Row) bool { return true }
	age := func(lo, hi float64) func(r *Row) bool {
		return func(r *Row) bool { return r.Values[colAge] >= lo && r.Values[colAge] <= hi }
	}
	means := map[string]func(r *Row) (float64, bool){
		"structural": score("structural"), "relational": score("relational"), "cognitive": score("cognitive"),
		"participation_youth":  in("org_member", age(16, 25)),
		"participation_adults": in("org_member", age(26, 79)),
		"employment":           in("employed", age(20, 66)),
		"jobmatch":             in("job_match", all),
		"qol":                  in("qol", all),
	}
	for _, bg := range []string{"", "1", "2", "3"} {
		by := map[string]string{}
		keep := all
		if bg != "" {
			by["background"] = bg
			b, _ := strconv.ParseFloat(bg, 64)
			keep = func(r *Row) bool { return r.Values[colBackground] == b }
		}
		check := func(name string, est, se float64) {
			want, ok := truth.FindIndicator(1, name, by)
			if !ok {
				t.Fatalf("no truth for %s by %v", name, by)
			}
			t.Logf("%-22s %-16v truth %8.4f  estimate %8.4f (se %.4f)", name, by, want.Value, est, se)
			if math.Abs(est-want.Value) > 3*se || se == 0 {
				t.Errorf("%s by %v: estimate %.4f (se %.4f) is %.1f SE from the truth %.4f", name, by, est, se, math.Abs(est-want.Value)/se, want.Value)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(means)) {
			y := means[name]
			est, se := estimate(sample.rows, true, false, func(r *Row) (float64, bool) {
				v, ok := y(r)
				return v, ok && keep(r)
			})
			check(name, est, se)
		}
		est, se := ratioEstimate(sample.rows, in("children_activity", keep), in("children", keep))
		check("participation_children", est, se)
	}
}

// TestIndicatorProgrammeEffect checks the indicators' difference in
// differences: the programme raises participants' latent structural social
// capital and their children's activity, so the structural score, adults'
// participation and children's participation rise more in programme
// municipalities, most for immigrants (who take part most); the DiD equals
// the one recomputed from the indicator values.
func TestIndicatorProgrammeEffect(t *testing.T) {
	_, truth := generateCSV(t, Options{Respondents: 1000, Waves: 2, Seed: 8})
	did := map[string]float64{}
	for _, e := range truth.Programme.IndicatorDiD {
		did[e.Variable+"/"+e.By["background"]] = e.Estimate
	}
	value := func(name string, wave int, prog, bg string) float64 {
		by := map[string]string{"programme": prog}
		if bg != "" {
			by["background"] = bg
		}
		v, ok := truth.FindIndicator(wave, name, by)
		if !ok {
			t.Fatalf("no truth for %s wave %d by %v", name, wave, by)
		}
		return v.Value
	}
	for _, def := range truth.IndicatorDefinitions {
		for _, bg := range []string{"", "1", "2", "3"} {
			got, ok := did[def.Name+"/"+bg]
			if !ok {
				t.Fatalf("no DiD for %s, background %q", def.Name, bg)
			}
			want := (value(def.Name, 2, "1", bg) - value(def.Name, 1, "1", bg)) - (value(def.Name, 2, "0", bg) - value(def.Name, 1, "0", bg))
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("%s, background %q: DiD %g, recomputed %g", def.Name, bg, got, want)
			}
		}
	}
	for _, c := range []struct {
		key string
		min float64
	}{{"structural/2", 2}, {"structural/", 0.5}, {"participation_adults/2", 0.02}, {"participation_children/2", 0.01}} {
		if did[c.key] < c.min {
			t.Errorf("DiD %s = %.4f, want at least %g", c.key, did[c.key], c.min)
		}
	}
}
