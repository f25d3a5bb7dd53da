package reports

import (
	"math"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The "You said, we did" poster for waiting rooms: one A4 page in large
// type, the month's top themes in plain English beside what the service
// did about them. No figure below 5 is shown; others are rounded to 5.

// posterThemes is how many themes fit on the page in large type.
const posterThemes = 4

func buildPoster(in Inputs, cat []warehouse.Metric, p Policy) (*document, error) {
	if err := need(ReportPoster, in.Qualitative, "qualitative"); err != nil {
		return nil, err
	}
	res := &warehouse.Result{Period: in.Qualitative.Period, Service: in.Qualitative.Service,
		Provenance: in.Qualitative.Provenance, Metrics: map[string]warehouse.Value{}}
	if v, ok := in.Qualitative.Metrics["you_said_we_did"]; ok {
		res.Metrics["you_said_we_did"] = v
	}
	for _, t := range in.Qualitative.Tables {
		if t.Metric == "you_said_we_did" {
			res.Tables = append(res.Tables, t)
		}
	}
	d := newDocument(ReportPoster, "You said, we did", res, cat, p)
	d.Poster = true
	d.Subtitle = "What you told us about our service, and what we have changed. Thank you for your feedback."
	s := docSection{ID: "pairs", Title: "You said, we did"}
	t := d.firstTable("you_said_we_did", "")
	if t != nil {
		for _, r := range t.Rows {
			if len(s.Items) == posterThemes || len(r.Cells) < 3 {
				continue
			}
			did := plain(r.Cells[2].Text)
			if did == "" || r.Cells[2].Suppressed {
				continue // a theme with no action yet is not a "we did"
			}
			it := posterItem{Said: labelOf(r.Label), Did: did}
			if v := r.Cells[0]; !v.Suppressed && v.Value != nil && *v.Value >= 5 {
				it.Count = formatCount(math.Round(*v.Value/5)*5) + " comments"
			}
			s.Items = append(s.Items, it)
		}
	}
	if len(s.Items) == 0 {
		s.Paragraphs = append(s.Paragraphs, "We are still working on the actions from this month's feedback: please keep telling us what you think.")
	}
	d.Sections = []docSection{s}
	// The poster's machine-readable files carry the published table too.
	return d, nil
}
