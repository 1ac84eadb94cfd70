package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPanelDeterministic writes the same small panel with one and with three
// workers and compares every file byte for byte; the counts follow from the
// options.
func TestPanelDeterministic(t *testing.T) {
	opts := PanelOptions{Years: 2, Residents: 3000, Seed: 7, Workers: 1}
	a, b := t.TempDir(), t.TempDir()
	sa, err := WritePanel(opts, a)
	if err != nil {
		t.Fatal(err)
	}
	opts.Workers = 3
	sb, err := WritePanel(opts, b)
	if err != nil {
		t.Fatal(err)
	}
	if *sa != *sb {
		t.Fatalf("summaries differ: %+v and %+v", sa, sb)
	}
	if sa.Rows != 6000 || sa.Residents != 3000 || sa.Files != 2*int64(len(norway)) {
		t.Fatalf("summary %+v: want 6000 rows of 3000 residents in %d files", sa, 2*len(norway))
	}
	files, err := filepath.Glob(filepath.Join(a, "year=*", "municipality=*", "*.parquet"))
	if err != nil || int64(len(files)) != sa.Files {
		t.Fatalf("%d files on disk (%v), summary says %d", len(files), err, sa.Files)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(a, f)
		x, err1 := os.ReadFile(f)
		y, err2 := os.ReadFile(filepath.Join(b, rel))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Fatalf("%s differs between 1 and 3 workers (%v, %v)", rel, err1, err2)
		}
	}
	opts.Seed = 8
	c := t.TempDir()
	if _, err := WritePanel(opts, c); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(files[0])
	rel, _ := filepath.Rel(a, files[0])
	y, _ := os.ReadFile(filepath.Join(c, rel))
	if bytes.Equal(x, y) {
		t.Fatalf("%s is the same for seeds 7 and 8", rel)
	}
}

func TestPanelSizes(t *testing.T) {
	ms := nationalMunicipalities()
	for _, n := range []int{714, 1000, 123457} {
		sizes := panelSizes(ms, n)
		total := 0
		for k, s := range sizes {
			if s < 2 {
				t.Fatalf("%d residents: municipality %d gets %d", n, ms[k].code, s)
			}
			total += s
		}
		if total != n {
			t.Fatalf("%d residents shared as %d", n, total)
		}
	}
	if err := (PanelOptions{Years: 0, Residents: 1000}).Check(); err == nil {
		t.Fatal("0 years accepted")
	}
	if err := (PanelOptions{Years: 2, Residents: 10}).Check(); err == nil {
		t.Fatal("10 residents accepted")
	}
}
