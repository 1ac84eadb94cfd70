package disclose

import (
	"math"
	"sort"
)

// Secondary suppression: a greedy search over hypercubes, each step
// checked by the attacker's linear program on the cell's neighbourhood.
//
// A hypercube for a sensitive cell s picks, in every dimension d, either
// a difference e(s_d) − e(b) with another level b (only where s has a
// level) or a unit e(a) at one level (s's own when it has one). The product
// of these vectors is a change of the table's finest cells; it changes
// exactly the cells at the cube's corners (in every published group set
// that holds all the difference dimensions) and keeps every relation.
// When all corners are suppressed and have room, s's value can move both
// ways while every published number stays: that is the hypercube method
// (Repsilber; Giessing and Repsilber, "Tools and strategies to protect
// multiple tables with the GHQUAR cell suppression engine", 2002;
// Hundepool et al. §5.7). The LP then decides; a cube that is not enough is
// followed by another, up to maxRounds; a cell still not proved protected
// then goes to the audit-and-repair loop (repair.go).

// maxRounds bounds the cubes tried for one cell. A cell of a small group
// in a small municipality where nearly everyone has the attribute needs
// several cubes whose corners each have only part of the room; on the
// national synthetic run (200,000 respondents, 357 municipalities, 7
// indicators × 2 waves × 12 group sets) 6 cubes left 380 of 14,386
// primary cells to the repair, which could not prove them within its
// 400 unknowns; 30 left 11 and 100 none, at 0.25 percentage points more
// cells suppressed and a sixth of the time (the repair's programs are
// large).
const maxRounds = 100

// protectAll protects the sensitive cells in order of increasing n (then
// label), so that a cell suppressed for one small cell can serve the next.
// Suppressing more only widens every interval, so a cell found protected
// stays protected. The cells the search could not prove are then audited
// over the suppressed cells linked to them and repaired, in the same
// order, after all searches (their suppressions may already suffice);
// a cell left in tb.unprotected is one the repair could not protect.
func (tb *tableState) protectAll() {
	var sens []int32
	for i := range tb.cells {
		if tb.cells[i].valid && tb.cells[i].status == Primary {
			sens = append(sens, int32(i))
		}
	}
	sort.SliceStable(sens, func(a, b int) bool { return tb.cells[sens[a]].n < tb.cells[sens[b]].n })
	var exposed []int32
	for _, s := range sens {
		if !tb.protect(s) {
			exposed = append(exposed, s)
		}
	}
	for _, s := range exposed {
		if !tb.repair(s) {
			tb.unprotected = append(tb.unprotected, s)
		}
	}
}

type cubeOpt struct {
	diff bool
	lvl  int32
}

// protect searches cubes for s and reports whether s was proved protected.
func (tb *tableState) protect(s int32) bool {
	cs := &tb.cells[s]
	if len(cs.rels) == 0 {
		return true // linked to no other cell
	}
	area := tb.startArea(s)
	tried := map[string]bool{}
	// A cube whose corners are all suppressed already may prove s safe
	// without a linear program; failing that, the suppressed cells around
	// s may protect it together (only worth asking when there are any).
	if cube, cost, ok := tb.bestCube(s, tried); ok && cost < 1 && tb.certifies(s, cube) {
		return true
	}
	if tb.safe(s, area) {
		return true
	}
	for round := 0; round < maxRounds; round++ {
		cube, _, ok := tb.bestCube(s, tried)
		if !ok {
			break
		}
		tried[tb.canonicalKey(cube)] = true
		tb.forCorners(s, cube, func(c int32, _ bool) {
			if c >= 0 && !tb.suppressed(c) {
				tb.cells[c].status, tb.cells[c].reason = Secondary, "secondary: protects "+cs.label
			}
		})
		tb.widen(area, s, cube)
		if tb.certifies(s, cube) || tb.safe(s, area) {
			return true
		}
	}
	return false
}

