package pipeline

import (
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"socap/indicators"
	"socap/pipeline/codebook"
	"socap/pipeline/example"
	"socap/schemas"
)

// TestExampleConfig checks the example socap.yaml that socap init and
// socap demo write: it parses, passes CheckAnalysis against the example's
// codebook, spells out every section's defaults, and its commented
// calibration works when uncommented.
func TestExampleConfig(t *testing.T) {
	proj, err := example.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(proj.Config)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(proj.Config, data)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := codebook.Load(c.Resolve(c.Codebook))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckAnalysis(cb); err != nil {
		t.Fatal(err)
	}

	if got := c.Design.WithDefaults(cb); !reflect.DeepEqual(got, c.Design) || len(c.Design.FPC) > 0 || c.Design.Calibrate != nil {
		t.Errorf("design = %s, want its defaults without fpc or calibration %s", show(c.Design), show(got))
	}
	if got := c.Compare.WithDefaults(cb); !reflect.DeepEqual(got, c.Compare) {
		t.Errorf("compare = %s, want its defaults %s", show(c.Compare), show(got))
	}
	if got := c.Models.WithDefaults(cb); !reflect.DeepEqual(got, c.Models) {
		t.Errorf("models = %+v, want its defaults %+v", c.Models, got)
	}
	if got := c.Programme.WithDefaults(cb, c.Waves()); !reflect.DeepEqual(got, c.Programme) || c.Programme.Variable == "" {
		t.Errorf("programme = %+v, want its defaults %+v", c.Programme, got)
	}
	defaults := (&Config{}).GroupSets(cb)
	want := append(slices.Clone(defaults), []string{"municipality", "background", "gender"}, []string{"country_group", "gender", "education"})
	if got := c.GroupSets(cb); !reflect.DeepEqual(got, want) {
		t.Errorf("group sets = %q, want the defaults and two more: %q", got, want)
	}
	if len(defaults) != len(DefaultGroupSets)+1 {
		t.Errorf("the example's codebook lacks a default group set's variable: %q", defaults)
	}
	if c.Language != "nb" || c.Disclosure != (Disclosure{MinN: 10, MinCount: 3, Protection: 0.20}) {
		t.Errorf("language %q, disclosure %+v", c.Language, c.Disclosure)
	}

	// Every module is listed, with options its module accepts.
	for _, m := range indicators.Modules {
		opts, ok := c.Indicators[m.Name]
		if !ok {
			t.Errorf("indicators: module %s is missing", m.Name)
			continue
		}
		if _, err := m.New(cb, opts); err != nil {
			t.Errorf("indicators: %s: %v", m.Name, err)
		}
	}

	// Every top-level key is explained by the comment above it.
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if line != "" && line[0] != ' ' && line[0] != '#' && line[0] != '-' && (i == 0 || !strings.HasPrefix(lines[i-1], "#")) {
			t.Errorf("line %d %q has no comment above it", i+1, line)
		}
	}

	// The calibration, uncommented, names the example's margins file.
	commented := "  # calibrate:\n  #   margins: data/margins.csv\n  #   method: rake\n"
	if !strings.Contains(string(data), commented) {
		t.Fatalf("the example has no commented calibration %q", commented)
	}
	calibrated := strings.Replace(string(data), commented, "  calibrate:\n    margins: data/margins.csv\n    method: rake\n", 1)
	c, err = ParseConfig(proj.Config, []byte(calibrated))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckAnalysis(cb); err != nil {
		t.Fatal(err)
	}
	if want := (Calibrate{Margins: "data/margins.csv", Method: "rake"}); c.Design.Calibrate == nil || !reflect.DeepEqual(*c.Design.Calibrate, want) {
		t.Errorf("calibrate = %+v, want %+v", c.Design.Calibrate, want)
	}
}

// TestSchemaModules checks that the schema's indicators: keys are the
// indicator modules, so that an unknown module is refused and every
// module can be configured.
func TestSchemaModules(t *testing.T) {
	var schema struct {
		Properties struct {
			Indicators struct {
				Properties map[string]any `json:"properties"`
			} `json:"indicators"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(schemas.ConfigSchema, &schema); err != nil {
		t.Fatal(err)
	}
	var modules []string
	for _, m := range indicators.Modules {
		modules = append(modules, m.Name)
	}
	slices.Sort(modules)
	if got := slices.Sorted(maps.Keys(schema.Properties.Indicators.Properties)); !slices.Equal(got, modules) {
		t.Errorf("schema indicators: %q, modules %q", got, modules)
	}
}
