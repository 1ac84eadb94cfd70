package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// locale formats numbers, dates and sentences in the report language.
type locale struct {
	lang string // "nb" or "en"
}

// Separators of Norwegian bokmål: a decimal comma and a narrow no-break
// space (U+202F) between thousands; a no-break space before "%".
const (
	thinSpace = "\u202f"
	noBreak   = "\u00a0"
)

// newLocale is the locale of lang; anything but "en" is bokmål.
func newLocale(lang string) locale {
	if lang == "en" {
		return locale{lang: "en"}
	}
	return locale{lang: "nb"}
}

// num formats x with dec decimals: "12 345,6" in nb (narrow no-break space,
// decimal comma), "12,345.6" in en; a minus sign (U+2212) for negatives.
// NaN is "–".
func (l locale) num(x float64, dec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', dec, 64)
	if r := strconv.FormatFloat(0, 'f', dec, 64); s == r {
		x = 0 // no "−0"
	}
	intPart, frac, _ := strings.Cut(s, ".")
	sep, point := ",", "."
	if l.lang == "nb" {
		sep, point = thinSpace, ","
	}
	var b strings.Builder
	if x < 0 {
		b.WriteString("−")
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(point + frac)
	}
	return b.String()
}

// int formats a count.
func (l locale) int(n int64) string { return l.num(float64(n), 0) }

// percent formats a percentage already multiplied by 100: "41 %" in nb,
// "41%" in en.
func (l locale) percent(x float64, dec int) string {
	if l.lang == "nb" {
		return l.num(x, dec) + noBreak + "%"
	}
	return l.num(x, dec) + "%"
}

// monthsNB are the months in bokmål.
var monthsNB = [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"}

// date is "2. desember 2026" in nb, "2 December 2026" in en.
func (l locale) date(t time.Time) string {
	t = t.UTC()
	if l.lang == "nb" {
		return fmt.Sprintf("%d. %s %d", t.Day(), monthsNB[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year())
}

// t picks the text in the report language.
func (l locale) t(nb, en string) string {
	if l.lang == "nb" {
		return nb
	}
	return en
}

// Patterns of the reasons disclosure control gives (pipeline/disclose).
var (
	reasonFewN     = regexp.MustCompile(`^primary: n < (\d+)$`)
	reasonFewWith  = regexp.MustCompile(`^primary: fewer than (\d+) with the attribute$`)
	reasonFewNot   = regexp.MustCompile(`^primary: fewer than (\d+) without the attribute$`)
	reasonInvalid  = regexp.MustCompile(`^primary: invalid cell`)
	reasonProtects = regexp.MustCompile(`^secondary: protects `)
	reasonDerived  = regexp.MustCompile(`^derived: uses suppressed `)
)

// reason says in plain language why a number is not shown; a reason it
// does not know is given as disclosure control wrote it.
func (l locale) reason(r string) string {
	switch {
	case reasonFewN.MatchString(r):
		n := reasonFewN.FindStringSubmatch(r)[1]
		return l.t("Vises ikke: bygger på færre enn "+n+" svar.", "Not shown: based on fewer than "+n+" respondents.")
	case reasonFewWith.MatchString(r):
		n := reasonFewWith.FindStringSubmatch(r)[1]
		return l.t("Vises ikke: færre enn "+n+" personer har svart ja, så de kunne kjennes igjen.",
			"Not shown: fewer than "+n+" persons answered yes, who could be recognised.")
	case reasonFewNot.MatchString(r):
		n := reasonFewNot.FindStringSubmatch(r)[1]
		return l.t("Vises ikke: færre enn "+n+" personer har svart nei, så de kunne kjennes igjen.",
			"Not shown: fewer than "+n+" persons answered no, who could be recognised.")
	case reasonInvalid.MatchString(r):
		return l.t("Vises ikke: tallet kan ikke beregnes for denne gruppen.", "Not shown: the number cannot be computed for this group.")
	case reasonProtects.MatchString(r):
		return l.t("Vises ikke: skjult for at et annet skjult tall ikke skal kunne regnes ut fra de viste.",
			"Not shown: hidden so that another hidden number cannot be worked out from those shown.")
	case reasonDerived.MatchString(r):
		return l.t("Vises ikke: bygger på et tall som er skjult av personvernhensyn.",
			"Not shown: uses a number that is hidden to protect privacy.")
	}
	return l.t("Vises ikke: ", "Not shown: ") + r
}
