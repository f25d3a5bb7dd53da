package reports

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/spc"
	"github.com/evalpipe/evalpipe/warehouse"
)

// Monthly series are drawn as XmR charts in the NHS England "Making Data
// Count" style (METRICS.md, "Statistical process control"): the spc package
// does the arithmetic, this file lays the chart and the headline icons out
// for kpi.html.tmpl. Colours are the Making Data Count palette as
// NHSRplotthedots' ptd_spc_colours has it, with the shapes differing too
// (circle, diamond, square) so that nothing is told by colour alone; the
// table under each chart names every point's type.
const (
	mdcCommon      = "#7B7D7D" // common cause: grey
	mdcImprovement = "#289DE0" // special cause improvement: blue
	mdcConcern     = "#E46C0A" // special cause concern: orange
	mdcNeutral     = "#490092" // special cause, neither: purple
	mdcTarget      = "#B5121B" // target / national standard: dark red
	mdcLine        = "#7B7D7D" // the line joining the points, mean, limits
)

// spcChart is one XmR chart laid out for the template.
type spcChart struct {
	ID, Title, Desc                          string
	Width, Height                            string
	PlotLeft, PlotRight, PlotTop, PlotBottom string
	XLabel, YLabel                           string
	XLabelX, XLabelY, YLabelX, YLabelY       string
	XTicks                                   []monthTick
	YTicks                                   []tick
	Segments                                 []string // the value line; a gap at each missing month
	LineColour                               string
	Points                                   []spcMark
	Lines                                    []refLine // mean, limits, target
	Legend                                   []legendItem
	Summary                                  string   // mean and limits in words
	Notes                                    []string // gaps, latest point, assurance
	Warning                                  string   // fewer than 12 points, or no SPC at all
	Table                                    chartTable
}

type monthTick struct {
	Pos, Label, Year string // Year only where it changes
	TextY, YearY     string
}

// spcMark is one point; Shape is circle, diamond or square.
type spcMark struct {
	X, Y, R, Shape, Path string
	Fill, Stroke, Label  string
}

// refLine is a horizontal line per phase (mean, limits) or across the chart
// (target), with its label in the right margin.
type refLine struct {
	Points         []string // x1,y1 x2,y2 per phase
	Colour, Dash   string
	StrokeWidth    string
	Label          string
	LabelX, LabelY string
	Y              float64 // for label placement
}

type legendItem struct {
	Kind                 string // circle, diamond, square, line
	X, Y, TextX, TextY   string
	Colour, Dash, Label  string
	Path, SymX, SymY, SR string
}

// badge is a Making Data Count icon drawn inline: a coloured disc with a
// letter (or the common-cause squiggle) and a text label.
type badge struct {
	Label    string // "Special cause improvement (high)"
	Title    string // the label and what it was read from
	Fill     string
	Ink      string // letter colour, chosen for contrast with Fill
	Letter   string // "H", "L", "P", "F", "?"; empty: draw the squiggle
	Squiggle bool
}

// trendIcons are the variation and assurance icons of one series, for the
// headline table.
type trendIcons struct {
	Variation *badge
	Assurance *badge // nil without a target or with neutral improvement
}

var typeLabels = map[string]string{
	spc.CommonCause:             "Common cause",
	spc.SpecialCauseImprovement: "Special cause improvement",
	spc.SpecialCauseConcern:     "Special cause concern",
	spc.SpecialCauseNeutral:     "Special cause, neither improvement nor concern",
}

var ruleLabels = map[string]string{
	spc.RuleOutsideLimits: "outside the process limits",
	spc.RuleTrend:         "trend of 7 rising or falling",
	spc.RuleTwoOfThree:    "2 of 3 near a limit",
	spc.RuleRun:           "run of 7 on one side of the mean",
}

func typeStyle(t string) (fill, shape string) {
	switch t {
	case spc.SpecialCauseImprovement:
		return mdcImprovement, "circle"
	case spc.SpecialCauseConcern:
		return mdcConcern, "diamond"
	case spc.SpecialCauseNeutral:
		return mdcNeutral, "square"
	}
	return mdcCommon, "circle"
}

// improvement maps the catalogue's Direction to spc's; anything unknown is
// neutral, so a mistyped catalogue entry never colours a point as good or
// bad.
func improvement(direction string) string {
	switch direction {
	case "up", "down":
		return direction
	}
	return "neutral"
}

