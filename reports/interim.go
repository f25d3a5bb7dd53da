package reports

import (
	"fmt"
	"strings"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The interim evaluation report of a programme (peer coaching by default):
// numbers and voices side by side, its methodology written from the data.

// wellbeingIDs are the outcome measures at follow-up, in METRICS.md order.
var wellbeingIDs = []string{"wemwbs_change", "wemwbs_meaningful_improvement_pct", "swemwbs_change",
	"eq5d_index_change", "eq5d_vas_change", "ascot_change", "pam_level_shift"}

func buildInterim(in Inputs, cat []warehouse.Metric, p Policy) (*document, error) {
	if err := need(ReportInterim, in.Programme, "programme"); err != nil {
		return nil, err
	}
	prog := in.ProgrammeName
	if prog == "" {
		prog = "peer_coaching"
	}
	var tt *warehouse.Result
	if in.TalkingTherapies != nil { // only the programme's own measure
		tt = &warehouse.Result{Period: in.TalkingTherapies.Period, Metrics: map[string]warehouse.Value{}}
		if v, ok := in.TalkingTherapies.Metrics["first_contact_3wk_pct"]; ok {
			tt.Metrics["first_contact_3wk_pct"] = v
		}
	}
	// Programme's consultation audit and peer_impact belong to other reports.
	progOnly := *in.Programme
	progOnly.Metrics = map[string]warehouse.Value{}
	for k, v := range in.Programme.Metrics {
		if k != "consultation_audit" && k != "peer_impact" {
			progOnly.Metrics[k] = v
		}
	}
	progOnly.Tables = nil
	for _, t := range in.Programme.Tables {
		if t.Metric != "consultation_audit" && t.Metric != "peer_impact" {
			progOnly.Tables = append(progOnly.Tables, t)
		}
	}
	res := mergeResults(&progOnly, tt, in.Qualitative, in.Casework)
	title := "Interim evaluation: " + labelOf(prog)
	d := newDocument(ReportInterim, title, res, cat, p)
	d.Subtitle = "A mixed-methods interim report, written from the event data as known on " + d.Prov.AsOf + "."
	n := 0
	nextID := func() string { n++; return fmt.Sprintf("interim-chart-%d", n) }
	label := func(s string) string { return labelOf(s) }

	funnel := d.firstTable("funnel", "")
	wb := d.firstTable("wellbeing_change", "")
	referred := cellCount(funnel, "referred", "count")

	// Summary: the headline of each part.
	d.Summary = append(d.Summary,
		fmt.Sprintf("%s referrals to %s were received between %s and %s; %s reached an onward plan (such as a personal health budget).",
			capital(referred), labelOf(prog), methodDate(d.pub.Period.From), methodDate(d.pub.Period.To), cellCount(funnel, "onward plan", "count")),
		"First contact within 3 weeks: "+d.show("first_contact_3wk_pct")+".",
		"Mean change in wellbeing (WEMWBS, 14-70) from baseline to follow-up: "+d.show("wemwbs_change")+"; "+improved(d)+".",
	)
	if tf := d.firstTable("theme_frequency", "Themes: pieces"); tf != nil && len(tf.Rows) > 0 {
		d.Summary = append(d.Summary, "The most frequent theme in coded feedback was “"+labelOf(tf.Rows[0].Label)+"”.")
	}

	// Methodology, from what the data holds.
	meth := docSection{ID: "methodology", Title: "Methodology"}
	meth.Paragraphs = append(meth.Paragraphs,
		fmt.Sprintf("Cohort: referrals to the %s programme received from %s to %s (service: %s), followed up to the data's as-of date, %s. Every figure is computed by the evaluation pipeline from the event log; events recorded after the as-of date are not seen, so the report is reproducible.",
			labelOf(prog), methodDate(d.pub.Period.From), methodDate(d.pub.Period.To), d.Service, d.Prov.AsOf),
		"Data: "+d.Prov.LakeFiles+" lake files (fingerprint "+d.Prov.Lake+").")
	if t := d.firstTable("data_sources", ""); in.Casework != nil && t != nil {
		meth.Paragraphs[len(meth.Paragraphs)-1] += " The sources and services present are tabled below."
		meth.Tables = append(meth.Tables, d.docTableOf(t, nil))
	}
	if wb != nil {
		var parts []string
		for _, r := range wb.Rows {
			if len(r.Cells) >= 3 {
				parts = append(parts, fmt.Sprintf("%s: %s with a baseline, %s paired, %s lost to follow-up",
					r.Label, countText(r.Cells[0]), countText(r.Cells[1]), countText(r.Cells[2])))
			}
		}
		meth.Paragraphs = append(meth.Paragraphs,
			"Measures, among the referrals that ended in the period (baseline and follow-up; per person the earliest baseline and the latest follow-up after it): "+strings.Join(parts, "; ")+
				". Changes are paired means with a paired t 95% interval and Cohen's d_z; proportions have Wilson 95% intervals.")
	}
	meth.Paragraphs = append(meth.Paragraphs,
		"Missing data: people with a baseline but no follow-up are lost to follow-up and are not imputed; they are counted in the outcome table. Groups with a missing characteristic are shown as “not recorded”.",
		"Qualitative data: feedback coded by evaluators against the project codebook; quotes only where the person consented to be quoted, with identifiers redacted.")
	d.Sections = append(d.Sections, meth)

	// Referrals, funnel and sources.
	ref := docSection{ID: "referrals", Title: "Referrals, funnel and sources"}
	if funnel != nil {
		ref.Paragraphs = append(ref.Paragraphs, "How far each referral received in the period got: a stage counts as reached when it or a later stage is recorded, so the funnel never widens.")
		if c := barFromTable(nextID(), "Referral funnel: "+labelOf(prog), "Horizontal bars: referrals reaching each stage, from referred to an onward plan.", funnel, "count", sentence); c != nil {
			ref.Bars = append(ref.Bars, c)
		}
		ref.Tables = append(ref.Tables, d.docTableOf(funnel, sentence))
	}
	if t := d.firstTable("referral_sources", ""); t != nil {
		if c := barFromTable(nextID(), "Referral sources", "Horizontal bars: share of the programme's referrals by who referred.", t, "share", nil); c != nil {
			ref.Bars = append(ref.Bars, c)
		}
	}
	d.Sections = append(d.Sections, ref)

	d.Sections = append(d.Sections, docSection{ID: "timeliness", Title: "Timeliness",
		Paragraphs: []string{"Share of referrals with a first contact (a contacted status or an attended session) within 21 days of referral."},
		Rows:       d.rows("first_contact_3wk_pct")})

	cw := docSection{ID: "casework", Title: "Casework"}
	if t := d.firstTable("casework", ""); t != nil {
		cw.Paragraphs = append(cw.Paragraphs, "Peer visits in the period by setting: attended and missed visits, people seen and hours of attended visits (from each visit's recorded duration).")
		cw.Tables = append(cw.Tables, d.docTableOf(t, sentence))
	} else {
		cw.Callout = "No casework detail was supplied for this report."
	}
	cw.Paragraphs = append(cw.Paragraphs, fmt.Sprintf("Onward plans (for example a personal health budget): %s of %s referrals.",
		cellCount(funnel, "onward plan", "count"), referred))
	d.Sections = append(d.Sections, cw)

	base := docSection{ID: "baseline", Title: "Baseline characteristics"}
	for _, id := range []string{"baseline_age_band", "baseline_gender", "baseline_ethnicity"} {
		if t := d.firstTable(id, ""); t != nil {
			base.Tables = append(base.Tables, d.docTableOf(t, nil))
		}
	}
	if rr, ok := d.pub.Breakdowns["representation_ratio"]; ok {
		base.Paragraphs = append(base.Paragraphs, "Representation ratio: a group's share of referrals divided by its share of the population served; below 0.8 flags under-representation. "+orDash(d.pub.Metrics["representation_ratio"].Note))
		for _, dim := range dimensionSort(sortedKeys(rr)) {
			t := docTable{Title: "Representation ratio by " + lowerLabel(dimensionLabel(dim)),
				Header: []string{dimensionLabel(dim), "Ratio (95% CI)", "Note"}, Num: []bool{false, true, false}}
			for _, g := range sortedGroups(rr[dim]) {
				v := rr[dim][g]
				c := formatCell("ratio", v)
				note := v.Note
				if c.Main == "—" {
					c.Sub = ""
				}
				t.Rows = append(t.Rows, []docCell{{Main: g}, c, {Main: orDash(note)}})
			}
			base.Tables = append(base.Tables, t)
		}
	}
	d.Sections = append(d.Sections, base)

	out := docSection{ID: "outcomes", Title: "Outcomes at follow-up"}
	out.Paragraphs = append(out.Paragraphs, "Wellbeing (WEMWBS, SWEMWBS), quality of life (EQ-5D-5L index and EQ VAS), social-care-related quality of life (ASCOT) and patient activation (PAM), among people with a baseline and a follow-up score. Each change is follow-up minus baseline; higher is better on every scale.")
	out.Rows = d.rows(wellbeingIDs...)
	if wb != nil {
		out.Tables = append(out.Tables, d.docTableOf(wb, nil))
	}
	if t := d.firstTable("pam_level_shift", ""); t != nil {
		out.Tables = append(out.Tables, d.docTableOf(t, sentence))
	}
	d.Sections = append(d.Sections, out)

	d.Sections = append(d.Sections, qualitativeSection(d, nextID, label))

	lim := docSection{ID: "limitations", Title: "Limitations"}
	lim.Paragraphs = []string{
		"There is no comparison group: changes from baseline cannot be attributed to the programme alone (regression to the mean, other support, time).",
		"People lost to follow-up are not in the outcome changes; if those who did less well were less likely to be followed up, the changes are optimistic.",
		"Small numbers are suppressed or rounded (see the disclosure appendix); intervals are wide where groups are small, and an interim report is not the final evaluation.",
		"Feedback comes from those who chose to give it; coded themes describe what was said, not how common a view is in everyone served.",
	}
	d.Sections = append(d.Sections, lim)
	d.appendix()
	return d, nil
}

// qualitativeSection is the qualitative findings: volume, experience,
// themes by respondent and outcome group, consented redacted quotes.
func qualitativeSection(d *document, nextID func() string, label func(string) string) docSection {
	s := docSection{ID: "qualitative", Title: "Qualitative findings"}
	s.Rows = d.rows("feedback_volume", "feedback_response_rate", "experience_good_pct")
	if len(s.Rows) == 0 {
		s.Callout = "No qualitative results were supplied for this report."
		return s
	}
	s.Paragraphs = append(s.Paragraphs, "Themes are the codes evaluators gave each piece of feedback; a piece may carry several. Shares are of the coded feedback of each group.")
	for _, t := range d.tables("theme_frequency", "") {
		if strings.HasPrefix(t.Title, "Themes: pieces") {
			if c := barFromTable(nextID(), "Themes in coded feedback", "Horizontal bars: share of coded feedback carrying each theme.", t, "share", label); c != nil {
				s.Bars = append(s.Bars, c)
			}
		}
		dt := d.docTableOf(t, label)
		for i := range dt.Header {
			dt.Header[i] = groupLabel(dt.Header[i])
		}
		s.Tables = append(s.Tables, dt)
	}
	if q := d.firstTable("quotes", ""); q != nil {
		for _, r := range q.Rows {
			if len(r.Cells) < 3 || r.Cells[1].Suppressed || r.Cells[1].Text == "" {
				continue
			}
			s.Quotes = append(s.Quotes, docQuote{Theme: labelOf(r.Cells[0].Text), Text: r.Cells[1].Text, Who: labelOf(r.Cells[2].Text)})
		}
		if len(s.Quotes) == 0 {
			s.Paragraphs = append(s.Paragraphs, "No consented quotes for the top themes.")
		}
	}
	return s
}

// improved is the summary's clause on WEMWBS meaningful improvement, worded
// so that a suppressed or missing share still reads as a sentence.
func improved(d *document) string {
	if _, ok := d.metric("wemwbs_meaningful_improvement_pct"); ok {
		return d.show("wemwbs_meaningful_improvement_pct") + " improved by 3 points or more"
	}
	if v, has := d.pub.Metrics["wemwbs_meaningful_improvement_pct"]; has && v.Suppressed {
		return "the share who improved by 3 points or more is not shown (fewer than 5 people)"
	}
	return "the share who improved by 3 points or more is not available"
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
