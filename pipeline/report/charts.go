package report

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// point is one number of a chart with its confidence interval; Hidden
// when disclosure control withheld it (drawn as ":").
type point struct {
	Value, Low, High float64
	Hidden           bool
}

// series is a named row of points.
type series struct {
	Name   string
	Points []point
}

// palette distinguishes series in colour; the decal patterns (aria.decal)
// distinguish them in black-and-white print.
var palette = []string{"#1f4e79", "#e07b00", "#3a8a3a", "#8e44ad", "#6b6b6b", "#c0392b"}

// common are the options every chart has: a pinned id, no animation (so
// that a print or a screenshot shows the finished chart), patterns for
// print, the palette, a legend at the bottom and tooltips.
func common(id string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true), Decal: &opts.AriaDecal{Show: opts.Bool(true)}}),
		charts.WithColorsOpts(opts.Colors(palette)),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{ContainLabel: opts.Bool(true), Left: "2%", Right: "3%", Top: "12%", Bottom: "14%"}),
	}
}

// value is a chart value: nil (no bar, no point) for a hidden or missing
// number.
func value(x float64, hidden bool) any {
	if hidden {
		return nil
	}
	return round(x)
}

// round keeps 6 decimals, enough for a chart and short in JSON; nil for
// NaN and infinities, which JSON cannot hold.
func round(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return math.Round(x*1e6) / 1e6
}

// finish validates a chart and returns its options as ECharts reads them,
// as plain JSON values, after patch (which may add what go-echarts has no
// option for).
func finish(c interface {
	Validate()
	JSON() map[string]any
}, patch func(map[string]any)) (map[string]any, error) {
	c.Validate()
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("chart options: %w", err)
	}
	var o map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("chart options: %w", err)
	}
	delete(o, "toolbox") // downloads are buttons under the chart
	if patch != nil {
		patch(o)
	}
	return o, nil
}

// barChart draws grouped bars with confidence-interval whiskers: one bar
// per series in each category, ":" at the baseline for a hidden number.
func barChart(id string, categories []string, ss []series, yName string, yMax float64) (map[string]any, error) {
	bar := charts.NewBar()
	g := append(common(id),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: categories, AxisLabel: &opts.AxisLabel{Interval: "0", Width: 110, Overflow: "break"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, Min: 0, Max: maxOrNil(yMax)}))
	bar.SetGlobalOptions(g...)
	bar.SetXAxis(categories)
	whiskers := charts.NewCustom()
	for i, s := range ss {
		data := make([]opts.BarData, len(s.Points))
		ci := make([]opts.CustomData, len(s.Points))
		for j, p := range s.Points {
			data[j] = opts.BarData{Value: value(p.Value, p.Hidden)}
			// mark 1: ":" at the baseline; 2: no interval to draw
			mark, lo, hi := 0, p.Low, p.High
			switch {
			case p.Hidden:
				mark, lo, hi = 1, 0, 0
			case math.IsNaN(p.Value) || math.IsNaN(p.Low) || math.IsNaN(p.High):
				mark, lo, hi = 2, 0, 0
			}
			ci[j] = opts.CustomData{Value: []any{j, round(lo), round(hi), i, len(ss), mark}}
		}
		bar.AddSeries(s.Name, data, charts.WithBarChartOpts(opts.BarChart{BarGap: "0%", BarCategoryGap: "30%"}))
		whiskers.AddSeries(s.Name, ci, charts.WithCustomChartOpts(opts.CustomChart{RenderItem: "whisker"}),
			charts.WithEncodeOpts(opts.Encode{X: 0, Y: []int{1, 2}}))
	}
	bar.Overlap(whiskers)
	return finish(bar, func(o map[string]any) { silence(o, "custom") })
}

// silence makes the series of type kind draw without tooltip or legend
// entry of their own (the interval series that go with a bar or line).
func silence(o map[string]any, kind string) {
	ss, _ := o["series"].([]any)
	for _, s := range ss {
		if m, ok := toMap(s); ok && m["type"] == kind {
			m["silent"] = true
			m["tooltip"] = map[string]any{"show": false}
			m["z"] = 5
		}
	}
}

// maxOrNil is an axis maximum, or nil to let ECharts choose.
func maxOrNil(x float64) any {
	if x <= 0 {
		return nil
	}
	return x
}