func variationBadge(v, latest string, n int) *badge {
	b := &badge{Ink: "#FFFFFF"}
	switch v {
	case "improvement_high", "improvement_low":
		b.Fill, b.Label = mdcImprovement, "Special cause improvement"
	case "concern_high", "concern_low":
		b.Fill, b.Ink, b.Label = mdcConcern, "#111111", "Special cause concern"
	case "neither_high", "neither_low":
		b.Fill, b.Label = mdcNeutral, "Special cause, neither improvement nor concern"
	default:
		b.Fill, b.Label, b.Squiggle = mdcCommon, "Common cause variation", true
	}
	switch {
	case strings.HasSuffix(v, "_high"):
		b.Label += " (high)"
		b.Letter = "H"
	case strings.HasSuffix(v, "_low"):
		b.Label += " (low)"
		b.Letter = "L"
	}
	b.Title = b.Label + ": the latest month, " + latest + ", read against " + strconv.Itoa(n) + " months"
	return b
}

func assuranceBadge(a *string, target string) *badge {
	if a == nil {
		return nil
	}
	b := &badge{Ink: "#FFFFFF"}
	switch *a {
	case spc.ConsistentPass:
		b.Fill, b.Letter, b.Label = mdcImprovement, "P", "Consistently passes target"
	case spc.ConsistentFail:
		b.Fill, b.Ink, b.Letter, b.Label = mdcConcern, "#111111", "F", "Consistently fails target"
	default:
		b.Fill, b.Letter, b.Label = mdcCommon, "?", "Hit and miss target"
	}
	b.Title = b.Label + ": the target (" + target + ") against the process limits"
	return b
}

