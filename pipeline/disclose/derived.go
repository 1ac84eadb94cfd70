package disclose

import (
	"fmt"
	"strconv"
)

// Symbol is what a report shows for a suppressed number: Statistics
// Norway's ":" ("suppressed to avoid identification of individuals",
// SSB's table symbols), explained in a footnote by the mark's reason.
const Symbol = ":"

// Part is one cell a derived number is computed from.
type Part struct {
	Label string
	Mark  Mark
}

// Derived marks a number computed from published cells: a difference
// (municipality − whole sample), a comparison (immigrants vs majority), a
// change between waves or a difference-in-differences. It is publishable
// only when every cell it uses is: otherwise "municipality − whole sample"
// gives the municipality back when the whole sample is published. The
// reason names the first suppressed part in the order given. A number
// derived from no cells is refused. Model coefficients rest on the whole
// sample and are not derived numbers; a marginal effect by group rests on
// that group and takes PrimaryReason with the group's n.
func Derived(parts ...Part) Mark {
	if len(parts) == 0 {
		return Mark{Status: Primary, Reason: "primary: invalid cell: derived from no cells"}
	}
	for _, p := range parts {
		if !p.Mark.Publishable() {
			return Mark{Status: Secondary, Reason: "derived: uses suppressed " + p.Label}
		}
	}
	return Mark{}
}

// ShowN is how a cell's n is shown: exactly when the cell is published,
// "under 10" (with the rules' MinN) when it is suppressed and rests on
// fewer, and Symbol otherwise, so that a suppressed cell's n cannot be
// worked out by subtraction from its neighbours' exact counts.
func ShowN(n int, m Mark, r Rules) string {
	switch {
	case m.Publishable():
		return strconv.Itoa(n)
	case n < r.MinN:
		return fmt.Sprintf("under %d", r.MinN)
	}
	return Symbol
}
