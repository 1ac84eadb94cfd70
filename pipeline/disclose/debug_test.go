package disclose

import (
	"testing"
	"time"
)

func TestDebugRun(t *testing.T) {
	tables := synthRun(1, 1_000_000, 13)
	for ti := range tables {
	tb := newTableState(&tables[ti], DefaultRules())
	for i := range tb.cells {
		c := &tb.cells[i]
		if c.valid && c.status == Primary {
			t0 := time.Now()
			before := 0
			for j := range tb.cells { if tb.cells[j].status == Secondary { before++ } }
			area := tb.startArea(int32(i))
			var unk []int32
			for _, x := range tb.areaCells(area) { if tb.suppressed(x) { unk = append(unk, x) } }
			m := tb.newLP(unk)
			r, cc := 0, 0
			if m.a != nil { r, cc = m.a.Dims() }
			ok := tb.protect(int32(i))
			after := 0
			for j := range tb.cells { if tb.cells[j].status == Secondary { after++ } }
			t.Logf("%s n=%d rels=%d unk0=%d lp0=%dx%d ok=%v added=%d %v", c.label, c.n, len(c.rels), len(unk), r, cc, ok, after-before, time.Since(t0))
		}
	}
}
}