// newSPCTrend lays out the XmR chart of one published monthly series.
// Suppressed and missing months are gaps: they are drawn as breaks in the
// line and left out of the SPC calculation, so the mean, limits and rules
// use the published months only.
func (r *kpiReport) newSPCTrend(chartID, metricID string, pts []warehouse.SeriesPoint) (*spcChart, *trendIcons) {
	const (
		h0, plotH                = 16.0, 200.0
		left, right              = 64.0, 112.0
		tickGap, yearGap, titleG = 14.0, 12.0, 44.0
	)
	m := r.cat[metricID]
	title := r.title(metricID)
	x0, x1 := left, chartWidth-right
	y1, y0 := h0, h0+plotH

	// The published values, in month order, and which months they are.
	type month struct {
		label, text string
		t           time.Time
		raw         *float64
		row         row
	}
	months := make([]month, len(pts))
	var vals []float64
	var at []int // index into months of each value
	for i, sp := range pts {
		mo := month{label: monthLabel(sp.Month), row: r.row(metricID, sp.Month, sp.Value)}
		mo.t, _ = time.Parse("2006-01", sp.Month)
		mo.text = mo.row.Value
		if !sp.Suppressed && sp.Value.Value != nil && finite(*sp.Value.Value) {
			x := *sp.Value.Value
			mo.raw = &x
			vals = append(vals, x)
			at = append(at, i)
		}
		months[i] = mo
	}
	gaps := len(pts) - len(vals)

	var chart *spc.Chart
	warning := ""
	if len(vals) >= 2 {
		opt := spc.Options{Improvement: improvement(m.Direction), Target: m.Standard}
		if rm := r.rebase[metricID]; rm != "" { // a new phase from the first published month on or after it
			for k, i := range at {
				if pts[i].Month >= rm {
					if k > 0 {
						opt.RebaseAt = []int{k}
					}
					break
				}
			}
		}
		c, err := spc.XmR(vals, opt)
		if err != nil && opt.RebaseAt != nil { // a phase too short: one phase, as the warehouse does
			opt.RebaseAt = nil
			c, err = spc.XmR(vals, opt)
		}
		if err != nil {
			warning = "No SPC limits: " + err.Error() + "."
		} else {
			chart = &c
			if c.Warning != "" {
				warning = "Fewer than " + strconv.Itoa(spc.ShortPhase) + " published months (" + strconv.Itoa(len(vals)) +
					"): the process limits and icons are indicative only; Making Data Count advises at least " +
					strconv.Itoa(spc.ShortPhase) + " points."
			}
		}
	} else {
		warning = "Too few published months (" + strconv.Itoa(len(vals)) + ") for SPC limits: at least 2 are needed, and " +
			strconv.Itoa(spc.ShortPhase) + " for reliable limits."
	}

	// Value range: the points, the limits, the target; per cent for
	// proportions, never below zero, never above 100%.
	disp := func(x float64) float64 { return display(m.Unit, x) }
	lo, hi := math.Inf(1), math.Inf(-1)
	widen := func(x float64) {
		if finite(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	for _, v := range vals {
		widen(disp(v))
	}
	if chart != nil {
		for _, p := range chart.Points {
			widen(disp(p.LPL))
			widen(disp(p.UPL))
		}
	}
	if m.Standard != nil {
		widen(disp(*m.Standard))
	}
	lo, hi = axisRange(lo, hi, m.Unit == "proportion")
	yOf := func(v float64) float64 { return y0 - (y0-y1)*(v-lo)/(hi-lo) }
	inRange := func(v float64) bool { return v >= lo-1e-9 && v <= hi+1e-9 }
	band := (x1 - x0) / float64(max1(len(pts)))
	xOf := func(i int) float64 { return x0 + band*(float64(i)+0.5) }
	tickLabel := tickFunc(m.Unit)

	c := &spcChart{
		ID: chartID, Title: title + " by month",
		PlotLeft: px(x0), PlotRight: px(x1), PlotTop: px(y1), PlotBottom: px(y0),
		XLabel: "Month", YLabel: axisLabel(m.Unit),
		XLabelX: px((x0 + x1) / 2), XLabelY: px(y0 + titleG),
		YLabelX: px(14), YLabelY: px((y0 + y1) / 2),
		LineColour: mdcLine,
		Warning:    warning,
	}
	for _, t := range ticksBetween(lo, hi) {
		c.YTicks = append(c.YTicks, tick{Pos: px(yOf(t)), Label: tickLabel(t)})
	}
	every := 1 + (len(pts)-1)/12 // at most 12 month labels
	lastYear := -1
	for i, mo := range months {
		if i%every != 0 {
			continue
		}
		mt := monthTick{Pos: px(xOf(i)), Label: mo.label, TextY: px(y0 + tickGap), YearY: px(y0 + tickGap + yearGap)}
		if !mo.t.IsZero() {
			mt.Label = mo.t.Format("Jan")
			if mo.t.Year() != lastYear {
				mt.Year = strconv.Itoa(mo.t.Year())
				lastYear = mo.t.Year()
			}
		}
		c.XTicks = append(c.XTicks, mt)
	}

	// The value line, broken at gaps.
	seg := ""
	for i, mo := range months {
		if mo.raw == nil {
			if seg != "" {
				c.Segments = append(c.Segments, seg)
			}
			seg = ""
			continue
		}
		if seg != "" {
			seg += " "
		}
		seg += px(xOf(i)) + "," + px(yOf(disp(*mo.raw)))
	}
	if seg != "" {
		c.Segments = append(c.Segments, seg)
	}

	// Points, coloured and shaped by type.
	types := map[string]bool{}
	spcText := make([]string, len(months))
	for k, i := range at {
		mo := months[i]
		typ, rule := spc.CommonCause, ""
		if chart != nil {
			p := chart.Points[k]
			typ = p.Type
			if p.Rule != nil {
				rule = ruleLabels[*p.Rule]
			}
		}
		types[typ] = true
		fill, shape := typeStyle(typ)
		label := mo.label + ": " + mo.text
		if chart != nil {
			spcText[i] = typeLabels[typ]
			if rule != "" {
				spcText[i] += " (" + rule + ")"
			}
			label += ", " + strings.ToLower(spcText[i][:1]) + spcText[i][1:]
		}
		x, y := xOf(i), yOf(disp(*mo.raw))
		mk := spcMark{X: px(x), Y: px(y), Shape: shape, Fill: fill, Label: label, R: "3.5"}
		if typ != spc.CommonCause {
			mk.Stroke = "#111111"
			switch shape {
			case "circle":
				mk.R = "5"
			case "diamond":
				mk.Path = diamond(x, y, 6.5)
			case "square":
				mk.Path = square(x, y, 5)
			}
		}
		c.Points = append(c.Points, mk)
	}

	// Mean and limits per phase, target across the chart; each labelled in
	// the right margin.
	format := func(x float64) string { return formatValue(m.Unit, x) }
	if chart != nil {
		for _, which := range []struct {
			name, dash string
			width      string
			get        func(spc.Point) float64
		}{
			{"Mean", "", "1.5", func(p spc.Point) float64 { return p.Mean }},
			{"Upper limit", "5 3", "1.2", func(p spc.Point) float64 { return p.UPL }},
			{"Lower limit", "5 3", "1.2", func(p spc.Point) float64 { return p.LPL }},
		} {
			l := refLine{Colour: mdcLine, Dash: which.dash, StrokeWidth: which.width}
			var last float64
			start := -1
			flush := func(end int) {
				if start < 0 || !inRange(disp(last)) {
					return
				}
				y := px(yOf(disp(last)))
				l.Points = append(l.Points, px(xOf(at[start])-band/2)+","+y+" "+px(xOf(at[end])+band/2)+","+y)
			}
			for k, p := range chart.Points {
				v := which.get(p)
				if start >= 0 && v != last {
					flush(k - 1)
					start = -1
				}
				if start < 0 {
					start = k
				}
				last = v
			}
			flush(len(chart.Points) - 1)
			if len(l.Points) == 0 {
				continue // beyond the axis (a limit below zero)
			}
			l.Label = which.name + " " + format(last)
			l.Y = yOf(disp(last))
			c.Lines = append(c.Lines, l)
		}
		c.Summary = "Mean " + format(chart.Mean) + "; process limits " + format(chart.LPL) + " to " + format(chart.UPL) + "."
	}
	if m.Standard != nil {
		y := yOf(disp(*m.Standard))
		c.Lines = append(c.Lines, refLine{
			Points: []string{px(x0) + "," + px(y) + " " + px(x1) + "," + px(y)},
			Colour: mdcTarget, Dash: "2 3", StrokeWidth: "2",
			Label: "Target " + format(*m.Standard), Y: y,
		})
	}
	placeLabels(c.Lines, x1+6, y1, y0+8)

	// Legend: the point types shown, then the lines.
	var items []legendItem
	for _, t := range []string{spc.CommonCause, spc.SpecialCauseImprovement, spc.SpecialCauseConcern, spc.SpecialCauseNeutral} {
		if types[t] {
			fill, shape := typeStyle(t)
			items = append(items, legendItem{Kind: shape, Colour: fill, Label: typeLabels[t]})
		}
	}
	if chart != nil {
		items = append(items, legendItem{Kind: "line", Colour: mdcLine, Label: "Mean"},
			legendItem{Kind: "line", Colour: mdcLine, Dash: "5 3", Label: "Process limits"})
	}
	if m.Standard != nil {
		items = append(items, legendItem{Kind: "line", Colour: mdcTarget, Dash: "2 3", Label: "Target (national standard)"})
	}
	legendTop := y0 + titleG + 22
	rows := layoutLegend(items, x0-40, chartWidth-8, legendTop)
	c.Legend = items
	height := legendTop + 16*float64(rows) + 4
	c.Width, c.Height = px(chartWidth), px(height)

	// Words: the description, the notes, the table.
	desc := "XmR chart (statistical process control) of " + title + " for each month"
	if len(pts) > 0 {
		desc += " from " + months[0].label + " to " + months[len(months)-1].label
	}
	desc += ". Points are coloured and shaped by type: grey circles common cause, blue circles special cause improvement, orange diamonds special cause concern, purple squares special cause neither improvement nor concern. A solid grey line is the mean and dashed grey lines the process limits"
	if m.Standard != nil {
		desc += "; a dotted red line is the target, the " + format(*m.Standard) + " national standard"
	}
	desc += "."
	if c.Summary != "" {
		desc += " " + c.Summary
	}
	c.Desc = desc
	if gaps > 0 {
		c.Notes = append(c.Notes, strconv.Itoa(gaps)+" suppressed or missing month(s) are gaps in the line and are left out of the SPC calculation: the mean, limits and rules use the "+strconv.Itoa(len(vals))+" published months, so a run or trend may span a gap.")
	}
	var icons *trendIcons
	if chart != nil {
		latest := months[at[len(at)-1]].label
		icons = &trendIcons{Variation: variationBadge(chart.Variation, latest, len(vals))}
		c.Notes = append(c.Notes, "Latest month ("+latest+"): "+strings.ToLower(icons.Variation.Label[:1])+icons.Variation.Label[1:]+".")
		if m.Standard != nil {
			icons.Assurance = assuranceBadge(chart.Assurance, format(*m.Standard))
			if icons.Assurance != nil {
				c.Notes = append(c.Notes, "Assurance against the "+format(*m.Standard)+" target: "+strings.ToLower(icons.Assurance.Label[:1])+icons.Assurance.Label[1:]+".")
			}
		}
		if warning != "" {
			icons.Variation.Title += " (" + warning + ")"
		}
	}
	c.Table = chartTable{Caption: title + " by month (table of the chart)", Header: []string{"Month", "Value", "Numerator", "Denominator", "SPC point type"}}
	for i, mo := range months {
		s := spcText[i]
		if mo.raw == nil {
			s = "gap: left out of SPC"
		} else if s == "" {
			s = "—"
		}
		c.Table.Rows = append(c.Table.Rows, []string{mo.label, mo.text, mo.row.Numerator, mo.row.Denominator, s})
	}
	return c, icons
}

// axisRange pads [lo, hi] to round steps, keeping zero as a floor and 100%
// as a ceiling for percentages.
func axisRange(lo, hi float64, percent bool) (float64, float64) {
	if !finite(lo) || !finite(hi) {
		if percent {
			return 0, 100
		}
		return 0, 1
	}
	if hi-lo < 1e-9 {
		pad := math.Max(math.Abs(hi)*0.1, 1)
		lo, hi = lo-pad, hi+pad
	}
	step := niceStep((hi - lo) / 5)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	if hi == lo {
		hi += step
	}
	if lo < 0 {
		lo = 0
	}
	if percent && hi > 100 {
		hi = 100
	}
	return lo, hi
}

// ticksBetween returns round values from lo to hi, about five steps.
func ticksBetween(lo, hi float64) []float64 {
	step := niceStep((hi - lo) / 5)
	var ts []float64
	for t := math.Ceil(lo/step-1e-9) * step; t <= hi+step*1e-6; t += step {
		ts = append(ts, math.Round(t/step)*step)
	}
	return ts
}

// placeLabels puts each line's label in the right margin at its line's
// height, pushed apart so that no two overlap (11 px apart at least) and
// kept between top and bottom.
func placeLabels(ls []refLine, x, top, bottom float64) {
	const gap = 11.0
	idx := make([]int, len(ls))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ls[idx[a]].Y < ls[idx[b]].Y })
	ys := make([]float64, len(idx))
	for k, i := range idx {
		ys[k] = ls[i].Y + 4
		if k > 0 && ys[k] < ys[k-1]+gap {
			ys[k] = ys[k-1] + gap
		}
	}
	// Pushed past the bottom: shift the stack up.
	if n := len(ys); n > 0 && ys[n-1] > bottom {
		ys[n-1] = bottom
		for k := n - 2; k >= 0; k-- {
			if ys[k] > ys[k+1]-gap {
				ys[k] = ys[k+1] - gap
			}
		}
	}
	for k, i := range idx {
		ls[i].LabelX, ls[i].LabelY = px(x), px(math.Max(ys[k], top+8))
	}
}

