package warehouse

// The metric catalogue of METRICS.md for talking therapies: the single
// definition that the SQL (sql/metrics/<id>.sql), the reports, the JSON and
// the docs read. A change of definition is a change of Version.

// Kinds of metric query result (see sql/metrics): how (num, den) becomes a Value.
const (
	kindCount      = "count"      // num is the value
	kindProportion = "proportion" // num ÷ den, with a Wilson interval
	kindMedian     = "median"     // num is the median, den the n
	kindMean       = "mean"       // num ÷ den, no interval
	kindShare      = "share"      // a proportion per group, reported only as a breakdown
	kindRate       = "rate"       // computed from another metric (access_rate_per_100k)
)

// dims are the breakdown dimensions: column names present in both episodes
// and session_facts. worker_id is the referral's clinician in episodes and
// the session's worker in session_facts.
var dims = []string{"worker_id", "gp_practice", "referral_source", "step", "complexity", "problem", "ethnicity", "age_band"}

// seriesMetrics have a monthly series (24 months up to the period's end).
var seriesMetrics = []string{"recovery_rate", "wait_6wk_pct", "wait_18wk_pct", "referrals_received", "dna_rate"}

// gad7Note is the outcome metrics' note when no ADSM thresholds are
// configured (Evaluation.Thresholds empty); otherwise the note states the
// mix of anxiety measures used (anxietyMix.note, adsm.go).
const gad7Note = "anxiety measure: GAD-7 for every referral (fallback; thresholds for problem-specific measures are not configured)"

func std(v float64) *float64 { return &v }

const (
	srcNHS     = "NHS Digital, NHS Talking Therapies monthly statistics and technical output specification"
	srcMetrics = "METRICS.md"
)

// catalogue lists the metrics in report order. kind, breakdowns and note
// are not part of the public Metric; they drive the engine.
type catalogueItem struct {
	Metric
	kind       string
	breakdowns []string
	outcome    bool // carries the anxiety-measure note (gad7Note or the ADSM mix)
}

