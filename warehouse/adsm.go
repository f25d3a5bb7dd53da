package warehouse

// The anxiety measure of talking-therapies outcomes (METRICS.md "Talking
// therapies (IAPT) measures"): the anxiety-disorder-specific measure (ADSM)
// of the referral's problem, scales.ADSMFor (Clark et al. 2018 Table 2, PTSD
// as PCL-5 with the IES-R of older guidance after it), when thresholds for
// it are configured (Evaluation.Thresholds) and the referral has paired
// scores on it; else GAD-7. measure_thresholds (sql/03_projections.sql)
// holds the built-in PHQ-9 and GAD-7 rows and the configured ones;
// adsm_problems maps problem → candidate measures in preference order;
// episodes (sql/04_episodes.sql) records per referral the measure used and
// why (anxiety_measure, anxiety_measure_reason).

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/scales"
)

// Reasons recorded in episodes.anxiety_measure_reason.
const (
	reasonADSM          = "adsm"                         // the problem's ADSM: thresholds configured and paired scores
	reasonNoThresholds  = "gad7_fallback_no_thresholds"  // the problem has an ADSM, but no thresholds are configured for it
	reasonNoPairedADSM  = "gad7_fallback_no_paired_adsm" // thresholds configured, but no paired scores on the ADSM
	reasonNotApplicable = "gad7_not_applicable"          // the problem has no ADSM (depression, GAD, mixed, ...)
)

// adsmReasons in the order the note and the table list them.
var adsmReasons = []string{reasonADSM, reasonNoThresholds, reasonNoPairedADSM, reasonNotApplicable}

// builtinMeasures are the measures whose thresholds are built in
// (sql/03_projections.sql): they cannot be configured.
var builtinMeasures = []string{"phq9", "gad7"}

// adsmCandidates is the problem's anxiety-disorder-specific measures in
// order of preference: scales.ADSMFor's, then for PTSD the IES-R (which
// ADSMFor's documentation says callers fall back to when PCL-5 is missing).
// Nil when the problem has none.
func adsmCandidates(problem string) []string {
	m, ok := scales.ADSMFor(problem)
	if !ok {
		return nil
	}
	out := []string{m}
	if m == "pcl5" {
		out = append(out, "ies_r")
	}
	return out
}

// problems are the referral.received problem descriptors (events spec).
func problems() []string {
	if t := events.Lookup("referral.received"); t != nil {
		for _, f := range t.Fields {
			if f.Name == "problem" {
				return f.Values
			}
		}
	}
	return nil
}

// checkThresholds validates the configured thresholds: a known ADSM of
// scales.DefaultThresholds (PHQ-9 and GAD-7 are built in), lower-is-better
// (the episode flags assume it), positive caseness and reliable change, a
// source, each measure once.
func checkThresholds(ts []Threshold) error {
	known := map[string]scales.Threshold{}
	for _, d := range scales.DefaultThresholds() {
		known[d.Measure] = d
	}
	seen := map[string]bool{}
	for i, t := range ts {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("warehouse: evaluation thresholds[%d] (%s): %s", i, t.Measure, fmt.Sprintf(format, a...))
		}
		d, ok := known[t.Measure]
		switch {
		case slices.Contains(builtinMeasures, t.Measure):
			return bad("PHQ-9 and GAD-7 thresholds are built in (METRICS.md) and cannot be configured")
		case !ok:
			return bad("not an anxiety-disorder-specific measure (want one of spin, pcl5, ies_r, oci_r, pdss, hai_short, mi)")
		case d.Direction != "down":
			return bad("a higher-is-better measure is not supported by the caseness and reliable-change flags")
		case seen[t.Measure]:
			return bad("given twice")
		case !(t.Caseness > 0) || math.IsInf(t.Caseness, 0):
			return bad("caseness %g: want a positive number", t.Caseness)
		case !(t.ReliableChange > 0) || math.IsInf(t.ReliableChange, 0):
			return bad("reliable_change %g: want a positive number", t.ReliableChange)
		case strings.TrimSpace(t.Source) == "":
			return bad("source is empty: every threshold needs its citation")
		}
		seen[t.Measure] = true
	}
	return nil
}

