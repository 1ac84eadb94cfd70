package survey

import (
	"math"
)

// modelCol is a model-matrix column over the complete rows: numeric values x (read
// only: without missing rows a plain numeric column is the frame's own slice), or,
// with x nil, the intercept (codes nil) or the indicator codes[r] == level of a
// factor level, which pass expands a block at a time instead of keeping n floats.
type modelCol struct {
	x     []float64
	codes []int32
	level int32
	n     int
}

// ones is the intercept's block of passBlock rows (read only).
var ones = func() []float64 {
	v := make([]float64, passBlock)
	for r := range v {
		v[r] = 1
	}
	return v
}()

// block returns the column's rows lo..hi, written to buf (of length hi − lo) unless
// the column holds its values.
func (c modelCol) block(lo, hi int, buf []float64) []float64 {
	switch {
	case c.x != nil:
		return c.x[lo:hi]
	case c.codes == nil:
		if hi-lo <= len(ones) {
			return ones[:hi-lo]
		}
		buf = buf[:hi-lo]
		for r := range buf {
			buf[r] = 1
		}
	default:
		buf = buf[:hi-lo]
		indicator(buf, c.codes[lo:hi], c.level)
	}
	return buf
}

// indicatorGo is indicator in Go, without a branch per row.
func indicatorGo(dst []float64, codes []int32, level int32) {
	codes = codes[:len(dst)]
	for r, k := range codes {
		d := int64(k ^ level) // 0 on the level
		ne := uint64((d | -d) >> 63)
		dst[r] = math.Float64frombits(^ne & 0x3ff0000000000000) // 1 or 0
	}
}

// values returns the whole column (a new slice for the intercept and factor levels).
func (c modelCol) values() []float64 {
	if c.x != nil {
		return c.x
	}
	return c.block(0, c.n, make([]float64, c.n))
}

// full reports whether every frame row is complete.
func (m *modelSpec) full() bool { return len(m.rows) == len(m.vars[0].num) }

// gather returns a frame column's values on the complete rows: v itself (read only)
// when every row is complete.
func (m *modelSpec) gather(v []float64) []float64 {
	if m.full() {
		return v
	}
	out := make([]float64, len(m.rows))
	for r, i := range m.rows {
		out[r] = v[i]
	}
	return out
}

// spread is the reverse of gather: values on the complete rows spread over the frame's
// rows, NaN on the others (v itself when every row is complete).
func (m *modelSpec) spread(v []float64) []float64 {
	if m.full() {
		return v
	}
	out := make([]float64, len(m.vars[0].num))
	for i := range out {
		out[i] = math.NaN()
	}
	for r, i := range m.rows {
		out[i] = v[r]
	}
	return out
}

// columns returns the model-matrix columns over the complete rows (the columns of
// matrix) and the response. Without missing rows, a plain numeric column and the
// response are the frame's own slices, not copies: read only.
func (m *modelSpec) columns() (cols []modelCol, y []float64) {
	n := len(m.rows)
	full := m.full()
	gather := m.gather
	codes := map[int][]int32{} // factor codes over the complete rows, by variable
	y = gather(m.vars[0].num)
	cols = make([]modelCol, len(m.cols))
	for j, parts := range m.cols {
		switch {
		case len(parts) == 0: // the intercept
			cols[j] = modelCol{n: n}
			continue
		case len(parts) == 1 && parts[0].level < 0:
			cols[j] = modelCol{x: gather(m.vars[parts[0].v].num), n: n}
			continue
		case len(parts) == 1: // a factor level's indicator
			v := parts[0].v
			cs, ok := codes[v]
			if !ok {
				cs = m.vars[v].codes
				if !full {
					cs = make([]int32, n)
					for r, i := range m.rows {
						cs[r] = m.vars[v].codes[i]
					}
				}
				codes[v] = cs
			}
			cols[j] = modelCol{codes: cs, level: parts[0].level, n: n}
			continue
		}
		c := make([]float64, n)
		cols[j] = modelCol{x: c, n: n}
		parallelRows(n, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				i := m.rows[r]
				v := 1.0
				for _, pt := range parts {
					mv := m.vars[pt.v]
					if pt.level < 0 {
						v *= mv.num[i]
					} else if mv.codes[i] != pt.level {
						v = 0
						break
					}
				}
				c[r] = v
			}
		})
	}
	return cols, y
}