// widen adds to s's area the levels the cube moves: those of its
// differences, and of its units in variables not in s's group set.
func (tb *tableState) widen(area [][]int32, s int32, cube []cubeOpt) {
	for d, o := range cube {
		if o.diff || tb.cells[s].coords[d] == tb.total[d] {
			area[d] = addLevel(area[d], o.lvl)
		}
	}
}

func addLevel(ls []int32, l int32) []int32 {
	for _, x := range ls {
		if x == l {
			return ls
		}
	}
	return append(ls, l)
}

// canonicalKey names a cube, leaving out the level of a unit dimension
// that no corner's group set holds (it changes nothing).
func (tb *tableState) canonicalKey(cube []cubeOpt) string {
	var diffMask uint64
	for d, o := range cube {
		if o.diff {
			diffMask |= 1 << uint(d)
		}
	}
	b := make([]byte, 0, 5*len(cube))
	for d, o := range cube {
		if !o.diff {
			used := false
			for _, g := range tb.masks {
				if g&diffMask == diffMask && g&(1<<uint(d)) != 0 {
					used = true
					break
				}
			}
			if !used {
				o.lvl = -1
			}
		}
		d := byte(0)
		if o.diff {
			d = 1
		}
		b = append(b, d, byte(o.lvl), byte(o.lvl>>8), byte(o.lvl>>16), byte(o.lvl>>24))
	}
	return string(b)
}

// startArea is s's neighbourhood: per dimension its own coordinate, the
// total, and up to two levels where the cell next to s is already
// suppressed.
func (tb *tableState) startArea(s int32) [][]int32 {
	cs := &tb.cells[s]
	area := make([][]int32, len(tb.dims))
	co := append([]int32(nil), cs.coords...)
	for d := range tb.dims {
		area[d] = []int32{cs.coords[d]}
		if cs.coords[d] != tb.total[d] {
			area[d] = append(area[d], tb.total[d])
		}
		added := 0
		for l := int32(0); l < tb.total[d] && added < startNeighbours; l++ {
			if l == cs.coords[d] {
				continue
			}
			co[d] = l
			if c, ok := tb.byKey[tb.key(co)]; ok && tb.suppressed(c) {
				area[d] = append(area[d], l)
				added++
			}
		}
		co[d] = cs.coords[d]
	}
	return area
}

