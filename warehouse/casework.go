package warehouse

import (
	"context"
	"fmt"
	"time"
)

// ConsultedWorkers are the clinicians with a consultation.held in the period.
func (w *Warehouse) ConsultedWorkers(ctx context.Context, p Period) ([]string, error) {
	_, rows, err := w.Query(ctx, fmt.Sprintf(
		"SELECT DISTINCT worker_id FROM events WHERE type = 'consultation.held' AND worker_id IS NOT NULL AND local_date BETWEEN DATE '%s' AND DATE '%s' ORDER BY 1",
		p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r[0]))
	}
	return out, nil
}

// Casework holds the interim report's descriptive tables that no catalogue
// metric computes: peer visits by setting, baseline characteristics,
// referral sources and the data's sources, all aggregates over the
// programme's referrals received in the period. The report applies the
// disclosure policy to them like any other table.
func (w *Warehouse) Casework(ctx context.Context, p Period, service, programme string) (*Result, error) {
	if programme == "" {
		programme = "peer_coaching"
	}
	res := &Result{Period: p, Service: service, Metrics: map[string]Value{}}
	cohort := fmt.Sprintf("programme = %s AND received_date BETWEEN DATE '%s' AND DATE '%s'%s",
		sqlQuote(programme), p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), serviceFilter(service))
	q := func(sql string) ([][]any, error) {
		_, rows, err := w.Query(ctx, sql)
		return rows, err
	}
	num := func(x any) float64 {
		var f float64
		fmt.Sscan(fmt.Sprint(x), &f)
		return f
	}
	ptr := func(x float64) *float64 { return &x }

	rows, err := q(fmt.Sprintf(`SELECT coalesce(s.setting, 'not recorded'),
  count(*) FILTER (WHERE s.attendance = 'attended'),
  count(*) FILTER (WHERE s.attendance = 'dna'),
  count(DISTINCT s.referral_id) FILTER (WHERE s.attendance = 'attended'),
  coalesce(sum(s.duration_min) FILTER (WHERE s.attendance = 'attended'), 0) / 60.0
FROM sessions s JOIN referrals r USING (referral_id)
WHERE s.kind = 'peer_visit' AND r.%s AND s.session_date <= DATE '%s'
GROUP BY 1 ORDER BY 1`, cohort, p.To.Format(time.DateOnly)))
	if err != nil {
		return nil, fmt.Errorf("casework: %w", err)
	}
	t := Table{Metric: "casework", Title: "Peer visits by setting",
		Columns: []Column{{ID: "attended", Title: "Visits attended", Unit: "count"}, {ID: "dna", Title: "Visits missed", Unit: "count"},
			{ID: "people", Title: "Referrals seen", Unit: "count"}, {ID: "hours", Title: "Hours of attended visits", Unit: "hours"}},
		Note: "Peer visits of the cohort up to the period's end; hours from each visit's recorded duration."}
	for _, r := range rows {
		att := num(r[1])
		t.Rows = append(t.Rows, Row{Label: fmt.Sprint(r[0]), Cells: []Value{
			{Value: ptr(att)}, {Value: ptr(num(r[2]))}, {Value: ptr(num(r[3]))},
			{Value: ptr(num(r[4])), Denominator: ptr(att)}}})
	}
	res.Tables = append(res.Tables, t)

	total := 0.0
	if rows, err := q("SELECT count(*) FROM referrals WHERE " + cohort); err == nil && len(rows) > 0 {
		total = num(rows[0][0])
	}
	for _, dim := range []struct{ col, title string }{{"age_band", "Age band"}, {"gender", "Gender"}, {"ethnicity", "Ethnicity"}, {"referral_source", "Referral source"}} {
		rows, err := q(fmt.Sprintf("SELECT coalesce(%s, 'not recorded'), count(*) FROM referrals WHERE %s GROUP BY 1 ORDER BY 1", dim.col, cohort))
		if err != nil {
			return nil, fmt.Errorf("casework %s: %w", dim.col, err)
		}
		metric := "baseline_" + dim.col
		if dim.col == "referral_source" {
			metric = "referral_sources"
		}
		t := Table{Metric: metric, Title: dim.title + " at referral",
			Columns: []Column{{ID: "count", Title: "Referrals", Unit: "count"}, {ID: "share", Title: "Share", Unit: "proportion"}}}
		for _, r := range rows {
			n := num(r[1])
			t.Rows = append(t.Rows, Row{Label: fmt.Sprint(r[0]), Cells: []Value{{Value: ptr(n)}, Proportion(n, total)}})
		}
		res.Tables = append(res.Tables, t)
	}

	rows, err = q(fmt.Sprintf(`SELECT e.source, count(*), count(DISTINCT e.service)
FROM events e WHERE e.referral_id IN (SELECT referral_id FROM referrals WHERE %s)
GROUP BY 1 ORDER BY 1`, cohort))
	if err != nil {
		return nil, fmt.Errorf("casework sources: %w", err)
	}
	ds := Table{Metric: "data_sources", Title: "Sources of the cohort's events",
		Columns: []Column{{ID: "events", Title: "Events", Unit: "count"}, {ID: "services", Title: "Services", Unit: "text"}}}
	for _, r := range rows {
		ds.Rows = append(ds.Rows, Row{Label: fmt.Sprint(r[0]), Cells: []Value{{Value: ptr(num(r[1]))}, {Text: fmt.Sprint(r[2])}}})
	}
	res.Tables = append(res.Tables, ds)
	return res, nil
}

func sqlQuote(s string) string {
	out := "'"
	for _, c := range s {
		if c == '\'' {
			out += "''"
		} else {
			out += string(c)
		}
	}
	return out + "'"
}

func serviceFilter(service string) string {
	if service == "" || service == "all" {
		return ""
	}
	return " AND service = " + sqlQuote(service)
}
