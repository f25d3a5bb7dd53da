package warehouse

import (
	"context"
	"math"
	"testing"
)

// The hand-built fixture, testdata/fixture/events.ndjson, worked out by hand
// for the April-June 2024 quarter (2024-04..2024-06, Europe/London). Times
// are 09:00Z (10:00 BST) unless said; "T" is an attended treatment session.
//
// svc-north, talking therapies (clinician in brackets: most attended T,
// ties to the earliest first T):
//
//	ref  received    T sessions (dates 2024)              ended (reason)        PHQ-9 first→last  GAD-7 first→last  wait
//	r01  2024-01-10  02-01 02-15 03-01 (c01)              04-10 completed, fu   8→5   (02-01→03-01) 6→4    22  not at caseness
//	r02  2024-02-01  03-14 04-04 04-25 05-16 (c01);       05-20 completed, fu   18→6                14→5   42  recovered + reliable improvement;
//	                 DNA 04-18                                                                                   wait exactly 42 days
//	r03  2024-03-01  assessment 03-08; 03-20 04-10 05-01  05-08 completed       11→7  (−4 < 6)      9→6 (−3 < 4)  19  recovered, NO reliable improvement
//	                 (c02)
//	r04  2023-12-01  04-15 05-06 05-27 (c02)              06-10 completed       12→19 (+7 ≥ 6)      10→12  136  reliable deterioration
//	r05  2024-03-05  04-02 04-16 (c01)                    04-30 completed, fu   15→12               10→9   28  exactly two T; no change
//	r06  2024-03-10  04-08 (c01); DNA 04-22               05-13 dropped_out     16 only             11 only 29  one T then dropped out
//	r07  2024-04-03  assessment 04-17 only                05-01 not_suitable    —                   —      —   no treatment
//	r08  2024-01-15  03-26 04-09 04-23 (c03)              05-07 completed, fu   14→8                10 only 71  no paired scores (GAD-7 once)
//	r09  2024-04-20  05-10 06-07 (c03); cancelled by      open                  13→10               —      20  still open
//	                 patient 05-24
//	r10  2024-02-05  03-04 (c01) 04-01 04-29 (c02)        05-27 completed, fu   12→5  (−7)          9→4 (−5) 28  retracted score: a GAD-7 of 10 on
//	                 → clinician c02 (2 sessions vs 1)                                                          04-29 is retracted on 07-15, so the
//	                                                                                                            last GAD-7 is 4 (04-01): recovered
//	r11  2024-03-18  04-05 (c03) 05-03 (c01) 06-14 (c03); 06-30T23:30+01:00     20→8                15→7   18  BST boundary: ends 06-30 locally
//	                 cancelled by service 05-17           completed, fu                                         (22:30Z): IN the quarter
//	r12  2024-04-01  04-22 05-20 06-17 (c01)              06-30T23:30Z          14→6                11→5   21  BST boundary: ends 07-01 00:30
//	                                                      completed                                             locally: OUT of the quarter
//	r13  2024-04-25  05-23 (c03) 06-06 (c01) → tie 1-1,   06-20 completed       10→11               7→6    28  duplicate delivery: referral.received
//	                 earliest is c03                      (recorded 07-12)                                      and the 06-06 session are each in the
//	                                                                                                            lake twice (same event_id)
//	r14  2024-04-11  05-02 05-16 (c01)                    06-05 completed       17→5                12→3       person.erased on 06-20:
//	                                                                                                            gone from every view
//
// svc-south: r21 received 04-08, T 04-29 05-13 (c09), ended 06-03 completed
// with follow-up, PHQ-9 16→7, GAD-7 13→6, wait 21: recovered + reliable
// improvement. r22 received 05-02, nothing else (open).
//
// Peer coaching (svc-north): r31 received 04-02, contacted 04-16 (14 days);
// r32 received 05-01, contacted 05-29 (28 days); r33 received 06-03, no
// contacted status but an attended peer visit 06-20 (17 days).
//
// Waits: r02 Feb 1 → Mar 14 = 29 (Feb 2024) + 13 = 42; r04 Dec 1 → Apr 15
// = 31+31+29+31+14 = 136; r08 Jan 15 → Mar 26 = 31+29+11 = 71.
//
// Quarter, all services:
//
//	referrals_received    received Apr-Jun, talking therapies: r07 r09 r12 r13 r21 r22 = 6
//	                      (r14 erased; r31-r33 are peer coaching). Sources: self r07 r09 r13 r22,
//	                      gp r12 r21 → self 4/6, gp 2/6
//	entered_treatment     first T in the quarter: r04 r05 r06 r09 r11 r12 r13 r21 = 8
//	                      (r01 r02 r03 r08 r10 started before April; r07 none)
//	access_rate_per_100k  8 / 200,000 × 100,000 = 4
//	wait_median_days      entered waits 136 28 29 20 18 21 28 21 → sorted 18 20 21 21 | 28 28 29 136 → (21+28)/2 = 24.5
//	finished_treatment    ended in the quarter with ≥ 2 T: r01 r02 r03 r04 r05 r08 r10 r11 r13 r21 = 10
//	                      (r06 one T, r07 none, r12 ended 07-01 locally, r09 r22 open, r14 erased)
//	wait_6wk_pct          waits ≤ 42 among the 10: all but r04 (136) and r08 (71) → 8/10
//	wait_18wk_pct         ≤ 126: all but r04 → 9/10
//	mean_treatment_sessions  3+4+3+3+2+3+3+3+2+2 = 28 / 10 = 2.8 (r13 counts 2: the duplicate is one session)
//	follow_up_offered_pct offered: r01 r02 r05 r08 r10 r11 r21 = 7/10
//	dropout_rate          ended in the quarter with ≥ 1 T: the 10 finished + r06 = 11; dropped out: r06 → 1/11
//	dna_rate              talking-therapies sessions dated Apr-Jun: attended r02 3, r03 2, r04 3, r05 2, r06 1,
//	                      r07 1 (assessment), r08 2, r09 2, r10 2, r11 3, r12 3, r13 2, r21 2 = 28; DNA r02 r06 = 2
//	                      → 2/30 (r33's peer visit is peer coaching; r14's sessions are erased)
//	cancellation_rate     cancelled r09 r11 = 2 of 28+2+2 = 32 → 2/32
//	first_contact_3wk_pct r31 (14) and r33 (17) ≤ 21, r32 (28) not → 2/3
//	finished_paired       the 10 finished less r08 (one GAD-7) = 9; no_paired_scores = 1 (r08)
//	not_at_caseness       r01 (PHQ-9 8 < 10, GAD-7 6 < 8) = 1 (r13 is at caseness: PHQ-9 10 ≥ 10)
//	recovered             r02 r03 r10 r11 r21 = 5 (r04 last PHQ-9 19, r05 12, r13 11 stay at caseness)
//	recovery_rate         5 / (9 − 1) = 0.625
//	reliable_improvement  r02 r10 r11 r21 = 4/9 (r03 changes 4 and 3 are below 6 and 4)
//	reliable_deterioration r04 (PHQ-9 +7, GAD-7 +2) = 1/9
//	reliable_recovery     recovered and reliably improved: r02 r10 r11 r21 = 4/8
//	recovery by clinician c01: r02 ✓ r05 ✗ = 1/2; c02: r03 ✓ r04 ✗ r10 ✓ = 2/3; c03: r11 ✓ r13 ✗ = 1/2 (a
//	                      tie broken the other way would make it 1/1); c09: r21 = 1/1
//
// svc-north alone drops r21 (and r22): referrals_received 4, entered 7,
// finished 9, wait_6wk 7/9, wait_18wk 8/9, median of 18 20 21 28 28 29 136
// = 28, mean sessions 26/9, follow-up 6/9, dropout 1/10, DNA 2/28,
// cancellations 2/30, finished_paired 8, recovered 4, recovery 4/7,
// reliable improvement 3/8, deterioration 1/8, reliable recovery 3/7.

