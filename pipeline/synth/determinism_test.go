package synth

import (
	"bytes"
	"runtime"
	"testing"
)

// TestSameSeedSameBytes generates twice with one seed, once on one core and
// once on several, and once with another seed.
func TestSameSeedSameBytes(t *testing.T) {
	opts := Options{Respondents: 2000, Waves: 2, Seed: 42}
	procs := runtime.GOMAXPROCS(1)
	a, ta := generateCSV(t, opts)
	runtime.GOMAXPROCS(max(procs, 4))
	b, tb := generateCSV(t, opts)
	runtime.GOMAXPROCS(procs)
	var ja, jb bytes.Buffer
	if err := ta.WriteJSON(&ja); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	for w := range a {
		if !bytes.Equal(a[w], b[w]) {
			t.Errorf("wave %d differs between two runs with seed 42", w+1)
		}
	}
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
		t.Error("truth.json differs between two runs with seed 42")
	}
	opts.BlankMissing = true
	blank, _ := generateCSV(t, opts)
	if len(blank[0]) >= len(a[0]) || bytes.Contains(blank[0], []byte(",98,")) {
		t.Error("BlankMissing still writes missing codes")
	}
	opts.Seed, opts.BlankMissing = 43, false
	c, _ := generateCSV(t, opts)
	if bytes.Equal(a[0], c[0]) {
		t.Error("seeds 42 and 43 give the same wave 1")
	}
}
