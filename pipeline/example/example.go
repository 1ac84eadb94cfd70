// Package example writes socap's built-in example project: two waves of a
// small synthetic I LAG survey (package synth, fixed seed) in thirteen
// Norwegian municipalities, the ilag codebook, population margins and the
// true values, with a handful of deliberately bad rows and cells so that a
// first run shows how socap accounts for every input row.
//
// Wave 1 is a plain UTF-8 CSV with commas. Wave 2 is what a municipality's
// spreadsheet export often looks like: Windows-1252, semicolons and decimal
// commas. Both carry a free-text column "kommune" with the municipality's
// name (Frøya, Stjørdal, Øygarden …) that the codebook does not use.
package example

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"socap/pipeline/codebook"
	"socap/pipeline/synth"
	"socap/schemas"
)

// Seed and Respondents fix the example sample.
const (
	Seed        = 2026
	Respondents = 6000
)

// Problem is one deliberate defect in the example data and what socap is
// expected to make of it.
type Problem struct {
	Source string // wave1 or wave2
	Row    int64  // 1-based record number
	Column string // "" for a row-level defect that is not in one column
	Value  string // the bad text written
	Level  string // "row": the whole row is rejected; "cell": the cell becomes NULL
	What   string // plain-language description
}

// Project lists what Write wrote.
type Project struct {
	Dir      string
	Config   string // socap.yaml
	Problems []Problem
}

// configTemplate is the example socap.yaml: every section, with the
// values the example data needs and a comment for the planner on each.
const configTemplate = `# socap project file: the built-in example, two waves of a synthetic
# I LAG survey in thirteen municipalities of Trøndelag and Vestland.
# Every section after "sources" may be left out: the values written here
# are the ones socap uses then, unless a comment says otherwise. Variable
# names and codes are those of codebook.yaml. More in README.md ("socap.yaml").

# The name shown on reports.
project: I LAG eksempel — Trøndelag og Vestland
# The database socap keeps the data and results in; delete it to start afresh.
store: socap.duckdb
# The questionnaire: variables, labels, codes and missing codes.
codebook: codebook.yaml
# The folder for the tables and reports socap writes.
output: out
# The language of labels in reports and tables: nb (Norwegian) or en (English).
language: nb
# How much of the computer socap may use: threads, and memory in all (its
# database gets 30 % of it, the rest of socap 45 %, a quarter is headroom).
engine:
  threads: 2
  memory_limit: 1GB
# The survey files, one per wave (round) of the survey.
sources:
  - id: wave1
    path: data/wave1.csv
    wave: 1
  - id: wave2
    path: data/wave2.csv
    wave: 2

# How the sample was drawn, so that estimates and their margins of error
# are right for the population and not only for the people who answered.
design:
  # How many residents each respondent stands for.
  weight: weight
  # The sample was drawn separately in each stratum (here: wave × municipality).
  strata: stratum
  # Within a stratum, areas were drawn first and people within them.
  psu: [psu]
  # No finite population correction: margins of error are computed as if
  # areas were drawn with replacement, which errs on the safe side.
  # Area codes repeat across strata: an area is counted within its stratum.
  nest: true
  # A stratum with a single area is compared with the overall mean.
  lonely_psu: adjust
  # To adjust the weights to known population totals (residents by
  # municipality, gender, age group and background, as Statistics Norway
  # counts them), remove the "# " before the three lines below:
  # data/margins.csv holds the example's totals.
  # calibrate:
  #   margins: data/margins.csv
  #   method: rake

# The indicators to compute, each with its options (see the module's
# sample.conf). Remove a module to leave it out; {} takes its defaults.
indicators:
  # Networks: friends, Norwegian friends, memberships, volunteering (0–100).
  structural: {min_items: 0, min_age: 16, max_age: 79}
  # Trust, solidarity and taking part in the community (0–100).
  relational: {min_items: 0, min_age: 16, max_age: 79}
  # Support and security: someone to confide in, feeling safe (0–100).
  cognitive: {min_items: 0, min_age: 16, max_age: 79}
  # Taking part in organised activities: children, youth (16–25) and adults.
  participation: {youth_min_age: 16, youth_max_age: 25, adults_max_age: 79}
  # Share employed among those aged 20–66.
  employment: {min_age: 20, max_age: 66}
  # Share of the employed in a job that matches their qualifications.
  jobmatch: {}
  # Life satisfaction, 0–10.
  qol: {}

# The groups every indicator is shown for; the whole sample always comes first.
# Each line is a list of variables whose combinations make the groups.
groups:
  - [background]
  - [gender]
  - [background, gender]
  - [municipality]
  - [municipality, background]
  - [municipality, background, gender]
  - [country_group, gender, education]

# Which differences the report tests and explains.
compare:
  # Each municipality against the whole sample.
  areas: municipality
  # Immigrants (background 2) against people without immigrant background (1).
  groups:
    - {variable: background, group: 2, reference: 1}
  # Each later wave against the first.
  waves: true
  # How sure a difference must be before it is called higher or lower.
  level: 0.95

# Does having a network help people into work? Logistic models of
# employment, reported as percentage-point differences.
models:
  # The outcome: employed (1) or not (0).
  outcome: employed
  # The networks whose effect is reported: Norwegian friends, organisation membership.
  exposures: [friends_nor, org_member]
  # Taken into account: education, years in Norway, age, gender and origin.
  controls: [factor(education), years_norway, age, factor(gender), factor(country_group)]
  # The effects are also shown for each origin group.
  by: country_group
  # Only immigrants (background 2), for whom years in Norway is known.
  population: {background: [2]}

# Did the I LAG programme make a difference? Change from baseline to
# follow-up in programme municipalities against the others.
programme:
  # Marks respondents living in a programme municipality (1) or not (0).
  variable: programme
  # The wave before the programme and the wave after.
  baseline: 1
  follow_up: 2

# What may be published: small groups are hidden so no one can be recognised.
disclosure:
  # A number resting on fewer respondents than this is not shown.
  min_n: 10
  # A share with fewer respondents than this with, or without, the answer is not shown.
  min_count: 3
  # Hidden numbers may not be worked out, from the shown ones, closer than ±20 %.
  protection: 0.20
`

