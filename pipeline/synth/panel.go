package synth

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// PanelOptions configure WritePanel.
type PanelOptions struct {
	Years     int    // years of the panel (1…50), from 2024 − Years + 1 to 2024
	Residents int    // residents over all 357 municipalities (rows = Residents × Years)
	Seed      uint64 // random seed; the files are a pure function of the options
	Workers   int    // municipalities written at once (0: GOMAXPROCS); not in the output
}

// Check refuses options WritePanel cannot honour.
func (o PanelOptions) Check() error {
	switch {
	case o.Years < 1 || o.Years > 50:
		return fmt.Errorf("panel: %d years: want 1 to 50", o.Years)
	case o.Residents < 2*len(norway):
		return fmt.Errorf("panel: %d residents: want at least %d (two per municipality)", o.Residents, 2*len(norway))
	}
	return nil
}

// PanelColumns are the columns of a panel file besides the hive partition keys year
// and municipality (in the path, year=Y/municipality=M/part-0.parquet).
var PanelColumns = []string{"person", "area", "areas_pop", "weight", "age", "female", "immigrant",
	"education", "region", "employed", "income", "trust", "health", "satisfaction", "volunteer"}

// PanelSummary describes the written panel.
type PanelSummary struct {
	Rows, Residents, Areas, Files int64
	Bytes                         int64 // on disk
}

