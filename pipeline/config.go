// Package pipeline holds socap's project file (socap.yaml), the Stage
// interface and the runner that executes stages against the store.
package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	// the whole sample is always estimated.
	Groups    [][]string `yaml:"groups"`
	Compare   Compare    `yaml:"compare"`
	Models    Models     `yaml:"models"`
	Programme Programme  `yaml:"programme"`

	// Dir is the directory of socap.yaml; relative paths resolve against it.
	Dir string `yaml:"-"`
	// Hash is the SHA-256 of the file's bytes, recorded with every run.
	Hash string `yaml:"-"`
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
	first := map[string]int{}
	for i, s := range c.Sources {
		if j, ok := first[s.ID]; ok {
			earlier := yamlschema.At(path, data, sourceIDAt(j), "")
			return nil, &yamlschema.Error{Problems: []yamlschema.Problem{
				yamlschema.At(path, data, sourceIDAt(i), "source id %q is used twice (first at line %d)", s.ID, earlier.Line),
			}}
		}
		first[s.ID] = i
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

// sourceIDAt locates the id of the i-th source in socap.yaml.
func sourceIDAt(i int) []string {
	return []string{"sources", strconv.Itoa(i), "id"}
}

// Resolve makes a path from socap.yaml absolute-or-relative to the working
// directory, leaving "builtin:" references alone.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "builtin:") || p == ":memory:" {
		return p
	}
	return filepath.Join(c.Dir, p)
}
