// Package pipeline holds socap's project file (socap.yaml), the Stage
// interface and the runner that executes stages against the store.
package pipeline

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"socap/pipeline/yamlschema"
	"socap/schemas"
)

// Config is the decoded socap.yaml.
type Config struct {
	Project  string   `yaml:"project"`
	Store    string   `yaml:"store"`
	Codebook string   `yaml:"codebook"`
	Output   string   `yaml:"output"`
	Language string   `yaml:"language"`
	Engine   Engine   `yaml:"engine"`
	Sources  []Source `yaml:"sources"`
	// Disclosure holds the disclosure-control rules (pipeline/disclose).
	Disclosure Disclosure `yaml:"disclosure"`
	// Design is the survey design (see analysis_config.go, as the
	// sections below).
	Design Design `yaml:"design"`
	// Indicators are the modules to run, each with its options (see the
	// module's sample.conf); all modules with their defaults when empty.
	Indicators map[string]map[string]any `yaml:"indicators"`
	// Groups are the group sets to estimate, each a list of variables;
	// GroupSets gives them with the whole sample first, or the defaults.
	Groups    [][]string `yaml:"groups"`
	Compare   Compare    `yaml:"compare"`
	Models    Models     `yaml:"models"`
	Programme Programme  `yaml:"programme"`

	// Dir is the directory of socap.yaml; relative paths resolve against it.
	Dir string `yaml:"-"`
	// Hash is the SHA-256 of the file's bytes, recorded with every run.
	Hash string `yaml:"-"`

	// path and data are socap.yaml's name and contents, for placing the
	// problems CheckAnalysis finds at their line and column.
	path string
	data []byte
}

// Engine bounds the database engine.
type Engine struct {
	Threads     int    `yaml:"threads"`
	MemoryLimit string `yaml:"memory_limit"`
}

// Disclosure is socap.yaml's disclosure: section: a cell resting on fewer
// than MinN respondents, or a proportion with fewer than MinCount with or
// without the attribute, is suppressed, and further cells so that none can
// be narrowed to within ±Protection of its value. Defaults 10, 3, 0.20.
type Disclosure struct {
	MinN       int     `yaml:"min_n"`
	MinCount   int     `yaml:"min_count"`
	Protection float64 `yaml:"protection"`
}

// Source is one input file: one wave of one survey.
type Source struct {
	ID        string `yaml:"id"`
	Path      string `yaml:"path"`
	Wave      int    `yaml:"wave"`
	Format    string `yaml:"format"`
	Sheet     string `yaml:"sheet"`
	Encoding  string `yaml:"encoding"`
	Delimiter string `yaml:"delimiter"`
	Decimal   string `yaml:"decimal"`
	// KeepUserMissing keeps an SPSS file's user-missing codes as values
	// (haven's user_na = TRUE); by default they are NULL.
	KeepUserMissing bool `yaml:"keep_user_missing"`
}

var configSchema = yamlschema.Compile("socap.schema.json", schemas.ConfigSchema)

// LoadConfig reads and validates socap.yaml. Errors name file:line:column;
// an unknown key comes with the closest valid key.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig validates and decodes the contents of a socap.yaml at path.
func ParseConfig(path string, data []byte) (*Config, error) {
	var c Config
	if err := configSchema.Decode(path, data, &c); err != nil {
		return nil, err
	}
	c.path, c.data = path, data
	if problems := c.check(); len(problems) > 0 {
		return nil, problemsError(problems)
	}
	sum := sha256.Sum256(data)
	c.Hash = hex.EncodeToString(sum[:])
	c.Dir = filepath.Dir(path)
	if c.Store == "" {
		c.Store = "socap.duckdb"
	}
	if c.Output == "" {
		c.Output = "out"
	}
	if c.Language == "" {
		c.Language = "nb"
	}
	// The schema refuses 0, so 0 means the key was left out.
	if c.Disclosure.MinN == 0 {
		c.Disclosure.MinN = 10
	}
	if c.Disclosure.MinCount == 0 {
		c.Disclosure.MinCount = 3
	}
	if c.Disclosure.Protection == 0 {
		c.Disclosure.Protection = 0.20
	}
	return &c, nil
}

