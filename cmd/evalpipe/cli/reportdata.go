package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/warehouse"
)

// evalInputs computes what the named evaluation report needs
// (reports.Needs) from the warehouse for period p.
func evalInputs(ctx context.Context, w *warehouse.Warehouse, name string, p warehouse.Period, service, programme, worker string) (reports.Inputs, error) {
	in := reports.Inputs{ProgrammeName: programme, Worker: worker}
	var err error
	for _, n := range reports.Needs(name) {
		switch n {
		case "Programme":
			in.Programme, err = w.Programme(ctx, p, service)
		case "TalkingTherapies":
			in.TalkingTherapies, err = w.TalkingTherapies(ctx, p, service)
		case "Qualitative":
			in.Qualitative, err = w.Qualitative(ctx, p, service)
		case "Crisis":
			in.Crisis, err = w.Crisis(ctx, p, service)
		case "Pack":
			if worker == "" {
				return in, usagef("report consultation: --worker ID is required (or use 'evalpipe run', which writes a pack for each clinician with a consultation)")
			}
			in.Pack, err = w.ConsultationPack(ctx, p, worker)
		case "Casework":
			in.Casework, err = casework(ctx, w, p, service, programme)
		}
		if err != nil {
			return in, fmt.Errorf("report %s: %w", name, err)
		}
	}
	return in, nil
}

// consultedWorkers are the clinicians with a consultation.held in the period.
func consultedWorkers(ctx context.Context, w *warehouse.Warehouse, p warehouse.Period) ([]string, error) {
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

// casework holds the interim report's descriptive tables that no catalogue
// metric computes: peer visits by setting, baseline characteristics,
// referral sources and the data's sources, all aggregates over the
// programme's referrals received in the period. The report applies the
// disclosure policy to them like any other table.
func casework(ctx context.Context, w *warehouse.Warehouse, p warehouse.Period, service, programme string) (*warehouse.Result, error) {
	if programme == "" {
		programme = "peer_coaching"
	}
	res := &warehouse.Result{Period: p, Service: service, Metrics: map[string]warehouse.Value{}}
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
	t := warehouse.Table{Metric: "casework", Title: "Peer visits by setting",
		Columns: []warehouse.Column{{ID: "attended", Title: "Visits attended", Unit: "count"}, {ID: "dna", Title: "Visits missed", Unit: "count"},
			{ID: "people", Title: "Referrals seen", Unit: "count"}, {ID: "hours", Title: "Hours of attended visits", Unit: "hours"}},
		Note: "Peer visits of the cohort up to the period's end; hours from each visit's recorded duration."}
	for _, r := range rows {
		att := num(r[1])
		t.Rows = append(t.Rows, warehouse.Row{Label: fmt.Sprint(r[0]), Cells: []warehouse.Value{
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
		t := warehouse.Table{Metric: metric, Title: dim.title + " at referral",
			Columns: []warehouse.Column{{ID: "count", Title: "Referrals", Unit: "count"}, {ID: "share", Title: "Share", Unit: "proportion"}}}
		for _, r := range rows {
			n := num(r[1])
			t.Rows = append(t.Rows, warehouse.Row{Label: fmt.Sprint(r[0]), Cells: []warehouse.Value{{Value: ptr(n)}, warehouse.Proportion(n, total)}})
		}
		res.Tables = append(res.Tables, t)
	}

	rows, err = q(fmt.Sprintf(`SELECT e.source, count(*), count(DISTINCT e.service)
FROM events e WHERE e.referral_id IN (SELECT referral_id FROM referrals WHERE %s)
GROUP BY 1 ORDER BY 1`, cohort))
	if err != nil {
		return nil, fmt.Errorf("casework sources: %w", err)
	}
	ds := warehouse.Table{Metric: "data_sources", Title: "Sources of the cohort's events",
		Columns: []warehouse.Column{{ID: "events", Title: "Events", Unit: "count"}, {ID: "services", Title: "Services", Unit: "text"}}}
	for _, r := range rows {
		ds.Rows = append(ds.Rows, warehouse.Row{Label: fmt.Sprint(r[0]), Cells: []warehouse.Value{{Value: ptr(num(r[1]))}, {Text: fmt.Sprint(r[2])}}})
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

// writeEvaluation writes one evaluation report: to w in one format, or
// every format into dir. It returns the files written.
func writeEvaluation(ctx context.Context, name string, in reports.Inputs, cat []warehouse.Metric, format, disclosure, dir, file string, stdout io.Writer) (reports.Written, error) {
	if format != "" && (dir == "" || dir == "-") {
		return reports.Written{}, reports.Report(name, in, cat, reports.Options{Format: format, Disclosure: disclosure}, stdout)
	}
	return reports.WriteReport(ctx, name, in, cat, disclosure, dir, file)
}

// safeName keeps a worker id usable as part of a file name.
func safeName(s string) string {
	out := []rune{}
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}