type want struct {
	value    float64
	num, den float64 // 0, 0 for counts
}

func TestFixtureQuarter(t *testing.T) {
	w := openFixture(t, Config{Population: 200000})
	for _, tc := range []struct {
		service string
		want    map[string]want
	}{
		{"", map[string]want{
			"referrals_received":          {6, 0, 0},
			"entered_treatment":           {8, 0, 0},
			"access_rate_per_100k":        {4, 8, 200000},
			"finished_treatment":          {10, 0, 0},
			"wait_6wk_pct":                {0.8, 8, 10},
			"wait_18wk_pct":               {0.9, 9, 10},
			"wait_median_days":            {24.5, 0, 8},
			"first_contact_3wk_pct":       {2.0 / 3, 2, 3},
			"dna_rate":                    {2.0 / 30, 2, 30},
			"cancellation_rate":           {2.0 / 32, 2, 32},
			"dropout_rate":                {1.0 / 11, 1, 11},
			"mean_treatment_sessions":     {2.8, 28, 10},
			"follow_up_offered_pct":       {0.7, 7, 10},
			"finished_paired":             {9, 0, 0},
			"not_at_caseness":             {1, 0, 0},
			"recovered":                   {5, 0, 0},
			"recovery_rate":               {0.625, 5, 8},
			"reliable_improvement_rate":   {4.0 / 9, 4, 9},
			"reliable_deterioration_rate": {1.0 / 9, 1, 9},
			"reliable_recovery_rate":      {0.5, 4, 8},
			"no_paired_scores":            {1, 0, 0},
		}},
		{"svc-north", map[string]want{
			"referrals_received":          {4, 0, 0},
			"entered_treatment":           {7, 0, 0},
			"finished_treatment":          {9, 0, 0},
			"wait_6wk_pct":                {7.0 / 9, 7, 9},
			"wait_18wk_pct":               {8.0 / 9, 8, 9},
			"wait_median_days":            {28, 0, 7},
			"first_contact_3wk_pct":       {2.0 / 3, 2, 3},
			"dna_rate":                    {2.0 / 28, 2, 28},
			"cancellation_rate":           {2.0 / 30, 2, 30},
			"dropout_rate":                {0.1, 1, 10},
			"mean_treatment_sessions":     {26.0 / 9, 26, 9},
			"follow_up_offered_pct":       {6.0 / 9, 6, 9},
			"finished_paired":             {8, 0, 0},
			"not_at_caseness":             {1, 0, 0},
			"recovered":                   {4, 0, 0},
			"recovery_rate":               {4.0 / 7, 4, 7},
			"reliable_improvement_rate":   {3.0 / 8, 3, 8},
			"reliable_deterioration_rate": {1.0 / 8, 1, 8},
			"reliable_recovery_rate":      {3.0 / 7, 3, 7},
			"no_paired_scores":            {1, 0, 0},
		}},
		{"svc-south", map[string]want{
			"referrals_received": {2, 0, 0},
			"entered_treatment":  {1, 0, 0},
			"finished_treatment": {1, 0, 0},
			"recovery_rate":      {1, 1, 1},
		}},
	} {
		res, err := w.TalkingTherapies(context.Background(), q1(), tc.service)
		if err != nil {
			t.Fatal(err)
		}
		for id, wv := range tc.want {
			checkValue(t, tc.service+" "+id, res.Metrics[id], wv)
		}
	}
}

