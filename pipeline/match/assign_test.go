package match

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteForce is the best (pairs, gain) over every assignment of p.
func bruteForce(p problem) (pairs int, gain int64) {
	load := make([]int32, p.cols)
	var walk func(i, k int, g int64)
	walk = func(i, k int, g int64) {
		if i == len(p.rowBase) {
			if k > pairs || (k == pairs && g > gain) {
				pairs, gain = k, g
			}
			return
		}
		walk(i+1, k, g)
		for j := range p.cols {
			if x := p.gain[int(p.rowBase[i])*p.cols+j]; x >= 0 && load[j] < p.capacity[j] {
				load[j]++
				walk(i+1, k+1, g+int64(x))
				load[j]--
			}
		}
	}
	walk(0, 0, 0)
	return pairs, gain
}

// randomProblem has up to 5 bases of one or two rows each (as a mentor's
// places share the mentor's gains) and up to 4 columns with capacities 1–3;
// gains are a few values so that ties are common, and about a fifth of the
// pairs are not allowed.
func randomProblem(r *rand.Rand) problem {
	bases, cols := 1+r.IntN(5), 1+r.IntN(4)
	p := problem{cols: cols, capacity: make([]int32, cols), gain: make([]int32, bases*cols)}
	for b := range bases {
		for range 1 + r.IntN(2) {
			p.rowBase = append(p.rowBase, int32(b))
		}
	}
	for j := range p.capacity {
		p.capacity[j] = int32(1 + r.IntN(3))
	}
	for k := range p.gain {
		if r.IntN(5) == 0 {
			p.gain[k] = -1
		} else {
			p.gain[k] = int32(r.IntN(4)) * gainScale / 4
		}
	}
	return p
}

// TestSolveMatchesBruteForce: on 3,000 random small instances the solver's
// assignment is valid (allowed pairs, capacities kept, every row at most
// once) and has as many pairs and as much gain as the best of all
// assignments.
func TestSolveMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 1))
	for n := range 3000 {
		p := randomProblem(r)
		got := solve(p)
		load := make([]int32, p.cols)
		pairs, gain := 0, int64(0)
		for i, j := range got {
			if j < 0 {
				continue
			}
			g := p.gain[int(p.rowBase[i])*p.cols+int(j)]
			if g < 0 {
				t.Fatalf("instance %d: row %d in column %d, a pair not allowed", n, i, j)
			}
			load[j]++
			pairs++
			gain += int64(g)
		}
		for j, l := range load {
			if l > p.capacity[j] {
				t.Fatalf("instance %d: column %d holds %d rows, capacity %d", n, j, l, p.capacity[j])
			}
		}
		wantPairs, wantGain := bruteForce(p)
		if pairs != wantPairs || gain != wantGain {
			t.Fatalf("instance %d (%+v): %d pairs, gain %d; brute force %d pairs, gain %d", n, p, pairs, gain, wantPairs, wantGain)
		}
	}
}

// TestSolvePrefersMorePairs: two rows, one column each could take; the
// first row is better in column 0 but only it can use column 1, so the
// optimum gives up gain for a second pair.
func TestSolvePrefersMorePairs(t *testing.T) {
	p := problem{rowBase: []int32{0, 1}, cols: 2, capacity: []int32{1, 1},
		gain: []int32{gainScale, 0, gainScale / 2, -1}}
	got := solve(p)
	if got[0] != 1 || got[1] != 0 {
		t.Errorf("got %v, want [1 0]", got)
	}
}

// TestSolveDeterministicTies: all gains equal; the result is the same on
// every call and fills columns in index order.
func TestSolveDeterministicTies(t *testing.T) {
	p := problem{rowBase: []int32{0, 1, 2}, cols: 3, capacity: []int32{1, 1, 1}, gain: make([]int32, 9)}
	first := solve(p)
	for range 5 {
		if got := solve(p); !slices.Equal(got, first) {
			t.Fatalf("got %v, then %v", first, got)
		}
	}
	if !slices.Equal(first, []int32{0, 1, 2}) {
		t.Errorf("got %v, want [0 1 2]", first)
	}
}
