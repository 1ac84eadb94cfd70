package match

import (
	"fmt"
	"strings"
)

// explainPair is the pair in plain Norwegian (bokmål) and English:
// "N-017 og mentor M-004 deler interessene fotball og matlaging, og begge
// arbeider innen «Sykepleiere» (STYRK 2223)."
func explainPair(p Pair) (nb, en string) {
	var nbs, ens []string
	switch len(p.SharedInterests) {
	case 0:
	case 1:
		nbs = append(nbs, "deler interessen "+p.SharedInterests[0])
		ens = append(ens, "share an interest in "+p.SharedInterests[0])
	default:
		nbs = append(nbs, "deler interessene "+joinList(p.SharedInterests, "og"))
		ens = append(ens, "share the interests "+joinList(p.SharedInterests, "and"))
	}
	if p.Level > 0 {
		nbs = append(nbs, fmt.Sprintf("begge arbeider innen «%s» (STYRK %s)", p.Occupation.Nb, p.Occupation.Code))
		ens = append(ens, fmt.Sprintf("both work in “%s” (STYRK %s)", p.Occupation.En, p.Occupation.Code))
	}
	if p.Language != "" {
		nbs = append(nbs, "begge snakker "+p.Language)
		ens = append(ens, "both speak "+p.Language)
	}
	if len(nbs) == 0 {
		nbs = []string{"har ingen interesser, yrkesgruppe eller språk felles"}
		ens = []string{"share no interest, occupational group or language"}
	}
	if p.MentorMunicipality != p.Municipality {
		nbs = append(nbs, fmt.Sprintf("mentoren bor i %s, %s unna", p.MentorMunicipality, minutesNb(p.Parts.Minutes)))
		ens = append(ens, fmt.Sprintf("the mentor lives in %s, %s away", p.MentorMunicipality, minutesEn(p.Parts.Minutes)))
	}
	nb = fmt.Sprintf("%s og mentor %s %s.", p.Newcomer, p.Mentor, joinClauses(nbs, "og"))
	en = fmt.Sprintf("%s and mentor %s %s.", p.Newcomer, p.Mentor, joinClauses(ens, "and"))
	return nb, en
}

// minutesNb and minutesEn are "1 minutt", "25 minutter", "1 minute",
// "25 minutes" (fractions as given: "12.5 minutes").
func minutesNb(m float64) string {
	if m == 1 {
		return "1 minutt"
	}
	return fmt.Sprintf("%g minutter", m)
}

func minutesEn(m float64) string {
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%g minutes", m)
}

// joinList is "a", "a and b", "a, b and c".
func joinList(items []string, and string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}

// joinClauses is "a", "a, and b", "a, b, and c": clauses with their own
// verbs, as in the example sentence.
func joinClauses(items []string, and string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + ", " + and + " " + items[len(items)-1]
}

// unmatched is newcomer n without a mentor for reason r, explained.
func unmatched(n *Newcomer, r Reason, candidates int, o Options) Unmatched {
	u := Unmatched{Newcomer: n.ID, Municipality: n.Municipality, Reason: r, Candidates: candidates}
	// where is the geographic constraint: "in Herøy", "in Herøy or within
	// 45 minutes", or nothing without one.
	where, whereEn := " i "+n.Municipality, " in "+n.Municipality
	switch {
	case !o.SameMunicipality:
		where, whereEn = "", ""
	case o.MaxMinutes > 0:
		where += " eller innen " + minutesNb(o.MaxMinutes)
		whereEn += " or within " + minutesEn(o.MaxMinutes)
	}
	switch r {
	case NoMentorInMunicipality, NoMentorWithinTravel:
		u.Nb = fmt.Sprintf("%s har ingen mentor: det er ingen mentor%s.", n.ID, where)
		u.En = fmt.Sprintf("%s has no mentor: there is no mentor%s.", n.ID, whereEn)
	case NoSharedLanguage:
		langs := strings.Join(n.Languages, ", ")
		u.Nb = fmt.Sprintf("%s har ingen mentor: ingen mentor%s snakker et av språkene (%s).", n.ID, where, langs)
		u.En = fmt.Sprintf("%s has no mentor: no mentor%s speaks one of their languages (%s).", n.ID, whereEn, langs)
	case NoPreferredGender:
		u.Nb = fmt.Sprintf("%s har ingen mentor: ingen mentor%s med felles språk passer med ønsket om kjønn.", n.ID, where)
		u.En = fmt.Sprintf("%s has no mentor: no mentor%s with a shared language fits the stated gender preferences.", n.ID, whereEn)
	case BelowMinQuality:
		u.Nb = fmt.Sprintf("%s har ingen mentor: ingen mulig mentor%s når minste matchkvalitet %g.", n.ID, where, o.MinQuality)
		u.En = fmt.Sprintf("%s has no mentor: no possible mentor%s reaches the minimum match quality %g.", n.ID, whereEn, o.MinQuality)
	case CapacityExhausted:
		u.Nb = fmt.Sprintf("%s har ingen mentor: de %d mulige mentorene%s har ikke flere plasser.", n.ID, candidates, where)
		u.En = fmt.Sprintf("%s has no mentor: the %d possible mentors%s have no places left.", n.ID, candidates, whereEn)
		if candidates == 1 {
			u.Nb = fmt.Sprintf("%s har ingen mentor: den eneste mulige mentoren%s har ikke flere plasser.", n.ID, where)
			u.En = fmt.Sprintf("%s has no mentor: the only possible mentor%s has no places left.", n.ID, whereEn)
		}
	}
	return u
}