var catalogue = []catalogueItem{
	{Metric{ID: "referrals_received", Version: 1, Title: "Referrals received", Definition: "Count of referral.received.", Cohort: "talking-therapies referrals received in the period", Unit: "count", Direction: "neutral", Source: srcMetrics}, kindCount, nil, false},
	{Metric{ID: "referral_source_share", Version: 1, Title: "Referral source share", Definition: "Share of referrals received by referral_source (a breakdown).", Cohort: "talking-therapies referrals received in the period", Unit: "proportion", Direction: "neutral", Source: srcMetrics}, kindShare, []string{"referral_source"}, false},
	{Metric{ID: "entered_treatment", Version: 1, Title: "Entered treatment", Definition: "Count of referrals whose first attended treatment or group session is in the period.", Cohort: "first treatment session in the period", Unit: "count", Direction: "up", Source: srcMetrics}, kindCount, nil, false},
	{Metric{ID: "access_rate_per_100k", Version: 1, Title: "Access rate per 100,000", Definition: "entered_treatment per 100,000 of the configured adult population.", Cohort: "entered_treatment", Unit: "rate_per_100k", Direction: "up", Source: srcMetrics}, kindRate, nil, false},
	{Metric{ID: "finished_treatment", Version: 1, Title: "Finished a course of treatment", Definition: "Referrals ended in the period with at least 2 treatment sessions.", Cohort: "ended in the period", Unit: "count", Direction: "neutral", Source: srcNHS}, kindCount, nil, false},
	{Metric{ID: "wait_6wk_pct", Version: 1, Title: "Waited 6 weeks or less", Definition: "Share of finished_treatment whose wait from referral to first treatment is at most 42 days.", Cohort: "finished_treatment", Unit: "proportion", Direction: "up", Standard: std(0.75), Source: srcNHS}, kindProportion, dims, false},
	{Metric{ID: "wait_18wk_pct", Version: 1, Title: "Waited 18 weeks or less", Definition: "Share of finished_treatment whose wait from referral to first treatment is at most 126 days.", Cohort: "finished_treatment", Unit: "proportion", Direction: "up", Standard: std(0.95), Source: srcNHS}, kindProportion, dims, false},
	{Metric{ID: "wait_median_days", Version: 1, Title: "Median wait to first treatment", Definition: "Median of date(first treatment) - date(referral received), in days.", Cohort: "entered_treatment", Unit: "days", Direction: "down", Source: srcMetrics}, kindMedian, dims, false},
	{Metric{ID: "first_contact_3wk_pct", Version: 1, Title: "First contact within 3 weeks (peer coaching)", Definition: "Share of peer-coaching referrals with a first contacted status or attended session at most 21 days after referral.", Cohort: "peer-coaching referrals received in the period", Unit: "proportion", Direction: "up", Source: srcMetrics}, kindProportion, nil, false},
	{Metric{ID: "dna_rate", Version: 1, Title: "Did-not-attend rate", Definition: "dna ÷ (attended + dna) over sessions in the period.", Cohort: "sessions in the period", Unit: "proportion", Direction: "down", Source: srcMetrics}, kindProportion, []string{"worker_id", "gp_practice", "referral_source"}, false},
	{Metric{ID: "cancellation_rate", Version: 1, Title: "Cancellation rate", Definition: "Cancellations by the patient or the service ÷ all sessions in the period.", Cohort: "sessions in the period", Unit: "proportion", Direction: "down", Source: srcMetrics}, kindProportion, []string{"worker_id"}, false},
	{Metric{ID: "dropout_rate", Version: 1, Title: "Drop-out rate", Definition: "Endings with reason dropped_out ÷ referrals ended in the period with at least 1 treatment session.", Cohort: "ended in the period with at least 1 treatment session", Unit: "proportion", Direction: "down", Source: srcMetrics}, kindProportion, []string{"worker_id"}, false},
	{Metric{ID: "mean_treatment_sessions", Version: 1, Title: "Mean treatment sessions", Definition: "Mean number of treatment sessions of finished_treatment.", Cohort: "finished_treatment", Unit: "mean", Direction: "neutral", Source: srcMetrics}, kindMean, []string{"worker_id"}, false},
	{Metric{ID: "follow_up_offered_pct", Version: 1, Title: "Follow-up offered", Definition: "Share of finished_treatment with follow_up_offered (an ending that does not say counts as not offered).", Cohort: "finished_treatment", Unit: "proportion", Direction: "up", Source: srcMetrics}, kindProportion, []string{"worker_id"}, false},
	{Metric{ID: "finished_paired", Version: 2, Title: "Finished with paired scores", Definition: "finished_treatment with paired scores on both the depression (PHQ-9) and the anxiety measure: the problem's anxiety-disorder-specific measure (ADSM) when thresholds for it are configured and it is paired, else GAD-7 (the note gives the mix).", Cohort: "finished_paired", Unit: "count", Direction: "neutral", Source: srcNHS}, kindCount, dims, true},
	{Metric{ID: "not_at_caseness", Version: 2, Title: "Not at caseness at first", Definition: "In finished_paired, first PHQ-9 < 10 and first anxiety score < the anxiety measure's cut-off (GAD-7 8, or the ADSM's configured cut-off).", Cohort: "finished_paired", Unit: "count", Direction: "neutral", Source: srcNHS}, kindCount, dims, true},
	{Metric{ID: "recovered", Version: 2, Title: "Recovered", Definition: "In finished_paired, at caseness at first on either measure and below caseness at last on both, each by its own cut-off (PHQ-9 10; GAD-7 8 or the ADSM's configured cut-off).", Cohort: "finished_paired", Unit: "count", Direction: "up", Source: srcNHS}, kindCount, dims, true},
	{Metric{ID: "recovery_rate", Version: 2, Title: "Recovery rate", Definition: "recovered ÷ (finished_paired − not_at_caseness), the anxiety measure being the ADSM where configured and paired, else GAD-7.", Cohort: "finished_paired at caseness at first", Unit: "proportion", Direction: "up", Standard: std(0.5), Source: srcNHS}, kindProportion, dims, true},
	{Metric{ID: "reliable_improvement_rate", Version: 2, Title: "Reliable improvement rate", Definition: "Improved by at least the measure's reliable change (PHQ-9 6; GAD-7 4 or the ADSM's configured value) on at least one measure and reliably deteriorated on neither, ÷ finished_paired.", Cohort: "finished_paired", Unit: "proportion", Direction: "up", Source: srcNHS}, kindProportion, dims, true},
	{Metric{ID: "reliable_deterioration_rate", Version: 2, Title: "Reliable deterioration rate", Definition: "Reliably deteriorated (by the measure's reliable change: PHQ-9 6; GAD-7 4 or the ADSM's configured value) on at least one measure and reliably improved on neither, ÷ finished_paired.", Cohort: "finished_paired", Unit: "proportion", Direction: "down", Source: srcNHS}, kindProportion, dims, true},
	{Metric{ID: "reliable_recovery_rate", Version: 2, Title: "Reliable recovery rate", Definition: "Recovered and reliably improved, ÷ (finished_paired − not_at_caseness), the anxiety measure being the ADSM where configured and paired, else GAD-7.", Cohort: "finished_paired at caseness at first", Unit: "proportion", Direction: "up", Source: srcNHS}, kindProportion, dims, true},
	{Metric{ID: "no_paired_scores", Version: 2, Title: "Finished without paired scores", Definition: "finished_treatment without paired scores on both PHQ-9 and the anxiety measure (the ADSM where configured and paired, else GAD-7): a data-quality figure, always shown.", Cohort: "finished_treatment", Unit: "count", Direction: "down", Source: srcMetrics}, kindCount, dims, true},
	{Metric{ID: "adsm_use_rate", Version: 1, Title: "Problem-specific anxiety measure used", Definition: "Share of finished_paired referrals whose problem has an anxiety-disorder-specific measure (scales.ADSMFor: social anxiety SPIN, PTSD PCL-5 or IES-R, OCD OCI-R, panic PDSS, health anxiety HAI, agoraphobia MI) that have paired scores on it, whether or not its thresholds are configured.", Cohort: "finished_paired whose problem has an ADSM", Unit: "proportion", Direction: "up", Source: srcMetrics}, kindProportion, dims, true},
}

// Catalogue returns the metric definitions, in report order: talking
// therapies, then the programme (peer coaching, wellbeing, peer-worker
// impact, consultations), crisis and qualitative sections.
func Catalogue() []Metric {
	out := make([]Metric, 0, len(catalogue)+len(programmeMetrics)+len(crisisMetrics)+len(qualitativeMetrics))
	for _, c := range catalogue {
		out = append(out, c.Metric)
	}
	for _, sec := range [][]Metric{programmeMetrics, crisisMetrics, qualitativeMetrics} {
		out = append(out, sec...)
	}
	for i := range out { // copies: callers may not change the catalogue
		if out[i].Standard != nil {
			out[i].Standard = std(*out[i].Standard)
		}
	}
	return out
}

// Catalogue returns the metric definitions, in report order.
func (w *Warehouse) Catalogue() []Metric { return Catalogue() }

// Metrics is the catalogue for callers without a Warehouse (the CLI's
// `evalpipe metrics`, the docs): the same list as Catalogue.
func Metrics() []Metric { return Catalogue() }
