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

// configTemplate is the example socap.yaml.
const configTemplate = `# socap project file: see "socap --help" and README.md.
project: I LAG eksempel — Trøndelag og Vestland
store: socap.duckdb
codebook: codebook.yaml
output: out
language: nb
engine:
  threads: 2
  memory_limit: 1GB
sources:
  - id: wave1
    path: data/wave1.csv
    wave: 1
  - id: wave2
    path: data/wave2.csv
    wave: 2
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
