package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Recovery consultations (METRICS.md): the pack one clinician's reflective
// consultation is prepared from, and the audit of recovery before and after
// each clinician's consultation.held.

// auditMonths is the window either side of a consultation.
const auditMonths = 3

// consultationAudit fills consultation_audit: for each clinician whose
// first consultation.held in the period is on day h, the recovery_rate
// (its own SQL, by clinician) of the referrals ended in [h − 3 months,
// h − 1 day] and in [h + 1 day, h + 3 months]; the day itself is in
// neither. The headline counts the clinicians who improved among those
// with both rates.
func (w *Warehouse) consultationAudit(ctx context.Context, res *Result, from, to, service string) error {
	rs, err := w.programmeRows(ctx, "consultations", from, to, service)
	if err != nil {
		return err
	}
	type held struct {
		worker string
		day    time.Time
	}
	var cs []held
	for rs.Next() {
		var h held
		if err := rs.Scan(&h.worker, &h.day); err != nil {
			rs.Close()
			return fmt.Errorf("warehouse: consultations: %w", err)
		}
		cs = append(cs, h)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("warehouse: consultations: %w", err)
	}

	t := Table{Metric: "consultation_audit", Title: "Recovery rate in the 3 months before and after each clinician's recovery consultation",
		Columns: []Column{
			{ID: "consultation_date", Title: "Consultation", Unit: "text"},
			{ID: "before", Title: "Recovery rate, 3 months before", Unit: "proportion"},
			{ID: "after", Title: "Recovery rate, 3 months after", Unit: "proportion"},
			{ID: "change", Title: "Change (after − before, 95% CI)", Unit: "proportion"},
		},
		Note: "Referrals ended in the 3 months before the consultation day and in the 3 months after it (the day itself in neither); recovery_rate as in talking therapies."}
	asOf := w.Provenance().AsOf
	loc, err := time.LoadLocation(w.cfg.TimeZone)
	if err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	lastDay := day(asOf.In(loc))
	var before, after, improvedChange []float64
	window := map[[2]string]map[string]row{} // (from, to) → clinician → row
	rate := func(a, b time.Time, worker string) (row, error) {
		k := [2]string{day(a), day(b)}
		if window[k] == nil {
			m, err := w.metric(ctx, "recovery_rate", "worker_id", k[0], k[1], service)
			if err != nil {
				return row{}, err
			}
			window[k] = m
		}
		return window[k][worker], nil
	}
	for _, c := range cs {
		b, err := rate(c.day.AddDate(0, -auditMonths, 0), c.day.AddDate(0, 0, -1), c.worker)
		if err != nil {
			return err
		}
		afterTo := c.day.AddDate(0, auditMonths, 0)
		a, err := rate(c.day.AddDate(0, 0, 1), afterTo, c.worker)
		if err != nil {
			return err
		}
		change := newcombe(a, b)
		if a.den > 0 && b.den > 0 {
			before, after = append(before, b.num/b.den), append(after, a.num/a.den)
			if d := a.num/a.den - b.num/b.den; d > 0 {
				improvedChange = append(improvedChange, d)
			}
		}
		after := Proportion(a.num, a.den)
		if day(afterTo) > lastDay {
			after.Note = joinNotes(after.Note, "the 3 months after are not complete at the as-of date")
		}
		t.Rows = append(t.Rows, Row{Label: c.worker, Cells: []Value{{Text: day(c.day)}, Proportion(b.num, b.den), after, change}})
	}
	all, _ := meanChange(before, after, 0)
	all.Numerator = nil
	if len(before) > 0 {
		all.Note = joinNotes(all.Note, "mean change across clinicians with both rates")
	}
	t.Rows = append(t.Rows, Row{Label: "all clinicians (mean)", Cells: []Value{{}, meanOf(before), meanOf(after), all}})
	imp := meanOf(improvedChange)
	imp.Note = joinNotes(imp.Note, "mean change among the clinicians who improved")
	t.Rows = append(t.Rows, Row{Label: "clinicians who improved (mean)", Cells: []Value{{}, {}, {}, imp}})
	res.Tables = append(res.Tables, t)

	head := Value{Value: ptr(float64(len(improvedChange))), Numerator: ptr(float64(len(improvedChange))), Denominator: ptr(float64(len(before)))}
	switch {
	case len(cs) == 0:
		head = Value{Note: "no consultation.held in the period"}
	case len(before) == 0:
		head.Value = nil
		head.Note = "no clinician has a recovery rate both before and after"
	default:
		head.Note = fmt.Sprintf("clinicians whose recovery rate rose, of %d compared; mean change %.4f (all), %.4f (among those who improved)",
			len(before), valueOr(all.Value), valueOr(imp.Value))
	}
	res.Metrics["consultation_audit"] = head
	return nil
}

