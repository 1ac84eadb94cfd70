package match

import "math"

// gainScale turns a quality in [0, 1] into the integer gain the assignment
// maximises: qualities equal to six decimals are ties, and integer sums make
// the optimum exact.
const gainScale = 1_000_000

// problem is a bipartite b-matching: each row takes at most one column,
// column j at most capacity[j] rows. gain[rowBase[i]*cols+j] is the gain of
// row i in column j, negative when the pair is not allowed; rows may share a
// base (the places of one mentor, when places are the rows).
type problem struct {
	rowBase  []int32
	cols     int
	capacity []int32
	gain     []int32
}

// solve returns, for each row, its column or -1 for none: of all
// assignments with the most pairs, one with the largest total gain.
//
// The objective is lexicographic through the cost of a pair,
// −(B + gain) with B = (K+1)·gainScale larger than any total gain of K
// pairs, K the most pairs there can be: one more pair always outweighs any
// loss of gain. "No column" is a column of unbounded capacity and cost 0.
//
// The method is the shortest augmenting path form of the Hungarian
// algorithm (Kuhn–Munkres with Dijkstra on reduced costs, as in Jonker and
// Volgenant 1987 and e-maxx's O(n²m) formulation), generalised to columns
// with capacity: a column that is full passes the search on to all rows it
// holds, and the search ends at the first column with room. Each row's
// phase is one Dijkstra over the columns with dense relaxation, so the run
// is O(n·m) per phase in the worst case and needs no heap. Ties are broken
// by the smallest reduced cost, then a column with room before a full one,
// then the smallest column index: the result depends only on the order of
// rows and columns, which the caller fixes by sorting on ids.
func solve(p problem) []int32 {
	n, m := len(p.rowBase), p.cols
	none := m // the column "no column"
	maxPairs := int64(0)
	for _, c := range p.capacity {
		maxPairs += int64(c)
	}
	maxPairs = min(maxPairs, int64(n))
	bonus := (maxPairs + 1) * gainScale
	const inf = math.MaxInt64

	u := make([]int64, n)
	v := make([]int64, m+1)
	col := make([]int32, n) // the column of each row, -1 while unassigned
	for i := range col {
		col[i] = -1
	}
	held := make([][]int32, m) // rows in each real column
	minv := make([]int64, m+1)
	way := make([]int32, m+1) // the tree row that reached each column
	used := make([]bool, m+1)
	var tree, usedCols []int32

	cost := func(i int32, j int) (int64, bool) {
		if j == none {
			return 0, true
		}
		g := p.gain[int(p.rowBase[i])*m+j]
		return -(bonus + int64(g)), g >= 0
	}
	relax := func(i int32) {
		ui := u[i]
		for j := 0; j <= m; j++ {
			if used[j] {
				continue
			}
			c, ok := cost(i, j)
			if !ok {
				continue
			}
			if r := c - ui - v[j]; r < minv[j] {
				minv[j], way[j] = r, i
			}
		}
	}
	hasRoom := func(j int) bool { return j == none || int32(len(held[j])) < p.capacity[j] }

	for s := range int32(n) {
		for j := range minv {
			minv[j], used[j] = inf, false
		}
		tree, usedCols = append(tree[:0], s), usedCols[:0]
		relax(s)
		var end int
		for {
			end = -1
			for j := 0; j <= m; j++ {
				if used[j] || minv[j] == inf {
					continue
				}
				if end < 0 || minv[j] < minv[end] || (minv[j] == minv[end] && hasRoom(j) && !hasRoom(end)) {
					end = j
				}
			}
			delta := minv[end]
			for _, i := range tree {
				u[i] += delta
			}
			for _, j := range usedCols {
				v[j] -= delta
			}
			for j := 0; j <= m; j++ {
				if !used[j] && minv[j] != inf {
					minv[j] -= delta
				}
			}
			if hasRoom(end) {
				break
			}
			used[end] = true
			usedCols = append(usedCols, int32(end))
			for _, i := range held[end] {
				tree = append(tree, i)
				relax(i)
			}
		}
		// Augment: each row on the path moves to the column it reached.
		for j := end; ; {
			i := way[j]
			prev := col[i]
			col[i] = int32(j)
			if j != none {
				held[j] = append(held[j], i)
			}
			if prev < 0 {
				break
			}
			held[prev] = remove(held[prev], i)
			j = int(prev)
		}
	}
	for i, j := range col {
		if int(j) == none {
			col[i] = -1
		}
	}
	return col
}

// remove is rows without row i (which it holds once).
func remove(rows []int32, i int32) []int32 {
	for k, r := range rows {
		if r == i {
			return append(rows[:k], rows[k+1:]...)
		}
	}
	return rows
}
