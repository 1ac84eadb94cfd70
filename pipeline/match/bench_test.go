package match

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMatch is the size: 5,000 newcomers and 2,000 mentors
// with capacities 1–3 in one municipality set, everything from reading the
// people on (scoring 10 million pairs, the exact assignment, explanations,
// fairness). "travel" spreads the same people over 10 municipalities 5–50
// minutes apart under a 45-minute limit, one region linked by travel.
func BenchmarkMatch(b *testing.B) {
	r := rand.New(rand.NewPCG(16, 4))
	ns, ms := randomPeople(r, 5000, 2000)
	for i := range ns {
		ns[i].Municipality = "Herøy"
	}
	for j := range ms {
		ms[j].Municipality = "Herøy"
	}
	rarity := DefaultOptions
	rarity.Rarity = true
	for _, o := range []struct {
		name string
		o    Options
	}{{"jaccard", DefaultOptions}, {"rarity", rarity}} {
		b.Run(o.name, func(b *testing.B) {
			for b.Loop() {
				res := Match(ns, ms, o.o)
				b.ReportMetric(float64(len(res.Pairs)), "pairs")
			}
		})
	}

	munis := make([]string, 10)
	for k := range munis {
		munis[k] = fmt.Sprintf("K%02d", k)
	}
	travel := &Travel{minutes: map[[2]string]float64{}}
	for i, a := range munis {
		for _, c := range munis[i+1:] {
			travel.minutes[[2]string{a, c}] = float64(5 + r.IntN(46))
		}
	}
	tns, tms := append([]Newcomer(nil), ns...), append([]Mentor(nil), ms...)
	for i := range tns {
		tns[i].Municipality = munis[r.IntN(len(munis))]
	}
	for j := range tms {
		tms[j].Municipality = munis[r.IntN(len(munis))]
	}
	o := DefaultOptions
	o.Travel, o.MaxMinutes, o.TravelDiscount = travel, 45, DefaultTravelDiscount
	b.Run("travel", func(b *testing.B) {
		for b.Loop() {
			res := Match(tns, tms, o)
			b.ReportMetric(float64(len(res.Pairs)), "pairs")
		}
	})
}
