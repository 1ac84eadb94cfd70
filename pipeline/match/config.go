package match

import (
	_ "embed"
	"os"

	"socap/pipeline/yamlschema"
)

//go:embed match.schema.json
var schemaJSON []byte

var schema = yamlschema.Compile("match.schema.json", schemaJSON)

// Config is match.yaml: the weights of a pair's quality and the hard
// constraints. The zero value of a field means its default (DefaultConfig);
// testdata/match.yaml is a sample with every key.
type Config struct {
	Weights struct {
		Interests  *float64 `yaml:"interests"`
		Occupation *float64 `yaml:"occupation"`
		Language   *float64 `yaml:"language"`
	} `yaml:"weights"`
	// InterestOverlap is "jaccard" or "rarity".
	InterestOverlap string   `yaml:"interest_overlap"`
	MinQuality      *float64 `yaml:"min_quality"`
	Require         struct {
		SameMunicipality *bool `yaml:"same_municipality"`
		SharedLanguage   *bool `yaml:"shared_language"`
		Preferences      *bool `yaml:"preferences"`
	} `yaml:"require"`
}

// Options are the settled weights and constraints.
type Options struct {
	// Interests, Occupation and Language are the weights of the three parts
	// of the quality (see Quality); they need not sum to 1.
	Interests, Occupation, Language float64
	// Rarity weighs shared interests by how rare they are (else Jaccard).
	Rarity bool
	// MinQuality: pairs of lower quality are not made.
	MinQuality float64
	// SameMunicipality, SharedLanguage, Preferences: the hard constraints.
	SameMunicipality, SharedLanguage, Preferences bool
}

// DefaultOptions are the defaults: weights 0.4 interests, 0.4 occupation,
// 0.2 language; Jaccard overlap; no minimum quality; pairs only within a
// municipality, with a language in common and keeping stated gender
// preferences.
var DefaultOptions = Options{Interests: 0.4, Occupation: 0.4, Language: 0.2,
	SameMunicipality: true, SharedLanguage: true, Preferences: true}

// LoadConfig reads match.yaml; a problem names the file, line and column.
func LoadConfig(path string) (Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Options{}, err
	}
	var c Config
	if err := schema.Decode(path, data, &c); err != nil {
		return Options{}, err
	}
	o := c.Options()
	if o.Interests+o.Occupation+o.Language == 0 {
		return Options{}, &yamlschema.Error{Problems: []yamlschema.Problem{
			yamlschema.At(path, data, []string{"weights"}, "the weights are all 0: at least one must be positive")}}
	}
	return o, nil
}

// Options is c with defaults for what it leaves out.
func (c Config) Options() Options {
	o := DefaultOptions
	set(&o.Interests, c.Weights.Interests)
	set(&o.Occupation, c.Weights.Occupation)
	set(&o.Language, c.Weights.Language)
	set(&o.MinQuality, c.MinQuality)
	set(&o.SameMunicipality, c.Require.SameMunicipality)
	set(&o.SharedLanguage, c.Require.SharedLanguage)
	set(&o.Preferences, c.Require.Preferences)
	o.Rarity = c.InterestOverlap == "rarity"
	return o
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
