package reports

import (
	"fmt"
	"strings"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The crisis-service savings report: the pre/post cohort, the area series
// as XmR charts rebased at the launch, savings with their interval, the
// return per £1, experience against the benchmark, and the unit costs with
// their sources and price years. Without configured costs it says so and
// shows no savings figure.

func buildCrisis(in Inputs, cat []warehouse.Metric, p Policy) (*document, error) {
	if err := need(ReportCrisis, in.Crisis, "crisis"); err != nil {
		return nil, err
	}
	d := newDocument(ReportCrisis, "Crisis service: contacts before and after, and savings", in.Crisis, cat, p)
	d.Subtitle = "Crisis contacts of people before and after their first peer contact, the area's A&E attendances and admissions, and what the change is worth."
	n := 0
	nextID := func() string { n++; return fmt.Sprintf("crisis-chart-%d", n) }

	costs := d.firstTable("crisis_savings_gbp", "")
	publishUnitCosts(costs, in.Crisis)
	noCosts := costs == nil || len(costs.Rows) == 0
	sv, hasSaving := d.metric("crisis_savings_gbp")

	d.Summary = append(d.Summary, "People in the before-and-after cohort: "+countText(d.pub.Metrics["crisis_pre_post"])+".")
	switch {
	case noCosts:
		d.Summary = append(d.Summary, "No savings figure: no unit costs are configured, so no saving can be priced.")
	case !hasSaving:
		d.Summary = append(d.Summary, "No savings figure can be published for this period: the before-and-after cohort is too small (fewer than 5) or the saving could not be estimated.")
	default:
		d.Summary = append(d.Summary, "Estimated saving: "+d.show("crisis_savings_gbp")+"; return per £1 spent: "+d.show("return_per_pound")+".")
	}
	d.Summary = append(d.Summary, "Experience good or excellent: "+d.show("crisis_experience_good_pct")+".")
	_ = sv

	pp := docSection{ID: "pre-post", Title: "Before and after the first peer contact"}
	if t := d.firstTable("crisis_pre_post", ""); t != nil {
		pp.Paragraphs = append(pp.Paragraphs, "Crisis contacts of the same people in equal windows before and after their first peer contact (the index date). A fall may partly be regression to the mean: people often start support at a crisis peak.")
		pp.Tables = append(pp.Tables, d.docTableOf(t, labelOf))
		var data []barDatum
		tbl := chartTable{Caption: "Contacts before and after (table of the chart)", Header: []string{"Kind and window", "Contacts"}}
		top := 0.0
		for _, r := range t.Rows {
			if r.Label == "all" || r.Label == "acute_admission_bed_days" || len(r.Cells) < 2 {
				continue
			}
			for i, w := range []string{"before", "after"} {
				v := r.Cells[i]
				bd := barDatum{Label: truncate(labelOf(r.Label), 24) + ", " + w, Text: formatCell("count", v).Main}
				if !v.Suppressed && v.Value != nil {
					x := *v.Value
					bd.Value = &x
					top = maxf(top, x)
				}
				if v.Value != nil && *v.Value == 0 && !v.Suppressed {
					continue // a kind nobody had: no bar
				}
				data = append(data, bd)
				tbl.Rows = append(tbl.Rows, []string{labelOf(r.Label) + ", " + w, bd.Text})
			}
		}
		drawn := false
		for _, bd := range data {
			drawn = drawn || bd.Value != nil
		}
		if len(data) > 0 && !drawn {
			// A chart of nothing but "suppressed" reads as a broken chart.
			pp.Paragraphs = append(pp.Paragraphs, "No chart is drawn: every count before and after is suppressed (fewer than 5) in this period; the table shows what can be published.")
		}
		if drawn {
			pp.Bars = append(pp.Bars, newBarChart(nextID(), "Crisis contacts before and after the first peer contact",
				"Horizontal bars: contacts of each kind in the window before and the window after; kinds nobody had are left out.",
				"Contacts (number)", niceMax(top), data, formatCount, tbl))
		}
	}
	pp.Rows = d.rows("crisis_pre_post", "crisis_contacts", "crisis_contacts_per_1000")
	d.Sections = append(d.Sections, pp)

	area := docSection{ID: "area", Title: "Area A&E attendances and admissions"}
	area.Paragraphs = append(area.Paragraphs, "Monthly counts for the area as XmR charts (Making Data Count). Where a launch date is configured the mean and limits are recalculated from the first month on or after it, so a shift after the launch shows as a new phase.")
	d.kr.rebase = map[string]string{}
	for _, id := range []string{"crisis_ae_attendances", "crisis_acute_admissions"} {
		pts, ok := d.pub.Series[id]
		if !ok {
			continue
		}
		var notes []string
		if t := d.firstTable(id, ""); t != nil {
			notes = append(notes, t.Note)
			if i := strings.Index(t.Note, "rebased at "); i >= 0 && len(t.Note) >= i+18 {
				d.kr.rebase[id] = t.Note[i+11 : i+18]
			}
		}
		c, _ := d.kr.newSPCTrend(nextID(), id, pts)
		for _, nt := range notes {
			if nt != "" {
				c.Notes = append(c.Notes, nt)
			}
		}
		area.SPC = append(area.SPC, c)
	}
	if len(area.SPC) == 0 {
		area.Callout = "No area series were computed for this period."
	}
	d.Sections = append(d.Sections, area)

	sav := docSection{ID: "savings", Title: "Savings and return per £1"}
	if noCosts {
		sav.Callout = "No unit costs are configured (evaluation.unit_costs in the config file), so there is no savings figure and no return per £1. Configure each kind's cost with its source and price year to price the change."
	} else {
		sav.Paragraphs = append(sav.Paragraphs, "Saving = Σ over kinds of (contacts before − contacts after) × unit cost (bed days for admissions), with a percentile bootstrap 95% interval over people. Return per £1 = saving ÷ the programme's recorded cost in the period.")
		sav.Rows = d.rows("crisis_savings_gbp", "return_per_pound")
		for i := range sav.Rows {
			if sav.Rows[i].ID == "crisis_savings_gbp" || sav.Rows[i].ID == "return_per_pound" {
				fixGBP(&sav.Rows[i])
			}
		}
	}
	if costs != nil {
		dt := d.docTableOf(costs, labelOf)
		dt.Title = "Unit costs used, with sources and price years"
		sav.Tables = append(sav.Tables, dt)
	}
	d.Sections = append(d.Sections, sav)

	exp := docSection{ID: "experience", Title: "Experience against the benchmark"}
	exp.Rows = d.rows("crisis_experience_good_pct")
	d.Sections = append(d.Sections, exp)
	d.appendix()
	return d, nil
}

// fixGBP formats a money row: £ and the interval in £ (formatValue knows
// no gbp).
func fixGBP(r *row) {
	if r.Suppressed || r.v.Value == nil {
		return
	}
	unit := "gbp"
	if r.ID == "return_per_pound" {
		unit = "gbp_per_gbp"
		r.Value = "£" + trimFloat(*r.v.Value, 2)
	} else {
		r.Value = formatCellValue(unit, *r.v.Value)
	}
	if r.v.CI95 != nil {
		if unit == "gbp" {
			r.CI = formatCellValue(unit, r.v.CI95[0]) + " to " + formatCellValue(unit, r.v.CI95[1])
		} else {
			r.CI = "£" + trimFloat(r.v.CI95[0], 2) + " to £" + trimFloat(r.v.CI95[1], 2)
		}
	}
	if r.Numerator != "—" && unit == "gbp_per_gbp" {
		r.Numerator = formatCellValue("gbp", *r.v.Numerator)
	}
	if r.Denominator != "—" && unit == "gbp_per_gbp" {
		r.Denominator = formatCellValue("gbp", *r.v.Denominator)
	}
}

// publishUnitCosts puts the configured cost per unit back into the
// published unit-cost table: it is configuration with a cited source, not
// a figure about people, but the policy cannot tell a £ column of costs
// from one of savings and withholds both for want of a cohort size.
func publishUnitCosts(pub *warehouse.Table, raw *warehouse.Result) {
	if pub == nil {
		return
	}
	col := -1
	for i, c := range pub.Columns {
		if c.ID == "cost_gbp" {
			col = i
		}
	}
	if col < 0 {
		return
	}
	for _, t := range raw.Tables {
		if t.Metric != pub.Metric || t.Title != pub.Title || len(t.Rows) != len(pub.Rows) {
			continue
		}
		for r := range t.Rows {
			if col < len(t.Rows[r].Cells) && col < len(pub.Rows[r].Cells) {
				pub.Rows[r].Cells[col] = cloneValue(t.Rows[r].Cells[col])
			}
		}
	}
}
