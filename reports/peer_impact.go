package reports

import (
	"fmt"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The peer-worker impact report: METRICS.md's comparisons of referrals
// co-delivered by a peer worker with the rest, each with both groups' n,
// values, difference and interval, and the statement, first and in a box,
// that the comparison is observational.

const observationalBanner = "This is an observational comparison: people were not randomised to peer support, so differences may reflect who was offered it or chose it, not the effect of peer workers."

func buildPeerImpact(in Inputs, cat []warehouse.Metric, p Policy) (*document, error) {
	if err := need(ReportPeerImpact, in.Programme, "programme"); err != nil {
		return nil, err
	}
	pr := &warehouse.Result{Period: in.Programme.Period, Service: in.Programme.Service, Provenance: in.Programme.Provenance,
		Metrics: map[string]warehouse.Value{}}
	if v, ok := in.Programme.Metrics["peer_impact"]; ok {
		pr.Metrics["peer_impact"] = v
	}
	for _, t := range in.Programme.Tables {
		if t.Metric == "peer_impact" {
			pr.Tables = append(pr.Tables, t)
		}
	}
	var themes *warehouse.Result
	if in.Qualitative != nil {
		themes = &warehouse.Result{Metrics: map[string]warehouse.Value{}, Provenance: in.Qualitative.Provenance}
		for _, t := range in.Qualitative.Tables {
			if t.Metric == "theme_frequency" && t.Title != "" {
				themes.Tables = append(themes.Tables, t)
			}
		}
		for _, id := range []string{"experience_good_pct", "theme_frequency"} {
			if v, ok := in.Qualitative.Metrics[id]; ok {
				themes.Metrics[id] = v
			}
		}
		if b, ok := in.Qualitative.Breakdowns["experience_good_pct"]; ok {
			themes.Breakdowns = map[string]map[string]map[string]warehouse.Value{"experience_good_pct": b}
		}
	}
	d := newDocument(ReportPeerImpact, "Peer-worker impact", mergeResults(pr, themes), cat, p)
	d.Subtitle = "Talking-therapies referrals with a session co-delivered by a peer worker, compared with the rest."
	d.Banner = observationalBanner
	n := 0
	nextID := func() string { n++; return fmt.Sprintf("peer-chart-%d", n) }

	s := docSection{ID: "comparisons", Title: "Comparisons"}
	t := d.firstTable("peer_impact", "")
	if t == nil {
		s.Callout = "No peer-worker comparison was computed for this period."
	} else {
		s.Paragraphs = append(s.Paragraphs, "Each row: the value in each group with its 95% interval and n, and the difference (peer − not peer) with its interval: Newcombe's hybrid score interval for proportions, Welch's for mean changes. An interval that includes 0 is compatible with no difference.")
		dt := d.docTableOf(t, labelOf)
		// The unit column is for machines; people read it in the row.
		dt.Header, dt.Num = dt.Header[:1:1], dt.Num[:1:1]
		dt.Header = append(dt.Header, "Peer co-delivered", "Not peer co-delivered", "Difference (peer − not peer)")
		dt.Num = append(dt.Num, true, true, true)
		for i, r := range dt.Rows {
			dt.Rows[i] = append([]docCell{r[0]}, r[2:]...)
		}
		dt.Note = "" // the banner says it
		s.Tables = append(s.Tables, dt)
		// A chart of the proportions, peer and not peer side by side.
		var data []barDatum
		tbl := chartTable{Caption: "Peer-worker comparisons (table of the chart)", Header: []string{"Measure and group", "Value"}}
		for r, row := range t.Rows {
			if cellUnit(t, r, 1) != "proportion" || len(row.Cells) < 3 {
				continue
			}
			for g, name := range []string{"peer", "not peer"} {
				v := row.Cells[1+g]
				c := formatCell("proportion", v)
				bd := barDatum{Label: labelOf(row.Label) + ", " + name, Text: c.Main}
				if !v.Suppressed && v.Value != nil {
					bd.Value = pct(*v.Value)
				}
				data = append(data, bd)
				tbl.Rows = append(tbl.Rows, []string{bd.Label, c.Main + " " + paren(c.Sub)})
			}
		}
		if len(data) > 0 {
			s.Bars = append(s.Bars, newBarChart(nextID(), "Rates by peer co-delivery",
				"Horizontal bars: each rate for referrals with and without a peer co-delivered session.", "Per cent", 100, data, pctTick, tbl))
		}
	}
	d.Sections = append(d.Sections, s)

	fb := docSection{ID: "feedback", Title: "Feedback themes of each group"}
	fb.Rows = d.rows("experience_good_pct")
	found := false
	for _, tt := range d.tables("theme_frequency", "Themes by") {
		dt := d.docTableOf(tt, labelOf)
		for i := range dt.Header {
			dt.Header[i] = groupLabel(dt.Header[i])
		}
		fb.Tables = append(fb.Tables, dt)
		found = true
	}
	if found {
		fb.Paragraphs = append(fb.Paragraphs, "Feedback is not split by peer co-delivery in the codebook; the themes of each respondent group (including peer workers) and of people who recovered or did not are shown instead.")
	} else {
		fb.Callout = "No coded feedback was available for this period."
	}
	d.Sections = append(d.Sections, fb)
	d.appendix()
	return d, nil
}
