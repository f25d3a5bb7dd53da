package reports

import (
	"time"

	"github.com/evalpipe/evalpipe/warehouse"
)

func f(x float64) *float64 { return &x }

func ci(lo, hi float64) *[2]float64 { return &[2]float64{lo, hi} }

// count is a count value; rate a proportion, mean or median with its
// cohort.
func count(x float64) warehouse.Value { return warehouse.Value{Value: f(x)} }

func rate(v, num, den float64) warehouse.Value {
	return warehouse.Value{Value: f(v), Numerator: f(num), Denominator: f(den)}
}

func rateCI(v, num, den, lo, hi float64) warehouse.Value {
	r := rate(v, num, den)
	r.CI95 = ci(lo, hi)
	return r
}

// testCatalogue is a hand-built slice of the METRICS.md catalogue.
func testCatalogue() []warehouse.Metric {
	return []warehouse.Metric{
		{ID: "referrals_received", Version: 1, Title: "Referrals received", Definition: "Count of referral.received in the period.", Cohort: "received in period", Unit: "count", Direction: "neutral"},
		{ID: "referral_source_share", Version: 1, Title: "Referral source share", Definition: "Share of referrals by referral_source.", Cohort: "received in period", Unit: "proportion", Direction: "neutral"},
		{ID: "entered_treatment", Version: 1, Title: "Entered treatment", Definition: "First treatment session in the period.", Cohort: "first treatment session in period", Unit: "count", Direction: "up"},
		{ID: "access_rate_per_100k", Version: 1, Title: "Access rate", Definition: "Entered treatment per 100,000 of the configured adult population.", Cohort: "entered_treatment", Unit: "rate_per_100k", Direction: "up"},
		{ID: "finished_treatment", Version: 1, Title: "Finished a course of treatment", Definition: "Ended in the period with at least 2 treatment sessions.", Cohort: "ended in period", Unit: "count", Direction: "neutral", Source: "NHS Digital, NHS Talking Therapies monthly statistics"},
		{ID: "wait_6wk_pct", Version: 1, Title: "Waited 6 weeks or less", Definition: "Share of finished_treatment whose wait to first treatment was 42 days or less.", Cohort: "finished_treatment", Unit: "proportion", Direction: "up", Standard: f(0.75), Source: "NHS England waiting time standard"},
		{ID: "wait_18wk_pct", Version: 1, Title: "Waited 18 weeks or less", Definition: "Share of finished_treatment whose wait was 126 days or less.", Cohort: "finished_treatment", Unit: "proportion", Direction: "up", Standard: f(0.95), Source: "NHS England waiting time standard"},
		{ID: "wait_median_days", Version: 1, Title: "Median wait to first treatment", Definition: "Median days from referral to first treatment.", Cohort: "entered_treatment", Unit: "days", Direction: "down"},
		{ID: "dna_rate", Version: 1, Title: "Did not attend rate", Definition: "dna ÷ (attended + dna).", Cohort: "sessions in period", Unit: "proportion", Direction: "down"},
		{ID: "mean_treatment_sessions", Version: 1, Title: "Mean treatment sessions", Definition: "Mean treatment sessions of finished_treatment.", Cohort: "finished_treatment", Unit: "mean", Direction: "neutral"},
		{ID: "finished_paired", Version: 1, Title: "Finished with paired scores", Definition: "finished_treatment with paired PHQ-9 and anxiety scores.", Cohort: "finished_treatment", Unit: "count", Direction: "neutral"},
		{ID: "not_at_caseness", Version: 1, Title: "Not at caseness", Definition: "First PHQ-9 < 10 and first anxiety score below its cut-off.", Cohort: "finished_paired", Unit: "count", Direction: "neutral"},
		{ID: "recovery_rate", Version: 2, Title: "Recovery rate", Definition: "recovered ÷ (finished_paired − not_at_caseness).", Cohort: "finished_paired", Unit: "proportion", Direction: "up", Standard: f(0.5), Source: "NHS Digital, https://digital.nhs.uk/ (national standard 50%)"},
		{ID: "reliable_improvement_rate", Version: 1, Title: "Reliable improvement rate", Definition: "Reliably improved on at least one measure and deteriorated on neither, ÷ finished_paired.", Cohort: "finished_paired", Unit: "proportion", Direction: "up"},
		{ID: "no_paired_scores", Version: 1, Title: "Finished without paired scores", Definition: "finished_treatment without paired scores.", Cohort: "finished_treatment", Unit: "count", Direction: "down"},
	}
}

