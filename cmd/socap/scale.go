package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/stat/distuv"

	"socap/indicators/scale"
	"socap/indicators/survey"
)

type scaleOptions struct {
	design     designFlags
	input      inputFlags
	name       string
	items      []string
	reverse    []string
	ranges     []string
	minItems   int
	by         []string
	invariance string
	level      float64
	format     string
	labels     string
}

func newScaleCmd() *cobra.Command {
	opts := scaleOptions{}
	cmd := &cobra.Command{
		Use:   "scale FILE --items a,b,c",
		Short: "Reliability of a composite score: alpha, omega, one-factor fit and measurement invariance",
		Long: `scale reads FILE and reports, for the scale made of --items, overall and for
each --by variable's groups and every crossing of them: Cronbach's alpha as psych::alpha computes it
(raw, standardised, average inter-item correlation, alpha if an item is deleted,
item-rest correlation, item means and SDs, pairwise-complete covariances),
McDonald's omega total with the loadings and residual variances of a one-factor
model fitted by maximum likelihood (lavaan's cfa(..., std.lv = TRUE) on the
listwise-complete cases), the one-factor model's fit (chi-square, df, p, CFI,
TLI, RMSEA, SRMR, as lavaan's fitMeasures), and the mean POMP score (0-100, the
mean of the answered items when at least --min-items are answered).

With design flags (those of socap estimate) alpha.raw is the survey-weighted
alpha of the complete cases with a design-based standard error and a t interval
on the design's degrees of freedom: Taylor linearisation of alpha as a function
of weighted moments, or the replicate weights (what R's withReplicates gives).
Omega, the CFA and invariance stay unweighted, as lavaan's are without
sampling.weights.

--invariance COL fits the configural, metric and scalar multi-group models
(lavaan's group.equal), tests each against the previous one and says whether
invariance holds by Chen (2007); when it does not, it frees the loadings or
intercepts with the largest score tests one at a time (items_to_free).

--reverse reverse codes items as max + min - x, with the range of --range
ITEM=MIN:MAX or else the item's observed range.`,
		Example: `  socap scale ESS9NO.csv --items ppltrst,pplfair,pplhlp --by gndr
  socap scale ESS9NO.csv --items trstprl,trstlgl,trstplc,trstplt,trstprt --invariance brncntr \
      --weight anweight --strata stratum --psu psu --nest --format json
  socap scale wave1.csv --items confide,crisis_help,safe,lonely --reverse safe,lonely \
      --range safe=1:4,lonely=1:4 --weight weight --strata stratum --psu psu`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScale(cmd, args[0], opts)
		},
	}
	opts.design.add(cmd)
	opts.input.add(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.name, "name", "", "the scale's name in output and errors (default: the items joined by +)")
	f.StringSliceVar(&opts.items, "items", nil, "the scale's items (at least two numeric columns)")
	f.StringSliceVar(&opts.reverse, "reverse", nil, "items to reverse code (max + min - x)")
	f.StringSliceVar(&opts.ranges, "range", nil, "item ranges ITEM=MIN:MAX for POMP scoring and reverse coding (default: the observed range)")
	f.IntVar(&opts.minItems, "min-items", 0, "answered items a score needs (default: half the items, rounded up)")
	f.StringSliceVar(&opts.by, "by", nil, "group columns; each one's groups and every crossing are reported besides the whole sample")
	f.StringVar(&opts.invariance, "invariance", "", "group column for measurement invariance (configural, metric, scalar)")
	f.Float64Var(&opts.level, "level", 0.95, "confidence level of the weighted alpha's interval")
	addFormatFlag(cmd, &opts.format)
	addLabelsFlag(cmd, &opts.labels)
	return cmd
}

// jnum is a number in JSON at full precision, null when NaN or infinite.
type jnum float64

