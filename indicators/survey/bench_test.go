package survey

import (
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system time: reported per op next to wall time, since
// the machine running benchmarks is often shared.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchFrame generates n respondents in 357 strata of about 39 PSUs each (≈14,000
// PSUs), 6 numeric variables with a PSU effect and a 10-level domain.
func benchFrame(tb testing.TB, n int) *Frame {
	tb.Helper()
	const strata, psuPerStratum, vars = 357, 39, 6
	rng := rand.New(rand.NewPCG(1, 2))
	str := make([]float64, n)
	psu := make([]float64, n)
	w := make([]float64, n)
	dom := make([]string, n)
	ys := make([][]float64, vars)
	for v := range ys {
		ys[v] = make([]float64, n)
	}
	labels := make([]string, 10)
	for i := range labels {
		labels[i] = "d" + strconv.Itoa(i)
	}
	for i := 0; i < n; i++ {
		h := rng.IntN(strata)
		p := h*psuPerStratum + rng.IntN(psuPerStratum)
		str[i] = float64(h)
		psu[i] = float64(p)
		w[i] = 50 + 100*rng.Float64()
		dom[i] = labels[rng.IntN(10)]
		for v := range ys {
			ys[v][i] = float64(p%7) + rng.NormFloat64()*float64(v+1)
		}
	}
	f := NewFrame()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(f.AddFloat("stratum", str))
	must(f.AddFloat("psu", psu))
	must(f.AddFloat("w", w))
	must(f.AddString("dom", dom))
	for v := range ys {
		must(f.AddFloat("y"+strconv.Itoa(v), ys[v]))
	}
	return f
}

// BenchmarkDomainMeans1M times all domain means with Taylor SEs (6 variables × 10
// domains) on 1,000,000 rows, the design built once beforehand.
func BenchmarkDomainMeans1M(b *testing.B) {
	f := benchFrame(b, 1_000_000)
	d, err := NewDesign(f, Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, Nest: true})
	if err != nil {
		b.Fatal(err)
	}
	var reqs []Request
	for v := 0; v < 6; v++ {
		reqs = append(reqs, mean("y"+strconv.Itoa(v)))
	}
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		recs, err := d.Estimate(reqs, Options{By: []string{"dom"}})
		if err != nil || len(recs) != 60 {
			b.Fatal(err, len(recs))
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDomainMeansRowPSUs1M is the same with every respondent its own PSU
// (ids=~1): a million units, so the cells are kept only where rows are.
func BenchmarkDomainMeansRowPSUs1M(b *testing.B) {
	f := benchFrame(b, 1_000_000)
	d, err := NewDesign(f, Spec{Weights: "w", Strata: "stratum"})
	if err != nil {
		b.Fatal(err)
	}
	var reqs []Request
	for v := 0; v < 6; v++ {
		reqs = append(reqs, mean("y"+strconv.Itoa(v)))
	}
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if _, err := d.Estimate(reqs, Options{By: []string{"dom"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDesignAndDomainMeans1M includes building the design and coding the domain
// variable (a fresh Frame each time, so no cached codes), as one CLI run does.
func BenchmarkDesignAndDomainMeans1M(b *testing.B) {
	f := benchFrame(b, 1_000_000)
	var reqs []Request
	for v := 0; v < 6; v++ {
		reqs = append(reqs, mean("y"+strconv.Itoa(v)))
	}
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		f = f.clone()
		d, err := NewDesign(f, Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, Nest: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Estimate(reqs, Options{By: []string{"dom"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// clone returns a Frame with the same columns and no cached codes.
func (f *Frame) clone() *Frame {
	g := NewFrame()
	for _, name := range f.order {
		if v, ok := f.num[name]; ok {
			g.AddFloat(name, v)
		} else {
			g.AddString(name, f.str[name])
		}
	}
	return g
}

// BenchmarkAreaContrasts times what the compare stage does per indicator and
// wave on a national survey: the mean of y0 in the whole sample and in each of
// 357 strata taken as areas (500,000 rows), and every area's difference from
// the whole sample with its overlap-aware SE.
func BenchmarkAreaContrasts(b *testing.B) {
	f := benchFrame(b, 500_000)
	d, err := NewDesign(f, Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, Nest: true})
	if err != nil {
		b.Fatal(err)
	}
	areas, err := d.GroupDomains("stratum")
	if err != nil {
		b.Fatal(err)
	}
	doms := append([]Domain{{Name: "all"}}, areas...)
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		ds, err := d.EstimateDomains(mean("y0"), doms)
		if err != nil {
			b.Fatal(err)
		}
		for k := 1; k < len(doms); k++ {
			if _, err := ds.Difference(k, 0, 0.95); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