// Write writes the example project into dir (created if needed): socap.yaml,
// codebook.yaml, data/wave1.csv, data/wave2.csv, data/margins.csv and
// data/truth.json. Existing files of the same names are replaced.
func Write(dir string) (*Project, error) {
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	waves := []*bytes.Buffer{{}, {}}
	writers := make([]synth.RowWriter, len(waves))
	csvWriters := make([]*synth.CSVWriter, len(waves))
	for i, b := range waves {
		cw, err := synth.NewCSVWriter(b)
		if err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
		writers[i], csvWriters[i] = cw, cw
	}
	truth, err := synth.Generate(synth.Options{Respondents: Respondents, Waves: len(waves), Seed: Seed}, writers)
	if err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	for _, cw := range csvWriters {
		if err := cw.Flush(); err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
	}
	names, err := municipalityNames()
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: dir, Config: filepath.Join(dir, "socap.yaml")}
	for i, b := range waves {
		f := files[i]
		records, err := csv.NewReader(b).ReadAll()
		if err != nil {
			return nil, fmt.Errorf("example: re-read wave %d: %w", i+1, err)
		}
		records = addMunicipalityName(records, names)
		problems, err := corrupt(f.source, records, f.defects)
		if err != nil {
			return nil, err
		}
		p.Problems = append(p.Problems, problems...)
		data, err := encode(records, f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dataDir, f.source+".csv"), data, 0o644); err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
	}
	cb, err := fs.ReadFile(schemas.Codebooks, "codebooks/ilag.yaml")
	if err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	var margins, truthJSON bytes.Buffer
	if err := truth.WriteMargins(&margins); err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	if err := truth.WriteJSON(&truthJSON); err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	for name, content := range map[string][]byte{
		"socap.yaml":       []byte(configTemplate),
		"codebook.yaml":    cb,
		"data/margins.csv": margins.Bytes(),
		"data/truth.json":  truthJSON.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
	}
	return p, nil
}

// file describes how one wave is written and spoilt.
type file struct {
	source    string
	delimiter rune
	decimal   string // "." or ","
	latin1    bool
	defects   []defect
}

