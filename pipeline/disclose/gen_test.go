package disclose

import (
	"fmt"
	"math/rand/v2"
)

// genTable makes a table with every group set of the crossing of
// len(levels) variables (the full crossing and all its margins), from
// simulated respondents: cell sizes come from sizeOf, weights are uniform
// on 0.5..3, values are 0/1 for a proportion and 0..100 for a mean.
func genTable(rng *rand.Rand, name string, levels []int, kind Kind, sizeOf func() int) Table {
	k := len(levels)
	t := Table{Indicator: name, Wave: "1", Kind: kind}
	if kind == Mean {
		t.Min, t.Max = 0, 100
	}
	vars := make([]string, k)
	for d := range vars {
		vars[d] = fmt.Sprintf("v%d", d)
	}
	type acc struct {
		n, nAttr int
		sw, t    float64
	}
	cells := map[string]*acc{}
	keys := map[string][2][]string{}
	interior := 1
	for _, l := range levels {
		interior *= l
	}
	co := make([]int, k)
	for i := 0; i < interior; i++ {
		x := i
		for d := range co {
			co[d] = x % levels[d]
			x /= levels[d]
		}
		n := sizeOf()
		p := rng.Float64()
		switch rng.IntN(6) {
		case 0:
			p = 0.02
		case 1:
			p = 0.98
		}
		var sw, tt float64
		attr := 0
		for r := 0; r < n; r++ {
			w := 0.5 + 2.5*rng.Float64()
			sw += w
			if kind == Proportion {
				if rng.Float64() < p {
					attr++
					tt += w
				}
			} else {
				tt += w * 100 * p * rng.Float64()
			}
		}
		if n == 0 {
			continue
		}
		for mask := 0; mask < 1<<k; mask++ {
			var vs, vals []string
			for d := 0; d < k; d++ {
				if mask&(1<<d) != 0 {
					vs = append(vs, vars[d])
					vals = append(vals, fmt.Sprintf("l%02d", co[d]))
				}
			}
			key := fmt.Sprint(vs, vals)
			a := cells[key]
			if a == nil {
				a = &acc{}
				cells[key] = a
				keys[key] = [2][]string{vs, vals}
			}
			a.n += n
			a.nAttr += attr
			a.sw += sw
			a.t += tt
		}
	}
	for key, a := range cells {
		t.Cells = append(t.Cells, Cell{Vars: keys[key][0], Values: keys[key][1], N: a.n, NAttr: a.nAttr,
			Estimate: a.t / a.sw, SumWeights: a.sw})
	}
	sortCells(t.Cells)
	return t
}

func sortCells(cs []Cell) {
	// Deterministic order for the tests (Apply does not need it).
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && Label(cs[j]) < Label(cs[j-1]); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// smallCells draws cell sizes of which about a third are under 10 and a
// few are empty.
func smallCells(rng *rand.Rand) func() int {
	return func() int {
		switch r := rng.Float64(); {
		case r < 0.05:
			return 0
		case r < 0.35:
			return 1 + rng.IntN(9)
		case r < 0.8:
			return 10 + rng.IntN(30)
		default:
			return 40 + rng.IntN(200)
		}
	}
}

// randomLevels draws 1–3 variables of 2–15 levels, with at most maxCells
// cells in the full crossing so that the attacker's programs stay small.
func randomLevels(rng *rand.Rand, maxCells int) []int {
	for {
		k := 1 + rng.IntN(3)
		levels := make([]int, k)
		prod := 1
		for d := range levels {
			levels[d] = 2 + rng.IntN(14)
			prod *= levels[d]
		}
		if prod <= maxCells {
			return levels
		}
	}
}
