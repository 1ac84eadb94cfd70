package match

import (
	_ "embed"
	"os"
	"path/filepath"

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
	// Travel allows pairs across municipalities within a travel limit.
	Travel *struct {
		File       string   `yaml:"file"`
		MaxMinutes float64  `yaml:"max_minutes"`
		Discount   *float64 `yaml:"discount"`
	} `yaml:"travel"`
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
	// MaxMinutes, when above 0, widens SameMunicipality to "the same
	// municipality or at most MaxMinutes of travel apart", by the travel
	// times in Travel; a pair of municipalities Travel does not list is too
	// far apart.
	MaxMinutes float64
	// TravelDiscount in [0, 1] lowers the quality of a pair that many
	// minutes apart by the factor 1 − TravelDiscount·minutes/MaxMinutes
	// (see Quality).
	TravelDiscount float64
	// TravelFile is match.yaml's travel.file, relative paths taken from the
	// directory of match.yaml; the caller reads it (ReadTravel) into Travel.
	TravelFile string
	Travel     *Travel
}

// DefaultOptions are the defaults: weights 0.4 interests, 0.4 occupation,
// 0.2 language; Jaccard overlap; no minimum quality; pairs only within a
// municipality (no travel limit), with a language in common and keeping
// stated gender preferences.
var DefaultOptions = Options{Interests: 0.4, Occupation: 0.4, Language: 0.2,
	SameMunicipality: true, SharedLanguage: true, Preferences: true}

// DefaultTravelDiscount is travel.discount when a travel section leaves it
// out: a pair at the travel limit keeps half its quality, so that of two
// otherwise equal mentors the nearer is chosen, while a mentor further away
// still beats none (the assignment makes the most pairs first).
const DefaultTravelDiscount = 0.5

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
	problem := func(at []string, msg string) error {
		return &yamlschema.Error{Problems: []yamlschema.Problem{yamlschema.At(path, data, at, "%s", msg)}}
	}
	if o.Interests+o.Occupation+o.Language == 0 {
		return Options{}, problem([]string{"weights"}, "the weights are all 0: at least one must be positive")
	}
	if c.Travel != nil {
		if !o.SameMunicipality {
			return Options{}, problem([]string{"travel"}, "a travel limit needs require.same_municipality: true (with false, any distance is allowed)")
		}
		if !filepath.IsAbs(o.TravelFile) {
			o.TravelFile = filepath.Join(filepath.Dir(path), o.TravelFile)
		}
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
	if t := c.Travel; t != nil {
		o.TravelFile, o.MaxMinutes, o.TravelDiscount = t.File, t.MaxMinutes, DefaultTravelDiscount
		set(&o.TravelDiscount, t.Discount)
	}
	return o
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
