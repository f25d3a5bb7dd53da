package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/evalpipe/evalpipe/spc"
)

// crisisAreaSeries are the area series of METRICS.md: series id → contact kind.
var crisisAreaSeries = []struct{ id, kind, title string }{
	{"crisis_ae_attendances", "ae_attendance", "A&E attendances per month"},
	{"crisis_acute_admissions", "acute_admission", "Acute admissions per month"},
}

// crisisSeries fills the monthly area series (Result.Series) and, for each,
// its XmR chart as a Table (Metric = the series id): one row per month with
// columns value, mean, lpl, upl (of the point's phase), type and rule. The
// chart is rebased at the first month starting on or after
// Evaluation.CrisisLaunch. The series covers the 24 months up to the
// period's end, but starts no earlier than the month of the first crisis
// contact in the lake (before it a zero would be a missing feed).
func (w *Warehouse) crisisSeries(ctx context.Context, res *Result, p Period, service string) error {
	var spanStart, spanEnd, first sql.NullTime
	err := w.sectionRows(ctx, crisisSQLFS, "sql/crisis/span.sql", nil, nil, func(rs *sql.Rows) error {
		return rs.Scan(&spanStart, &spanEnd, &first)
	})
	if err != nil {
		return err
	}
	start := time.Date(p.To.Year(), p.To.Month()-23, 1, 0, 0, 0, 0, time.UTC)
	if !first.Valid {
		for _, s := range crisisAreaSeries {
			res.Tables = append(res.Tables, Table{Metric: s.id, Title: s.title + ": XmR chart", Note: "no crisis contacts in the lake"})
		}
		return nil
	}
	if f := first.Time; f.After(start) {
		start = time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	counts := map[string]map[string]float64{} // kind → month → n
	err = w.sectionRows(ctx, crisisSQLFS, "sql/crisis/contacts.sql", nil,
		periodArgs(Period{From: start, To: p.To}, service), func(rs *sql.Rows) error {
			var month, kind string
			var n float64
			if err := rs.Scan(&month, &kind, &n); err != nil {
				return err
			}
			if counts[kind] == nil {
				counts[kind] = map[string]float64{}
			}
			counts[kind][month] += n
			return nil
		})
	if err != nil {
		return err
	}
	months := monthsOf(start, p.To)
	rebase := -1
	launch := w.cfg.Evaluation.CrisisLaunch
	if !launch.IsZero() {
		l := time.Date(launch.Year(), launch.Month(), launch.Day(), 0, 0, 0, 0, time.UTC)
		for i, m := range months {
			if !m.Before(l) {
				rebase = i
				break
			}
		}
	}
	for _, s := range crisisAreaSeries {
		values := make([]float64, len(months))
		for i, m := range months {
			key := m.Format("2006-01")
			values[i] = counts[s.kind][key]
			res.Series[s.id] = append(res.Series[s.id], SeriesPoint{Month: key, Value: Value{Value: ptr(values[i])}})
		}
		res.Tables = append(res.Tables, crisisChart(s.id, s.title, months, values, rebase, launch))
	}
	return nil
}

// crisisChart is one series' XmR chart as a Table. A launch outside the
// series, or one that would leave a phase of a single month, charts
// without rebasing, and says so.
func crisisChart(id, title string, months []time.Time, values []float64, rebase int, launch time.Time) Table {
	t := Table{Metric: id, Title: title + ": XmR chart",
		Columns: []Column{{ID: "value", Title: "contacts", Unit: "count"}, {ID: "mean", Title: "mean", Unit: "mean"},
			{ID: "lpl", Title: "lower process limit", Unit: "mean"}, {ID: "upl", Title: "upper process limit", Unit: "mean"},
			{ID: "type", Title: "point type", Unit: "text"}, {ID: "rule", Title: "special-cause rule", Unit: "text"}}}
	opt := spc.Options{Improvement: "down"}
	var notes []string
	switch {
	case launch.IsZero():
		notes = append(notes, "no launch date configured (Evaluation.CrisisLaunch): one phase")
	case rebase <= 0:
		notes = append(notes, fmt.Sprintf("launch %s is outside the series: one phase", launch.Format(time.DateOnly)))
	default:
		opt.RebaseAt = []int{rebase}
		notes = append(notes, fmt.Sprintf("rebased at %s, the first month on or after the launch %s",
			months[rebase].Format("2006-01"), launch.Format(time.DateOnly)))
	}
	c, err := spc.XmR(values, opt)
	if err != nil && opt.RebaseAt != nil {
		notes = append(notes, "not rebased: "+err.Error())
		opt.RebaseAt = nil
		c, err = spc.XmR(values, opt)
	}
	if err != nil {
		t.Note = joinNotes(joinNoteList(notes), "no chart: "+err.Error())
		return t
	}
	for i, pt := range c.Points {
		rule := ""
		if pt.Rule != nil {
			rule = *pt.Rule
		}
		t.Rows = append(t.Rows, Row{Label: months[i].Format("2006-01"), Cells: []Value{
			{Value: ptr(pt.Value)}, {Value: ptr(pt.Mean)}, {Value: ptr(pt.LPL)}, {Value: ptr(pt.UPL)},
			{Text: pt.Type}, {Text: rule}}})
	}
	notes = append(notes, "variation (latest month): "+c.Variation)
	if c.Warning != "" {
		notes = append(notes, c.Warning)
	}
	t.Note = joinNoteList(notes)
	return t
}

func joinNoteList(notes []string) string {
	out := ""
	for _, n := range notes {
		out = joinNotes(out, n)
	}
	return out
}