// adsmTemplate is what sql/03_projections.sql's {{configured_thresholds}}
// and {{adsm_problems}} are replaced with: the configured thresholds as
// further VALUES rows, and the problem → measure map as a SELECT.
func adsmTemplate(ev Evaluation) ([]string, error) {
	if err := checkThresholds(ev.Thresholds); err != nil {
		return nil, err
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	var th strings.Builder
	for _, t := range ev.Thresholds {
		fmt.Fprintf(&th, ",\n    (%s, %s, %s, %s)", sqlString(t.Measure), num(t.Caseness), num(t.ReliableChange), sqlString(t.Source))
	}
	var rows []string
	for _, p := range problems() {
		for i, m := range adsmCandidates(p) {
			rows = append(rows, fmt.Sprintf("(%s, %s, %d)", sqlString(p), sqlString(m), i+1))
		}
	}
	pm := "SELECT NULL::VARCHAR AS problem, NULL::VARCHAR AS measure, NULL::INTEGER AS preference WHERE FALSE"
	if len(rows) > 0 {
		pm = "SELECT * FROM (VALUES\n    " + strings.Join(rows, ",\n    ") + "\n) AS t (problem, measure, preference)"
	}
	return []string{"{{configured_thresholds}}", th.String(), "{{adsm_problems}}", pm}, nil
}

// anxietyMix is how many referrals of a cohort had each anxiety measure, and why.
type anxietyMix struct {
	rows []anxietyMixRow
}

type anxietyMixRow struct {
	measure, reason, adsm string // adsm: the problem's ADSM (ADSMFor), "" when none
	finished, paired      float64
}

// anxietyMix counts the finished_treatment cohort of the period (the
// cohort every outcome metric is drawn from) by anxiety measure used, the
// reason, and the problem's ADSM.
func (w *Warehouse) anxietyMix(ctx context.Context, from, to, service string) (anxietyMix, error) {
	rs, err := w.db.QueryContext(ctx, anxietyMixSQL, sql.Named("from", from), sql.Named("to", to), sql.Named("service", service))
	if err != nil {
		return anxietyMix{}, fmt.Errorf("warehouse: anxiety measure used: %w", err)
	}
	defer rs.Close()
	var mix anxietyMix
	for rs.Next() {
		var r anxietyMixRow
		var adsm sql.NullString
		if err := rs.Scan(&r.measure, &r.reason, &adsm, &r.finished, &r.paired); err != nil {
			return anxietyMix{}, fmt.Errorf("warehouse: anxiety measure used: %w", err)
		}
		r.adsm = adsm.String
		mix.rows = append(mix.rows, r)
	}
	if err := rs.Err(); err != nil {
		return anxietyMix{}, fmt.Errorf("warehouse: anxiety measure used: %w", err)
	}
	return mix, nil
}

const anxietyMixSQL = `
SELECT
    anxiety_measure,
    anxiety_measure_reason,
    adsm_measure,
    count(*) AS finished,
    count(*) FILTER (WHERE paired) AS finished_paired
FROM episodes
WHERE programme = 'talking_therapies' AND finished
    AND ended_date BETWEEN $from::DATE AND $to::DATE
    AND ($service = '' OR service = $service)
GROUP BY ALL
ORDER BY ALL`

// note is the outcome metrics' note on the anxiety measure. With no ADSM
// thresholds configured it is gad7Note (GAD-7 for every referral), else it
// states the mix over the period's finished referrals, e.g. "anxiety
// measure: ADSM for 2 of 5 finished referrals (pcl5 1, spin 1), GAD-7 for
// 3 (fallback for 2: no thresholds configured for oci_r (1), no paired
// ADSM scores (spin 1); no problem-specific measure for 1); thresholds
// configured for spin, pcl5".
func (m anxietyMix) note(configured []Threshold) string {
	if len(configured) == 0 {
		return gad7Note
	}
	var total, nADSM float64
	adsm := map[string]float64{}
	noThr := map[string]float64{}
	noPair := map[string]float64{}
	var nNoThr, nNoPair, nNA float64
	for _, r := range m.rows {
		total += r.finished
		switch r.reason {
		case reasonADSM:
			nADSM += r.finished
			adsm[r.measure] += r.finished
		case reasonNoThresholds:
			nNoThr += r.finished
			noThr[r.adsm] += r.finished
		case reasonNoPairedADSM:
			nNoPair += r.finished
			noPair[r.adsm] += r.finished
		default:
			nNA += r.finished
		}
	}
	var names []string
	for _, t := range configured {
		names = append(names, t.Measure)
	}
	cfg := "thresholds configured for " + strings.Join(names, ", ")
	if total == 0 {
		return "anxiety measure: no finished referrals in the period (" + cfg + ")"
	}
	var fallback []string
	if nNoThr > 0 {
		fallback = append(fallback, "no thresholds configured for "+countList(noThr, true))
	}
	if nNoPair > 0 {
		fallback = append(fallback, "no paired ADSM scores ("+countList(noPair, false)+")")
	}
	var gad []string
	if len(fallback) > 0 {
		gad = append(gad, "fallback for "+thousands(nNoThr+nNoPair)+": "+strings.Join(fallback, ", "))
	}
	if nNA > 0 {
		gad = append(gad, "no problem-specific measure for "+thousands(nNA))
	}
	nGAD := total - nADSM
	var parts []string
	if nADSM > 0 {
		parts = append(parts, fmt.Sprintf("ADSM for %s of %s finished referrals (%s)", thousands(nADSM), thousands(total), countList(adsm, false)))
		if nGAD > 0 {
			parts = append(parts, fmt.Sprintf("GAD-7 for %s (%s)", thousands(nGAD), strings.Join(gad, "; ")))
		}
	} else {
		parts = append(parts, fmt.Sprintf("GAD-7 for all %s finished referrals (%s)", thousands(total), strings.Join(gad, "; ")))
	}
	return "anxiety measure: " + strings.Join(parts, ", ") + "; " + cfg
}

// table is the anxiety_measure_used Table: finished and finished_paired
// referrals by measure used and reason (counts, for disclosure control).
func (m anxietyMix) table(configured []Threshold) Table {
	t := Table{Metric: "anxiety_measure_used", Title: "Anxiety measure used, by reason (finished referrals in the period)",
		Columns: []Column{
			{ID: "measure", Title: "Anxiety measure used", Unit: "text"},
			{ID: "reason", Title: "Reason", Unit: "text"},
			{ID: "adsm", Title: "Problem-specific measure", Unit: "text"},
			{ID: "finished_treatment", Title: "Finished treatment", Unit: "count"},
			{ID: "finished_paired", Title: "Finished with paired scores", Unit: "count"},
		}}
	rows := slices.Clone(m.rows)
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.reason != b.reason {
			return slices.Index(adsmReasons, a.reason) < slices.Index(adsmReasons, b.reason)
		}
		if a.measure != b.measure {
			return a.measure < b.measure
		}
		return a.adsm < b.adsm
	})
	for _, r := range rows {
		adsm := r.adsm
		if adsm == "" {
			adsm = "none"
		}
		t.Rows = append(t.Rows, Row{Label: r.measure + " " + r.reason + " " + adsm, Cells: []Value{
			{Text: r.measure}, {Text: r.reason}, {Text: adsm}, {Value: ptr(r.finished)}, {Value: ptr(r.paired)},
		}})
	}
	if len(configured) == 0 {
		t.Note = "no ADSM thresholds configured: GAD-7 for every referral"
	} else {
		var s []string
		for _, c := range configured {
			s = append(s, fmt.Sprintf("%s caseness >= %g, reliable change %g (%s)", c.Measure, c.Caseness, c.ReliableChange, c.Source))
		}
		t.Note = "ADSM thresholds configured: " + strings.Join(s, "; ")
	}
	return t
}

// countList formats measure → count sorted by measure: "pcl5 1, spin 2",
// or with paren "oci_r (1), pdss (2)".
func countList(m map[string]float64, paren bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		if paren {
			out[i] = k + " (" + thousands(m[k]) + ")"
		} else {
			out[i] = k + " " + thousands(m[k])
		}
	}
	return strings.Join(out, ", ")
}

// thousands formats a whole count with thousands separators: 1,204.
func thousands(f float64) string {
	s := strconv.FormatFloat(math.Round(f), 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
