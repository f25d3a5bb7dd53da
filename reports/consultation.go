package reports

import (
	"github.com/evalpipe/evalpipe/warehouse"
)

// The recovery consultation pack for one clinician (record-level, for
// internal use only) and the consultation audit across clinicians. Under a
// publication policy the pack's case list is withheld (the policy drops a
// record-level table whole) and the report says that the rows need
// --disclosure none; the pack is marked internal under every policy.

func buildConsultation(in Inputs, cat []warehouse.Metric, p Policy) (*document, error) {
	if err := need(ReportConsultation, in.Pack, "consultation pack"); err != nil {
		return nil, err
	}
	var audit *warehouse.Result
	if in.Programme != nil {
		audit = &warehouse.Result{Metrics: map[string]warehouse.Value{}, Provenance: in.Programme.Provenance}
		if v, ok := in.Programme.Metrics["consultation_audit"]; ok {
			audit.Metrics["consultation_audit"] = v
		}
		for _, t := range in.Programme.Tables {
			if t.Metric == "consultation_audit" {
				audit.Tables = append(audit.Tables, t)
			}
		}
	}
	worker := in.Worker
	title := "Recovery consultation pack"
	if worker != "" {
		title += ": clinician " + worker
	}
	d := newDocument(ReportConsultation, title, mergeResults(in.Pack, audit), cat, p)
	d.Internal = true
	d.Banner = "Prepared for a reflective recovery consultation with the clinician; it lists referrals by pseudonym and must not leave the service."
	d.Subtitle = "What the clinician's consultation is prepared from, beside the service's figures, and the audit of recovery before and after each clinician's consultation."

	rates := docSection{ID: "rates", Title: "The clinician beside the service"}
	rates.Rows = d.rows("consultation_pack")
	if t := d.firstTable("consultation_pack", ""); t != nil {
		dt := d.docTableOf(t, labelOf)
		dt.Header, dt.Num = []string{"Measure", "Clinician", "Service"}, []bool{false, true, true}
		for i, r := range dt.Rows {
			dt.Rows[i] = append([]docCell{r[0]}, r[2:]...)
		}
		rates.Tables = append(rates.Tables, dt)
	} else {
		rates.Callout = orDash(d.pub.Metrics["consultation_pack"].Note)
	}
	d.Sections = append(d.Sections, rates)

	by := docSection{ID: "by-group", Title: "Recovery by GP practice and by complexity"}
	if b, ok := d.pub.Breakdowns["recovery_rate"]; ok {
		for _, dim := range dimensionSort(sortedKeys(b)) {
			t := docTable{Title: "Recovery rate by " + lowerLabel(dimensionLabel(dim)), Header: []string{dimensionLabel(dim), "Recovery rate"}, Num: []bool{false, true}}
			for _, g := range sortedGroups(b[dim]) {
				t.Rows = append(t.Rows, []docCell{{Main: g}, formatCell("proportion", b[dim][g])})
			}
			by.Tables = append(by.Tables, t)
		}
	}
	d.Sections = append(d.Sections, by)

	cases := docSection{ID: "cases", Title: "Recently ended referrals, recovered and not recovered"}
	if t := d.firstTable("consultation_cases", ""); t != nil {
		if len(t.Rows) == 0 && p.Name() != PolicyNone {
			cases.Callout = "Record-level rows are withheld under disclosure policy " + p.Name() + ": they are for internal use only. Run with --disclosure none to include them in the pack for the consultation."
		} else {
			cases.Paragraphs = append(cases.Paragraphs, "Rows are named by the person's pseudonym, never by a direct identifier.")
			cases.Tables = append(cases.Tables, d.docTableOf(t, nil))
		}
	}
	d.Sections = append(d.Sections, cases)

	au := docSection{ID: "audit", Title: "Consultation audit across clinicians"}
	if t := d.firstTable("consultation_audit", ""); t != nil {
		au.Paragraphs = append(au.Paragraphs, "Each clinician's recovery rate in the 3 months before and the 3 months after their recovery consultation, and across clinicians how many improved.")
		au.Rows = d.rows("consultation_audit")
		au.Tables = append(au.Tables, d.docTableOf(t, nil))
	} else {
		au.Callout = "No consultation audit was supplied."
	}
	d.Sections = append(d.Sections, au)
	d.appendix()
	return d, nil
}
