package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"testing"
)

// TestNHSWorkedExamples runs the real metric SQL over synthetic episodes
// built to the NHS Digital published counts (METRICS.md):
// recovery 23,291 ÷ (48,111 − 2,957) = 51.6%; reliable improvement
// 39,417 ÷ 57,060 = 69.1%.
func TestNHSWorkedExamples(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := metricSQL()
	if err != nil {
		t.Fatal(err)
	}
	w := &Warehouse{db: db, metrics: ms}
	ctx := context.Background()
	// n finished, paired referrals; the first k not at caseness, the next r
	// recovered, the first i (after the not-at-caseness ones) reliably improved.
	build := func(n, notCase, recovered, improved int) {
		q := fmt.Sprintf(`CREATE OR REPLACE TABLE episodes AS
			SELECT 'talking_therapies' AS programme, 'svc' AS service, DATE '2024-05-15' AS ended_date,
			       TRUE AS finished, TRUE AS paired,
			       i < %[1]d AS not_at_caseness,
			       i >= %[1]d AND i < %[1]d + %[2]d AS recovered,
			       i < %[3]d AS reliable_improvement
			FROM range(%[4]d) AS t (i)`, notCase, recovered, improved, n)
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
		// The metric files select from the shared cohort views over episodes.
		if _, err := db.Exec(mustSQL("sql/05_cohorts.sql")); err != nil {
			t.Fatal(err)
		}
	}
	get := func(id string) Value {
		rows, err := w.metric(ctx, id, "", "2024-05-01", "2024-05-31", "")
		if err != nil {
			t.Fatal(err)
		}
		return catalogueEntry(id).value(rows["all"])
	}

	build(48111, 2957, 23291, 0)
	rec := get("recovery_rate")
	if *rec.Numerator != 23291 || *rec.Denominator != 48111-2957 || math.Round(*rec.Value*1000)/10 != 51.6 {
		t.Errorf("recovery_rate = %v/%v = %v, want 23291/45154 = 51.6%%", *rec.Numerator, *rec.Denominator, *rec.Value)
	}
	if f := RecoveryRate(23291, 48111, 2957); math.Round(*f.Value*1000)/10 != 51.6 {
		t.Errorf("RecoveryRate = %v", *f.Value)
	}

	build(57060, 0, 0, 39417)
	ri := get("reliable_improvement_rate")
	if *ri.Numerator != 39417 || *ri.Denominator != 57060 || math.Round(*ri.Value*1000)/10 != 69.1 {
		t.Errorf("reliable_improvement_rate = %v/%v = %v, want 39417/57060 = 69.1%%", *ri.Numerator, *ri.Denominator, *ri.Value)
	}
	if f := ReliableImprovementRate(39417, 57060); math.Round(*f.Value*1000)/10 != 69.1 {
		t.Errorf("ReliableImprovementRate = %v", *f.Value)
	}
}

// TestWilson checks the interval against published values (Newcombe 1998,
// Table I: 81/263 → 0.2553-0.3662; 15/148 → 0.0624-0.1605; 0/10 → 0-0.2775).
func TestWilson(t *testing.T) {
	for _, tc := range []struct{ k, n, lo, hi float64 }{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 10, 0, 0.2775},
		{1, 29, 0.0061, 0.1718},
	} {
		lo, hi := Wilson(tc.k, tc.n)
		if math.Abs(lo-tc.lo) > 5e-5 || math.Abs(hi-tc.hi) > 5e-5 {
			t.Errorf("Wilson(%g, %g) = %.4f-%.4f, want %.4f-%.4f", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
	if v := Proportion(0, 0); v.Value != nil || v.CI95 != nil {
		t.Errorf("Proportion(0, 0) = %+v, want no value", v)
	}
}
