package disclose

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// runGroupSets are the 12 group sets of a socap run: the whole sample, four
// variables alone, and crossings of two and three with municipality.
var runGroupSets = [][]string{
	{}, {"kommune"}, {"bakgrunn"}, {"kjonn"}, {"alder"},
	{"kommune", "bakgrunn"}, {"kommune", "kjonn"}, {"kommune", "alder"}, {"bakgrunn", "kjonn"},
	{"bakgrunn", "alder"}, {"kommune", "bakgrunn", "kjonn"}, {"kommune", "bakgrunn", "alder"},
}

// synthRun makes the tables of a run on a synthetic survey: 7 indicators
// (4 proportions, 3 POMP means) × 2 waves × runGroupSets, over
// municipalities whose sizes follow Zipf's law (a few large towns, many
// small ones), 15 % immigrants, two genders and four age groups.
func synthRun(seed uint64, respondents, municipalities int) []Table {
	rng := rand.New(rand.NewPCG(seed, 7))
	share := make([]float64, municipalities)
	sum := 0.0
	for i := range share {
		share[i] = 1 / math.Pow(float64(i+1), 0.9)
		sum += share[i]
	}
	age := []float64{0.3, 0.3, 0.25, 0.15}
	type fine struct {
		m, b, g, a int
		n          int
		w          float64 // mean weight
	}
	var cells []fine
	for m := range share {
		nm := float64(respondents) * share[m] / sum
		w := (1 + 0.2*rng.Float64()) * 5.5e6 / float64(respondents)
		for b, pb := range []float64{0.85, 0.15} {
			for g := 0; g < 2; g++ {
				for a, pa := range age {
					mean := nm * pb * 0.5 * pa
					n := int(math.Max(0, math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
					if n > 0 {
						cells = append(cells, fine{m, b, g, a, n, w * (0.9 + 0.2*rng.Float64())})
					}
				}
			}
		}
	}
	var tables []Table
	for ind := 0; ind < 7; ind++ {
		kind := Proportion
		if ind >= 4 {
			kind = Mean
		}
		for wave := 1; wave <= 2; wave++ {
			base := 0.1 + 0.8*rng.Float64()
			type acc struct {
				n, attr int
				sw, t   float64
			}
			sums := make([]map[[4]int]*acc, len(runGroupSets))
			for i := range sums {
				sums[i] = map[[4]int]*acc{}
			}
			for _, c := range cells {
				p := math.Min(0.99, math.Max(0.01, base+0.05*rng.NormFloat64()))
				attr := binomial(rng, c.n, p)
				sw := float64(c.n) * c.w
				t := sw * float64(attr) / float64(c.n)
				if kind == Mean {
					t = sw * 100 * p
				}
				for gi, gs := range runGroupSets {
					key := [4]int{-1, -1, -1, -1}
					for _, v := range gs {
						switch v {
						case "kommune":
							key[0] = c.m
						case "bakgrunn":
							key[1] = c.b
						case "kjonn":
							key[2] = c.g
						case "alder":
							key[3] = c.a
						}
					}
					a := sums[gi][key]
					if a == nil {
						a = &acc{}
						sums[gi][key] = a
					}
					a.n += c.n
					a.attr += attr
					a.sw += sw
					a.t += t
				}
			}
			tab := Table{Indicator: fmt.Sprintf("indicator%d", ind), Wave: fmt.Sprint(wave), Kind: kind}
			if kind == Mean {
				tab.Max = 100
			}
			for gi, gs := range runGroupSets {
				for key, a := range sums[gi] {
					c := Cell{Vars: gs, N: a.n, NAttr: a.attr, Estimate: a.t / a.sw, SumWeights: a.sw}
					for _, v := range gs {
						switch v {
						case "kommune":
							c.Values = append(c.Values, fmt.Sprintf("k%03d", key[0]))
						case "bakgrunn":
							c.Values = append(c.Values, []string{"majority", "immigrant"}[key[1]])
						case "kjonn":
							c.Values = append(c.Values, []string{"man", "woman"}[key[2]])
						case "alder":
							c.Values = append(c.Values, fmt.Sprintf("age%d", key[3]))
						}
					}
					tab.Cells = append(tab.Cells, c)
				}
			}
			tables = append(tables, tab)
		}
	}
	return tables
}

// binomial draws the number with the attribute among n respondents.
func binomial(rng *rand.Rand, n int, p float64) int {
	if n > 200 {
		sd := math.Sqrt(float64(n) * p * (1 - p))
		return int(math.Min(float64(n), math.Max(0, math.Round(float64(n)*p+sd*rng.NormFloat64()))))
	}
	k := 0
	for i := 0; i < n; i++ {
		if rng.Float64() < p {
			k++
		}
	}
	return k
}

// BenchmarkRun times Apply on all tables of a 1,000,000-respondent run,
// for 13 municipalities and for the national 357, and of a 5,000-respondent
// survey of 13 municipalities (the size of a municipal survey, where most
// suppression happens), and reports the information loss.
func BenchmarkRun(b *testing.B) {
	for _, c := range []struct{ respondents, municipalities int }{{1_000_000, 13}, {1_000_000, 357}, {200_000, 357}, {5_000, 13}} {
		b.Run(fmt.Sprintf("respondents=%d/municipalities=%d", c.respondents, c.municipalities), func(b *testing.B) {
			tables := synthRun(1, c.respondents, c.municipalities)
			cells := 0
			for _, t := range tables {
				cells += len(t.Cells)
			}
			var rep Report
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if _, rep, err = Apply(tables, DefaultRules()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cells), "cells")
			b.ReportMetric(float64(rep.Totals.Primary), "primary")
			b.ReportMetric(float64(rep.Totals.Secondary), "secondary")
			b.ReportMetric(100*rep.Totals.CellShare, "%cells")
			b.ReportMetric(100*rep.Totals.PopulationShare, "%population")
			b.ReportMetric(float64(rep.Unprotected), "unprotected")
		})
	}
}
