package match

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMatch is the size: 5,000 newcomers and 2,000 mentors
// with capacities 1–3 in one municipality set, everything from reading the
// people on (scoring 10 million pairs, the exact assignment, explanations,
// fairness).
func BenchmarkMatch(b *testing.B) {
	r := rand.New(rand.NewPCG(16, 4))
	ns, ms := randomPeople(r, 5000, 2000)
	for i := range ns {
		ns[i].Municipality = "Herøy"
	}
	for j := range ms {
		ms[j].Municipality = "Herøy"
	}
	for _, o := range []struct {
		name string
		o    Options
	}{{"jaccard", DefaultOptions}, {"rarity", Options{Interests: 0.4, Occupation: 0.4, Language: 0.2, Rarity: true, SameMunicipality: true, SharedLanguage: true, Preferences: true}}} {
		b.Run(o.name, func(b *testing.B) {
			for b.Loop() {
				res := Match(ns, ms, o.o)
				b.ReportMetric(float64(len(res.Pairs)), "pairs")
			}
		})
	}
}