// defect spoils one record.
type defect struct {
	row    int64  // 1-based record number
	column string // column to overwrite; "" with ragged
	value  string
	ragged bool  // cut the record short
	copyOf int64 // copy column's value from this record (a duplicate id)
	level  string
	what   string
}

var files = []file{
	{source: "wave1", delimiter: ',', decimal: ".", defects: []defect{
		{row: 5, column: "weight", value: "0", level: "row", what: "weight is zero"},
		{row: 9, column: "weight", value: "abc", level: "row", what: "weight is not a number"},
		{row: 14, column: "id", value: "", level: "row", what: "respondent id is missing"},
		{row: 20, column: "id", copyOf: 19, level: "row", what: "respondent id repeats record 19's"},
		{row: 25, ragged: true, level: "row", what: "record has too few fields"},
		{row: 30, column: "trust_people", value: "15", level: "cell", what: "trust outside 0–10"},
		{row: 35, column: "gender", value: "7", level: "cell", what: "gender code without a label"},
		{row: 40, column: "friends", value: "many", level: "cell", what: "number of friends is not a number"},
	}},
	{source: "wave2", delimiter: ';', decimal: ",", latin1: true, defects: []defect{
		{row: 3, column: "weight", value: "-1.5", level: "row", what: "weight is negative"},
		{row: 8, column: "weight", value: "NaN", level: "row", what: "weight is not finite"},
		{row: 12, column: "meet_friends", value: "12", level: "cell", what: "meeting frequency outside 1–7"},
	}},
}

// municipalityNames maps municipality codes to their Norwegian names, from
// the ilag codebook's value labels.
func municipalityNames() (map[string]string, error) {
	cb, err := codebook.Load(codebook.BuiltinPrefix + "ilag")
	if err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	v := cb.Variable("municipality")
	if v == nil {
		return nil, fmt.Errorf("example: codebook ilag has no variable municipality")
	}
	names := map[string]string{}
	for _, val := range v.Values {
		names[string(val.Code)] = val.NB
	}
	return names, nil
}

// addMunicipalityName appends the text column "kommune".
func addMunicipalityName(records [][]string, names map[string]string) [][]string {
	col := slices.Index(records[0], "municipality")
	records[0] = append(records[0], "kommune")
	for i := 1; i < len(records); i++ {
		records[i] = append(records[i], names[records[i][col]])
	}
	return records
}

func corrupt(source string, records [][]string, defects []defect) ([]Problem, error) {
	var problems []Problem
	for _, d := range defects {
		if d.row >= int64(len(records)) {
			return nil, fmt.Errorf("example: %s has %d records, cannot spoil record %d", source, len(records)-1, d.row)
		}
		rec := records[d.row]
		p := Problem{Source: source, Row: d.row, Column: d.column, Value: d.value, Level: d.level, What: d.what}
		switch {
		case d.ragged:
			records[d.row] = rec[:len(rec)-3]
		default:
			col := slices.Index(records[0], d.column)
			if col < 0 {
				return nil, fmt.Errorf("example: %s has no column %q", source, d.column)
			}
			if d.copyOf > 0 {
				// Both records of a duplicated id are rejected: socap cannot
				// tell which one is the respondent.
				p.Value = records[d.copyOf][col]
				first := p
				first.Row, first.What = d.copyOf, fmt.Sprintf("respondent id repeated in record %d", d.row)
				problems = append(problems, first)
			}
			rec[col] = p.Value
		}
		problems = append(problems, p)
	}
	return problems, nil
}

// encode writes records with the file's delimiter, decimal separator and
// encoding. Fields that are decimal numbers get the decimal separator.
func encode(records [][]string, f file) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = f.delimiter
	for i, rec := range records {
		if i > 0 && f.decimal == "," {
			rec = slices.Clone(rec)
			for j, cell := range rec {
				if _, err := strconv.ParseFloat(cell, 64); err == nil && strings.Contains(cell, ".") {
					rec[j] = strings.Replace(cell, ".", ",", 1)
				}
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("example: %w", err)
	}
	if !f.latin1 {
		return b.Bytes(), nil
	}
	out, err := charmap.Windows1252.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("example: encode windows-1252: %w", err)
	}
	return out, nil
}
