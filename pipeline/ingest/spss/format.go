package spss

import (
	"strconv"

	"socap/pipeline/ingest/labelled"
)

// Measure is the measurement level from the variable display record
// (PSPP "System File Format", Variable Display Parameter Record, subtype 11).
type Measure uint8

const (
	MeasureUnknown Measure = iota
	MeasureNominal
	MeasureOrdinal
	MeasureScale
)

func (m Measure) String() string {
	switch m {
	case MeasureNominal:
		return "nominal"
	case MeasureOrdinal:
		return "ordinal"
	case MeasureScale:
		return "scale"
	}
	return "unknown"
}

// spssEpochOffset is the number of seconds from the SPSS epoch,
// 1582-10-14 00:00:00 (the start of the Gregorian calendar), to the Unix
// epoch 1970-01-01: 141428 days. SPSS stores dates and times as seconds
// since its epoch (PSPP manual, "Time and Date Formats").
const spssEpochOffset = 141428 * 86400

// formatTypes names the format type codes of the print/write format word of
// a variable record (PSPP "System File Format", Variable Record, table of
// format types). Codes missing here are unused.
var formatTypes = map[byte]string{
	1: "A", 2: "AHEX", 3: "COMMA", 4: "DOLLAR", 5: "F", 6: "IB", 7: "PIBHEX",
	8: "P", 9: "PIB", 10: "PK", 11: "RB", 12: "RBHEX", 15: "Z", 16: "N", 17: "E",
	20: "DATE", 21: "TIME", 22: "DATETIME", 23: "ADATE", 24: "JDATE", 25: "DTIME",
	26: "WKDAY", 27: "MONTH", 28: "MOYR", 29: "QYR", 30: "WKYR", 31: "PCT",
	32: "DOT", 33: "CCA", 34: "CCB", 35: "CCC", 36: "CCD", 37: "CCE",
	38: "EDATE", 39: "SDATE", 40: "MTIME", 41: "YMDHMS",
}

// kindOfFormat maps a numeric variable's format type to the kind its values
// are converted to, as R's haven does: calendar-date formats become dates,
// DATETIME and YMDHMS timestamps, and TIME, DTIME and MTIME durations.
// WKDAY and MONTH hold small integers and stay numeric.
func kindOfFormat(typ byte) labelled.Kind {
	switch formatTypes[typ] {
	case "DATE", "ADATE", "EDATE", "JDATE", "SDATE", "QYR", "MOYR", "WKYR":
		return labelled.Date
	case "DATETIME", "YMDHMS":
		return labelled.DateTime
	case "TIME", "DTIME", "MTIME":
		return labelled.Time
	}
	return labelled.Numeric
}

// formatString renders a format word (type<<16 | width<<8 | decimals) the
// way SPSS syntax spells it: F8.2, A20, DATE11. F always shows its decimals;
// other formats only when there are any (as ReadStat does).
func formatString(word int32) string {
	typ, width, dec := byte(word>>16), int(byte(word>>8)), int(byte(word))
	name, ok := formatTypes[typ]
	if !ok {
		name = "?" + strconv.Itoa(int(typ))
	}
	s := name + strconv.Itoa(width)
	if dec > 0 || name == "F" {
		s += "." + strconv.Itoa(dec)
	}
	return s
}