// lineChart draws lines over the waves with shaded confidence bands.
func lineChart(id string, waves []string, ss []series, yName string, yMax float64) (map[string]any, error) {
	line := charts.NewLine()
	line.SetGlobalOptions(append(common(id),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: waves}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, Min: 0, Max: maxOrNil(yMax)}))...)
	line.SetXAxis(waves)
	for i, s := range ss {
		mid := make([]opts.LineData, len(s.Points))
		low := make([]opts.LineData, len(s.Points))
		band := make([]opts.LineData, len(s.Points))
		for j, p := range s.Points {
			mid[j] = opts.LineData{Value: value(p.Value, p.Hidden)}
			if p.Hidden || math.IsNaN(p.Low) {
				low[j], band[j] = opts.LineData{Value: nil}, opts.LineData{Value: nil}
				continue
			}
			low[j] = opts.LineData{Value: round(p.Low)}
			band[j] = opts.LineData{Value: round(p.High - p.Low)}
		}
		colour := palette[i%len(palette)]
		stack := "ci" + s.Name
		line.AddSeries(s.Name, mid, charts.WithLineChartOpts(opts.LineChart{Symbol: symbols[i%len(symbols)], SymbolSize: 9}),
			charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5, Type: dashes[i%len(dashes)]}))
		line.AddSeries(s.Name+" (ci)", low, charts.WithLineChartOpts(opts.LineChart{Stack: stack, Symbol: "none"}),
			charts.WithLineStyleOpts(opts.LineStyle{Opacity: opts.Float(0)}))
		line.AddSeries(s.Name+" (ci)", band, charts.WithLineChartOpts(opts.LineChart{Stack: stack, Symbol: "none"}),
			charts.WithLineStyleOpts(opts.LineStyle{Opacity: opts.Float(0)}),
			charts.WithAreaStyleOpts(opts.AreaStyle{Color: colour, Opacity: opts.Float(0.15)}))
	}
	return finish(line, func(o map[string]any) {
		ss, _ := o["series"].([]any)
		var names []string
		for k, s := range ss {
			m, ok := toMap(s)
			if !ok {
				continue
			}
			if k%3 != 0 { // the band's two helper series
				m["silent"], m["tooltip"], m["color"] = true, map[string]any{"show": false}, palette[(k/3)%len(palette)]
				m["legendHoverLink"] = false
				continue
			}
			names = append(names, m["name"].(string))
		}
		o["legend"] = map[string]any{"show": true, "bottom": "0", "data": names}
	})
}

// symbols and dashes tell lines apart without colour.
var (
	symbols = []string{"circle", "rect", "triangle", "diamond", "pin", "arrow"}
	dashes  = []string{"solid", "dashed", "dotted", "solid", "dashed", "dotted"}
)

// radarChart draws one polygon per series over the axes (0..max each).
func radarChart(id string, axes []string, max float64, ss []series) (map[string]any, error) {
	r := charts.NewRadar()
	ind := make([]*opts.Indicator, len(axes))
	for i, a := range axes {
		ind[i] = &opts.Indicator{Name: a, Max: float32(max), Min: 0}
	}
	r.SetGlobalOptions(append(common(id), charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: ind, Shape: "polygon"}))...)
	for i, s := range ss {
		vals := make([]any, len(s.Points))
		for j, p := range s.Points {
			vals[j] = value(p.Value, p.Hidden)
		}
		r.AddSeries(s.Name, []opts.RadarData{{Name: s.Name, Value: vals}},
			charts.WithLineStyleOpts(opts.LineStyle{Width: 2.5, Type: dashes[i%len(dashes)]}),
			charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.12)}),
			charts.WithRadarChartOpts(opts.RadarChart{Symbol: symbols[i%len(symbols)], SymbolSize: 8}))
	}
	return finish(r, func(o map[string]any) {
		// ECharts draws the axis names light grey: dark enough to read and print
		if rs, ok := o["radar"].([]any); ok {
			for _, x := range rs {
				if m, ok := toMap(x); ok {
					m["axisName"] = map[string]any{"color": "#222", "fontSize": 13}
				}
			}
		} else if m, ok := toMap(o["radar"]); ok {
			m["axisName"] = map[string]any{"color": "#222", "fontSize": 13}
		}
	})
}

