package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Kind is the storage type of a column.
type Kind int

// Column kinds: small codes, large integers (PSU ids) and reals (weights).
const (
	Int32 Kind = iota
	Int64
	Float64
)

// Column is one numeric column of the sample, in the ilag codebook.
type Column struct {
	Name string
	Kind Kind
	// Missing are the "don't know" and "refused" codes of a survey item
	// that respondents may skip; zero for register and design columns.
	Missing [2]int
	// late marks the columns added after the first release (the children's
	// questions): their item non-response is drawn from a stream of its own,
	// so that adding them left every earlier column's values unchanged.
	late bool
}

// IDColumn is the name of the first column, the respondent id (text):
// "wave-municipality-area-person", unique within a wave.
const IDColumn = "id"

// Column indexes into Row.Values.
const (
	colMunicipality = iota
	colStratum
	colPSU
	colFPC
	colWeight
	colProgramme
	colParticipated
	colGender
	colAge
	colAgeGroup
	colEducation
	colBackground
	colOrigin
	colCountryGroup
	colYearsNorway
	colReligion
	colHousehold
	colChildren
	colItems // the nItems items, in item order
)

const (
	colEmployed = colItems + nItems + iota
	colJobMatch
	colQoL
	colChildrenActivity
	NumColumns
)

// Columns are the numeric columns after the id, in the order written.
var Columns = func() [NumColumns]Column {
	var c [NumColumns]Column
	skip := [2]int{8, 9}
	c[colMunicipality] = Column{Name: "municipality"}
	c[colStratum] = Column{Name: "stratum"}
	c[colPSU] = Column{Name: "psu", Kind: Int64}
	c[colFPC] = Column{Name: "fpc"}
	c[colWeight] = Column{Name: "weight", Kind: Float64}
	c[colProgramme] = Column{Name: "programme"}
	c[colParticipated] = Column{Name: "participated", Missing: skip}
	c[colGender] = Column{Name: "gender"}
	c[colAge] = Column{Name: "age"}
	c[colAgeGroup] = Column{Name: "age_group"}
	c[colEducation] = Column{Name: "education", Missing: skip}
	c[colBackground] = Column{Name: "background"}
	c[colOrigin] = Column{Name: "origin"}
	c[colCountryGroup] = Column{Name: "country_group"}
	c[colYearsNorway] = Column{Name: "years_norway"}
	c[colReligion] = Column{Name: "religion", Missing: skip}
	c[colHousehold] = Column{Name: "household_size", Missing: [2]int{98, 99}}
	c[colChildren] = Column{Name: "children", Missing: [2]int{98, 99}, late: true}
	for j := range nItems {
		c[colItems+j] = Column{Name: items[j].Name, Missing: items[j].Missing}
	}
	c[colEmployed] = Column{Name: "employed", Missing: skip}
	c[colJobMatch] = Column{Name: "job_match", Missing: skip}
	c[colQoL] = Column{Name: "qol", Missing: [2]int{98, 99}}
	c[colChildrenActivity] = Column{Name: "children_activity", Missing: [2]int{98, 99}, late: true}
	return c
}()

// Row is one respondent: the id and the numeric columns; NaN is a blank
// (not applicable, or an item left blank).
type Row struct {
	ID     string
	Values [NumColumns]float64
}

func (row *Row) fill(p *person, m *municipality, w, stratum int, psu int64, areas int, weight float64) {
	mw := &p.wave[w]
	v := &row.Values
	v[colMunicipality] = float64(m.code)
	v[colStratum] = float64(stratum)
	v[colPSU] = float64(psu)
	v[colFPC] = float64(areas)
	v[colWeight] = weight
	v[colProgramme] = indicator(m.programme)
	v[colParticipated] = indicator(mw.participated)
	v[colGender] = float64(p.gender)
	v[colAge] = float64(p.age)
	v[colAgeGroup] = float64(p.ageGroup)
	v[colEducation] = float64(p.education)
	v[colBackground] = float64(p.bg)
	v[colOrigin] = float64(p.origin)
	v[colCountryGroup] = float64(p.countryGroup)
	v[colYearsNorway] = math.NaN()
	if p.years >= 0 {
		v[colYearsNorway] = float64(p.years)
	}
	v[colReligion] = float64(p.religion)
	v[colHousehold] = float64(p.household)
	v[colChildren] = float64(p.children)
	for j := range nItems {
		v[colItems+j] = float64(mw.items[j])
	}
	v[colEmployed] = indicator(mw.employed)
	v[colJobMatch] = math.NaN()
	if mw.jobMatch >= 0 {
		v[colJobMatch] = float64(mw.jobMatch)
	}
	v[colQoL] = float64(mw.qol)
	// Asked only of parents of children aged 6–15: blank (not applicable)
	// for the others.
	v[colChildrenActivity] = math.NaN()
	if p.children > 0 {
		v[colChildrenActivity] = float64(mw.childrenActive)
	}
}

// skipItems applies item non-response to the columns that have missing
// codes, completely at random; with blank, every skipped item is left blank
// instead of coded (the same items are skipped either way). The late columns
// draw from rl instead of r.
func (row *Row) skipItems(r, rl *rand.Rand, blank bool) {
	for j := range NumColumns {
		c := &Columns[j]
		if c.Missing[0] == 0 {
			continue
		}
		var u float64
		if c.late {
			u = rl.Float64()
		} else {
			u = r.Float64()
		}
		if u >= itemNonresponse || math.IsNaN(row.Values[j]) {
			continue
		}
		switch u /= itemNonresponse; {
		case blank:
			row.Values[j] = math.NaN()
		case u < 0.6:
			row.Values[j] = float64(c.Missing[0])
		case u < 0.9:
			row.Values[j] = float64(c.Missing[1])
		default:
			row.Values[j] = math.NaN()
		}
	}
}

func appendID(b []byte, parts ...int) []byte {
	for i, p := range parts {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return b
}
