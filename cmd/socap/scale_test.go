package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
)

// scaleRef reads testdata/reference/scale.csv (testdata/reference/scale.R) as
// case|by|statistic|item → value.
func scaleRef(t *testing.T) map[string]float64 {
	t.Helper()
	recs := testcsv.Read(t, filepath.Join("..", "..", "testdata", "reference", "scale.csv"))
	out := map[string]float64{}
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			v = math.NaN()
		}
		out[strings.Join(r[:4], "|")] = v
	}
	return out
}

type scaleJSON struct {
	Items  []string `json:"items"`
	Groups []struct {
		By    map[string]string `json:"by"`
		N     int               `json:"n"`
		Alpha struct {
			Raw           float64  `json:"raw"`
			RawUnweighted *float64 `json:"raw_unweighted"`
			Std           float64  `json:"std"`
			AverageR      float64  `json:"average_r"`
			SE            *float64 `json:"se"`
			CILow         *float64 `json:"ci_low"`
			CIHigh        *float64 `json:"ci_high"`
		} `json:"alpha"`
		Items []struct {
			Item           string  `json:"item"`
			AlphaIfDeleted float64 `json:"alpha_if_deleted"`
			RDrop          float64 `json:"r_drop"`
			Mean           float64 `json:"mean"`
			SD             float64 `json:"sd"`
			N              int     `json:"n"`
		} `json:"items"`
		Omega *struct {
			Total    float64            `json:"total"`
			Loadings map[string]float64 `json:"loadings"`
		} `json:"omega"`
		CFA *struct {
			ChiSq float64  `json:"chisq"`
			DF    float64  `json:"df"`
			P     *float64 `json:"pvalue"`
			CFI   float64  `json:"cfi"`
			RMSEA float64  `json:"rmsea"`
			SRMR  float64  `json:"srmr"`
		} `json:"cfa"`
		Score struct {
			Mean float64 `json:"mean"`
			N    int     `json:"n"`
		} `json:"score"`
	} `json:"groups"`
	Invariance *struct {
		Group  string `json:"group"`
		Models []struct {
			Model string  `json:"model"`
			ChiSq float64 `json:"chisq"`
			DF    float64 `json:"df"`
			CFI   float64 `json:"cfi"`
			RMSEA float64 `json:"rmsea"`
			SRMR  float64 `json:"srmr"`
			Holds *bool   `json:"holds"`
		} `json:"models"`
		ItemsToFree []struct {
			Item      string  `json:"item"`
			Parameter string  `json:"parameter"`
			ChiSq     float64 `json:"chisq"`
		} `json:"items_to_free"`
	} `json:"invariance"`
}

func runScaleJSON(t *testing.T, args ...string) scaleJSON {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"scale"}, append(args, "--format", "json")...)...)
	if code != exitOK {
		t.Fatalf("socap scale %v: exit %d: %s", args, code, stderr)
	}
	var out scaleJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return out
}

