package survey

import (
	"fmt"
	"sort"
)

// domains codes every row by its crossing of the by-variables, as svyby: one domain per
// combination present in the data, ordered by the first variable's levels, then the
// second's, and so on (levels sorted numerically when all numeric). A row with a
// missing by-value belongs to no domain (code −1), and so does a combination present
// only in rows of weight zero (the rows a subset left out): svyby enumerates its groups
// among the rows with non-zero sampling weight.
type domains struct {
	code   []int32
	labels [][]string // per domain, the value of each by-variable
	by     []string
}

func (d *Design) domains(by []string) (*domains, error) {
	n := d.n
	dm := &domains{code: make([]int32, n), by: by}
	if len(by) == 0 {
		dm.labels = [][]string{nil}
		return dm, nil
	}
	key := make([]uint64, n)
	var levels [][]string
	radix := uint64(1)
	for _, name := range by {
		c, labs, err := d.frame.Codes(name)
		if err != nil {
			return nil, fmt.Errorf("by: %w", err)
		}
		size := uint64(len(labs))
		if size > 0 && radix > (1<<62)/size {
			return nil, fmt.Errorf("by: too many crossings of %v", by)
		}
		for i, x := range c {
			if x < 0 || key[i] == ^uint64(0) {
				key[i] = ^uint64(0)
				continue
			}
			key[i] = key[i]*size + uint64(x)
		}
		radix *= max(size, 1)
		levels = append(levels, labs)
	}
	keys, index := presentKeys(key, radix)
	for _, k := range keys {
		lab := make([]string, len(by))
		for j := len(by) - 1; j >= 0; j-- {
			size := uint64(len(levels[j]))
			lab[j] = levels[j][k%size]
			k /= size
		}
		dm.labels = append(dm.labels, lab)
	}
	for i, k := range key {
		if k == ^uint64(0) {
			dm.code[i] = -1
		} else {
			dm.code[i] = index(k)
		}
	}
	if d.w != nil {
		dm.dropWeightless(d.w)
	}
	return dm, nil
}

// dropWeightless removes the domains none of whose rows has a non-zero weight w,
// unless that is every domain (then Estimate's zero-weight error says so).
func (dm *domains) dropWeightless(w []float64) {
	weighted := make([]bool, len(dm.labels))
	for i, c := range dm.code {
		if c >= 0 && w[i] != 0 {
			weighted[c] = true
		}
	}
	next := make([]int32, len(dm.labels))
	var labels [][]string
	for k, ok := range weighted {
		next[k] = -1
		if ok {
			next[k] = int32(len(labels))
			labels = append(labels, dm.labels[k])
		}
	}
	if len(labels) == len(dm.labels) || len(labels) == 0 {
		return
	}
	for i, c := range dm.code {
		if c >= 0 {
			dm.code[i] = next[c]
		}
	}
	dm.labels = labels
}

// byMap returns domain dd's by-values keyed by variable (nil without by-variables).
func (dm *domains) byMap(dd int) map[string]string {
	if len(dm.by) == 0 {
		return nil
	}
	m := make(map[string]string, len(dm.by))
	for j, name := range dm.by {
		m[name] = dm.labels[dd][j]
	}
	return m
}

// presentKeys returns the distinct keys (all but ^0) in increasing order and a function
// giving each key's position: a dense table when the key space is small, a map otherwise.
func presentKeys(key []uint64, radix uint64) ([]uint64, func(uint64) int32) {
	if radix <= 1<<22 {
		pos := make([]int32, radix)
		for _, k := range key {
			if k != ^uint64(0) {
				pos[k] = 1
			}
		}
		var keys []uint64
		for k, p := range pos {
			if p != 0 {
				pos[k] = int32(len(keys))
				keys = append(keys, uint64(k))
			}
		}
		return keys, func(k uint64) int32 { return pos[k] }
	}
	pos := map[uint64]int32{}
	for _, k := range key {
		if k != ^uint64(0) {
			pos[k] = 0
		}
	}
	keys := make([]uint64, 0, len(pos))
	for k := range pos {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for i, k := range keys {
		pos[k] = int32(i)
	}
	return keys, func(k uint64) int32 { return pos[k] }
}
