package synth_test

import (
	"bytes"
	"fmt"
	"log"

	"socap/pipeline/synth"
)

// Generate a two-wave survey into memory as CSV and look up a true value.
func ExampleGenerate() {
	var wave1, wave2 bytes.Buffer
	w1, err := synth.NewCSVWriter(&wave1)
	if err != nil {
		log.Fatal(err)
	}
	w2, err := synth.NewCSVWriter(&wave2)
	if err != nil {
		log.Fatal(err)
	}
	truth, err := synth.Generate(synth.Options{Respondents: 1000, Waves: 2, Seed: 1}, []synth.RowWriter{w1, w2})
	if err != nil {
		log.Fatal(err)
	}
	if err := w1.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := w2.Flush(); err != nil {
		log.Fatal(err)
	}
	employed, _ := truth.Find(1, "employed", map[string]string{"background": "2"})
	fmt.Printf("population %d, respondents %v\n", truth.Population, truth.Achieved)
	fmt.Printf("immigrants employed at baseline: %.3f of %.0f\n", employed.Value, employed.Population)
	// Output:
	// population 332400, respondents [470 504]
	// immigrants employed at baseline: 0.572 of 36955
}
