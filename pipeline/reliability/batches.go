package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"socap/indicators/scale"
	"socap/indicators/survey"
	"socap/pipeline"
	"socap/pipeline/design"
	"socap/pipeline/disclose"
)

// The duckdb producer's path: the respondents stay in the store and are read a
// batch at a time (design.Tables, load.Table.Batches), their items' Moments
// gathered per group across batches (scale.Accumulator), so that memory is one
// batch and the moments, not the respondents. The tables equal the in-memory
// path's, bit for bit: the same sums in the same order, groups in the order
// groupCodes gives all the rows at once.

// batchRows is how many respondents the batched path reads at a time.
var batchRows = 64 * 1024

// batchGroups codes the groups of one group set across batches: a group's id
// is the order in which the batches first show it.
type batchGroups struct {
	set    []string
	index  map[string]int32
	values [][]string
}

func newBatchGroups(set []string) *batchGroups {
	return &batchGroups{set: set, index: map[string]int32{}}
}

// codes are the batch's respondents' group ids, −1 for none.
func (b *batchGroups) codes(f *survey.Frame) ([]int32, error) {
	local, values, err := groupCodes(f, b.set)
	if err != nil {
		return nil, err
	}
	id := make([]int32, len(values))
	for g, v := range values {
		key := strings.Join(v, "\x00")
		k, ok := b.index[key]
		if !ok {
			k = int32(len(b.values))
			b.index[key] = k
			b.values = append(b.values, v)
		}
		id[g] = k
	}
	for i, c := range local {
		if c >= 0 {
			local[i] = id[c]
		}
	}
	return local, nil
}

// order lists the group ids in groupCodes's order: by each variable's level, as
// survey.Frame.Codes orders the levels of all the rows (survey.SortLabels).
func (b *batchGroups) order() []int32 {
	rank := make([]map[string]int, len(b.set))
	for j := range b.set {
		var labels []string
		for _, v := range b.values {
			labels = append(labels, v[j])
		}
		slices.Sort(labels)
		labels = slices.Compact(labels)
		survey.SortLabels(labels)
		rank[j] = make(map[string]int, len(labels))
		for r, l := range labels {
			rank[j][l] = r
		}
	}
	ids := make([]int32, len(b.values))
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortFunc(ids, func(x, y int32) int {
		for j := range b.set {
			if d := rank[j][b.values[x][j]] - rank[j][b.values[y][j]]; d != 0 {
				return d
			}
		}
		return 0
	})
	return ids
}

// batchedSet gathers one group set's Moments for every dimension.
type batchedSet struct {
	groups   *batchGroups
	acc      []*scale.Accumulator // by dimension
	weighted bool
}

// add gathers a batch whose items are items[dimension].
func (bs *batchedSet) add(f *survey.Frame, items [][][]float64, weights []float64) error {
	codes, err := bs.groups.codes(f)
	if err != nil {
		return err
	}
	if !bs.weighted {
		weights = nil
	}
	for d, a := range bs.acc {
		if err := a.Add(items[d], weights, codes, len(bs.groups.values)); err != nil {
			return err
		}
	}
	return nil
}

// moments are dimension d's Moments, named and in groupCodes's order, with the
// groups' values.
func (bs *batchedSet) moments(d int) ([]*scale.Moments, [][]string) {
	all := bs.acc[d].Moments()
	var ms []*scale.Moments
	var values [][]string
	for _, id := range bs.groups.order() {
		m := all[id]
		m.Group = groupLabel(bs.groups.set, bs.groups.values[id])
		ms = append(ms, m)
		values = append(values, bs.groups.values[id])
	}
	return ms, values
}

// batched computes the reliability groups and invariance models of every wave from
// the store's tables a batch at a time, and the number of waves. It returns design.ErrCalibrated (the
// weights are not in the store) or errNoWeightColumn for the in-memory path to
// take over.
func (s *Stage) batched(ctx context.Context, env *pipeline.Env, dims []Dimension, inputs, text []string, sets [][]string, invVar string, rules disclose.Rules) ([]groupRow, []modelRow, int, error) {
	tables, err := design.Tables(ctx, env, inputs, text)
	if err != nil {
		return nil, nil, 0, err
	}
	defer func() {
		for _, t := range tables {
			t.Drop(context.WithoutCancel(ctx))
		}
	}()
	var rel []groupRow
	var inv []modelRow
	for _, tw := range tables {
		weight := tw.Spec.Weights
		if weight == "" && len(tw.Spec.FPC) > 0 {
			return nil, nil, 0, errNoWeightColumn
		}
		var all []*batchedSet
		newSet := func(set []string, weighted bool) (*batchedSet, error) {
			bs := &batchedSet{groups: newBatchGroups(set), weighted: weighted}
			for _, dim := range dims {
				a, err := scale.NewAccumulator(dim.Names())
				if err != nil {
					return nil, fmt.Errorf("%s: %w", dim.ID, err)
				}
				bs.acc = append(bs.acc, a)
			}
			all = append(all, bs)
			return bs, nil
		}
		for _, set := range sets {
			if _, err := newSet(set, true); err != nil {
				return nil, nil, 0, err
			}
		}
		var invSet *batchedSet
		if invVar != "" {
			if invSet, err = newSet([]string{invVar}, false); err != nil {
				return nil, nil, 0, err
			}
		}
		cols := slices.Concat(inputs, text)
		if weight != "" {
			cols = append(cols, weight)
		}
		err := tw.Table.Batches(ctx, cols, batchRows, func(f *survey.Frame) error {
			s.rows += int64(f.Rows())
			var weights []float64
			if weight != "" {
				var err error
				if weights, err = f.Float(weight); err != nil {
					return err
				}
			}
			items := make([][][]float64, len(dims))
			for d, dim := range dims {
				var err error
				if items[d], err = dim.ItemColumns(f, inputs); err != nil {
					return err
				}
			}
			for _, bs := range all {
				if err := bs.add(f, items, weights); err != nil {
					return fmt.Errorf("by %s: %w", setName(bs.groups.set), err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, 0, fmt.Errorf("wave %d: %w", tw.Wave, err)
		}
		for d, dim := range dims {
			for _, bs := range all[:len(sets)] {
				ms, values := bs.moments(d)
				for g, m := range ms {
					rel = append(rel, groupRow{dimension: dim.ID, wave: tw.Wave, set: bs.groups.set, values: values[g], items: dim.Names(), moments: m})
				}
			}
			if invSet != nil {
				ms, values := invSet.moments(d)
				inv = append(inv, invarianceRows(dim, tw.Wave, invVar, ms, values, rules)...)
			}
		}
	}
	return rel, inv, len(tables), nil
}

// errNoWeightColumn: a design whose weights come from its fpc has them computed
// by the engine, not in a column the batches can read.
var errNoWeightColumn = fmt.Errorf("the design's weights come from its fpc (no weight column), which the engine computes in memory")
