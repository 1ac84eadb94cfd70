package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"socap/pipeline/codebook"
	"socap/pipeline/disclose"
	"socap/pipeline/yamlschema"
)

// baseConfig is a socap.yaml without analysis sections (lines 1–7), two
// waves.
const baseConfig = `project: p
codebook: builtin:ilag
sources:
  - {id: w1, path: w1.csv, wave: 1}
  - {id: w2, path: w2.csv, wave: 2}
  - {id: w2b, path: w2b.csv, wave: 2}
  - {id: w4, path: w4.csv, wave: 4}
`

func loadCodebook(t *testing.T, name string) *codebook.Codebook {
	t.Helper()
	cb, err := codebook.Load(codebook.BuiltinPrefix + name)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

// parse parses baseConfig followed by sections, as proj/socap.yaml.
func parse(t *testing.T, dir, sections string) *Config {
	t.Helper()
	c, err := ParseConfig(filepath.Join(dir, "socap.yaml"), []byte(baseConfig+sections))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestDesignDefaults(t *testing.T) {
	ilag, ess := loadCodebook(t, "ilag"), loadCodebook(t, "ess")
	// A drafted codebook: its weight is called anweight, it has no strata
	// or PSUs.
	drafted := &codebook.Codebook{Name: "d", Variables: []codebook.Variable{
		{Name: "id", Type: codebook.ID}, {Name: "anweight", Type: codebook.Weight}, {Name: "weight", Type: codebook.Continuous}}}
	cal := &Calibrate{Margins: "m.csv"}
	tests := []struct {
		name string
		cb   *codebook.Codebook
		in   Design
		want Design
	}{
		{"ilag", ilag, Design{},
			Design{Weight: "weight", Strata: "stratum", PSU: []string{"psu"}, Nest: ptr(true), LonelyPSU: "adjust"}},
		{"ess", ess, Design{},
			Design{Weight: "weight", Strata: "stratum", PSU: []string{"psu"}, Nest: ptr(true), LonelyPSU: "adjust"}},
		{"weight by type", drafted, Design{},
			Design{Weight: "anweight", Nest: ptr(true), LonelyPSU: "adjust"}},
		{"given kept", ilag, Design{Weight: "w", Strata: "s", PSU: []string{"a", "b"}, FPC: []string{"f"}, Nest: ptr(false), LonelyPSU: "certainty"},
			Design{Weight: "w", Strata: "s", PSU: []string{"a", "b"}, FPC: []string{"f"}, Nest: ptr(false), LonelyPSU: "certainty"}},
		{"replicates: no strata or psu", ilag, Design{Replicates: &Replicates{Columns: "^r", Type: "JK1"}},
			Design{Weight: "weight", Nest: ptr(true), LonelyPSU: "adjust", Replicates: &Replicates{Columns: "^r", Type: "JK1"}}},
		{"calibration method", ilag, Design{Calibrate: cal},
			Design{Weight: "weight", Strata: "stratum", PSU: []string{"psu"}, Nest: ptr(true), LonelyPSU: "adjust",
				Calibrate: &Calibrate{Margins: "m.csv", Method: "rake"}}},
		{"calibration method given", ilag, Design{Calibrate: &Calibrate{Margins: "m.csv", Method: "logit", Bounds: []float64{0.5, 2}}},
			Design{Weight: "weight", Strata: "stratum", PSU: []string{"psu"}, Nest: ptr(true), LonelyPSU: "adjust",
				Calibrate: &Calibrate{Margins: "m.csv", Method: "logit", Bounds: []float64{0.5, 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(tt.cb); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithDefaults = %s, want %s", show(got), show(tt.want))
			}
		})
	}
	if cal.Method != "" {
		t.Errorf("WithDefaults changed the caller's calibrate: method %q", cal.Method)
	}
}

// show prints a section with its pointers followed.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func TestCompareDefaults(t *testing.T) {
	ilag, ess := loadCodebook(t, "ilag"), loadCodebook(t, "ess")
	immigrants := []Contrast{{Variable: "background", Group: 2, Reference: 1}}
	tests := []struct {
		name string
		cb   *codebook.Codebook
		in   Compare
		want Compare
	}{
		{"ilag", ilag, Compare{}, Compare{Areas: "municipality", Groups: immigrants, Waves: ptr(true), Level: 0.95}},
		{"ess has no municipality", ess, Compare{}, Compare{Groups: immigrants, Waves: ptr(true), Level: 0.95}},
		{"given kept", ilag, Compare{Areas: "region", Groups: []Contrast{{"gender", 2, 1}}, Waves: ptr(false), Level: 0.9},
			Compare{Areas: "region", Groups: []Contrast{{"gender", 2, 1}}, Waves: ptr(false), Level: 0.9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(tt.cb); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithDefaults = %s, want %s", show(got), show(tt.want))
			}
		})
	}
}

func TestModelsDefaults(t *testing.T) {
	ilag, ess := loadCodebook(t, "ilag"), loadCodebook(t, "ess")
	tests := []struct {
		name string
		cb   *codebook.Codebook
		in   Models
		want Models
	}{
		{"ilag", ilag, Models{}, Models{Outcome: "employed", Exposures: []string{"friends_nor", "org_member"},
			Controls: []string{"factor(education)", "years_norway", "age", "factor(gender)", "factor(country_group)"},
			By:       "country_group", Population: map[string][]int{"background": {2}}}},
		// ESS has neither network exposure, years in Norway nor country
		// groups: those defaults are left out.
		{"ess", ess, Models{}, Models{Outcome: "employed",
			Controls:   []string{"factor(education)", "age", "factor(gender)"},
			Population: map[string][]int{"background": {2}}}},
		{"given kept", ilag, Models{Outcome: "o", Exposures: []string{"e"}, Controls: []string{"c"}, By: "b", Population: map[string][]int{"gender": {1}}},
			Models{Outcome: "o", Exposures: []string{"e"}, Controls: []string{"c"}, By: "b", Population: map[string][]int{"gender": {1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(tt.cb); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithDefaults = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProgrammeDefaults(t *testing.T) {
	ilag, ess := loadCodebook(t, "ilag"), loadCodebook(t, "ess")
	tests := []struct {
		name  string
		cb    *codebook.Codebook
		waves []int
		in    Programme
		want  Programme
	}{
		{"ilag", ilag, []int{1, 2, 4}, Programme{}, Programme{Variable: "programme", Baseline: 1, FollowUp: 4}},
		{"municipalities instead", ilag, []int{1, 2}, Programme{Municipalities: []int{5014}},
			Programme{Municipalities: []int{5014}, Baseline: 1, FollowUp: 2}},
		{"ess has no programme", ess, []int{9}, Programme{}, Programme{Baseline: 9, FollowUp: 9}},
		{"no waves", ilag, nil, Programme{}, Programme{Variable: "programme"}},
		{"given kept", ilag, []int{1, 2, 3}, Programme{Variable: "p", Baseline: 2, FollowUp: 3},
			Programme{Variable: "p", Baseline: 2, FollowUp: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(tt.cb, tt.waves); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithDefaults = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWaves(t *testing.T) {
	c := parse(t, "proj", "")
	if got, want := c.Waves(), []int{1, 2, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("Waves = %v, want %v", got, want)
	}
}

func TestGroupSets(t *testing.T) {
	ilag, ess := loadCodebook(t, "ilag"), loadCodebook(t, "ess")
	tests := []struct {
		name   string
		cb     *codebook.Codebook
		groups [][]string
		want   [][]string
	}{
		{"ilag defaults", ilag, nil, [][]string{{}, {"background"}, {"gender"}, {"background", "gender"},
			{"municipality"}, {"municipality", "background"}}},
		{"ess has no municipality", ess, nil, [][]string{{}, {"background"}, {"gender"}, {"background", "gender"}}},
		{"given, whole sample once and first", ilag, [][]string{{"gender"}, {}, {"country_group", "gender", "education"}},
			[][]string{{}, {"gender"}, {"country_group", "gender", "education"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Groups: tt.groups}
			got := c.GroupSets(tt.cb)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GroupSets = %q, want %q", got, tt.want)
			}
			got[len(got)-1][0] = "changed"
			if again := c.GroupSets(tt.cb); !reflect.DeepEqual(again, tt.want) {
				t.Errorf("GroupSets returned sets shared with the config or the defaults: %q after a change", again)
			}
		})
	}
}

// TestCheckAnalysisRefuses checks each refusal's message and place; the
// sections start at line 8 of socap.yaml.
func TestCheckAnalysisRefuses(t *testing.T) {
	tests := []struct {
		name     string
		codebook string
		sections string
		want     string // the error, with "socap.yaml" for the file
	}{
		{"design weight", "ilag", "design: {weight: wieght}\n",
			`socap.yaml:8:18: /design/weight: codebook ilag has no variable "wieght" (did you mean "weight"?)`},
		{"design strata", "ilag", "design:\n  strata: strata\n",
			`socap.yaml:9:11: /design/strata: codebook ilag has no variable "strata" (did you mean "stratum"?)`},
		{"design psu stage", "ilag", "design:\n  psu: [psu, household]\n",
			`socap.yaml:9:14: /design/psu/1: codebook ilag has no variable "household"`},
		{"design fpc", "ess", "design:\n  fpc: [fpc]\n",
			`socap.yaml:9:9: /design/fpc/0: codebook ess has no variable "fpc"`},
		{"design fpc stages", "ilag", "design:\n  fpc: [fpc, fpc]\n",
			`socap.yaml:9:8: /design/fpc: 2 fpc variables for 1 sampling stage(s): give at most one per psu`},
		{"calibrate margins", "ilag", "design:\n  calibrate: {margins: data/margins.csv}\n",
			`socap.yaml:9:24: /design/calibrate/margins: margins file DIR/data/margins.csv does not exist`},
		{"calibrate margins directory", "ilag", "design:\n  calibrate: {margins: .}\n",
			`socap.yaml:9:24: /design/calibrate/margins: margins file DIR is a directory`},
		{"group set", "ilag", "groups:\n  - [background]\n  - [municipality, gendr]\n",
			`socap.yaml:10:20: /groups/1/1: codebook ilag has no variable "gendr" (did you mean "gender"?)`},
		{"group set on ess", "ess", "groups:\n  - [municipality]\n",
			`socap.yaml:9:6: /groups/0/0: codebook ess has no variable "municipality"`},
		{"compare areas", "ilag", "compare:\n  areas: kommune\n",
			`socap.yaml:9:10: /compare/areas: codebook ilag has no variable "kommune"`},
		{"contrast variable", "ilag", "compare:\n  groups: [{variable: gender_, group: 2, reference: 1}]\n",
			`socap.yaml:9:23: /compare/groups/0/variable: codebook ilag has no variable "gender_" (did you mean "gender"?)`},
		{"contrast code", "ilag", "compare:\n  groups: [{variable: gender, group: 3, reference: 1}]\n",
			`socap.yaml:9:38: /compare/groups/0/group: 3 is not a code of gender (codes: 1, 2)`},
		{"models outcome", "ilag", "models: {outcome: employment}\n",
			`socap.yaml:8:19: /models/outcome: codebook ilag has no variable "employment" (did you mean "employed"?)`},
		{"models exposure", "ilag", "models:\n  exposures: [friends_nor, friends_norwegian]\n",
			`socap.yaml:9:28: /models/exposures/1: codebook ilag has no variable "friends_norwegian"`},
		{"models control variable", "ilag", "models:\n  controls: [age, I(agee^2)]\n",
			`socap.yaml:9:19: /models/controls/1: codebook ilag has no variable "agee" (did you mean "age"?)`},
		{"models control syntax", "ilag", "models:\n  controls: [\"factor(education\"]\n",
			`socap.yaml:9:14: /models/controls/0: control term "factor(education": formula "employed ~ factor(education": column 28: end of formula: want ")"`},
		{"models by", "ilag", "models: {by: origin_group}\n",
			`socap.yaml:8:14: /models/by: codebook ilag has no variable "origin_group"`},
		{"models population variable", "ilag", "models:\n  population: {backgrund: [2]}\n",
			`socap.yaml:9:27: /models/population/backgrund: codebook ilag has no variable "backgrund" (did you mean "background"?)`},
		{"models population code", "ilag", "models:\n  population: {background: [2, 4]}\n",
			`socap.yaml:9:32: /models/population/background/1: 4 is not a code of background (codes: 1, 2, 3)`},
		{"programme variable", "ilag", "programme: {variable: programm}\n",
			`socap.yaml:8:23: /programme/variable: codebook ilag has no variable "programm" (did you mean "programme"?)`},
		{"programme municipality", "ilag", "programme:\n  municipalities: [5014, 9999]\n",
			`socap.yaml:9:26: /programme/municipalities/1: 9999 is not a code of municipality (codes: 301, 1101, 1103, 1106, 1108, 1111, 1112, 1114, 1119, 1120 … 357 in all)`},
		{"programme municipalities without areas", "ess", "programme:\n  municipalities: [5014]\n",
			`socap.yaml:9:19: /programme/municipalities: municipalities are codes of compare areas, which the codebook does not have: set compare areas`},
		{"programme wave", "ilag", "programme: {baseline: 1, follow_up: 3}\n",
			`socap.yaml:8:37: /programme/follow_up: wave 3 is not a wave of the sources (waves: 1, 2, 4)`},
		{"every problem, in line order", "ilag", "models: {by: xyzzy}\ndesign: {weight: plugh}\n",
			"socap.yaml:8:14: /models/by: codebook ilag has no variable \"xyzzy\"\n" +
				"socap.yaml:9:18: /design/weight: codebook ilag has no variable \"plugh\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := parse(t, dir, tt.sections)
			err := c.CheckAnalysis(loadCodebook(t, tt.codebook))
			if err == nil {
				t.Fatal("CheckAnalysis accepted it")
			}
			var ye *yamlschema.Error
			if !errors.As(err, &ye) {
				t.Errorf("error %v is not a *yamlschema.Error", err)
			}
			want := strings.ReplaceAll(tt.want, "socap.yaml", filepath.Join(dir, "socap.yaml"))
			if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != strings.ReplaceAll(want, dir, "DIR") {
				t.Errorf("error\n%s\nwant\n%s", got, strings.ReplaceAll(want, dir, "DIR"))
			}
		})
	}
}

func TestCheckAnalysisAccepts(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "margins.csv"), []byte("variable,level,total\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, codebook, sections string }{
		{"no sections, ilag", "ilag", ""},
		{"no sections, ess", "ess", ""},
		{"every section", "ilag", `design:
  weight: weight
  strata: stratum
  psu: [psu]
  fpc: [fpc]
  calibrate: {margins: data/margins.csv, method: logit, bounds: [0.5, 2]}
groups: [[], [municipality, background, gender], [country_group, gender, education]]
compare:
  areas: municipality
  groups: [{variable: background, group: 3, reference: 1}]
models:
  outcome: employed
  exposures: [friends]
  controls: [age, I(age^2), "factor(education):factor(gender)"]
  by: origin
  population: {background: [2, 3], gender: [2]}
programme: {municipalities: [301, 5014], baseline: 2, follow_up: 4}
`},
		{"replicates", "ess", "design:\n  replicates: {columns: '^rep[0-9]+$', type: Fay, fay_rho: 0.5}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parse(t, dir, tt.sections)
			if err := c.CheckAnalysis(loadCodebook(t, tt.codebook)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestDisclosureRules: a stage's own rules win, then socap.yaml's, then the
// defaults.
func TestDisclosureRules(t *testing.T) {
	own := disclose.Rules{MinN: 5, MinCount: 1, Protection: 0.1}
	yaml := &Config{Disclosure: Disclosure{MinN: 20, MinCount: 4, Protection: 0.3}}
	for _, c := range []struct {
		env      *Env
		override disclose.Rules
		want     disclose.Rules
	}{
		{&Env{Config: yaml}, own, own},
		{&Env{Config: yaml}, disclose.Rules{}, disclose.Rules{MinN: 20, MinCount: 4, Protection: 0.3}},
		{&Env{Config: &Config{}}, disclose.Rules{}, disclose.DefaultRules()},
		{&Env{}, disclose.Rules{}, disclose.DefaultRules()},
	} {
		if got := c.env.DisclosureRules(c.override); got != c.want {
			t.Errorf("DisclosureRules(%+v) with %+v: %+v, want %+v", c.override, c.env.Config, got, c.want)
		}
	}
}
