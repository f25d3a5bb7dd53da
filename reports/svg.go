package reports

import (
	"math"
	"strconv"
)

// A tiny chart helper for the HTML reports: it lays charts out (coordinates
// as strings) and the html/template in kpi.html.tmpl draws them as inline
// SVG, so every label from the data is escaped by the template. Two kinds
// cover the reports: horizontal bars with optional standard marks (here),
// and monthly XmR charts (spcchart.go). Bar colours are Okabe-Ito
// (colour-blind safe), and no meaning is carried by colour alone: values and
// standards are also written as text and in the table under each chart.

const (
	colourBar      = "#0072B2" // Okabe-Ito blue
	colourStandard = "#D55E00" // Okabe-Ito vermillion
	colourAxis     = "#000000"
	chartWidth     = 640.0
)

// chartTable is the table equivalent printed under every chart.
type chartTable struct {
	Caption string
	Header  []string
	Rows    [][]string
}

type tick struct {
	Pos   string // pixel position along the axis
	Label string
}

// barChart is a horizontal bar chart.
type barChart struct {
	ID, Title, Desc     string
	Width, Height       string
	PlotLeft, PlotRight string // x of the value axis ends
	AxisY, LabelX       string
	XLabel, XLabelX     string
	XLabelY             string
	Ticks               []tick
	Bars                []bar
	HasStandard         bool
	LegendY             string
	Colour, StdColour   string
	Table               chartTable
}

type bar struct {
	Label                 string
	Y, H, TextY           string
	W                     string // bar width; "" when the value is missing
	ValueX, ValueText     string
	MarkX, MarkY1, MarkY2 string // standard mark; MarkX "" when none
}

// barDatum is one bar in display units (per cent for proportions).
type barDatum struct {
	Label string
	Value *float64 // nil: suppressed or missing; Text says which
	Text  string
	Mark  *float64
}

// newBarChart lays out bars on a 0..max scale (max 100 for percentages).
func newBarChart(id, title, desc, xLabel string, max float64, data []barDatum, tickLabel func(float64) string, table chartTable) *barChart {
	const (
		top, rowH, barH, bottom = 16.0, 30.0, 20.0, 56.0
		left, right             = 220.0, 120.0
	)
	h := top + rowH*float64(len(data)) + bottom
	x0, x1 := left, chartWidth-right
	scale := func(v float64) float64 {
		if max <= 0 {
			return x0
		}
		return x0 + (x1-x0)*math.Min(math.Max(v, 0), max)/max
	}
	c := &barChart{
		ID: id, Title: title, Desc: desc,
		Width: px(chartWidth), Height: px(h),
		PlotLeft: px(x0), PlotRight: px(x1),
		AxisY: px(top + rowH*float64(len(data))), LabelX: px(x0 - 8),
		XLabel: xLabel, XLabelX: px((x0 + x1) / 2), XLabelY: px(h - 18),
		LegendY: px(h - 4),
		Colour:  colourBar, StdColour: colourStandard,
		Table: table,
	}
	for _, t := range niceTicks(max) {
		c.Ticks = append(c.Ticks, tick{Pos: px(scale(t)), Label: tickLabel(t)})
	}
	for i, d := range data {
		y := top + rowH*float64(i) + (rowH-barH)/2
		b := bar{Label: d.Label, Y: px(y), H: px(barH), TextY: px(y + barH/2 + 4), ValueText: d.Text}
		end := x0
		if d.Value != nil && finite(*d.Value) {
			end = scale(*d.Value)
			b.W = px(end - x0)
		}
		b.ValueX = px(end + 4)
		if d.Mark != nil {
			c.HasStandard = true
			b.MarkX, b.MarkY1, b.MarkY2 = px(scale(*d.Mark)), px(y-3), px(y+barH+3)
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// niceTicks returns 0 and about five round steps up to max.
func niceTicks(max float64) []float64 {
	if max <= 0 || !finite(max) {
		return []float64{0}
	}
	step := niceStep(max / 5)
	var ts []float64
	for t := 0.0; t <= max*1.0000001; t += step {
		ts = append(ts, t)
	}
	return ts
}

func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// niceMax rounds the largest value up to a whole number of nice steps, so
// the axis ends on a labelled tick.
func niceMax(x float64) float64 {
	if x <= 0 || !finite(x) {
		return 1
	}
	step := niceStep(x / 5)
	return math.Ceil(x/step) * step
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func px(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