// layoutLegend places the items in rows from x0 to x1 starting at y and
// returns the number of rows.
func layoutLegend(items []legendItem, x0, x1, y float64) int {
	if len(items) == 0 {
		return 0
	}
	x, rows := x0, 1
	for i := range items {
		w := 26 + 6.2*float64(len([]rune(items[i].Label))) + 14
		if x > x0 && x+w > x1 {
			x, y, rows = x0, y+16, rows+1
		}
		it := &items[i]
		it.X, it.Y = px(x), px(y-4)
		it.SymX, it.SymY = px(x+9), px(y-4)
		it.TextX, it.TextY = px(x+22), px(y)
		switch it.Kind {
		case "circle":
			it.SR = "4.5"
		case "diamond":
			it.Path = diamond(x+9, y-4, 6)
		case "square":
			it.Path = square(x+9, y-4, 4.5)
		}
		x += w
	}
	return rows
}

func diamond(x, y, r float64) string {
	return "M" + px(x) + " " + px(y-r) + "L" + px(x+r) + " " + px(y) + "L" + px(x) + " " + px(y+r) + "L" + px(x-r) + " " + px(y) + "Z"
}

func square(x, y, r float64) string {
	return "M" + px(x-r) + " " + px(y-r) + "H" + px(x+r) + "V" + px(y+r) + "H" + px(x-r) + "Z"
}