// heatCell is one cell of a heat map: its colour value on 0..100, the
// label shown in it, and whether it is hidden (":", grey).
type heatCell struct {
	X, Y   int
	Colour float64
	Label  string
	Hidden bool
}

// heatMap draws rows × columns, coloured by Colour on 0..100 and labelled;
// hidden cells are grey with ":" (a series of their own, outside the
// colour scale).
func heatMap(id string, columns, rows []string, cells []heatCell, scaleText [2]string) (map[string]any, error) {
	h := charts.NewHeatMap()
	h.SetGlobalOptions(append(common(id),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: columns, Position: "top", AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 35, FontSize: 11}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: rows, Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0", Width: 260, Overflow: "truncate", FontSize: 11}}),
		charts.WithGridOpts(opts.Grid{ContainLabel: opts.Bool(true), Left: "1%", Right: "2%", Top: "10", Bottom: "50"}),
		charts.WithVisualMapOpts(opts.VisualMap{Type: "continuous", Min: 0, Max: 100, Calculable: opts.Bool(false),
			Orient: "horizontal", Left: "center", Bottom: "0", Text: []string{scaleText[1], scaleText[0]},
			InRange: &opts.VisualMapInRange{Color: []string{"#f7fbff", "#6baed6", "#08306b"}}}))...)
	h.SetXAxis(columns)
	var shown, hidden []opts.HeatMapData
	for _, c := range cells {
		if c.Hidden {
			hidden = append(hidden, opts.HeatMapData{Value: []any{c.X, c.Y, 0}, Name: c.Label})
			continue
		}
		shown = append(shown, opts.HeatMapData{Value: []any{c.X, c.Y, round(c.Colour)}, Name: c.Label})
	}
	label := opts.Label{Show: opts.Bool(true), Formatter: "{b}"}
	h.AddSeries("values", shown, charts.WithLabelOpts(label))
	h.AddSeries("hidden", hidden, charts.WithLabelOpts(label), charts.WithItemStyleOpts(opts.ItemStyle{Color: "#e6e6e6"}))
	return finish(h, func(o map[string]any) {
		if vm, ok := o["visualMap"].([]any); ok && len(vm) == 1 {
			if m, ok := toMap(vm[0]); ok {
				m["seriesIndex"] = 0
				m["calculable"] = false
				o["visualMap"] = []any{m}
			}
		}
		o["legend"] = map[string]any{"show": false}
		o["aria"] = map[string]any{"enabled": true, "decal": map[string]any{"show": false}} // patterns would hide the labels
		ss, _ := o["series"].([]any)
		for _, s := range ss {
			if m, ok := toMap(s); ok {
				// labels: dark text on light cells is the ECharts default; keep it readable on dark ones
				m["label"] = map[string]any{"show": true, "formatter": "{b}", "fontSize": 11, "textBorderColor": "#fff", "textBorderWidth": 2, "color": "#111"}
			}
		}
	})
}

// forestChart draws estimates with intervals on a horizontal value axis,
// one row per term, with a line at 0.
func forestChart(id string, terms []string, ps []point, xName string) (map[string]any, error) {
	c := charts.NewCustom()
	c.SetGlobalOptions(append(common(id),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: xName, NameLocation: "middle", NameGap: 28, Scale: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: terms, Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}))...)
	data := make([]opts.CustomData, 0, len(ps))
	for i, p := range ps {
		if p.Hidden || math.IsNaN(p.Value) {
			continue
		}
		data = append(data, opts.CustomData{Value: []any{i, round(p.Value), round(p.Low), round(p.High)}})
	}
	c.AddSeries("estimate", data, charts.WithCustomChartOpts(opts.CustomChart{RenderItem: "interval"}),
		charts.WithEncodeOpts(opts.Encode{X: []int{1, 2, 3}, Y: 0}),
		charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{XAxis: 0}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, Label: &opts.Label{Show: opts.Bool(false)}}))
	return finish(c, func(o map[string]any) {
		if ys, ok := o["yAxis"].([]any); ok && len(ys) > 0 {
			if m, ok := toMap(ys[0]); ok {
				m["data"] = terms
			}
		}
	})
}

// toMap is v as a JSON object (finish turns go-echarts' structs into
// maps so that a patch can set what go-echarts lacks).
func toMap(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	return nil, false
}
