package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The ADSM fixture, testdata/adsm/events.ndjson, worked out by hand. Five
// talking-therapies referrals in svc-adsm, each received 2024-03-01 with
// attended treatment sessions on 03-15 and 04-12 (c01), scores on those two
// dates, and ended (completed) in May 2024, so all five are finished in the
// April-June 2024 quarter:
//
//	ref  problem         ended  PHQ-9    GAD-7    ADSM
//	a01  social_anxiety  05-01  12 → 6   9 → 8    SPIN 40 → 15
//	a02  ptsd            05-02   8 → 7   7 → 9    PCL-5 45 → 30
//	a03  ocd             05-03  15 → 9  12 → 7    OCI-R 30 → 10
//	a04  social_anxiety  05-06  11 → 13 10 → 15   SPIN 35 once (03-15)
//	a05  depression      05-07  14 → 4   6 → 5    — (no ADSM)
//
// testThresholds are TEST VALUES, NOT CLINICAL GUIDANCE: SPIN caseness
// >= 19, reliable change 10; PCL-5 caseness >= 33, reliable change 10. No
// thresholds for OCI-R (nor IES-R). PHQ-9 (>= 10, 6) and GAD-7 (>= 8, 4)
// are built in. All measures lower-is-better.
//
// With testThresholds (anxiety measure, reason; flags):
//
//	a01  spin, adsm: PHQ 12 >= 10 and SPIN 40 >= 19 at caseness first; last
//	     PHQ 6 < 10 and SPIN 15 < 19 → recovered. PHQ −6 >= 6, SPIN −25 >= 10
//	     → reliable improvement, reliable recovery. (On GAD-7 the last 8 is
//	     still >= 8: not recovered — see below.)
//	a02  pcl5, adsm: PHQ 8 < 10 but PCL-5 45 >= 33 at caseness first; last
//	     PHQ 7 < 10, PCL-5 30 < 33 → recovered. PCL-5 −15 >= 10 → reliable
//	     improvement (PHQ −1), reliable recovery.
//	a03  gad7, gad7_fallback_no_thresholds (OCI-R has no thresholds, though
//	     paired): PHQ 15, GAD 12 at caseness; last PHQ 9 < 10, GAD 7 < 8 →
//	     recovered; PHQ −6 >= 6, GAD −5 >= 4 → reliable improvement and
//	     recovery.
//	a04  gad7, gad7_fallback_no_paired_adsm (one SPIN score only): at
//	     caseness (PHQ 11, GAD 10); last PHQ 13, GAD 15 → not recovered; GAD
//	     +5 >= 4, PHQ +2 → reliable deterioration.
//	a05  gad7, gad7_not_applicable: PHQ 14 at caseness; last PHQ 4 < 10,
//	     GAD 5 < 8 → recovered; PHQ −10 → reliable improvement and recovery.
//
//	finished_paired 5; not_at_caseness 0; recovered a01 a02 a03 a05 = 4;
//	recovery_rate 4/5; reliable_improvement 4/5; reliable_deterioration
//	1/5 (a04); reliable_recovery 4/5; no_paired_scores 0; adsm_use_rate:
//	finished_paired with an ADSM problem a01 a02 a03 a04, paired on it a01
//	(SPIN) a02 (PCL-5) a03 (OCI-R) → 3/4.
//
// With no thresholds configured, GAD-7 for every referral:
//
//	a01  gad7, gad7_fallback_no_thresholds: at caseness (PHQ 12, GAD 9);
//	     last GAD 8 >= 8 → NOT recovered; PHQ −6 → reliable improvement, not
//	     reliable recovery.
//	a02  gad7, gad7_fallback_no_thresholds: PHQ 8 < 10 and GAD 7 < 8 at
//	     first → not at caseness; PHQ −1, GAD +2 → no reliable change.
//	a03  gad7, gad7_fallback_no_thresholds: as above, recovered, reliable
//	     improvement and recovery.
//	a04  gad7, gad7_fallback_no_thresholds: not recovered, reliable
//	     deterioration.
//	a05  gad7, gad7_not_applicable: recovered, reliable improvement and
//	     recovery.
//
//	finished_paired 5; not_at_caseness 1 (a02); recovered a03 a05 = 2;
//	recovery_rate 2/4; reliable_improvement a01 a03 a05 = 3/5;
//	reliable_deterioration 1/5; reliable_recovery a03 a05 = 2/4;
//	adsm_use_rate 3/4 (unchanged: it does not depend on thresholds).
var testThresholds = []Threshold{
	{Measure: "spin", Caseness: 19, ReliableChange: 10, Source: "test value, not clinical guidance"},
	{Measure: "pcl5", Caseness: 33, ReliableChange: 10, Source: "test value, not clinical guidance"},
}