func (x jnum) MarshalJSON() ([]byte, error) {
	v := float64(x)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func jnums(v []float64, names []string) map[string]jnum {
	out := make(map[string]jnum, len(v))
	for j, x := range v {
		out[names[j]] = jnum(x)
	}
	return out
}

type scaleAlphaOut struct {
	Raw           jnum  `json:"raw"`
	RawUnweighted *jnum `json:"raw_unweighted,omitempty"`
	Std           jnum  `json:"std"`
	AverageR      jnum  `json:"average_r"`
	MedianR       jnum  `json:"median_r"`
	G6            jnum  `json:"g6"`
	ASE           jnum  `json:"ase"`
	SE            *jnum `json:"se"`
	CILow         *jnum `json:"ci_low"`
	CIHigh        *jnum `json:"ci_high"`
	DF            *jnum `json:"df,omitempty"`
	N             int   `json:"n_complete"`
}

type scaleItemOut struct {
	Item           string `json:"item"`
	AlphaIfDeleted jnum   `json:"alpha_if_deleted"`
	RDrop          jnum   `json:"r_drop"`
	Mean           jnum   `json:"mean"`
	SD             jnum   `json:"sd"`
	N              int    `json:"n"`
}

type scaleOmegaOut struct {
	Total     jnum            `json:"total"`
	N         int             `json:"n"`
	Loadings  map[string]jnum `json:"loadings"`
	Residuals map[string]jnum `json:"residuals"`
}

type fitOut struct {
	ChiSq  jnum `json:"chisq"`
	DF     jnum `json:"df"`
	PValue jnum `json:"pvalue"`
	CFI    jnum `json:"cfi"`
	TLI    jnum `json:"tli"`
	RMSEA  jnum `json:"rmsea"`
	SRMR   jnum `json:"srmr"`
}

func fitOf(f scale.Fit) *fitOut {
	return &fitOut{jnum(f.ChiSq), jnum(f.DF), jnum(f.PValue), jnum(f.CFI), jnum(f.TLI), jnum(f.RMSEA), jnum(f.SRMR)}
}

type scoreOut struct {
	Mean jnum `json:"mean"`
	SD   jnum `json:"sd"`
	N    int  `json:"n"`
}

type scaleGroupOut struct {
	By       map[string]string `json:"by"`
	ByLabels map[string]string `json:"by_labels,omitempty"`
	N        int               `json:"n"`
	Alpha    scaleAlphaOut     `json:"alpha"`
	Items    []scaleItemOut    `json:"items"`
	Omega    *scaleOmegaOut    `json:"omega"`
	CFA      *fitOut           `json:"cfa"`
	Score    scoreOut          `json:"score"`
}

type deltaOut struct {
	ChiSq  jnum `json:"chisq"`
	DF     jnum `json:"df"`
	PValue jnum `json:"pvalue"`
	CFI    jnum `json:"cfi"`
	RMSEA  jnum `json:"rmsea"`
	SRMR   jnum `json:"srmr"`
}

type modelOut struct {
	Model string `json:"model"`
	*fitOut
	Delta *deltaOut `json:"delta"`
	Holds *bool     `json:"holds"`
	Free  []string  `json:"free,omitempty"`
}

func modelOf(m scale.ModelFit) modelOut {
	out := modelOut{Model: m.Model, fitOut: fitOf(m.Fit), Holds: m.Holds, Free: m.Free}
	if d := m.Delta; d != nil {
		out.Delta = &deltaOut{jnum(d.ChiSq), jnum(d.DF), jnum(d.PValue), jnum(d.CFI), jnum(d.RMSEA), jnum(d.SRMR)}
	}
	return out
}

type scoreTestOut struct {
	Item      string `json:"item"`
	Parameter string `json:"parameter"`
	ChiSq     jnum   `json:"chisq"`
	DF        jnum   `json:"df"`
	PValue    jnum   `json:"pvalue"`
}

func scoreTestOf(s scale.ScoreTest) scoreTestOut {
	return scoreTestOut{s.Item, s.Parameter, jnum(s.ChiSq), jnum(s.DF), jnum(s.PValue)}
}

type freeOut struct {
	scoreTestOut
	Model modelOut `json:"model"`
}

type invarianceOut struct {
	Group           string         `json:"group"`
	Groups          []string       `json:"groups"`
	N               int            `json:"n"`
	Models          []modelOut     `json:"models"`
	ItemsToFree     []freeOut      `json:"items_to_free"`
	InterceptScores []scoreTestOut `json:"intercept_scores"`
	LoadingScores   []scoreTestOut `json:"loading_scores"`
}

type scaleOut struct {
	Scale      string          `json:"scale"`
	Items      []string        `json:"items"`
	Reverse    []string        `json:"reverse,omitempty"`
	Design     *survey.Summary `json:"design,omitempty"`
	Groups     []scaleGroupOut `json:"groups"`
	Invariance *invarianceOut  `json:"invariance,omitempty"`
}

// scaleGroup is one reported group: its by values and the rows in it.
type scaleGroup struct {
	by map[string]string
	in func(i int) bool
	m  *scale.Moments
}

func (o *scaleOptions) designGiven() bool {
	return len(o.design.columns()) > 0 || o.design.repweights != "" || o.design.toReps != ""
}

func runScale(cmd *cobra.Command, path string, opts scaleOptions) error {
	if err := checkFormat(opts.format); err != nil {
		return err
	}
	labelMode, err := labelsMode(opts.labels, opts.format)
	if err != nil {
		return err
	}
	items := trimAll(opts.items)
	if len(items) < 2 {
		return usageErrorf("--items: %d item(s); a scale needs at least two", len(items))
	}
	for j, it := range items {
		if slices.Contains(items[:j], it) {
			return usageErrorf("--items: %s is given twice", it)
		}
	}
	name := opts.name
	if name == "" {
		name = strings.Join(items, "+")
	}
	reverse := trimAll(opts.reverse)
	for _, r := range reverse {
		if !slices.Contains(items, r) {
			return usageErrorf("--reverse %s: not one of --items", r)
		}
	}
	ranges, err := parseRanges(opts.ranges, items)
	if err != nil {
		return err
	}
	if opts.minItems < 0 || opts.minItems > len(items) {
		return usageErrorf("--min-items %d: want 1..%d", opts.minItems, len(items))
	}
	by := trimAll(opts.by)
	spec, err := opts.design.spec()
	if err != nil {
		return err
	}
	var load []string
	if spec.Replicates == nil {
		load = slices.Concat(opts.design.columns(), items, by)
		if opts.invariance != "" {
			load = append(load, opts.invariance)
		}
	}
	frame, fileLabels, err := loadLabelledFrame(cmd.Context(), path, load, opts.input)
	if err != nil {
		return err
	}
	bad := func(err error) error { return usageError{fmt.Errorf("%s: scale %s: %w", path, name, err)} }

	// items, reverse coded, and their scoring ranges
	cols := make([][]float64, len(items))
	specItems := make([]scale.Item, len(items))
	for j, it := range items {
		if !frame.Has(it) || !frame.IsNumeric(it) {
			if _, err := frame.Float(it); err != nil {
				return bad(err)
			}
			return bad(fmt.Errorf("item %s is not numeric", it))
		}
		x, _ := frame.Float(it)
		r, ok := ranges[it]
		if !ok {
			r = observedRange(x)
		}
		if !(r[1] > r[0]) {
			return bad(fmt.Errorf("item %s %w (every answer is %v)", it, scale.ErrNoVariance, r[0]))
		}
		specItems[j] = scale.Item{Name: it, Min: r[0], Max: r[1], Reverse: slices.Contains(reverse, it)}
		x = slices.Clone(x)
		for i, v := range x {
			if math.IsNaN(v) {
				continue
			}
			if v < r[0] || v > r[1] {
				return bad(fmt.Errorf("item %s: row %d: value %v outside --range %v:%v", it, i+1, v, r[0], r[1]))
			}
			if specItems[j].Reverse {
				x[i] = r[0] + r[1] - v
			}
		}
		cols[j] = x
	}
	scores, err := scale.Score(cols, scale.ScoreSpec{Name: name, Items: unreversed(specItems), MinItems: opts.minItems})
	if err != nil {
		return bad(err)
	}

	var design *survey.Design
	var weights []float64
	if opts.designGiven() {
		if design, err = opts.design.build(path, frame, spec); err != nil {
			return err
		}
		weights = design.Weights()
	}
	groups, err := scaleGroups(frame, by, items, cols, weights)
	if err != nil {
		return bad(err)
	}
	out := scaleOut{Scale: name, Items: items, Reverse: reverse}
	var ses []float64
	var df float64
	if design != nil {
		sum := design.Summary()
		out.Design = &sum
		df = sum.DF
		if ses, err = weightedAlphaSEs(design, items, cols, groups); err != nil {
			return bad(err)
		}
	}
	for gi, g := range groups {
		gout, err := scaleGroupResult(g, cols, scores, weights)
		if err != nil {
			return bad(err)
		}
		if design != nil {
			se := jnum(ses[gi])
			t := tQuantile(opts.level, df)
			lo, hi := jnum(float64(gout.Alpha.Raw)-t*ses[gi]), jnum(float64(gout.Alpha.Raw)+t*ses[gi])
			d := jnum(df)
			gout.Alpha.SE, gout.Alpha.CILow, gout.Alpha.CIHigh, gout.Alpha.DF = &se, &lo, &hi, &d
		}
		out.Groups = append(out.Groups, gout)
	}
	if opts.invariance != "" {
		inv, err := scaleInvariance(frame, opts.invariance, items, cols, weights)
		if err != nil {
			return bad(err)
		}
		out.Invariance = inv
	}
	for k := range out.Groups {
		out.Groups[k].ByLabels = byLabels(fileLabels, out.Groups[k].By)
	}
	return writeScale(cmd.OutOrStdout(), opts.format, labelMode, fileLabels, by, out)
}

// unreversed is the items as Score sees them after the command has reverse coded them.
func unreversed(items []scale.Item) []scale.Item {
	out := slices.Clone(items)
	for j := range out {
		out[j].Reverse = false
	}
	return out
}

// parseRanges reads --range ITEM=MIN:MAX.
func parseRanges(specs []string, items []string) (map[string][2]float64, error) {
	out := map[string][2]float64{}
	for _, s := range trimAll(specs) {
		it, r, ok := strings.Cut(s, "=")
		lo, hi, ok2 := strings.Cut(r, ":")
		a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || !(b > a) {
			return nil, usageErrorf("--range %q: want ITEM=MIN:MAX with MIN < MAX, e.g. lonely=1:4", s)
		}
		if it = strings.TrimSpace(it); !slices.Contains(items, it) {
			return nil, usageErrorf("--range %s: not one of --items", it)
		}
		out[it] = [2]float64{a, b}
	}
	return out, nil
}

func observedRange(x []float64) [2]float64 {
	r := [2]float64{math.Inf(1), math.Inf(-1)}
	for _, v := range x {
		if !math.IsNaN(v) {
			r[0], r[1] = min(r[0], v), max(r[1], v)
		}
	}
	return r
}

// scaleGroups accumulates the moments of the whole sample, of the groups of each by
// column when there are several, and of every crossing of the by columns (in sorted
// order of their values), one pass for each.
func scaleGroups(frame *survey.Frame, by, items []string, cols [][]float64, weights []float64) ([]scaleGroup, error) {
	all, err := scale.Accumulate(items, cols, weights, nil, 1)
	if err != nil {
		return nil, err
	}
	groups := []scaleGroup{{by: map[string]string{}, in: func(int) bool { return true }, m: all[0]}}
	var sets [][]string
	if len(by) > 1 {
		for _, b := range by {
			sets = append(sets, []string{b})
		}
	}
	if len(by) > 0 {
		sets = append(sets, by)
	}
	for _, set := range sets {
		codes, keys, err := crossCodes(frame, set)
		if err != nil {
			return nil, err
		}
		ms, err := scale.Accumulate(items, cols, weights, codes, len(keys))
		if err != nil {
			return nil, err
		}
		for g, m := range ms {
			if m.Rows == 0 {
				continue
			}
			var parts []string
			for _, b := range set {
				parts = append(parts, b+"="+keys[g][b])
			}
			m.Group = strings.Join(parts, ",")
			code := int32(g)
			groups = append(groups, scaleGroup{by: keys[g], in: func(i int) bool { return codes[i] == code }, m: m})
		}
	}
	return groups, nil
}

// crossCodes codes every row by its crossing of the by columns (−1 when one is
// missing), crossings in sorted order of the columns' codes.
func crossCodes(frame *survey.Frame, by []string) ([]int32, []map[string]string, error) {
	codes := make([][]int32, len(by))
	labels := make([][]string, len(by))
	for k, b := range by {
		var err error
		if codes[k], labels[k], err = frame.Codes(b); err != nil {
			return nil, nil, err
		}
	}
	n := frame.Rows()
	type key = string
	index := map[key]int32{}
	var tuples [][]int32
	out := make([]int32, n)
	for i := range n {
		tuple := make([]int32, len(by))
		missing := false
		for k := range by {
			tuple[k] = codes[k][i]
			missing = missing || tuple[k] < 0
		}
		if missing {
			out[i] = -1
			continue
		}
		s := fmt.Sprint(tuple)
		g, ok := index[s]
		if !ok {
			g = int32(len(tuples))
			index[s] = g
			tuples = append(tuples, tuple)
		}
		out[i] = g
	}
	order := make([]int32, len(tuples))
	for g := range order {
		order[g] = int32(g)
	}
	slices.SortFunc(order, func(a, b int32) int { return slices.Compare(tuples[a], tuples[b]) })
	rank := make([]int32, len(tuples))
	keys := make([]map[string]string, len(tuples))
	for r, g := range order {
		rank[g] = int32(r)
		keys[r] = map[string]string{}
		for k, b := range by {
			keys[r][b] = labels[k][tuples[g][k]]
		}
	}
	for i, g := range out {
		if g >= 0 {
			out[i] = rank[g]
		}
	}
	return out, keys, nil
}

// scaleGroupResult is alpha (weighted when weights are given), omega, the one-factor
// fit and the mean score of one group.
func scaleGroupResult(g scaleGroup, cols [][]float64, scores, weights []float64) (scaleGroupOut, error) {
	m := g.m
	out := scaleGroupOut{By: g.by, N: m.Rows}
	a, err := scale.AlphaOf(m)
	if err != nil {
		return out, err
	}
	out.Alpha = scaleAlphaOut{Raw: jnum(a.Raw), Std: jnum(a.Std), AverageR: jnum(a.AverageR), MedianR: jnum(a.MedianR),
		G6: jnum(a.G6), ASE: jnum(a.ASE), N: m.N()}
	if weights != nil {
		wa, err := scale.WeightedAlphaOf(m)
		if err != nil {
			return out, err
		}
		raw := out.Alpha.Raw
		out.Alpha.Raw, out.Alpha.RawUnweighted = jnum(wa), &raw
	}
	for _, it := range a.Items {
		out.Items = append(out.Items, scaleItemOut{it.Item, jnum(it.AlphaIfDeleted), jnum(it.RDrop), jnum(it.Mean), jnum(it.SD), it.N})
	}
	if m.K() >= 3 {
		o, err := scale.OmegaOf(m)
		if err != nil {
			return out, err
		}
		out.Omega = &scaleOmegaOut{Total: jnum(o.Total), N: o.N, Loadings: jnums(o.Loadings, o.Items), Residuals: jnums(o.Residuals, o.Items)}
		out.CFA = fitOf(o.Fit)
	}
	var sw, sum, sum2 float64
	for i, s := range scores {
		if math.IsNaN(s) || !g.in(i) {
			continue
		}
		w := 1.0
		if weights != nil {
			if w = weights[i]; w == 0 {
				continue
			}
		}
		out.Score.N++
		sw += w
		sum += w * s
		sum2 += w * s * s
	}
	mean := sum / sw
	out.Score.Mean = jnum(mean)
	out.Score.SD = jnum(math.Sqrt(max(sum2/sw-mean*mean, 0) * float64(out.Score.N) / float64(out.Score.N-1)))
	return out, nil
}

// weightedAlphaSEs is the design-based SE of each group's weighted alpha: the design
// variance of the total of its linearisation (survey.Design.TotalCov), or on a
// replicate design the replicate variance of the replicate alphas (withReplicates).
func weightedAlphaSEs(design *survey.Design, items []string, cols [][]float64, groups []scaleGroup) ([]float64, error) {
	out := make([]float64, len(groups))
	if rep := design.Summary().Replicates; rep != nil {
		rw := design.ReplicateWeights()
		for g, gr := range groups {
			est, err := scale.WeightedAlphaOf(gr.m)
			if err != nil {
				return nil, err
			}
			theta, err := scale.AlphaReplicates(items, cols, rw, gr.in)
			if err != nil {
				return nil, fmt.Errorf("group %s: %w", gr.m.Group, err)
			}
			out[g] = math.Sqrt(scale.ReplicateVariance(theta, est, rep.Scale, rep.RScales, rep.MSE))
		}
		return out, nil
	}
	z := make([][]float64, len(groups))
	for g, gr := range groups {
		z[g] = make([]float64, design.Rows())
		scale.AlphaInfluence(gr.m, cols, design.Weights(), gr.in, z[g])
	}
	_, cov, err := design.TotalCov(z...)
	if err != nil {
		return nil, err
	}
	for g := range groups {
		out[g] = math.Sqrt(cov.At(g, g))
	}
	return out, nil
}

func tQuantile(level, df float64) float64 {
	p := 1 - (1-level)/2
	if math.IsInf(df, 1) || df <= 0 {
		return distuv.UnitNormal.Quantile(p)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// scaleInvariance fits the invariance models across the groups of col.
func scaleInvariance(frame *survey.Frame, col string, items []string, cols [][]float64, weights []float64) (*invarianceOut, error) {
	codes, labels, err := frame.Codes(col)
	if err != nil {
		return nil, err
	}
	ms, err := scale.Accumulate(items, cols, weights, codes, len(labels))
	if err != nil {
		return nil, err
	}
	var present []*scale.Moments
	for g, m := range ms {
		m.Group = col + "=" + labels[g]
		if m.Rows > 0 {
			present = append(present, m)
		}
	}
	inv, err := scale.Invariance(present, scale.InvarianceOptions{})
	if err != nil {
		return nil, err
	}
	out := &invarianceOut{Group: col, Groups: inv.Groups, N: inv.Models[0].N, ItemsToFree: []freeOut{}}
	for _, m := range inv.Models {
		out.Models = append(out.Models, modelOf(m))
	}
	for _, s := range inv.ItemsToFree {
		out.ItemsToFree = append(out.ItemsToFree, freeOut{scoreTestOf(s.ScoreTest), modelOf(s.Result)})
	}
	for _, s := range inv.InterceptScores {
		out.InterceptScores = append(out.InterceptScores, scoreTestOf(s))
	}
	for _, s := range inv.LoadingScores {
		out.LoadingScores = append(out.LoadingScores, scoreTestOf(s))
	}
	return out, nil
}

func optionalJnum(p *jnum) any {
	if p == nil {
		return ""
	}
	return float64(*p)
}

// writeScale renders the result: JSON as one object; table as sections (groups,
// items, invariance models, items to free); CSV the groups section, one row a group.
func writeScale(w io.Writer, format, labelMode string, labels fileLabels, by []string, out scaleOut) error {
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	byCells := func(g scaleGroupOut) []any {
		var cells []any
		for _, b := range by {
			cells = append(cells, labelCells(labelMode, labels, b, g.By[b])...)
		}
		return cells
	}
	groups := &table{Columns: slices.Concat(labelColumns(labelMode, by...), []string{"n", "alpha", "se", "ci_low", "ci_high", "std_alpha", "average_r",
		"omega", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "score_mean", "score_n"})}
	for _, g := range out.Groups {
		row := append(byCells(g), g.N, float64(g.Alpha.Raw), optionalJnum(g.Alpha.SE), optionalJnum(g.Alpha.CILow), optionalJnum(g.Alpha.CIHigh),
			float64(g.Alpha.Std), float64(g.Alpha.AverageR))
		if g.Omega != nil {
			f := g.CFA
			row = append(row, float64(g.Omega.Total), float64(f.ChiSq), float64(f.DF), float64(f.PValue), float64(f.CFI), float64(f.TLI), float64(f.RMSEA), float64(f.SRMR))
		} else {
			row = append(row, "", "", "", "", "", "", "", "")
		}
		row = append(row, float64(g.Score.Mean), g.Score.N)
		groups.add(row...)
	}
	if format == formatCSV {
		return groups.write(w, format)
	}
	fmt.Fprintf(w, "scale %s\n\n", out.Scale)
	if err := groups.write(w, format); err != nil {
		return err
	}
	items := &table{Columns: slices.Concat(labelColumns(labelMode, by...), []string{"item", "alpha_if_deleted", "r_drop", "mean", "sd", "n"})}
	for _, g := range out.Groups {
		for _, it := range g.Items {
			items.add(append(byCells(g), it.Item, float64(it.AlphaIfDeleted), float64(it.RDrop), float64(it.Mean), float64(it.SD), it.N)...)
		}
	}
	fmt.Fprintln(w)
	if err := items.write(w, format); err != nil {
		return err
	}
	if inv := out.Invariance; inv != nil {
		fmt.Fprintf(w, "\nmeasurement invariance across %s (%s; %d respondents)\n\n", inv.Group, strings.Join(inv.Groups, ", "), inv.N)
		models := &table{Columns: []string{"model", "free", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "d_chisq", "d_df", "d_pvalue", "d_cfi", "d_rmsea", "d_srmr", "holds"}}
		add := func(m modelOut) {
			row := []any{m.Model, strings.Join(m.Free, " "), float64(m.ChiSq), float64(m.DF), float64(m.PValue), float64(m.CFI), float64(m.TLI), float64(m.RMSEA), float64(m.SRMR)}
			if d := m.Delta; d != nil {
				row = append(row, float64(d.ChiSq), float64(d.DF), float64(d.PValue), float64(d.CFI), float64(d.RMSEA), float64(d.SRMR), *m.Holds)
			} else {
				row = append(row, "", "", "", "", "", "", "")
			}
			models.add(row...)
		}
		for _, m := range inv.Models {
			add(m)
		}
		for _, s := range inv.ItemsToFree {
			add(s.Model)
		}
		if err := models.write(w, format); err != nil {
			return err
		}
		if len(inv.ItemsToFree) > 0 {
			fmt.Fprintln(w, "\nitems to free, in order (score test of equal parameters across groups)")
			fmt.Fprintln(w)
			free := &table{Columns: []string{"item", "parameter", "score", "df", "pvalue"}}
			for _, s := range inv.ItemsToFree {
				free.add(s.Item, s.Parameter, float64(s.ChiSq), float64(s.DF), float64(s.PValue))
			}
			return free.write(w, format)
		}
	}
	return nil
}