func checkValue(t *testing.T, name string, got Value, w want) {
	t.Helper()
	if got.Value == nil {
		t.Errorf("%s = nil, want %g", name, w.value)
		return
	}
	if math.Abs(*got.Value-w.value) > 1e-9 {
		t.Errorf("%s = %g, want %g", name, *got.Value, w.value)
	}
	if w.den != 0 && (got.Denominator == nil || *got.Denominator != w.den) {
		t.Errorf("%s denominator = %v, want %g", name, deref(got.Denominator), w.den)
	}
	if w.num != 0 && (got.Numerator == nil || *got.Numerator != w.num) {
		t.Errorf("%s numerator = %v, want %g", name, deref(got.Numerator), w.num)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestFixtureBreakdownsAndSeries(t *testing.T) {
	w := openFixture(t, Config{})
	res, err := w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	byWorker := res.Breakdowns["recovery_rate"]["worker_id"]
	for worker, wv := range map[string]want{"c01": {0.5, 1, 2}, "c02": {2.0 / 3, 2, 3}, "c03": {0.5, 1, 2}, "c09": {1, 1, 1}} {
		checkValue(t, "recovery_rate by "+worker, byWorker[worker], wv)
	}
	if len(byWorker) != 4 {
		t.Errorf("recovery_rate by worker has %d groups, want 4: %v", len(byWorker), byWorker)
	}
	src := res.Breakdowns["referral_source_share"]["referral_source"]
	checkValue(t, "share self", src["self"], want{4.0 / 6, 4, 6})
	checkValue(t, "share gp", src["gp"], want{2.0 / 6, 2, 6})
	if v := res.Metrics["access_rate_per_100k"]; v.Value != nil || v.Note == "" {
		t.Errorf("access rate without a population = %+v, want no value and a note", v)
	}
	if v := res.Metrics["recovery_rate"]; v.Note != gad7Note {
		t.Errorf("recovery_rate note = %q, want the GAD-7 fallback note", v.Note)
	}

	// Series: 24 months, 2022-07..2024-06. June 2024's recovery cohort:
	// r04 (06-10, not recovered), r11 (06-30 local, recovered), r13 (06-20,
	// not), r21 (06-03, recovered) → 2/4. April's referrals: r07 r09 r12 r13
	// r21 = 5; May's: r22 = 1.
	for _, id := range seriesMetrics {
		s := res.Series[id]
		if len(s) != 24 || s[0].Month != "2022-07" || s[23].Month != "2024-06" {
			t.Fatalf("series %s: %d points %v..%v, want 24 from 2022-07 to 2024-06", id, len(s), s[0].Month, s[len(s)-1].Month)
		}
	}
	checkValue(t, "recovery_rate 2024-06", res.Series["recovery_rate"][23].Value, want{0.5, 2, 4})
	checkValue(t, "referrals_received 2024-04", res.Series["referrals_received"][21].Value, want{5, 0, 0})
	checkValue(t, "referrals_received 2024-05", res.Series["referrals_received"][22].Value, want{1, 0, 0})
	checkValue(t, "referrals_received 2023-04", res.Series["referrals_received"][9].Value, want{0, 0, 0})
	if v := res.Series["recovery_rate"][0].Value; v.Value != nil {
		t.Errorf("recovery_rate 2022-07 = %v, want no value (empty cohort)", *v.Value)
	}
}

// TestLocalDates: the lake stores UTC instants; dates are local. r12 ends
// at 23:30 UTC on 30 June 2024, 00:30 BST on 1 July; r11 at 23:30 BST on
// 30 June (22:30 UTC).
func TestLocalDates(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		tz           string
		r11, r12     string
		finishedInQ1 float64
	}{
		{"Europe/London", "2024-06-30", "2024-07-01", 10},
		{"UTC", "2024-06-30", "2024-06-30", 11},
	} {
		w := openFixture(t, Config{TimeZone: tc.tz})
		_, rows, err := w.Query(ctx, "SELECT referral_id, ended_date::VARCHAR FROM referrals WHERE referral_id IN ('r11', 'r12') ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0][1] != tc.r11 || rows[1][1] != tc.r12 {
			t.Errorf("%s: ended dates %v, want r11 %s, r12 %s", tc.tz, rows, tc.r11, tc.r12)
		}
		res, err := w.TalkingTherapies(ctx, q1(), "")
		if err != nil {
			t.Fatal(err)
		}
		checkValue(t, tc.tz+" finished_treatment", res.Metrics["finished_treatment"], want{tc.finishedInQ1, 0, 0})
	}
}

func TestFixtureCounts(t *testing.T) {
	w := openFixture(t, Config{})
	got, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 134 lines, two of them second deliveries (r13-rcv, r13-s2); two
	// corrections; one retracted score; r14's 8 events erased
	// (received, 2 sessions, 4 scores, ended): 132 - 2 - 1 - 8 = 121.
	want := Counts{LakeRows: 134, DistinctEventIDs: 132, Visible: 132, Events: 121, Corrections: 2, Retracted: 1, Erased: 8}
	if got != want {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
	if got.Visible != got.Events+got.Corrections+got.Retracted+got.Erased {
		t.Errorf("Counts do not reconcile: %+v", got)
	}
	// LakeCounts: the same two, and nothing else counted.
	lc, err := w.LakeCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{LakeRows: got.LakeRows, DeadLetters: got.DeadLetters}); lc != want {
		t.Errorf("LakeCounts = %+v, want %+v", lc, want)
	}
}

// TestCountsAsOfMatchPlainCounting checks the counts that come from the
// duplicate hashes (counts.sql, 02_events.sql) against plain DISTINCT
// counts, as of instants on either side of r13-s2's second delivery
// (recorded 06-06 11:00 and 06-07 08:00): visible counts the ids recorded
// by the instant, the lake's counts ignore it.
func TestCountsAsOfMatchPlainCounting(t *testing.T) {
	for _, asOf := range []string{"2024-04-01T00:00:00Z", "2024-06-07T00:00:00Z", "2024-06-07T08:00:00Z", "2024-08-01T00:00:00Z"} {
		w := openFixture(t, Config{AsOf: mustTime(asOf)})
		got, err := w.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var lakeRows, distinct, visible int64
		q := `SELECT count(*), count(DISTINCT event_id),
			count(DISTINCT event_id) FILTER (WHERE recorded_at <= ?::TIMESTAMPTZ)
			FROM lake_events`
		if err := w.DB().QueryRow(q, asOf).Scan(&lakeRows, &distinct, &visible); err != nil {
			t.Fatal(err)
		}
		if got.LakeRows != lakeRows || got.DistinctEventIDs != distinct || got.Visible != visible {
			t.Errorf("as of %s: Counts = %+v, want lake_rows %d, distinct_event_ids %d, visible %d",
				asOf, got, lakeRows, distinct, visible)
		}
	}
}

// TestAsOf: as of 2024-07-10 the retraction (recorded 07-15) is not applied
// and r13's ending (recorded 07-12) is not yet known. Then r13 is open, so
// finished_treatment is 9 (not 10), finished_paired 8; r10's last GAD-7 is
// the 10 of 04-29, so r10 is not recovered: recovered r02 r03 r11 r21 = 4,
// recovery 4/7. r10 still improved reliably (PHQ-9 −7, GAD-7 +1 is no
// deterioration): reliable improvement r02 r10 r11 r21 = 4/8.
func TestAsOf(t *testing.T) {
	w := openFixture(t, Config{AsOf: mustTime("2024-07-10T00:00:00Z")})
	res, err := w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	for id, wv := range map[string]want{
		"referrals_received":        {6, 0, 0},
		"finished_treatment":        {9, 0, 0},
		"finished_paired":           {8, 0, 0},
		"recovered":                 {4, 0, 0},
		"recovery_rate":             {4.0 / 7, 4, 7},
		"reliable_improvement_rate": {0.5, 4, 8},
	} {
		checkValue(t, "as-of "+id, res.Metrics[id], wv)
	}
	c, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Visible != 130 || c.Retracted != 0 || c.Corrections != 1 {
		t.Errorf("as-of counts = %+v, want 130 visible, 0 retracted, 1 correction", c)
	}
	if got := res.Provenance.AsOf; !got.Equal(mustTime("2024-07-10T00:00:00Z")) {
		t.Errorf("provenance as-of = %v", got)
	}
}