func openADSM(t *testing.T, ev Evaluation) *Warehouse {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "adsm", "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Lake: t.TempDir(), Evaluation: ev, Now: func() time.Time { return time.Date(2024, 8, 1, 12, 0, 0, 0, time.UTC) }}
	writeLake(t, cfg.Lake, b)
	w, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// episodeFlags is one episode's anxiety measure, reason and flags as text.
func episodeFlags(t *testing.T, w *Warehouse) map[string][]string {
	t.Helper()
	_, rows, err := w.Query(context.Background(), `SELECT referral_id, anxiety_measure, anxiety_measure_reason,
		coalesce(adsm_measure, '-'), adsm_paired::VARCHAR, paired::VARCHAR, not_at_caseness::VARCHAR, recovered::VARCHAR,
		reliable_improvement::VARCHAR, reliable_deterioration::VARCHAR, reliable_recovery::VARCHAR,
		anx_first::VARCHAR, anx_last::VARCHAR, anx_caseness::VARCHAR, anx_reliable_change::VARCHAR
		FROM episodes ORDER BY referral_id`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		var cells []string
		for _, c := range r[1:] {
			cells = append(cells, toString(c))
		}
		out[toString(r[0])] = cells
	}
	return out
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

func TestADSMWithTestThresholds(t *testing.T) {
	w := openADSM(t, Evaluation{Thresholds: testThresholds})
	//                  measure  reason                          adsm     adsm_paired paired  not_case recovered RI      RD      RR      first last caseness RC
	wantEp := map[string][]string{
		"a01": {"spin", "adsm", "spin", "true", "true", "false", "true", "true", "false", "true", "40.0", "15.0", "19.0", "10.0"},
		"a02": {"pcl5", "adsm", "pcl5", "true", "true", "false", "true", "true", "false", "true", "45.0", "30.0", "33.0", "10.0"},
		"a03": {"gad7", "gad7_fallback_no_thresholds", "oci_r", "true", "true", "false", "true", "true", "false", "true", "12.0", "7.0", "8.0", "4.0"},
		"a04": {"gad7", "gad7_fallback_no_paired_adsm", "spin", "false", "true", "false", "false", "false", "true", "false", "10.0", "15.0", "8.0", "4.0"},
		"a05": {"gad7", "gad7_not_applicable", "-", "false", "true", "false", "true", "true", "false", "true", "6.0", "5.0", "8.0", "4.0"},
	}
	if got := episodeFlags(t, w); !reflect.DeepEqual(got, wantEp) {
		t.Errorf("episodes:\n got %v\nwant %v", got, wantEp)
	}

	res, err := w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	for id, wv := range map[string]want{
		"finished_treatment":          {5, 0, 0},
		"finished_paired":             {5, 0, 0},
		"not_at_caseness":             {0, 0, 0},
		"recovered":                   {4, 0, 0},
		"recovery_rate":               {0.8, 4, 5},
		"reliable_improvement_rate":   {0.8, 4, 5},
		"reliable_deterioration_rate": {0.2, 1, 5},
		"reliable_recovery_rate":      {0.8, 4, 5},
		"no_paired_scores":            {0, 0, 0},
		"adsm_use_rate":               {0.75, 3, 4},
	} {
		checkValue(t, id, res.Metrics[id], wv)
	}
	const note = "anxiety measure: ADSM for 2 of 5 finished referrals (pcl5 1, spin 1), " +
		"GAD-7 for 3 (fallback for 2: no thresholds configured for oci_r (1), no paired ADSM scores (spin 1); " +
		"no problem-specific measure for 1); thresholds configured for spin, pcl5"
	for _, id := range []string{"finished_paired", "recovery_rate", "reliable_improvement_rate", "no_paired_scores"} {
		if got := res.Metrics[id].Note; got != note {
			t.Errorf("%s note:\n got %q\nwant %q", id, got, note)
		}
	}
	checkMixTable(t, res, [][]string{
		{"pcl5", "adsm", "pcl5", "1", "1"},
		{"spin", "adsm", "spin", "1", "1"},
		{"gad7", "gad7_fallback_no_thresholds", "oci_r", "1", "1"},
		{"gad7", "gad7_fallback_no_paired_adsm", "spin", "1", "1"},
		{"gad7", "gad7_not_applicable", "none", "1", "1"},
	}, "test value, not clinical guidance")

	// The measure_thresholds table carries every value with its source.
	_, rows, err := w.Query(context.Background(), "SELECT measure, caseness, reliable_change, source FROM measure_thresholds ORDER BY measure")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || toString(rows[2][0]) != "phq9" || toString(rows[3][0]) != "spin" || toString(rows[3][3]) != "test value, not clinical guidance" {
		t.Errorf("measure_thresholds = %v", rows)
	}
}

// TestADSMNoThresholds: with no thresholds configured GAD-7 is the anxiety
// measure for every referral, the outcome notes say so, and the flags are
// worked out on GAD-7.
func TestADSMNoThresholds(t *testing.T) {
	w := openADSM(t, Evaluation{})
	wantEp := map[string][]string{
		"a01": {"gad7", "gad7_fallback_no_thresholds", "spin", "true", "true", "false", "false", "true", "false", "false", "9.0", "8.0", "8.0", "4.0"},
		"a02": {"gad7", "gad7_fallback_no_thresholds", "pcl5", "true", "true", "true", "false", "false", "false", "false", "7.0", "9.0", "8.0", "4.0"},
		"a03": {"gad7", "gad7_fallback_no_thresholds", "oci_r", "true", "true", "false", "true", "true", "false", "true", "12.0", "7.0", "8.0", "4.0"},
		"a04": {"gad7", "gad7_fallback_no_thresholds", "spin", "false", "true", "false", "false", "false", "true", "false", "10.0", "15.0", "8.0", "4.0"},
		"a05": {"gad7", "gad7_not_applicable", "-", "false", "true", "false", "true", "true", "false", "true", "6.0", "5.0", "8.0", "4.0"},
	}
	if got := episodeFlags(t, w); !reflect.DeepEqual(got, wantEp) {
		t.Errorf("episodes:\n got %v\nwant %v", got, wantEp)
	}
	res, err := w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	for id, wv := range map[string]want{
		"finished_paired":             {5, 0, 0},
		"not_at_caseness":             {1, 0, 0},
		"recovered":                   {2, 0, 0},
		"recovery_rate":               {0.5, 2, 4},
		"reliable_improvement_rate":   {0.6, 3, 5},
		"reliable_deterioration_rate": {0.2, 1, 5},
		"reliable_recovery_rate":      {0.5, 2, 4},
		"adsm_use_rate":               {0.75, 3, 4},
	} {
		checkValue(t, id, res.Metrics[id], wv)
	}
	for _, c := range catalogue {
		got := res.Metrics[c.ID].Note
		switch {
		case c.outcome && got != gad7Note:
			t.Errorf("%s note = %q, want the GAD-7 fallback note %q", c.ID, got, gad7Note)
		case !c.outcome && strings.Contains(got, "GAD-7"):
			t.Errorf("%s is not an outcome metric but its note is %q", c.ID, got)
		}
	}
	if !strings.Contains(gad7Note, "GAD-7 for every referral") {
		t.Errorf("gad7Note %q does not say GAD-7 was used for every referral", gad7Note)
	}
	checkMixTable(t, res, [][]string{
		{"gad7", "gad7_fallback_no_thresholds", "oci_r", "1", "1"},
		{"gad7", "gad7_fallback_no_thresholds", "pcl5", "1", "1"},
		{"gad7", "gad7_fallback_no_thresholds", "spin", "2", "2"},
		{"gad7", "gad7_not_applicable", "none", "1", "1"},
	}, "no ADSM thresholds configured")
}

// TestADSMMainFixtureUnchanged: the hand-worked fixture (fixture_test.go)
// has no ADSM scores; with no thresholds, GAD-7 for all its 10 finished
// referrals (r07's panic is not finished; r11's social anxiety falls back
// for want of thresholds), and adsm_use_rate is 0/1 (r11, no SPIN).
func TestADSMMainFixtureUnchanged(t *testing.T) {
	w := openFixture(t, Config{})
	res, err := w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	checkValue(t, "adsm_use_rate", res.Metrics["adsm_use_rate"], want{0, 0, 1})
	checkMixTable(t, res, [][]string{
		{"gad7", "gad7_fallback_no_thresholds", "spin", "1", "1"},
		{"gad7", "gad7_not_applicable", "none", "9", "8"},
	}, "no ADSM thresholds configured")
	// Configuring SPIN changes nothing either: r11 has no SPIN scores.
	w = openFixture(t, Config{Evaluation: Evaluation{Thresholds: testThresholds[:1]}})
	res, err = w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	checkValue(t, "recovery_rate with SPIN configured", res.Metrics["recovery_rate"], want{0.625, 5, 8})
	const note = "anxiety measure: GAD-7 for all 10 finished referrals (fallback for 1: no paired ADSM scores (spin 1); " +
		"no problem-specific measure for 9); thresholds configured for spin"
	if got := res.Metrics["recovery_rate"].Note; got != note {
		t.Errorf("note:\n got %q\nwant %q", got, note)
	}
}

func checkMixTable(t *testing.T, res *Result, want [][]string, note string) {
	t.Helper()
	var tab *Table
	for i := range res.Tables {
		if res.Tables[i].Metric == "anxiety_measure_used" {
			tab = &res.Tables[i]
		}
	}
	if tab == nil {
		t.Fatal("no anxiety_measure_used table")
	}
	var got [][]string
	for _, r := range tab.Rows {
		got = append(got, []string{r.Cells[0].Text, r.Cells[1].Text, r.Cells[2].Text, toString(*r.Cells[3].Value), toString(*r.Cells[4].Value)})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("anxiety_measure_used rows:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(tab.Note, note) {
		t.Errorf("anxiety_measure_used note %q does not contain %q", tab.Note, note)
	}
}

func TestADSMCandidates(t *testing.T) {
	for problem, want := range map[string][]string{
		"ptsd": {"pcl5", "ies_r"}, "social_anxiety": {"spin"}, "ocd": {"oci_r"}, "panic": {"pdss"},
		"health_anxiety": {"hai_short"}, "depression": nil, "gad": nil,
	} {
		if got := adsmCandidates(problem); !reflect.DeepEqual(got, want) {
			t.Errorf("adsmCandidates(%s) = %v, want %v", problem, got, want)
		}
	}
	if got := thousands(1204); got != "1,204" {
		t.Errorf("thousands(1204) = %q", got)
	}
}

// TestADSMThresholdsChecked: a bad threshold stops Open with a message
// naming it.
func TestADSMThresholdsChecked(t *testing.T) {
	for _, tc := range []struct {
		th   Threshold
		want string
	}{
		{Threshold{Measure: "gad7", Caseness: 10, ReliableChange: 5, Source: "x"}, "built in"},
		{Threshold{Measure: "wemwbs", Caseness: 10, ReliableChange: 5, Source: "x"}, "not an anxiety-disorder-specific measure"},
		{Threshold{Measure: "spin", Caseness: 0, ReliableChange: 5, Source: "x"}, "caseness"},
		{Threshold{Measure: "spin", Caseness: 19, ReliableChange: -1, Source: "x"}, "reliable_change"},
		{Threshold{Measure: "spin", Caseness: 19, ReliableChange: 10}, "source is empty"},
	} {
		cfg := Config{Lake: t.TempDir(), Evaluation: Evaluation{Thresholds: []Threshold{tc.th}}}
		w, err := Open(context.Background(), cfg)
		if err == nil {
			w.Close()
			t.Errorf("%+v: Open succeeded, want an error containing %q", tc.th, tc.want)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %q, want it to contain %q", tc.th, err, tc.want)
		}
	}
	if err := checkThresholds(append(testThresholds, testThresholds[0])); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("duplicate threshold: error %v", err)
	}
}