func valueOr(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// packCase is one row of sql/programme/pack_episodes.sql: one of the
// clinician's cases.
type packCase struct {
	referral, person        string
	ended                   time.Time
	sessions                float64
	problem, gp, complexity string
	inCohort, recovered     bool
	anxMeasure              string
	phqFirst, phqLast       sql.NullFloat64
	anxFirst, anxLast       sql.NullFloat64
}

// packTotals are the sums of sql/programme/pack_totals.sql for the
// clinician's cases or the service's.
type packTotals struct {
	// the recovery cohort's cases, recovered or not
	recovered, notRecovered cohortSums
	// finished cases whose problem has an anxiety-disorder-specific
	// measure, and those of them with a score on it
	adsmApplies, adsmScored float64
}

// cohortSums are a number of cases and their treatment and review sessions.
type cohortSums struct{ cases, sessions, reviews float64 }

// packCases is how many recovered and how many non-recovered referrals the
// pack lists (METRICS.md: 5-10 of each).
const packCases = 10

// packMetrics are the talking-therapies metrics shown for the clinician
// beside the service, from their own SQL.
var packMetrics = []string{"recovery_rate", "dna_rate", "cancellation_rate", "dropout_rate", "follow_up_offered_pct", "mean_treatment_sessions"}

// ConsultationPack prepares one clinician's recovery consultation for the
// period: their recovery rate, DNA, cancellation, drop-out and follow-up
// rates and mean treatment sessions beside their service's (the service of
// most of the episodes they are the clinician of); mean treatment and
// review sessions of recovered vs non-recovered referrals; the rate of use
// of the problem-specific anxiety measure where one applies; recovery by
// GP practice and complexity (Breakdowns["recovery_rate"]); and up to 10
// recently ended recovered and 10 non-recovered referrals (a record-level
// table for internal use, rows named by the person pseudonym).
func (w *Warehouse) ConsultationPack(ctx context.Context, p Period, worker string) (*Result, error) {
	var service string
	err := w.db.QueryRowContext(ctx, programmeQuery("pack_service"), sql.Named("worker", worker)).Scan(&service)
	if errors.Is(err, sql.ErrNoRows) {
		res, err := w.newResult(p, "")
		if err != nil {
			return nil, err
		}
		res.Metrics["consultation_pack"] = Value{Note: "clinician " + worker + " is the clinician of no talking-therapies referral"}
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("warehouse: consultation pack %s: %w", worker, err)
	}
	res, err := w.newResult(p, service)
	if err != nil {
		return nil, err
	}
	from, to := day(p.From), day(p.To)
	// The anxiety measure behind the recovery rates: the KPI report's note
	// for the service and period (GAD-7 for every referral only when no
	// problem-specific measure has thresholds configured).
	mix, err := w.anxietyMix(ctx, from, to, service)
	if err != nil {
		return nil, err
	}

	t := Table{Metric: "consultation_pack", Title: "Recovery consultation: clinician " + worker + " and service " + service,
		Columns: []Column{{ID: "unit", Title: "Unit", Unit: "text"}, {ID: "clinician", Title: "Clinician", Unit: "per_row"}, {ID: "service", Title: "Service", Unit: "per_row"}},
		Note:    mix.note(w.cfg.Evaluation.Thresholds)}
	for _, id := range packMetrics {
		c := catalogueEntry(id)
		byDim, err := w.metricByDims(ctx, id, []string{"", "worker_id"}, from, to, service)
		if err != nil {
			return nil, err
		}
		mine := c.value(byDim["worker_id"][worker])
		t.Rows = append(t.Rows, Row{Label: id, Cells: []Value{{Text: c.Unit}, mine, c.value(byDim[""]["all"])}})
		if id == "recovery_rate" {
			mine.Note = joinNotes(mine.Note, "clinician "+worker+"; the service's rate and the rest of the pack in the consultation_pack table")
			res.Metrics["consultation_pack"] = mine
		}
	}

	own, all, err := w.packTotals(ctx, from, to, service, worker)
	if err != nil {
		return nil, err
	}
	for _, r := range []struct {
		label string
		mean  func(packTotals) Value
	}{
		{"mean_treatment_sessions_recovered", func(t packTotals) Value { return meanOfSum(t.recovered.sessions, t.recovered.cases) }},
		{"mean_treatment_sessions_not_recovered", func(t packTotals) Value { return meanOfSum(t.notRecovered.sessions, t.notRecovered.cases) }},
		{"mean_review_sessions_recovered", func(t packTotals) Value { return meanOfSum(t.recovered.reviews, t.recovered.cases) }},
		{"mean_review_sessions_not_recovered", func(t packTotals) Value { return meanOfSum(t.notRecovered.reviews, t.notRecovered.cases) }},
	} {
		t.Rows = append(t.Rows, Row{Label: r.label, Cells: []Value{{Text: "mean"}, r.mean(own), r.mean(all)}})
	}
	t.Rows = append(t.Rows, Row{Label: "adsm_use_rate", Cells: []Value{{Text: "proportion"}, adsmUse(own), adsmUse(all)}})
	res.Tables = append(res.Tables, t)

	cases, err := w.packCases(ctx, from, to, service, worker)
	if err != nil {
		return nil, err
	}
	res.Breakdowns["recovery_rate"] = map[string]map[string]Value{
		"gp_practice": recoveryBy(cases, func(c packCase) string { return c.gp }),
		"complexity":  recoveryBy(cases, func(c packCase) string { return c.complexity }),
	}
	res.Tables = append(res.Tables, caseTable(cases))
	return res, nil
}

// packTotals sums the clinician's cases and the service's (pack_totals.sql).
func (w *Warehouse) packTotals(ctx context.Context, from, to, service, worker string) (own, all packTotals, err error) {
	rs, err := w.db.QueryContext(ctx, programmeQuery("pack_totals"),
		sql.Named("from", from), sql.Named("to", to), sql.Named("service", service), sql.Named("worker", worker))
	if err != nil {
		return own, all, fmt.Errorf("warehouse: consultation pack: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var mine, inCohort, recovered bool
		var cases, sessions, reviews, applies, scored float64
		if err := rs.Scan(&mine, &inCohort, &recovered, &cases, &sessions, &reviews, &applies, &scored); err != nil {
			return own, all, fmt.Errorf("warehouse: consultation pack: %w", err)
		}
		add := func(t *packTotals) {
			if inCohort {
				c := &t.notRecovered
				if recovered {
					c = &t.recovered
				}
				c.cases += cases
				c.sessions += sessions
				c.reviews += reviews
			}
			t.adsmApplies += applies
			t.adsmScored += scored
		}
		if mine {
			add(&own)
		}
		add(&all)
	}
	if err := rs.Err(); err != nil {
		return own, all, fmt.Errorf("warehouse: consultation pack: %w", err)
	}
	return own, all, nil
}

// packCases are the clinician's cases, most recently ended first
// (pack_episodes.sql).
func (w *Warehouse) packCases(ctx context.Context, from, to, service, worker string) ([]packCase, error) {
	rs, err := w.db.QueryContext(ctx, programmeQuery("pack_episodes"),
		sql.Named("from", from), sql.Named("to", to), sql.Named("service", service), sql.Named("worker", worker))
	if err != nil {
		return nil, fmt.Errorf("warehouse: consultation pack: %w", err)
	}
	defer rs.Close()
	var out []packCase
	for rs.Next() {
		var c packCase
		if err := rs.Scan(&c.referral, &c.person, &c.ended, &c.sessions, &c.problem, &c.gp, &c.complexity,
			&c.inCohort, &c.recovered, &c.anxMeasure, &c.phqFirst, &c.phqLast, &c.anxFirst, &c.anxLast); err != nil {
			return nil, fmt.Errorf("warehouse: consultation pack: %w", err)
		}
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: consultation pack: %w", err)
	}
	return out, nil
}

// adsmUse is the share of finished referrals whose problem has an
// anxiety-disorder-specific measure (adsm_problems: scales.ADSMFor's) with
// at least one score of it (for PTSD the IES-R counts too, as older
// guidance used it).
func adsmUse(t packTotals) Value {
	v := Proportion(t.adsmScored, t.adsmApplies)
	v.Note = joinNotes(v.Note, "finished referrals whose problem has a problem-specific anxiety measure")
	return v
}

func recoveryBy(cs []packCase, key func(packCase) string) map[string]Value {
	type count struct{ num, den float64 }
	by := map[string]count{}
	for _, c := range cs {
		if !c.inCohort {
			continue
		}
		k := by[key(c)]
		k.den++
		if c.recovered {
			k.num++
		}
		by[key(c)] = k
	}
	out := map[string]Value{}
	for g, c := range by {
		out[g] = Proportion(c.num, c.den)
	}
	return out
}

// caseTable lists up to packCases recovered and packCases non-recovered
// referrals of the recovery cohort, most recent endings first (the rows
// come ordered by ended date, descending).
func caseTable(cs []packCase) Table {
	t := Table{Metric: "consultation_cases", Title: "Recently ended referrals, recovered and not recovered",
		Columns: []Column{
			{ID: "outcome", Title: "Outcome", Unit: "text"},
			{ID: "ended", Title: "Ended", Unit: "text"},
			{ID: "treatment_sessions", Title: "Treatment sessions", Unit: "count"},
			{ID: "problem", Title: "Problem", Unit: "text"},
			{ID: "anxiety_measure", Title: "Anxiety measure used", Unit: "text"},
			{ID: "phq9_first", Title: "PHQ-9 first", Unit: "score"},
			{ID: "phq9_last", Title: "PHQ-9 last", Unit: "score"},
			{ID: "anx_first", Title: "Anxiety first", Unit: "score"},
			{ID: "anx_last", Title: "Anxiety last", Unit: "score"},
		},
		Note:        "Record-level, for internal use in the consultation only: rows are named by the person's pseudonym (keyed at ingest), never by a direct identifier or the source's referral id.",
		RecordLevel: true}
	score := func(f sql.NullFloat64) Value {
		if !f.Valid {
			return Value{}
		}
		return Value{Value: ptr(f.Float64)}
	}
	for _, recovered := range []bool{true, false} {
		n := 0
		for _, c := range cs {
			if !c.inCohort || c.recovered != recovered || n == packCases {
				continue
			}
			n++
			outcome := "not recovered"
			if recovered {
				outcome = "recovered"
			}
			t.Rows = append(t.Rows, Row{Label: c.person, Cells: []Value{
				{Text: outcome}, {Text: day(c.ended)}, {Value: ptr(c.sessions)}, {Text: c.problem}, {Text: c.anxMeasure},
				score(c.phqFirst), score(c.phqLast), score(c.anxFirst), score(c.anxLast),
			}})
		}
	}
	return t
}