// testResult is a hand-built warehouse Result exercising every rule: counts
// on both sides of 5, a rate with a small denominator, the published NHS
// worked example, breakdowns, series with a suppressed month, a metric the
// catalogue does not know.
func testResult() *warehouse.Result {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return &warehouse.Result{
		Period:  warehouse.Period{From: time.Date(2024, 4, 1, 0, 0, 0, 0, london), To: time.Date(2025, 3, 31, 0, 0, 0, 0, london)},
		Service: "north-tt",
		Metrics: map[string]warehouse.Value{
			"referrals_received":        count(1234),
			"entered_treatment":         count(812),
			"access_rate_per_100k":      rate(512.3028, 812, 158500),
			"finished_treatment":        count(13),
			"wait_6wk_pct":              rateCI(0.9, 9, 10, 0.5958, 0.9821),
			"wait_18wk_pct":             rateCI(1, 4, 4, 0.5101, 1),
			"wait_median_days":          {Value: f(23.5), Denominator: f(12)},
			"dna_rate":                  rateCI(0.12, 48, 400, 0.0917, 0.1556),
			"mean_treatment_sessions":   {Value: f(7.3846), Denominator: f(13)},
			"finished_paired":           count(7),
			"not_at_caseness":           count(3),
			"recovery_rate":             rateCI(23291.0/45154.0, 23291, 45154, 0.511193, 0.520412),
			"reliable_improvement_rate": {Value: f(39417.0 / 57060.0), Numerator: f(39417), Denominator: f(57060), CI95: ci(0.687, 0.6946), Note: "GAD-7 fallback used where no problem-specific measure was configured"},
			"no_paired_scores":          count(3),
			"mystery_index":             count(2),
		},
		Breakdowns: map[string]map[string]map[string]warehouse.Value{
			"recovery_rate": {
				"worker_id": {
					"c01": rateCI(0.5, 1, 2, 0.0945, 0.9055),
					"c02": rateCI(0.6, 6, 10, 0.3127, 0.8318),
					"c03": rateCI(0.5152, 17, 33, 0.3506, 0.6767),
				},
				"gp_practice": {
					"P81001": rateCI(0.55, 11, 20, 0.3421, 0.7418),
					"Y00042": rateCI(0.25, 1, 4, 0.0456, 0.6994),
				},
			},
			"referral_source_share": {
				"referral_source": {
					"self":  rateCI(0.6, 740, 1234, 0.5722, 0.6266),
					"gp":    rateCI(0.3, 370, 1234, 0.2752, 0.3264),
					"other": rateCI(0.0032, 4, 1234, 0.0013, 0.0083),
				},
			},
		},
		Series: map[string][]warehouse.SeriesPoint{
			"recovery_rate": {
				{Month: "2024-04", Value: rate(0.48, 12, 25)},
				{Month: "2024-05", Value: rate(0.52, 13, 25)},
				{Month: "2024-06", Value: rate(0.6667, 2, 3)},
				{Month: "2024-07", Value: rate(0.55, 11, 20)},
			},
			"referrals_received": {
				{Month: "2024-04", Value: count(101)},
				{Month: "2024-05", Value: count(3)},
				{Month: "2024-06", Value: count(97)},
			},
		},
		Provenance: warehouse.Provenance{
			AsOf:        time.Date(2025, 4, 10, 6, 0, 0, 0, time.UTC),
			Lake:        "sha256:9f2c1e",
			LakeFiles:   42,
			Version:     "v0.1.0-test",
			Metrics:     map[string]int{"recovery_rate": 2, "referrals_received": 1},
			TimeZone:    "Europe/London",
			GeneratedAt: time.Date(2025, 4, 10, 7, 30, 0, 0, time.UTC),
		},
	}
}
