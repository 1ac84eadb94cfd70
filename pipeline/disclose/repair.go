package disclose

import "sort"

// The audit-and-repair loop that follows the search. The search proves
// most sensitive cells protected within a small neighbourhood; a cell it
// could not prove is audited again over a growing set of suppressed cells
// around it, and while the attacker can still narrow it, the published
// cell next to that set with the fewest respondents is suppressed too.

// repairMax bounds the attacker's unknowns in one repair: a dense program
// over thousands of unknowns (a cell of a national table surrounded by
// thousands of suppressed cells) takes minutes to solve. A cell not proved
// protected within repairMax unknowns is reported unprotected (Report.
// Unprotected), though an attacker who does not know the cells outside U
// learns less than the program assumes.
const repairMax = auditExact

// repair protects s, which the search left exposed, and reports whether
// it succeeded. U, the attacker's unknowns, starts as s and grows by
// breadth: the suppressed cells that share a relation with a cell of U
// are taken in (ring by ring, up to repairMax), then the audit runs;
// while s is exposed, the published cells sharing a relation with U of
// least n (ties in canonical order) are suppressed and taken in: one after
// the first audit, then twice as many after each further one, so that a
// cell in a table of many small cells (all 357 municipalities crossed with
// background and gender) needs log₂ k programs instead of k, at the price
// of at most twice the k cells one at a time would have suppressed. Every
// cell outside U is taken as known, so a cell found protected is
// protected against the real attacker, who knows less. It ends because
// every step takes in a cell and U stops at repairMax unknowns.
func (tb *tableState) repair(s int32) bool {
	cs := &tb.cells[s]
	if len(cs.rels) == 0 {
		return true
	}
	inU := map[int32]bool{s: true}
	unk := []int32{s}
	step := 1
	for {
		unk = tb.takeIn(unk, inU, repairMax)
		if tb.exposure(tb.newLP(unk), s, true).Protected {
			return true
		}
		_, pub := tb.frontier(unk, inU)
		if len(pub) == 0 || len(unk) >= repairMax {
			return false
		}
		sort.SliceStable(pub, func(a, b int) bool { return tb.cells[pub[a]].n < tb.cells[pub[b]].n })
		for _, c := range pub[:min(step, len(pub))] {
			tb.cells[c].status, tb.cells[c].reason = Secondary, "secondary: protects "+cs.label
			inU[c] = true
			unk = append(unk, c)
		}
		step *= 2
	}
}

// takeIn adds to U, by breadth, the suppressed cells that share a
// relation with a cell of U, in canonical order within each ring, until
// U holds max cells or no suppressed cell is next to it.
func (tb *tableState) takeIn(unk []int32, inU map[int32]bool, max int) []int32 {
	for len(unk) < max {
		supp, _ := tb.frontier(unk, inU)
		if len(supp) == 0 {
			break
		}
		supp = supp[:min(len(supp), max-len(unk))]
		for _, c := range supp {
			inU[c] = true
		}
		unk = append(unk, supp...)
	}
	return unk
}

// breadth is the repair's first U for s: s and the suppressed cells
// linked to it, by breadth, up to max.
func (tb *tableState) breadth(s int32, max int) []int32 {
	return tb.takeIn([]int32{s}, map[int32]bool{s: true}, max)
}

// frontier lists the valid cells outside U that share a relation with a
// cell of U, suppressed and published apart, each in canonical order.
func (tb *tableState) frontier(unk []int32, inU map[int32]bool) (supp, pub []int32) {
	seen := map[int32]bool{}
	for _, u := range unk {
		for _, ri := range tb.cells[u].rels {
			r := &tb.rels[ri]
			for _, c := range append([]int32{r.parent}, r.children...) {
				if inU[c] || seen[c] {
					continue
				}
				seen[c] = true
				if tb.suppressed(c) {
					supp = append(supp, c)
				} else {
					pub = append(pub, c)
				}
			}
		}
	}
	less := func(x []int32) func(a, b int) bool { return func(a, b int) bool { return x[a] < x[b] } }
	sort.Slice(supp, less(supp))
	sort.Slice(pub, less(pub))
	return supp, pub
}
