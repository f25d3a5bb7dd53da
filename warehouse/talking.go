package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TalkingTherapies computes every talking-therapies metric of the catalogue
// for the period, for one service or for all (service ""): headline values,
// breakdowns and the monthly series of the 24 months up to the period's end.
func (w *Warehouse) TalkingTherapies(ctx context.Context, p Period, service string) (*Result, error) {
	if p.To.Before(p.From) {
		return nil, fmt.Errorf("warehouse: period %s ends before it starts", p)
	}
	res := &Result{
		Period: p, Service: service,
		Metrics:    map[string]Value{},
		Breakdowns: map[string]map[string]map[string]Value{},
		Series:     map[string][]SeriesPoint{},
		Provenance: w.Provenance(),
	}
	if service == "" {
		res.Service = "all"
	}
	from, to := day(p.From), day(p.To)
	mix, err := w.anxietyMix(ctx, from, to, service)
	if err != nil {
		return nil, err
	}
	anxNote := mix.note(w.cfg.Evaluation.Thresholds)
	for _, c := range catalogue {
		note := ""
		if c.outcome {
			note = anxNote
		}
		switch c.kind {
		case kindRate:
			continue // after entered_treatment, below
		case kindShare:
			rows, err := w.metric(ctx, c.ID, "referral_source", from, to, service)
			if err != nil {
				return nil, err
			}
			total := 0.0
			groups := map[string]Value{}
			for g, r := range rows {
				groups[g] = c.value(r)
				total = r.den
			}
			res.Breakdowns[c.ID] = map[string]map[string]Value{"referral_source": groups}
			res.Metrics[c.ID] = Value{Denominator: ptr(total), Note: "a share per referral_source: see breakdowns"}
			continue
		}
		byDim, err := w.metricByDims(ctx, c.ID, append([]string{""}, c.breakdowns...), from, to, service)
		if err != nil {
			return nil, err
		}
		v := c.value(byDim[""]["all"])
		v.Note = joinNotes(v.Note, note)
		res.Metrics[c.ID] = v
		for _, d := range c.breakdowns {
			groups := map[string]Value{}
			for g, r := range byDim[d] {
				groups[g] = c.value(r)
			}
			if res.Breakdowns[c.ID] == nil {
				res.Breakdowns[c.ID] = map[string]map[string]Value{}
			}
			res.Breakdowns[c.ID][d] = groups
		}
	}
	res.Metrics["access_rate_per_100k"] = w.accessRate(res.Metrics["entered_treatment"])
	res.Tables = append(res.Tables, mix.table(w.cfg.Evaluation.Thresholds))

	first := time.Date(p.To.Year(), p.To.Month()-23, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range seriesMetrics {
		rows, err := w.metric(ctx, id, "month", day(first), to, service)
		if err != nil {
			return nil, err
		}
		c := catalogueEntry(id)
		for m := first; !m.After(p.To); m = m.AddDate(0, 1, 0) {
			key := m.Format("2006-01")
			res.Series[id] = append(res.Series[id], SeriesPoint{Month: key, Value: c.value(rows[key])})
		}
	}
	return res, nil
}

func (w *Warehouse) accessRate(entered Value) Value {
	if w.cfg.Population <= 0 {
		return Value{Note: "no adult population configured"}
	}
	pop := float64(w.cfg.Population)
	return Value{Value: ptr(*entered.Value / pop * 100000), Numerator: ptr(*entered.Value), Denominator: ptr(pop)}
}

// row is one group of a metric query: (num, den) as the SQL returned them.
type row struct {
	num, den float64
	hasNum   bool
}

// metric runs one metric's SQL grouped by dim ("" = one group "all",
// "month" = the month of the cohort date, else a breakdown dimension).
func (w *Warehouse) metric(ctx context.Context, id, dim, from, to, service string) (map[string]row, error) {
	m, err := w.metricByDims(ctx, id, []string{dim}, from, to, service)
	return m[dim], err
}

// metricByDims runs one metric's SQL once per grouping, as one statement
// (a UNION ALL), so that a metric's headline and breakdowns cost one round
// trip: dim → group → row.
func (w *Warehouse) metricByDims(ctx context.Context, id string, dimList []string, from, to, service string) (map[string]map[string]row, error) {
	body := strings.TrimSuffix(strings.TrimSpace(w.metrics[id]), ";")
	groups := make([]string, len(dimList))
	for i, dim := range dimList {
		groups[i] = "'all'"
		switch {
		case dim == "month":
			groups[i] = "strftime(cohort_date, '%Y-%m')"
		case dim != "":
			if !slices.Contains(dims, dim) {
				return nil, fmt.Errorf("warehouse: unknown breakdown dimension %q", dim)
			}
			groups[i] = "coalesce(CAST(" + dim + " AS VARCHAR), 'unknown')"
		}
	}
	q := groupingsQuery(body, dimList, groups)
	defer w.queried(ctx, time.Now(), "warehouse metric", "metric", id, "groupings", len(dimList)) // after rs.Close, deferred below
	rs, err := w.db.QueryContext(ctx, q, sql.Named("from", from), sql.Named("to", to), sql.Named("service", service))
	if err != nil {
		return nil, fmt.Errorf("warehouse: metric %s: %w", id, err)
	}
	defer rs.Close()
	out := map[string]map[string]row{}
	for _, d := range dimList {
		out[d] = map[string]row{}
	}
	for rs.Next() {
		var d, g string
		var num, den sql.NullFloat64
		if err := rs.Scan(&d, &g, &num, &den); err != nil {
			return nil, fmt.Errorf("warehouse: metric %s: %w", id, err)
		}
		out[d][g] = row{num: num.Float64, den: den.Float64, hasNum: num.Valid}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: metric %s: %w", id, err)
	}
	return out, nil
}

// groupingsQuery is a metric's SQL (body) once per grouping, with the
// grouping's name in a dim column. A metric written as "... {{group}} AS
// grp ... FROM cohort ... GROUP BY ALL" (all of sql/metrics/) reads its
// cohort once, crossed with the groupings, and aggregates them together;
// a session metric's cohort joins every session to its episode, so one
// read instead of one per grouping matters (dna_rate at 40M events took
// 7.2 s for four groupings). Any other shape is one SELECT per grouping,
// in a UNION ALL.
func groupingsQuery(body string, dimList, groups []string) string {
	const sel, from = "{{group}} AS grp", "\nFROM cohort\n"
	if len(dimList) > 1 && strings.Count(body, sel) == 1 && strings.Count(body, from) == 1 && strings.Contains(body, "GROUP BY ALL") {
		values := make([]string, len(dimList))
		var when strings.Builder
		for i, d := range dimList {
			values[i] = "(" + sqlString(d) + ")"
			fmt.Fprintf(&when, " WHEN %s THEN %s", sqlString(d), groups[i])
		}
		q := strings.Replace(body, sel, "groupings.dim AS dim, CASE groupings.dim"+when.String()+" END AS grp", 1)
		q = strings.Replace(q, from, "\nFROM cohort CROSS JOIN (VALUES "+strings.Join(values, ", ")+") AS groupings (dim)\n", 1)
		return "SELECT dim, grp, num, den FROM (\n" + q + "\n)"
	}
	parts := make([]string, len(dimList))
	for i, dim := range dimList {
		parts[i] = "SELECT " + sqlString(dim) + " AS dim, grp, num, den FROM (\n" +
			strings.ReplaceAll(body, "{{group}}", groups[i]) + "\n)"
	}
	return strings.Join(parts, "\nUNION ALL\n")
}

func catalogueEntry(id string) catalogueItem {
	for _, c := range catalogue {
		if c.ID == id {
			return c
		}
	}
	panic("warehouse: no metric " + id)
}

// value turns a metric query's row into a Value by the metric's kind. A
// missing row is an empty cohort.
func (c catalogueItem) value(r row) Value {
	switch c.kind {
	case kindCount:
		return Value{Value: ptr(r.num)}
	case kindMedian:
		v := Value{Denominator: ptr(r.den)}
		if r.den > 0 && r.hasNum {
			v.Value = ptr(r.num)
		} else {
			v.Note = "empty cohort"
		}
		return v
	case kindMean:
		v := Value{Numerator: ptr(r.num), Denominator: ptr(r.den)}
		if r.den > 0 {
			v.Value = ptr(r.num / r.den)
		} else {
			v.Note = "empty cohort"
		}
		return v
	default:
		return Proportion(r.num, r.den)
	}
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