// WritePanel writes a synthetic register panel to dir: every resident of the 357
// municipalities (sizes in proportion to nationalMunicipalities) in every year, one
// Parquet file per year and municipality. It reads as a two-stage sample: strata are
// the municipalities, PSUs the areas (about 400 residents, at least two per
// municipality), drawn at rate 1/3 (areas_pop = 3 × areas drawn, the first-stage fpc),
// residents within an area at a rate f_a ∈ [0.3, 0.7], so weight = 3/f_a × (0.8 + 0.4u)
// (u uniform, per resident, constant over the years).
//
// Per resident, drawn once: female ~ Bernoulli(1/2), immigrant ~ Bernoulli(immShare
// of the municipality), age in the first year uniform on 16…79, education 1…5
// (lower for immigrants), a latent employability e ~ N(0, 1) and trust propensity
// τ ~ N(0, 1). Per year t (age_t = age_0 + t):
//
//	trust_t   = clamp(round(6 + 1.2τ + 0.8ε − 0.6·immigrant + 0.3(education − 3)), 0, 10), missing w.p. 0.03
//	health_t  = clamp(round(4.2 − 0.025(age_t − 16) + 0.7ε′), 1, 5)
//	logit P(employed_t) = −5.2 + 0.30 age_t − 0.0036 age_t² − 0.30 female − 0.50 immigrant
//	                      + 0.25(education − 1) + 0.08 trust_t + 0.25 health_t + ρ_region + 0.8e
//	income_t  = exp(12.6 + 0.12 education + 0.4 employed_t + 0.45ε″) (missing w.p. 0.02)
//	satisfaction_t = clamp(round(7 + 0.15 trust_t + 0.3 employed_t + 0.3(health_t − 3) + 1.3ε‴), 0, 10), missing w.p. 0.05
//	volunteer_t ~ Bernoulli(logistic(−1.4 + 0.1 trust_t + 0.2 education))
//
// with ε… independent N(0, 1) and a missing trust left out of the employment and
// satisfaction predictors (taken as 6). region is the municipality's part of the
// country (1 Oslo and Viken, 2 Innlandet, 3 south and west, 4 Trøndelag, 5 north). The
// random numbers of municipality k come from PCG(seed, k) only, so municipalities are
// written in parallel and the bytes do not depend on Workers.
func WritePanel(opts PanelOptions, dir string) (*PanelSummary, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	ms := nationalMunicipalities()
	sizes := panelSizes(ms, opts.Residents)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sum := &PanelSummary{}
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	var wg sync.WaitGroup
	var person int64
	firstPerson := make([]int64, len(ms))
	for k, n := range sizes {
		firstPerson[k] = person
		person += int64(n)
	}
	for range workers {
		wg.Go(func() {
			for k := range next {
				s, err := writeMunicipality(opts, dir, k, &ms[k], sizes[k], firstPerson[k])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				sum.Rows += s.Rows
				sum.Residents += s.Residents
				sum.Areas += s.Areas
				sum.Files += s.Files
				sum.Bytes += s.Bytes
				mu.Unlock()
			}
		})
	}
	for k := range ms {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	return sum, firstErr
}

// panelSizes shares residents over the municipalities in proportion to their adults
// (largest remainders), at least two each.
func panelSizes(ms []municipality, residents int) []int {
	total := 0
	for _, m := range ms {
		total += m.adults
	}
	sizes := make([]int, len(ms))
	rem := make([]float64, len(ms))
	left := residents
	for k, m := range ms {
		x := float64(residents-2*len(ms)) * float64(m.adults) / float64(total)
		sizes[k] = 2 + int(x)
		rem[k] = x - math.Floor(x)
		left -= sizes[k]
	}
	for ; left > 0; left-- {
		best := 0
		for k := range rem {
			if rem[k] > rem[best] {
				best = k
			}
		}
		sizes[best]++
		rem[best] = -1
	}
	return sizes
}

// panelRegion is the part of the country of a municipality number.
func panelRegion(code int) int32 {
	switch county := code / 100; {
	case county == 3 || county == 31 || county == 32 || county == 33:
		return 1
	case county == 34:
		return 2
	case county == 50:
		return 4
	case county >= 18 && county < 30 || county >= 55:
		return 5
	}
	return 3
}

// panelResident is what a resident keeps over the years.
type panelResident struct {
	area                           int64
	weight                         float64
	age0                           int32
	female, immigrant, education   int32
	employability, trustPropensity float64
}

// panelSchema is the Arrow schema of a panel file.
func panelSchema() *arrow.Schema {
	types := map[string]arrow.DataType{"person": arrow.PrimitiveTypes.Int64, "area": arrow.PrimitiveTypes.Int64,
		"weight": arrow.PrimitiveTypes.Float64, "income": arrow.PrimitiveTypes.Float64}
	var fields []arrow.Field
	for _, c := range PanelColumns {
		t, ok := types[c]
		if !ok {
			t = arrow.PrimitiveTypes.Int32
		}
		fields = append(fields, arrow.Field{Name: c, Type: t, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// writeMunicipality writes municipality k's files, one per year.
func writeMunicipality(opts PanelOptions, dir string, k int, m *municipality, n int, firstPerson int64) (PanelSummary, error) {
	r := rand.New(rand.NewPCG(opts.Seed, uint64(k)))
	var s PanelSummary
	areas := max(2, (n+200)/400)
	s.Areas, s.Residents = int64(areas), int64(n)
	frac := make([]float64, areas)
	for a := range frac {
		frac[a] = 0.3 + 0.4*r.Float64()
	}
	regionEffect := [6]float64{0, 0.15, -0.05, 0, 0.1, -0.2}
	region := panelRegion(m.code)
	res := make([]panelResident, n)
	for i := range res {
		a := i * areas / n // areas are runs of residents
		p := &res[i]
		p.area = int64(m.code)*10000 + int64(a) + 1
		p.weight = 3 / frac[a] * (0.8 + 0.4*r.Float64())
		p.age0 = 16 + int32(r.IntN(64))
		p.female = int32(r.IntN(2))
		if r.Float64() < m.immShare {
			p.immigrant = 1
		}
		edu := []float64{0.08, 0.25, 0.30, 0.25, 0.12}
		if p.immigrant == 1 {
			edu = []float64{0.2, 0.3, 0.25, 0.17, 0.08}
		}
		p.education = int32(pick(r, edu)) + 1
		p.employability, p.trustPropensity = r.NormFloat64(), r.NormFloat64()
	}
	schema := panelSchema()
	first := 2024 - opts.Years + 1
	for t := range opts.Years {
		year := first + t
		path := filepath.Join(dir, fmt.Sprintf("year=%d", year), fmt.Sprintf("municipality=%d", m.code), "part-0.parquet")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return s, err
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := range res {
			p := &res[i]
			age := p.age0 + int32(t)
			trust, trustOK := clampRound(6+1.2*p.trustPropensity+0.8*r.NormFloat64()-0.6*float64(p.immigrant)+0.3*float64(p.education-3), 0, 10), r.Float64() >= 0.03
			tr := 6.0
			if trustOK {
				tr = float64(trust)
			}
			health := clampRound(4.2-0.025*float64(age-16)+0.7*r.NormFloat64(), 1, 5)
			fa := float64(age)
			eta := -5.2 + 0.30*fa - 0.0036*fa*fa - 0.30*float64(p.female) - 0.50*float64(p.immigrant) +
				0.25*float64(p.education-1) + 0.08*tr + 0.25*float64(health) + regionEffect[region] + 0.8*p.employability
			employed := int32(0)
			if r.Float64() < 1/(1+math.Exp(-eta)) {
				employed = 1
			}
			income := math.Exp(12.6 + 0.12*float64(p.education) + 0.4*float64(employed) + 0.45*r.NormFloat64())
			incomeOK := r.Float64() >= 0.02
			sat := clampRound(7+0.15*tr+0.3*float64(employed)+0.3*float64(health-3)+1.3*r.NormFloat64(), 0, 10)
			satOK := r.Float64() >= 0.05
			vol := int32(0)
			if r.Float64() < 1/(1+math.Exp(1.4-0.1*tr-0.2*float64(p.education))) {
				vol = 1
			}
			b.Field(0).(*array.Int64Builder).Append(firstPerson + int64(i) + 1)
			b.Field(1).(*array.Int64Builder).Append(p.area)
			b.Field(2).(*array.Int32Builder).Append(int32(3 * areas))
			b.Field(3).(*array.Float64Builder).Append(p.weight)
			b.Field(4).(*array.Int32Builder).Append(age)
			b.Field(5).(*array.Int32Builder).Append(p.female)
			b.Field(6).(*array.Int32Builder).Append(p.immigrant)
			b.Field(7).(*array.Int32Builder).Append(p.education)
			b.Field(8).(*array.Int32Builder).Append(region)
			b.Field(9).(*array.Int32Builder).Append(employed)
			appendOr(b.Field(10), incomeOK, func(fb array.Builder) { fb.(*array.Float64Builder).Append(income) })
			appendOr(b.Field(11), trustOK, func(fb array.Builder) { fb.(*array.Int32Builder).Append(trust) })
			b.Field(12).(*array.Int32Builder).Append(health)
			appendOr(b.Field(13), satOK, func(fb array.Builder) { fb.(*array.Int32Builder).Append(sat) })
			b.Field(14).(*array.Int32Builder).Append(vol)
		}
		size, err := writePanelFile(path, schema, b)
		if err != nil {
			return s, fmt.Errorf("panel: %s: %w", path, err)
		}
		s.Rows += int64(n)
		s.Files++
		s.Bytes += size
	}
	return s, nil
}

func appendOr(b array.Builder, ok bool, add func(array.Builder)) {
	if ok {
		add(b)
	} else {
		b.AppendNull()
	}
}

// clampRound is round(x) clamped to [lo, hi].
func clampRound(x float64, lo, hi int32) int32 {
	return int32(math.Max(float64(lo), math.Min(float64(hi), math.Round(x))))
}

// writePanelFile writes the built rows as one Parquet file (snappy; row groups of
// 1M rows) and returns its size.
func writePanelFile(path string, schema *arrow.Schema, b *array.RecordBuilder) (int64, error) {
	rec := b.NewRecordBatch()
	defer rec.Release()
	b.Release()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(1<<20),
		parquet.WithDictionaryFor("person", false), parquet.WithDictionaryFor("weight", false), parquet.WithDictionaryFor("income", false))
	fw, err := pqarrow.NewFileWriter(schema, bw, props, pqarrow.DefaultWriterProps())
	if err != nil {
		f.Close()
		return 0, err
	}
	werr := fw.Write(rec)
	err = errors.Join(werr, fw.Close(), bw.Flush())
	fi, serr := f.Stat()
	err = errors.Join(err, serr, f.Close())
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
