// Package labelled holds what socap's readers of labelled survey files,
// package spss (.sav, .zsav) and package stata (.dta), share: the kinds
// and value labels that describe their variables, the columnar batches
// they deliver values in, and what they are built on: opening the file, a
// bounded binary decoder for the metadata with the FormatError that
// places a problem in a file, and decoding text to UTF-8. Their writers'
// callers (synth, convert) fill its Batch and name its kinds directly.
package labelled

import "strconv"

// Kind says how a variable's values are delivered in a Batch. Each reader
// documents which of its variables are of which kind.
type Kind uint8

const (
	// Numeric values are float64 as stored.
	Numeric Kind = iota
	// String values are UTF-8.
	String
	// Date values are days since 1970-01-01 (possibly fractional when the
	// file stores a time of day; floor them for a calendar date).
	Date
	// DateTime values are seconds since 1970-01-01T00:00:00 UTC.
	DateTime
	// Time values are a duration in seconds.
	Time
)

func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case String:
		return "string"
	case Date:
		return "date"
	case DateTime:
		return "datetime"
	case Time:
		return "time"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ValueLabel labels one value of a variable: Value of a numeric variable,
// String of a string variable (SPSS only) or, when Missing is not 0, the
// missing value Missing names: '.', or 'a'–'z' for Stata's .a–.z (Value is
// then unused).
type ValueLabel struct {
	Value   float64
	String  string
	Missing byte
	Label   string
}
