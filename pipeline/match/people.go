package match

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline/dataerr"
)

// Person is what newcomers and mentors have in common.
type Person struct {
	ID           string
	Municipality string
	// Interests and Languages are lower-cased, in the order listed,
	// without repeats; Languages[0] is the first (main) language.
	Interests, Languages []string
	// Occupation is a STYRK-08 unit group ("" when not given).
	Occupation string
	Gender     string
	// PrefersGender is the gender the person wants the other to have (""
	// for no preference): a newcomer's mentor_gender, a mentor's
	// newcomer_gender.
	PrefersGender string
	// Row is the person's data row in the file (1-based).
	Row int64
}

// Newcomer is a person to be given a mentor.
type Newcomer struct {
	Person
	Education, CountryGroup string
}

// Mentor is a volunteer who takes up to Capacity newcomers.
type Mentor struct {
	Person
	Capacity int
}

// Columns of the input files. Lists (interests, languages) separate their
// items by ";" or ",".
const (
	ColID           = "id"
	ColMunicipality = "municipality"
	ColInterests    = "interests"
	ColOccupation   = "occupation" // STYRK-08, 4 digits; may be empty
	ColLanguages    = "languages"
	ColGender       = "gender"
	ColEducation    = "education"     // newcomers, optional
	ColCountryGroup = "country_group" // newcomers, optional
	ColMentorGender = "mentor_gender" // newcomers, optional: preferred gender of the mentor
	ColCapacity     = "capacity"      // mentors
	ColNewcomerGen  = "newcomer_gender"
)

// maxProblems is how many bad cells a read reports before it stops.
const maxProblems = 20

// reader reads one file's rows, collecting problems as DataErrors.
type reader struct {
	file     string
	fr       *survey.Frame
	problems []error
}

func (r *reader) fail(row int64, col, format string, args ...any) {
	if len(r.problems) < maxProblems {
		r.problems = append(r.problems, dataerr.New(r.file, row, col, format, args...))
	}
}

// text is column name, or nil (and a problem) when a required column is
// missing; an optional missing column is all "".
func (r *reader) text(name string, required bool) []string {
	if !r.fr.Has(name) {
		if required {
			r.problems = append(r.problems, &dataerr.DataError{File: r.file, Column: name,
				Err: fmt.Errorf("no column %q (the file has %s)", name, strings.Join(r.fr.Names(), ", "))})
		}
		return make([]string, r.fr.Rows())
	}
	v, _ := r.fr.Strings(name) // the column exists
	return v
}

func (r *reader) err() error {
	if len(r.problems) == maxProblems {
		r.problems = append(r.problems, fmt.Errorf("%s: stopped after %d problems", r.file, maxProblems))
	}
	return errors.Join(r.problems...)
}

// persons reads the columns newcomers and mentors share, checking that ids
// are unique, interests and languages not empty, occupations known.
func (r *reader) persons(prefers string) []Person {
	ids := r.text(ColID, true)
	muni := r.text(ColMunicipality, true)
	interests := r.text(ColInterests, true)
	occ := r.text(ColOccupation, true)
	langs := r.text(ColLanguages, true)
	gender := r.text(ColGender, false)
	pref := r.text(prefers, false)
	if len(r.problems) > 0 {
		return nil
	}
	seen := map[string]int64{}
	out := make([]Person, len(ids))
	for i := range ids {
		row := int64(i + 1)
		p := Person{ID: strings.TrimSpace(ids[i]), Municipality: strings.TrimSpace(muni[i]), Row: row,
			Interests: list(interests[i]), Languages: list(langs[i]),
			Gender: norm(gender[i]), PrefersGender: norm(pref[i])}
		switch first, dup := seen[p.ID]; {
		case p.ID == "":
			r.fail(row, ColID, "empty id")
		case dup:
			r.fail(row, ColID, "duplicate id %q (also row %d)", p.ID, first)
		default:
			seen[p.ID] = row
		}
		if p.Municipality == "" {
			r.fail(row, ColMunicipality, "empty municipality")
		}
		if len(p.Interests) == 0 {
			r.fail(row, ColInterests, "empty interest list (want e.g. \"fotball;matlaging\")")
		}
		if len(p.Languages) == 0 {
			r.fail(row, ColLanguages, "empty language list (want e.g. \"arabisk;norsk\")")
		}
		if s := strings.TrimSpace(occ[i]); s != "" {
			code, err := ParseStyrk(s)
			if err != nil {
				r.fail(row, ColOccupation, "%v", err)
			}
			p.Occupation = code
		}
		out[i] = p
	}
	return out
}

// ReadNewcomers reads newcomers from fr, the contents of file (any format
// socap reads), with the columns id, municipality, interests, occupation,
// languages and optionally gender, education, country_group and
// mentor_gender. Every problem names the file, row and column.
func ReadNewcomers(file string, fr *survey.Frame) ([]Newcomer, error) {
	r := &reader{file: file, fr: fr}
	persons := r.persons(ColMentorGender)
	edu := r.text(ColEducation, false)
	country := r.text(ColCountryGroup, false)
	if err := r.err(); err != nil {
		return nil, err
	}
	out := make([]Newcomer, len(persons))
	for i, p := range persons {
		out[i] = Newcomer{Person: p, Education: strings.TrimSpace(edu[i]), CountryGroup: strings.TrimSpace(country[i])}
	}
	return out, nil
}

// ReadMentors reads mentors from fr, the contents of file, with the columns
// id, municipality, interests, occupation, languages, capacity (a whole
// number, at least 1) and optionally gender and newcomer_gender.
func ReadMentors(file string, fr *survey.Frame) ([]Mentor, error) {
	r := &reader{file: file, fr: fr}
	persons := r.persons(ColNewcomerGen)
	capText := r.text(ColCapacity, true)
	if len(r.problems) > 0 {
		return nil, r.err()
	}
	out := make([]Mentor, len(persons))
	for i, p := range persons {
		c, err := strconv.ParseFloat(strings.TrimSpace(capText[i]), 64)
		if err != nil || c != math.Trunc(c) || c < 1 || c > math.MaxInt32 {
			r.fail(p.Row, ColCapacity, "capacity %q: want a whole number of newcomers, at least 1", capText[i])
		}
		out[i] = Mentor{Person: p, Capacity: int(c)}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// list splits a cell at ";" or ",", trims and lower-cases the items and
// drops empty and repeated ones.
func list(cell string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == ',' }) {
		if item = norm(item); item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