func byKey(by map[string]string) string {
	var parts []string
	for k, v := range by {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func nearRef(t *testing.T, ref map[string]float64, key string, got, tol float64) {
	t.Helper()
	want, ok := ref[key]
	if !ok {
		t.Errorf("%s: no reference value", key)
		return
	}
	if d := math.Abs(got-want) / max(math.Abs(want), 1e-3); d > tol || math.IsNaN(got) {
		t.Errorf("%s: got %.12g, want %.12g (rel. difference %.2g)", key, got, want, d)
	}
}

// TestScaleCommandMatchesR runs socap scale on the synthetic extract and on ESS9NO and
// compares alpha, the weighted alpha and its design-based SE (Taylor, and JKn
// replicates against withReplicates), omega and the invariance models with R.
func TestScaleCommandMatchesR(t *testing.T) {
	ref := scaleRef(t)
	synth := filepath.Join("..", "..", "testdata", "reference", "scale_synth.csv")
	type run struct {
		name, file string
		args       []string
		seKey      string
	}
	runs := []run{
		{"synth_cognitive", synth, []string{"--items", "confide,crisis_help,safe,lonely", "--reverse", "safe,lonely", "--range", "safe=1:4,lonely=1:4",
			"--by", "country_group", "--weight", "weight", "--strata", "stratum", "--psu", "psu"}, "walpha.se_taylor"},
		{"synth_relational", synth, []string{"--items", "trust_people,trust_municipality,help_neighbours,local_activities,belonging",
			"--by", "country_group", "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--invariance", "country_group"}, "walpha.se_taylor"},
	}
	if shareddata.Dir() != "" {
		ess := shareddata.Path(t, "ess9no/ESS9NO.csv")
		design := []string{"--weight", "anweight", "--strata", "stratum", "--psu", "psu", "--nest"}
		inst := "trstprl,trstlgl,trstplc,trstplt,trstprt"
		runs = append(runs,
			run{"ess_institutions", ess, append([]string{"--items", inst, "--by", "gndr"}, design...), "walpha.se_taylor"},
			run{"ess_institutions", ess, append([]string{"--items", inst, "--by", "brncntr", "--to-replicates", "JKn"}, design...), "walpha.se_jkn"},
			run{"ess_social", ess, append([]string{"--items", "ppltrst,pplfair,pplhlp", "--by", "gndr", "--to-replicates", "JKn"}, design...), "walpha.se_jkn"},
		)
	} else {
		t.Log("ESS9NO absent: the synthetic survey only")
	}
	for _, r := range runs {
		out := runScaleJSON(t, append([]string{r.file}, r.args...)...)
		if len(out.Groups) < 3 {
			t.Fatalf("%s: %d groups, want the whole sample and at least two", r.name, len(out.Groups))
		}
		for _, g := range out.Groups {
			k := r.name + "|" + byKey(g.By) + "|"
			nearRef(t, ref, k+"walpha.raw|", g.Alpha.Raw, 1e-8)
			nearRef(t, ref, k+"alpha.raw|", *g.Alpha.RawUnweighted, 1e-8)
			nearRef(t, ref, k+"alpha.std|", g.Alpha.Std, 1e-8)
			if g.Alpha.SE == nil {
				t.Fatalf("%s %v: no SE with design flags", r.name, g.By)
			}
			nearRef(t, ref, k+r.seKey+"|", *g.Alpha.SE, 1e-8)
			if !(*g.Alpha.CILow < g.Alpha.Raw && g.Alpha.Raw < *g.Alpha.CIHigh) {
				t.Errorf("%s %v: interval [%v, %v] does not hold alpha %v", r.name, g.By, *g.Alpha.CILow, *g.Alpha.CIHigh, g.Alpha.Raw)
			}
			for _, it := range g.Items {
				nearRef(t, ref, k+"item.r_drop|"+it.Item, it.RDrop, 1e-8)
				nearRef(t, ref, k+"item.mean|"+it.Item, it.Mean, 1e-8)
			}
			nearRef(t, ref, k+"omega.total|", g.Omega.Total, 1e-6)
			nearRef(t, ref, k+"cfa.cfi|", g.CFA.CFI, 1e-6)
		}
		if inv := out.Invariance; inv != nil {
			for _, m := range inv.Models {
				nearRef(t, ref, r.name+"_"+inv.Group+"||"+m.Model+".chisq|", m.ChiSq, 1e-6)
			}
			if len(inv.ItemsToFree) == 0 || inv.ItemsToFree[0].Item != "trust_municipality" || inv.ItemsToFree[0].Parameter != "intercept" {
				t.Errorf("items to free %+v, want trust_municipality's intercept (the synthetic survey's non-invariant item)", inv.ItemsToFree)
			}
			if *inv.Models[2].Holds {
				t.Error("scalar invariance holds, but trust_municipality is not invariant")
			}
		}
	}
}

// TestScaleUnweighted checks that without design flags alpha is psych's, with a null SE.
func TestScaleUnweighted(t *testing.T) {
	ref := scaleRef(t)
	synth := filepath.Join("..", "..", "testdata", "reference", "scale_synth.csv")
	out := runScaleJSON(t, synth, "--items", "trust_people,trust_municipality,help_neighbours,local_activities,belonging", "--by", "country_group,gender")
	var bys []string
	for _, g := range out.Groups {
		bys = append(bys, byKey(g.By))
	}
	// the whole sample, each by column's groups, then the crossings
	want := []string{"", "country_group=1", "country_group=2", "country_group=3", "gender=1", "gender=2",
		"country_group=1,gender=1", "country_group=1,gender=2", "country_group=2,gender=1", "country_group=2,gender=2",
		"country_group=3,gender=1", "country_group=3,gender=2"}
	if !slices.Equal(bys, want) {
		t.Errorf("groups %q, want %q", bys, want)
	}
	for _, g := range out.Groups[1:4] {
		nearRef(t, ref, "synth_relational|"+byKey(g.By)+"|alpha.raw|", g.Alpha.Raw, 1e-8)
	}
	g := out.Groups[0]
	if g.Alpha.SE != nil || g.Alpha.RawUnweighted != nil {
		t.Errorf("unweighted alpha has se %v, raw_unweighted %v; want null and absent", g.Alpha.SE, g.Alpha.RawUnweighted)
	}
	nearRef(t, ref, "synth_relational||alpha.raw|", g.Alpha.Raw, 1e-8)
	nearRef(t, ref, "synth_relational||alpha.n|", float64(g.N), 0)
	if g.Score.N == 0 || g.Score.N > g.N || !(g.Score.Mean > 0 && g.Score.Mean < 100) {
		t.Errorf("score %+v of %d respondents: want a POMP mean in 0..100 over at most n", g.Score, g.N)
	}
}

// TestScaleRefusals checks the bad inputs: each exits 2 with a message naming the
// scale, group or item.
func TestScaleRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var sb strings.Builder
	sb.WriteString("a,b,c,flat,g,word\n")
	for i := range 40 {
		g := "x"
		if i >= 37 {
			g = "y"
		}
		a := i % 5 // b and c follow a, with different noise
		sb.WriteString(strconv.Itoa(a) + "," + strconv.Itoa(a+(i/5)%2) + "," + strconv.Itoa(a+(i/7)%3) + ",3," + g + ",w\n")
	}
	data := write("d.csv", sb.String())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{data, "--items", "a"}, "at least two"},
		{[]string{data, "--items", "a,a"}, "given twice"},
		{[]string{data, "--items", "a,flat"}, "scale a+flat: item flat has no variance"},
		{[]string{data, "--items", "a,word"}, `"word": column is not numeric`},
		{[]string{data, "--items", "a,nosuch"}, "nosuch"},
		{[]string{data, "--items", "a,b,c", "--by", "g"}, "group g=y: 3 complete case(s) for 3 items: too few respondents"},
		{[]string{data, "--items", "a,b,c", "--invariance", "g"}, "g=y"},
		{[]string{data, "--items", "a,b", "--reverse", "c"}, "--reverse c: not one of --items"},
		{[]string{data, "--items", "a,b", "--range", "a=3:1"}, "--range"},
		{[]string{data, "--items", "a,b", "--range", "a=1:2"}, "outside --range"},
		{[]string{data, "--items", "a,b", "--min-items", "3"}, "--min-items 3"},
	} {
		code, _, stderr := runCLI(t, append([]string{"scale"}, c.args...)...)
		if code != exitBadUse || !strings.Contains(stderr, c.want) {
			t.Errorf("socap scale %v: exit %d, %q; want exit %d and %q", c.args, code, stderr, exitBadUse, c.want)
		}
	}
}