// areaCells lists the valid cells whose coordinates are in the area.
func (tb *tableState) areaCells(area [][]int32) []int32 {
	var out []int32
	idx := make([]int, len(area))
	co := make([]int32, len(area))
	for {
		for d := range area {
			co[d] = area[d][idx[d]]
		}
		if c, ok := tb.byKey[tb.key(co)]; ok {
			out = append(out, c)
		}
		d := 0
		for ; d < len(area); d++ {
			idx[d]++
			if idx[d] < len(area[d]) {
				break
			}
			idx[d] = 0
		}
		if d == len(area) {
			break
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

// safe runs the attacker's LP on the area: the suppressed cells in it are
// unknown, every other cell (suppressed or not) is taken as known, which
// only makes the attacker stronger than the real one.
func (tb *tableState) safe(s int32, area [][]int32) bool {
	var unk []int32
	for _, c := range tb.areaCells(area) {
		if tb.suppressed(c) {
			unk = append(unk, c)
		}
	}
	return tb.exposure(tb.newLP(unk), s, true).Protected
}

// neighbour is the cell s with coordinate d changed to l, if any.
func (tb *tableState) neighbour(s int32, d int, l int32) (int32, bool) {
	co := append([]int32(nil), tb.cells[s].coords...)
	co[d] = l
	c, ok := tb.byKey[tb.key(co)]
	return c, ok
}

// bestCube chooses the cube whose corners not yet suppressed hold the
// fewest respondents, among those whose corners all exist and have room for
// the protection; ties go to the first in the order of levels.
func (tb *tableState) bestCube(s int32, tried map[string]bool) ([]cubeOpt, float64, bool) {
	cs := &tb.cells[s]
	k := 5
	switch {
	case len(tb.dims) == 4:
		k = 4
	case len(tb.dims) > 4:
		k = 3
	}
	opts := make([][]cubeOpt, len(tb.dims))
	for d := range tb.dims {
		type scored struct {
			o     cubeOpt
			score float64
		}
		var cand []scored
		score := func(l int32) float64 {
			c, ok := tb.neighbour(s, d, l)
			if !ok {
				return 0
			}
			pen := 0.0
			if !tb.room(s, c) {
				pen = badCorner
			}
			if tb.suppressed(c) {
				return pen
			}
			return pen + float64(tb.cells[c].n)
		}
		if own := cs.coords[d]; own != tb.total[d] {
			cand = append(cand, scored{cubeOpt{lvl: own}, score(tb.total[d])})
			for l := int32(0); l < tb.total[d]; l++ {
				if l != own {
					cand = append(cand, scored{cubeOpt{diff: true, lvl: l}, score(l)})
				}
			}
		} else {
			for l := int32(0); l < tb.total[d]; l++ {
				cand = append(cand, scored{cubeOpt{lvl: l}, score(l)})
			}
		}
		sort.SliceStable(cand, func(a, b int) bool { return cand[a].score < cand[b].score })
		for i := 0; i < len(cand) && i < k; i++ {
			opts[d] = append(opts[d], cand[i].o)
		}
	}
	var best []cubeOpt
	bestCost := math.Inf(1)
	seen := map[string]bool{}
	cube := make([]cubeOpt, len(tb.dims))
	idx := make([]int, len(tb.dims))
	for {
		for d := range cube {
			cube[d] = opts[d][idx[d]]
		}
		if key := tb.canonicalKey(cube); !tried[key] && !seen[key] {
			seen[key] = true // one that differs only where it does not matter
			cost := 0.0
			tb.forCorners(s, cube, func(c int32, present bool) {
				if c < 0 {
					cost += badCorner // a left-out cell of a published group set
					return
				}
				if !tb.room(s, c) {
					cost += badCorner
				}
				if !tb.suppressed(c) {
					cost += float64(tb.cells[c].n) + 1
				}
			})
			if cost < bestCost {
				best, bestCost = append([]cubeOpt(nil), cube...), cost
			}
		}
		d := 0
		for ; d < len(idx); d++ {
			idx[d]++
			if idx[d] < len(opts[d]) {
				break
			}
			idx[d] = 0
		}
		if d == len(idx) {
			break
		}
	}
	return best, bestCost, best != nil
}

// certifies reports whether the cube alone proves s protected: all its
// corners exist and are suppressed, and moving them along the cube's signs
// by the protection keeps every corner within what the attacker knows
// (sw ≥ 0, min·sw ≤ t ≤ max·sw). Such a move leaves every published cell
// and every relation as it is, so the attacker cannot tell the moved table
// from the true one: s's interval reaches the protection on each side.
// For each requirement a few directions (a change a of sums of weights and
// b of totals) are tried; the linear program decides when none fits.
func (tb *tableState) certifies(s int32, cube []cubeOpt) bool {
	type corner struct {
		c    int32
		sign float64
	}
	var corners []corner
	ok := true
	tb.forCorners(s, cube, func(c int32, _ bool) {
		if c < 0 || !tb.suppressed(c) {
			ok = false
			return
		}
		sign := 1.0
		for d, o := range cube {
			if o.diff && tb.cells[c].coords[d] == o.lvl {
				sign = -sign
			}
		}
		corners = append(corners, corner{c, sign})
	})
	if !ok {
		return false
	}
	cs := &tb.cells[s]
	if !(cs.sw > 0) {
		return false
	}
	lo, hi := tb.lo, tb.hi
	fits := func(dir, a, b float64) bool {
		for _, k := range corners {
			cc := &tb.cells[k.c]
			da, db := dir*k.sign*a, dir*k.sign*b
			tol := 1e-9 * (cc.sw + 1)
			if cc.sw+da < -tol {
				return false
			}
			if tb.bounded && (cc.t-lo*cc.sw+db-lo*da < -tol*(hi-lo) || hi*cc.sw-cc.t+hi*da-db < -tol*(hi-lo)) {
				return false
			}
		}
		return true
	}
	// both: the move of size (a, b) fits up, and down scaled by f (the
	// requirement below reaches only as far as what is known beforehand).
	both := func(f float64, dirs [][2]float64) bool {
		for _, ab := range dirs {
			if fits(1, ab[0], ab[1]) && (f <= 0 || fits(-1, f*ab[0], f*ab[1])) {
				return true
			}
		}
		return false
	}
	down := func(x, h, prior float64) float64 {
		if h <= 0 {
			return 0
		}
		return math.Min(1, (x-prior)/h)
	}
	hSW, hT, hC := tb.need(cs)
	if !tb.bounded {
		return both(1, [][2]float64{{hSW, 0}, {hSW, hSW * cs.t / cs.sw}}) && both(1, [][2]float64{{0, hT}})
	}
	mid, est := (lo+hi)/2, cs.t/cs.sw
	plo, _ := tb.tPrior()
	comp := hi*cs.sw - cs.t
	if !both(1, [][2]float64{{hSW, hSW * est}, {hSW, hSW * mid}, {hSW, hSW * lo}, {hSW, hSW * hi}}) {
		return false
	}
	// The total moves by b; down only as far as it is above what is known.
	dirs := [][2]float64{{0, hT}}
	for _, m := range []float64{hi, mid, est} {
		if m > 0 {
			dirs = append(dirs, [2]float64{hT / m, hT})
		}
	}
	if !both(down(cs.t, hT, plo), dirs) {
		return false
	}
	// The complement hi·a − b moves by hC; down only while it is above 0.
	return both(down(comp, hC, 0), [][2]float64{{0, -hC}, {hC / (hi - lo), hC * lo / (hi - lo)}})
}

// badCorner is the cost of a corner that cannot move far enough: more than
// any number of respondents, so that a cube without such corners is chosen
// whenever there is one.
const badCorner = 1e12

// room reports whether corner c of a cube for s can move by s's protection
// both ways: in sum of weights, and in weighted total within its bounds.
func (tb *tableState) room(s, c int32) bool {
	if s == c {
		return true
	}
	cs, cc := &tb.cells[s], &tb.cells[c]
	hSW, hT, hC := tb.need(cs)
	h := math.Max(hT, hC)
	if cc.sw < hSW {
		return false
	}
	if tb.bounded && (cc.t-tb.lo*cc.sw < h || tb.hi*cc.sw-cc.t < h) {
		return false
	}
	return true
}

// forCorners calls f with every corner of s's cube: the cell, or −1 when
// no such cell was given (present says whether its group set was).
func (tb *tableState) forCorners(s int32, cube []cubeOpt, f func(c int32, present bool)) {
	cs := &tb.cells[s]
	var diffMask uint64
	for d, o := range cube {
		if o.diff {
			diffMask |= 1 << uint(d)
		}
	}
	co := make([]int32, len(cube))
	for _, g := range tb.masks {
		if diffMask&^g != 0 {
			continue
		}
		var diffs []int
		for d, o := range cube {
			switch {
			case g&(1<<uint(d)) == 0:
				co[d] = tb.total[d]
			case o.diff:
				diffs = append(diffs, d)
				co[d] = cs.coords[d]
			default:
				co[d] = o.lvl
			}
		}
		for bitsSet := 0; bitsSet < 1<<len(diffs); bitsSet++ {
			for i, d := range diffs {
				if bitsSet&(1<<i) != 0 {
					co[d] = cube[d].lvl
				} else {
					co[d] = cs.coords[d]
				}
			}
			if c, ok := tb.byKey[tb.key(co)]; ok {
				f(c, true)
			} else {
				f(-1, true)
			}
		}
	}
}

// startNeighbours is how many suppressed neighbours per dimension the first
// neighbourhood takes in (more find protection already there, but make
// the linear programs larger).
const startNeighbours = 1
