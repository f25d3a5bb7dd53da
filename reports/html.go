package reports

import (
	_ "embed"
	"html/template"
	"io"
	"strconv"
	"time"
)

//go:embed kpi.html.tmpl
var kpiHTML string

// kpiTemplate is parsed once; html/template escapes every string from the
// data (service names, groups, titles) in its context, including inside the
// SVG charts.
var kpiTemplate = template.Must(template.New("kpi").Parse(kpiHTML))

// htmlKPI is what the template sees: the report plus its charts.
type htmlKPI struct {
	*kpiReport
	HeadlineChart *barChart
	Trends        []*spcChart
	Icons         map[string]*trendIcons // by metric id; none without a series
	BreakdownView []htmlBreakdown
}

type htmlBreakdown struct {
	breakdown
	Chart *barChart // for the referral-source and wait-band breakdowns
}

// chartDimensions are the breakdowns drawn as a bar chart as well as a table.
var chartDimensions = map[string]bool{"referral_source": true, "wait_band": true}

func writeHTML(r *kpiReport, w io.Writer) error {
	v := htmlKPI{kpiReport: r}
	n := 0
	nextID := func() string { n++; return "chart-" + strconv.Itoa(n) }

	// (a) headline proportions against their standards.
	var bars []barDatum
	tbl := chartTable{Caption: "Headline percentages (table of the chart)", Header: []string{"KPI", "Value", "Standard", "Met?"}}
	for _, x := range r.Headline {
		if x.Unit != "proportion" {
			continue
		}
		d := barDatum{Label: x.Title, Text: x.Value}
		if !x.Suppressed && x.v.Value != nil {
			d.Value = pct(*x.v.Value)
		}
		if s := r.cat[x.ID].Standard; s != nil {
			d.Mark = pct(*s)
			if x.Met != "" {
				d.Text += ", " + x.Met
			}
		}
		bars = append(bars, d)
		tbl.Rows = append(tbl.Rows, []string{x.Title, x.Value, x.Standard, orDash(x.Met)})
	}
	if len(bars) > 0 {
		v.HeadlineChart = newBarChart(nextID(), "Headline percentages against national standards",
			"Horizontal bars: each headline percentage for "+r.Period+"; a vertical mark shows the national standard where one exists.",
			"Per cent of cohort", 100, bars, pctTick, tbl)
	}

	// (b) an XmR chart for each monthly series; its icons go beside the
	// headline value.
	v.Icons = map[string]*trendIcons{}
	for _, id := range metricOrder(sortedKeys(r.res.Series)) {
		c, icons := r.newSPCTrend(nextID(), id, r.res.Series[id])
		v.Trends = append(v.Trends, c)
		if icons != nil {
			v.Icons[id] = icons
		}
	}

	// (c) breakdowns, with a bar chart for referral sources and waits.
	for _, b := range r.Breakdowns {
		hb := htmlBreakdown{breakdown: b}
		if chartDimensions[b.Dimension] {
			var data []barDatum
			max := 0.0
			t := chartTable{Caption: b.Metric + " by " + b.Lower + " (table of the chart)", Header: []string{b.Label, "Value", "95% interval", "Numerator", "Denominator"}}
			for _, x := range b.Rows {
				d := barDatum{Label: x.Title, Text: x.Value}
				if !x.Suppressed && x.v.Value != nil && finite(*x.v.Value) {
					val := display(b.Unit, *x.v.Value)
					d.Value = &val
					max = maxf(max, val)
				}
				data = append(data, d)
				t.Rows = append(t.Rows, []string{x.Title, x.Value, x.CI, x.Numerator, x.Denominator})
			}
			top := niceMax(max)
			if b.Unit == "proportion" {
				top = 100
			}
			hb.Chart = newBarChart(nextID(), b.Metric+" by "+b.Lower,
				"Horizontal bars: "+b.Metric+" for each "+b.Label+" group; suppressed groups have no bar.",
				axisLabel(b.Unit), top, data, tickFunc(b.Unit), t)
		}
		v.BreakdownView = append(v.BreakdownView, hb)
	}
	return kpiTemplate.Execute(w, v)
}

// display converts a value to the unit the charts draw (per cent for
// proportions).
func display(unit string, x float64) float64 {
	if unit == "proportion" {
		return x * 100
	}
	return x
}

func pct(x float64) *float64 { p := x * 100; return &p }

func pctTick(x float64) string { return trimFloat(x, 1) + "%" }

func tickFunc(unit string) func(float64) string {
	switch unit {
	case "proportion":
		return pctTick
	case "count":
		return formatCount
	}
	return func(x float64) string { return trimFloat(x, 2) }
}

func axisLabel(unit string) string {
	switch unit {
	case "proportion":
		return "Per cent"
	case "count":
		return "Number"
	case "days":
		return "Days"
	case "rate_per_100k":
		return "Per 100,000 population"
	case "mean":
		return "Mean"
	}
	return "Value"
}

func monthLabel(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("Jan 2006")
}

func maxf(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}