// check finds what the schema cannot say and needs no codebook: a source
// id used twice, a group set repeated in another order, a contrast of a
// code with itself, a programme given both ways or with its waves in the
// wrong order, replicates beside strata or PSUs, and replicate columns
// that are not a regular expression.
func (c *Config) check() []yamlschema.Problem {
	var problems []yamlschema.Problem
	add := func(l []string, format string, args ...any) {
		problems = append(problems, c.at(l, format, args...))
	}
	first := map[string]int{}
	for i, s := range c.Sources {
		if j, ok := first[s.ID]; ok {
			add(loc("sources", i, "id"), "source id %q is used twice (first at line %d)", s.ID, c.at(loc("sources", j, "id"), "").Line)
			continue
		}
		first[s.ID] = i
	}
	sets := map[string]int{}
	for i, g := range c.Groups {
		key := slices.Sorted(slices.Values(g))
		k := strings.Join(key, "\x00")
		if j, ok := sets[k]; ok {
			add(loc("groups", i), "group set [%s] is group set [%s] again (line %d): the order of variables does not matter",
				strings.Join(g, ", "), strings.Join(c.Groups[j], ", "), c.at(loc("groups", j), "").Line)
			continue
		}
		sets[k] = i
	}
	for i, g := range c.Compare.Groups {
		if g.Group == g.Reference {
			add(loc("compare", "groups", i, "reference"), "contrast of %s compares code %d with itself", g.Variable, g.Group)
		}
	}
	p := c.Programme
	if p.Variable != "" && len(p.Municipalities) > 0 {
		add(loc("programme", "municipalities"), "give programme variable or municipalities, not both")
	}
	if p.Baseline != 0 && p.FollowUp != 0 && p.FollowUp <= p.Baseline {
		add(loc("programme", "follow_up"), "follow_up wave %d is not after baseline wave %d", p.FollowUp, p.Baseline)
	}
	if r := c.Design.Replicates; r != nil {
		for _, key := range []struct {
			name string
			set  bool
		}{{"strata", c.Design.Strata != ""}, {"psu", len(c.Design.PSU) > 0}, {"fpc", len(c.Design.FPC) > 0}} {
			if key.set {
				add(loc("design", key.name), "a design with replicates has no %s: the replicate weights carry the design", key.name)
			}
		}
		if _, err := regexp.Compile(r.Columns); err != nil {
			add(loc("design", "replicates", "columns"), "replicate columns %q: %v", r.Columns, err)
		}
	}
	return problems
}

// at places a problem at l in socap.yaml, its message led by the JSON
// pointer; a Config that ParseConfig did not make has no place (0:0).
func (c *Config) at(l []string, format string, args ...any) yamlschema.Problem {
	p := yamlschema.At(c.path, c.data, l, format, args...)
	p.Message = p.Path + ": " + p.Message
	return p
}

// problemsError is the *yamlschema.Error of problems in the order of
// their lines.
func problemsError(problems []yamlschema.Problem) error {
	slices.SortStableFunc(problems, func(a, b yamlschema.Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &yamlschema.Error{Problems: problems}
}

// loc is a location in socap.yaml: keys and array indices, e.g.
// loc("sources", 1, "id").
func loc(parts ...any) []string {
	l := make([]string, len(parts))
	for i, p := range parts {
		l[i] = fmt.Sprint(p)
	}
	return l
}

// Resolve makes a path from socap.yaml absolute-or-relative to the working
// directory, leaving "builtin:" references alone.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "builtin:") || p == ":memory:" {
		return p
	}
	return filepath.Join(c.Dir, p)
}
