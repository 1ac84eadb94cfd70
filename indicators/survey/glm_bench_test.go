package survey

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// glmBenchFrame is a stratified cluster sample of n rows (50 strata × 20 PSUs) with
// ten numeric predictors, a five-level factor and a 0/1 outcome from a logistic
// model: y ~ x1 + … + x10 + factor(g) has 15 coefficients.
func glmBenchFrame(tb testing.TB, n int) *Frame {
	tb.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	f := NewFrame()
	stratum, psu := make([]float64, n), make([]float64, n)
	w, y := make([]float64, n), make([]float64, n)
	g := make([]string, n)
	xs := make([][]float64, 10)
	for k := range xs {
		xs[k] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		stratum[i] = float64(i % 50)
		psu[i] = float64((i / 50) % 20)
		w[i] = 50 + 100*rng.Float64()
		g[i] = string(rune('a' + rng.IntN(5)))
		eta := -0.5 + 0.3*float64(g[i][0]-'a')/4
		for k := range xs {
			xs[k][i] = rng.NormFloat64()
			eta += 0.1 * float64(k%3-1) * xs[k][i]
		}
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	add := func(name string, v []float64) {
		if err := f.AddFloat(name, v); err != nil {
			tb.Fatal(err)
		}
	}
	add("stratum", stratum)
	add("psu", psu)
	add("w", w)
	add("y", y)
	for k, x := range xs {
		add(fmt.Sprintf("x%d", k+1), x)
	}
	if err := f.AddString("g", g); err != nil {
		tb.Fatal(err)
	}
	return f
}

const benchFormula = "y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + factor(g)"

var benchSpec = Spec{Weights: "w", Strata: "stratum", Clusters: []string{"psu"}, Nest: true}

// BenchmarkGLMLogistic1M fits a 15-coefficient logistic regression with Taylor
// standard errors to 1,000,000 rows. When Rscript is on PATH (and not -short), the same
// data go to R's svyglm once; R-s, R-cpu-s, speedup and cpu-speedup compare the two.
func BenchmarkGLMLogistic1M(b *testing.B) {
	const n = 1_000_000
	f := glmBenchFrame(b, n)
	d, err := NewDesign(f, benchSpec)
	if err != nil {
		b.Fatal(err)
	}
	var fit *GLM
	cpu0 := cpuSeconds()
	for b.Loop() {
		if fit, err = d.GLM(benchFormula, GLMOptions{Family: Quasibinomial}); err != nil {
			b.Fatal(err)
		}
		if len(fit.Coef) != 15 {
			b.Fatalf("%d coefficients", len(fit.Coef))
		}
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	cpuPerOp := (cpuSeconds() - cpu0) / float64(b.N)
	b.ReportMetric(cpuPerOp, "cpu-s/op")
	b.ReportMetric(float64(fit.Iterations), "iterations")
	if wall, cpu := rSvyglmSeconds(b, f); wall > 0 {
		b.ReportMetric(wall, "R-s")
		b.ReportMetric(cpu, "R-cpu-s")
		b.ReportMetric(wall/perOp, "speedup")
		b.ReportMetric(cpu/cpuPerOp, "cpu-speedup")
	}
}

// cpuSeconds is the process's user + system CPU time: on a shared machine wall time
// includes waiting for a core, so both are reported.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

var rTiming struct {
	once      sync.Once
	wall, cpu float64
}

// rSvyglmSeconds times R's svyglm on the benchmark data (once per process), elapsed
// and CPU seconds: 0 when Rscript or the survey package is unavailable.
func rSvyglmSeconds(b *testing.B, f *Frame) (wall, cpu float64) {
	rTiming.once.Do(func() {
		if testing.Short() {
			b.Log("-short: no R timing")
			return
		}
		if _, err := exec.LookPath("Rscript"); err != nil {
			b.Log("Rscript not on PATH: no R timing")
			return
		}
		dir := b.TempDir()
		path := filepath.Join(dir, "bench.csv")
		if err := writeFrameCSV(f, path); err != nil {
			b.Fatal(err)
		}
		script := fmt.Sprintf(`suppressMessages(library(survey))
d <- read.csv(%q)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = d)
t <- system.time(fit <- svyglm(%s, des, family = quasibinomial()))
cat(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], "\n")`, path, benchFormula)
		out, err := exec.Command("Rscript", "-e", script).CombinedOutput()
		if err != nil {
			b.Logf("R timing failed: %v\n%s", err, out)
			return
		}
		fields := strings.Fields(string(out))
		if len(fields) < 2 {
			return
		}
		rTiming.wall, _ = strconv.ParseFloat(fields[len(fields)-2], 64)
		rTiming.cpu, _ = strconv.ParseFloat(fields[len(fields)-1], 64)
		b.Logf("R svyglm: %.2f s elapsed, %.2f s CPU", rTiming.wall, rTiming.cpu)
	})
	return rTiming.wall, rTiming.cpu
}

func writeFrameCSV(f *Frame, path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(fh)
	names := f.Names()
	cols := make([][]string, len(names))
	for k, n := range names {
		if cols[k], err = f.Strings(n); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, strings.Join(names, ","))
	for i := 0; i < f.Rows(); i++ {
		for k := range cols {
			if k > 0 {
				w.WriteByte(',')
			}
			w.WriteString(cols[k][i])
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return fh.Close()
}

// BenchmarkRake1M rakes 1,000,000 rows to four margins (5, 4, 3 and 6 levels).
func BenchmarkRake1M(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 5))
	f := NewFrame()
	sizes := []int{5, 4, 3, 6}
	var margins []Margin
	w := make([]float64, n)
	for i := range w {
		w[i] = 10 + 90*rng.Float64()
	}
	if err := f.AddFloat("w", w); err != nil {
		b.Fatal(err)
	}
	for k, size := range sizes {
		name := fmt.Sprintf("m%d", k+1)
		v := make([]string, n)
		for i := range v {
			// skewed levels, so that raking has work to do
			v[i] = strconv.Itoa(min(rng.IntN(size*size)/size, rng.IntN(size)))
		}
		if err := f.AddString(name, v); err != nil {
			b.Fatal(err)
		}
		for l := 0; l < size; l++ {
			margins = append(margins, Margin{Variable: name, Level: strconv.Itoa(l), Total: 60e6 / float64(size)})
		}
	}
	d, err := NewDesign(f, Spec{Weights: "w"})
	if err != nil {
		b.Fatal(err)
	}
	var rep *CalReport
	cpu0 := cpuSeconds()
	for b.Loop() {
		if _, rep, err = d.Calibrate(CalOptions{Method: Rake, Margins: margins}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(rep.Iterations), "sweeps")
}
