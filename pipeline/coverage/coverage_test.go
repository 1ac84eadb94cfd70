package coverage

import (
	"context"
	"maps"
	"slices"
	"testing"

	"socap/pipeline/synth"
)

// TestCoverage50k runs the pipeline on a 50,000-respondent synthetic survey
// over two waves and requires at least 90 % of the published cells' 95 %
// intervals to contain the population value, the programme's effects and
// the employment AMEs per origin group to be recovered within their
// intervals (all but one of each).
func TestCoverage50k(t *testing.T) {
	if testing.Short() {
		t.Skip("a 50,000-respondent pipeline run; skipped with -short")
	}
	r, err := Run(context.Background(), t.TempDir(), Options{Survey: synth.Options{Respondents: 50_000, Waves: 2, Seed: 2026}, Models: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range slices.Sorted(maps.Keys(r.Cells)) {
		c := r.Cells[id]
		t.Logf("%-24s %5d of %5d cells covered (%.1f %%)", id, c.Covered, c.Checked, 100*c.Share())
	}
	all := r.AllCells()
	t.Logf("all cells: %d of %d (%.1f %%); DiD %d of %d; AMEs %d of %d", all.Covered, all.Checked, 100*all.Share(), r.DiD.Covered, r.DiD.Checked, r.AMEs.Covered, r.AMEs.Checked)
	if all.Checked < 1000 || all.Share() < 0.90 {
		t.Errorf("%d of %d cells' intervals contain the truth (%.1f %%), want ≥ 90 %% of at least 1,000; first misses: %v", all.Covered, all.Checked, 100*all.Share(), r.Misses)
	}
	if len(r.Cells) < 7 {
		t.Errorf("cells of %d indicators checked, want every module's", len(r.Cells))
	}
	if r.DiD.Checked < 7 || r.DiD.Covered < r.DiD.Checked-1 {
		t.Errorf("programme effects: %d of %d covered", r.DiD.Covered, r.DiD.Checked)
	}
	if r.AMEs.Checked < 8 || r.AMEs.Covered < r.AMEs.Checked-1 {
		t.Errorf("employment AMEs per origin group: %d of %d covered", r.AMEs.Covered, r.AMEs.Checked)
	}
}
