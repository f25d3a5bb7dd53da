package warehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/stats"
)

// The programme fixture, testdata/programme/events.ndjson, worked out by
// hand for the quarter 2024-04..2024-06 (Europe/London; every event at
// 09:00Z, recorded 11:00Z the same day).
//
// Peer coaching, svc-peer (status dates; V = attended peer visit):
//
//	ref  received  stages                                         ended               WEMWBS base→fu
//	p01  04-02     contacted agreed allocated V04-15 V05-15 onward  05-20 completed     40→46 (a 2nd baseline 42 on 04-20 and an
//	                                                                                    earlier follow-up 43 on 05-01 are ignored)
//	p02  04-03     agreed allocated V04-17 V05-17                   05-22 completed     38→41
//	p03  04-10     agreed allocated, visit 04-20 DNA                06-01 dropped_out   —
//	p04  05-01     contacted declined                              05-03 declined      —
//	p05  05-06     allocated (no agreed status) V05-13 V06-10 onward 06-20 completed    45→44
//	p06  06-03     contacted                                       open                —
//	p07  03-20     (received before the quarter) V03-25 V04-22      04-30 completed     30→37
//	p08  04-20     agreed allocated V04-25                         06-15 dropped_out   50→ (lost)
//
// funnel (received in the quarter: p01-p06, p08 = 7): agreed or later p01
// p02 p03 p05 p08 = 5 (p05's allocation implies agreement); allocated the
// same 5; an attended visit p01 p02 p05 p08 = 4; onward plan p01 p05 = 2.
//
// wemwbs_change (ended in the quarter, svc-peer): changes +6 +3 −1 +7, n 4,
// lost 1 (p08). Mean 15/4 = 3.75; deviations 2.25 −0.75 −4.75 3.25, sum of
// squares 38.75, SD √(38.75/3) = 3.5940, d_z 3.75/3.5940 = 1.0434; paired t
// 95% 3.75 ± 3.1824 × 3.5940/2 = −1.9688 to 9.4688
// (Rscript -e 't.test(c(46,41,44,37), c(40,38,45,30), paired=TRUE)').
// Meaningful (≥ 3): p01 p02 (exactly 3) p07 = 3/4.
// swemwbs: p01 items all 3 (raw 21 → 19.25) → all 4 (raw 28 → 25.03);
// p02 raw totals 14 → 15.32, 20 → 18.59: mean (5.78 + 3.27)/2 = 4.525.
// eq5d_index (UK crosswalk, values from the scales tests): p01 11221 0.795 →
// 11111 1.000; p02 12345 0.063 → 21111 0.877: mean (0.205 + 0.814)/2 =
// 0.5095, paired t −3.3595 to 4.3785 (R). VAS 50→70, 60→65, 40→60: mean 15,
// −6.5133 to 36.5133 (R). ASCOT 12→16, 10→13: 3.5.
// pam_level_shift: p01 1→2, p02 2→2, p05 score 50.0 (level 2) → 70.0
// (level 4), p07 3→3; up 2/4.
//
// Talking therapies, svc-tt (T = treatment or group session):
//
//	ref  clinician  peer?                         in-quarter sessions  ended               PHQ-9   GAD-7  WEMWBS
//	t01  c01        yes: groups co_delivered      3 att, 1 DNA         04-30 completed     15→6    12→5   40→50  recovered
//	t02  c01        yes: a T by a peer_worker     2 att, 1 DNA         05-01 dropped_out   18→16   14→13  35→41  not (ptsd, PCL-5 used)
//	t03  c01        no                            3 DNA                05-10 dropped_out   12→8    10→6   42→44  recovered (social anxiety, no SPIN)
//	t04  c02        no                            1 att, 2 DNA         05-12 completed     16→14   11→10  38→38  not
//	t05  c02        no                            1 DNA                05-14 dropped_out   13→9    9→7    45→49  recovered
//	t06 t07 (c01, recovered), t08 (c02, not): received 06-25..27, sessions in July, ended 07-29..31.
//
// peer_impact (svc-tt): dropout 1/2 vs 2/3; recovery 1/2 vs 2/3; DNA 2/7 vs
// 6/7 = −0.5714, Newcombe −0.8062 to −0.0582 (Newcombe 1998b example (c),
// 6/7 − 2/7, mirrored; stats/published_test.go); WEMWBS change peer +10 +6
// (mean 8) vs +2 0 +4 (mean 2): difference 6, Welch −5.9540 to 17.9540, df
// 1.6842 (Rscript -e 't.test(c(10,6), c(2,0,4))'); experience good or
// excellent: peer u1 good (by referral), u2 excellent (by person) 2/2;
// non-peer u3 poor, u4 good, u5 fair 1/3 (feedback from "zz" links to
// nothing and is left out).
//
// consultation_audit: c01 and c02 consultations on 06-20; before = ended
// 03-20..06-19, after = 06-21..09-20 (not complete at the as-of, 07-31).
// c01 2/3 → 2/2 (+1/3), c02 1/2 → 0/1 (−1/2): 1 of 2 improved, mean change
// −1/12, among the improved +1/3.
//
// ConsultationPack(c01): service svc-tt; recovery 2/3 vs service 3/5; DNA
// (sessions c01 ran in the quarter) 5/10 vs 8/14; mean treatment sessions
// recovered (t01 5, t03 2) 3.5, not (t02) 3; ADSM use: t02 ptsd with PCL-5,
// t03 social anxiety without SPIN → 1/2; recovery by GP G1 2/2, G2 0/1;
// cases: recovered u3 (05-10) then u1 (04-30), not recovered u2.

// openProgramme writes the programme fixture to a lake and opens it.
func openProgramme(t testing.TB, ev Evaluation) *Warehouse {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "programme", "events.ndjson"))
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

// near compares to the 4 decimals of published and hand-worked values.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

// checkValue compares a Value with want value and interval (NaN: none).
func checkProg(t *testing.T, name string, v Value, want, lo, hi float64) {
	t.Helper()
	if v.Value == nil || !near(*v.Value, want) {
		t.Errorf("%s = %v, want %v", name, deref(v.Value), want)
	}
	if math.IsNaN(lo) {
		return
	}
	if v.CI95 == nil || !near(v.CI95[0], lo) || !near(v.CI95[1], hi) {
		t.Errorf("%s CI = %v, want [%v %v]", name, v.CI95, lo, hi)
	}
}

func progTable(t *testing.T, res *Result, metric string) Table {
	t.Helper()
	for _, tb := range res.Tables {
		if tb.Metric == metric {
			return tb
		}
	}
	t.Fatalf("no table %s", metric)
	return Table{}
}

func rowOf(t *testing.T, tb Table, label string) []Value {
	t.Helper()
	for _, r := range tb.Rows {
		if r.Label == label {
			return r.Cells
		}
	}
	t.Fatalf("table %s: no row %q", tb.Metric, label)
	return nil
}

func TestProgrammePeerCoaching(t *testing.T) {
	w := openProgramme(t, Evaluation{})
	res, err := w.Programme(context.Background(), q1(), "svc-peer")
	if err != nil {
		t.Fatal(err)
	}
	f := progTable(t, res, "funnel")
	for i, want := range []float64{7, 5, 5, 4, 2} {
		if got := *f.Rows[i].Cells[0].Value; got != want {
			t.Errorf("funnel %s = %v, want %v", f.Rows[i].Label, got, want)
		}
		lo, hi := Wilson(want, 7)
		checkProg(t, "funnel share "+f.Rows[i].Label, f.Rows[i].Cells[1], want/7, lo, hi)
	}
	nan := math.NaN()
	checkProg(t, "wemwbs_change", res.Metrics["wemwbs_change"], 3.75, -1.96881852478, 9.46881852478)
	if v := res.Metrics["wemwbs_change"]; *v.Numerator != 4 || *v.Denominator != 5 {
		t.Errorf("wemwbs_change n paired %v of %v, want 4 of 5", *v.Numerator, *v.Denominator)
	}
	wb := rowOf(t, progTable(t, res, "wellbeing_change"), "WEMWBS")
	if *wb[0].Value != 5 || *wb[1].Value != 4 || *wb[2].Value != 1 || !near(*wb[6].Value, 1.04341251546) {
		t.Errorf("WEMWBS row: baseline %v paired %v lost %v d_z %v, want 5 4 1 1.0434", *wb[0].Value, *wb[1].Value, *wb[2].Value, *wb[6].Value)
	}
	lo, hi := Wilson(3, 4)
	checkProg(t, "wemwbs_meaningful_improvement_pct", res.Metrics["wemwbs_meaningful_improvement_pct"], 0.75, lo, hi)
	checkProg(t, "swemwbs_change", res.Metrics["swemwbs_change"], 4.525, -11.4212869439, 20.4712869439)
	checkProg(t, "eq5d_index_change", res.Metrics["eq5d_index_change"], 0.5095, -3.35953934217, 4.37853934217)
	checkProg(t, "eq5d_vas_change", res.Metrics["eq5d_vas_change"], 15, -6.51326364875, 36.51326364875)
	checkProg(t, "ascot_change", res.Metrics["ascot_change"], 3.5, nan, nan)
	checkProg(t, "pam_level_shift", res.Metrics["pam_level_shift"], 0.5, nan, nan)
	pam := progTable(t, res, "pam_level_shift")
	want := [4][4]float64{{0, 1, 0, 0}, {0, 1, 0, 1}, {0, 0, 1, 0}, {0, 0, 0, 0}}
	for b := range 4 {
		for f := range 4 {
			if got := *pam.Rows[b].Cells[f].Value; got != want[b][f] {
				t.Errorf("PAM %d→%d = %v, want %v", b+1, f+1, got, want[b][f])
			}
		}
	}
}

func TestProgrammePeerImpact(t *testing.T) {
	w := openProgramme(t, Evaluation{})
	res, err := w.Programme(context.Background(), q1(), "svc-tt")
	if err != nil {
		t.Fatal(err)
	}
	pi := progTable(t, res, "peer_impact")
	if pi.Note != observationalNote {
		t.Errorf("peer_impact note %q", pi.Note)
	}
	nan := math.NaN()
	dna := rowOf(t, pi, "dna_rate")
	checkProg(t, "dna peer", dna[1], 2.0/7, nan, nan)
	checkProg(t, "dna non-peer", dna[2], 6.0/7, nan, nan)
	// Newcombe 1998b Table II example (c), 6/7 − 2/7 = 0.5714 (0.0582, 0.8062), mirrored.
	checkProg(t, "dna difference", dna[3], -0.5714, -0.8062, -0.0582)
	for _, id := range []string{"dropout_rate", "recovery_rate"} {
		r := rowOf(t, pi, id)
		d, ci, _ := stats.Newcombe(1, 2, 2, 3, 0.95)
		checkProg(t, id+" peer", r[1], 0.5, nan, nan)
		checkProg(t, id+" non-peer", r[2], 2.0/3, nan, nan)
		checkProg(t, id+" difference", r[3], d, ci.Lo, ci.Hi)
		if *r[1].Denominator != 2 || *r[2].Denominator != 3 {
			t.Errorf("%s n = %v, %v; want 2, 3", id, *r[1].Denominator, *r[2].Denominator)
		}
	}
	wem := rowOf(t, pi, "wemwbs_change")
	checkProg(t, "wemwbs peer", wem[1], 8, nan, nan)
	checkProg(t, "wemwbs non-peer", wem[2], 2, nan, nan)
	checkProg(t, "wemwbs difference", wem[3], 6, -5.95399489652, 17.95399489652)
	exp := rowOf(t, pi, "experience_good_pct")
	checkProg(t, "experience peer", exp[1], 1, nan, nan)
	checkProg(t, "experience non-peer", exp[2], 1.0/3, nan, nan)
}

func TestProgrammeConsultationAudit(t *testing.T) {
	w := openProgramme(t, Evaluation{})
	res, err := w.Programme(context.Background(), q1(), "svc-tt")
	if err != nil {
		t.Fatal(err)
	}
	a := progTable(t, res, "consultation_audit")
	nan := math.NaN()
	c01 := rowOf(t, a, "c01")
	checkProg(t, "c01 before", c01[1], 2.0/3, nan, nan)
	checkProg(t, "c01 after", c01[2], 1, nan, nan)
	d, ci, _ := stats.Newcombe(2, 2, 2, 3, 0.95)
	checkProg(t, "c01 change", c01[3], d, ci.Lo, ci.Hi)
	if !strings.Contains(c01[2].Note, "not complete") {
		t.Errorf("c01 after note %q, want the incomplete-window note", c01[2].Note)
	}
	c02 := rowOf(t, a, "c02")
	checkProg(t, "c02 change", c02[3], -0.5, nan, nan)
	checkProg(t, "mean change", rowOf(t, a, "all clinicians (mean)")[3], -1.0/12, nan, nan)
	checkProg(t, "mean change among improved", rowOf(t, a, "clinicians who improved (mean)")[3], 1.0/3, nan, nan)
	h := res.Metrics["consultation_audit"]
	if *h.Value != 1 || *h.Denominator != 2 {
		t.Errorf("consultation_audit = %v of %v, want 1 of 2", *h.Value, *h.Denominator)
	}
}

func TestConsultationPack(t *testing.T) {
	w := openProgramme(t, Evaluation{})
	res, err := w.ConsultationPack(context.Background(), q1(), "c01")
	if err != nil {
		t.Fatal(err)
	}
	if res.Service != "svc-tt" {
		t.Errorf("service %q, want svc-tt", res.Service)
	}
	nan := math.NaN()
	p := progTable(t, res, "consultation_pack")
	for _, c := range []struct {
		row             string
		clinician, serv float64
	}{
		{"recovery_rate", 2.0 / 3, 3.0 / 5},
		{"dna_rate", 5.0 / 10, 8.0 / 14},
		{"mean_treatment_sessions_recovered", 3.5, 3},
		{"mean_treatment_sessions_not_recovered", 3, 3},
		{"adsm_use_rate", 0.5, 0.5},
	} {
		r := rowOf(t, p, c.row)
		checkProg(t, c.row+" clinician", r[1], c.clinician, nan, nan)
		checkProg(t, c.row+" service", r[2], c.serv, nan, nan)
	}
	gp := res.Breakdowns["recovery_rate"]["gp_practice"]
	checkProg(t, "recovery G1", gp["G1"], 1, nan, nan)
	checkProg(t, "recovery G2", gp["G2"], 0, nan, nan)
	cases := progTable(t, res, "consultation_cases")
	if !cases.RecordLevel {
		t.Error("consultation_cases lists people, yet is not RecordLevel: a publishing policy would not withhold it")
	}
	var got []string
	for _, r := range cases.Rows {
		got = append(got, r.Label+":"+r.Cells[0].Text)
	}
	if want := "u3:recovered u1:recovered u2:not recovered"; strings.Join(got, " ") != want {
		t.Errorf("cases %v, want %s", got, want)
	}
	none, err := w.ConsultationPack(context.Background(), q1(), "nobody")
	if err != nil || none.Metrics["consultation_pack"].Note == "" {
		t.Errorf("pack for an unknown clinician: %v, %+v", err, none)
	}
}

// The pack's note names the anxiety measure its recovery rates use, as
// the KPI report's outcome metrics do for the same service and period:
// GAD-7 for every referral with no problem-specific thresholds; with
// PCL-5's configured, t02 (PTSD, PCL-5 scored) is measured on it.
func TestConsultationPackAnxietyNote(t *testing.T) {
	for _, ev := range []Evaluation{{}, {Thresholds: testThresholds}} {
		w := openProgramme(t, ev)
		res, err := w.ConsultationPack(context.Background(), q1(), "c01")
		if err != nil {
			t.Fatal(err)
		}
		note := progTable(t, res, "consultation_pack").Note
		kpi, err := w.TalkingTherapies(context.Background(), q1(), res.Service)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(kpi.Metrics["recovery_rate"].Note, note) {
			t.Errorf("thresholds %v: pack note %q, want the KPI recovery_rate note's %q", ev.Thresholds, note, kpi.Metrics["recovery_rate"].Note)
		}
		if configured := len(ev.Thresholds) > 0; configured != (note != gad7Note) || configured && !strings.Contains(note, "pcl5 1") {
			t.Errorf("thresholds %v: pack note %q", ev.Thresholds, note)
		}
	}
}

func TestProgrammeRepresentation(t *testing.T) {
	// Received in the quarter, all programmes: white p01 p04 p05 t07 = 4,
	// asian p02 p08 = 2, black p03 t08 = 2, mixed t06 = 1 (p06 not stated:
	// out of the denominator) → 9.
	w := openProgramme(t, Evaluation{PopulationShares: map[string]map[string]float64{
		"ethnicity": {"white": 0.6, "asian": 0.2, "black": 0.1, "mixed": 0.05, "other": 0.05},
	}})
	res, err := w.Programme(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	eth := res.Breakdowns["representation_ratio"]["ethnicity"]
	lo, hi := Wilson(4, 9)
	checkProg(t, "white", eth["white"], 4.0/9/0.6, lo/0.6, hi/0.6)
	checkProg(t, "black", eth["black"], 2.0/9/0.1, math.NaN(), math.NaN())
	checkProg(t, "other", eth["other"], 0, math.NaN(), math.NaN())
	if eth["white"].Note != "under-represented" || eth["asian"].Note != "" {
		t.Errorf("notes white %q asian %q", eth["white"].Note, eth["asian"].Note)
	}
	if v := res.Metrics["representation_ratio"]; v.Value == nil || *v.Value != 2 {
		t.Errorf("groups flagged %v, want 2 (white, other)", deref(v.Value))
	}
	if n := res.Breakdowns["representation_ratio"]["age_band"]["26-35"].Note; !strings.Contains(n, "PopulationShares") {
		t.Errorf("age band without shares: note %q", n)
	}

	bare := openProgramme(t, Evaluation{})
	res, err = bare.Programme(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Metrics["representation_ratio"]; v.Value != nil || !strings.Contains(v.Note, "PopulationShares") {
		t.Errorf("no shares: %+v, want no value and a note naming the setting", v)
	}
}

func TestProgrammeCatalogue(t *testing.T) {
	ids := map[string]bool{}
	for _, m := range programmeMetrics {
		if m.Version != 1 || m.Title == "" || m.Definition == "" || m.Cohort == "" || m.Unit == "" || m.Direction == "" || m.Source == "" {
			t.Errorf("incomplete catalogue entry %+v", m)
		}
		ids[m.ID] = true
	}
	w := openProgramme(t, Evaluation{})
	res, err := w.Programme(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	for id := range res.Metrics {
		if !ids[id] {
			t.Errorf("Programme returns %s, which is not in programmeMetrics", id)
		}
	}
	for _, tb := range res.Tables {
		if !ids[tb.Metric] && tb.Metric != "wellbeing_change" {
			t.Errorf("table %s is not in programmeMetrics", tb.Metric)
		}
	}
}

// TestProgrammeOnDemo runs Programme over the demo generator's NDJSON
// (800 talking-therapies referrals, 80 peer-coaching; the CSV appointments
// are left out, so talking-therapies sessions are absent) and checks that
// the figures are sane rather than exact.
func TestProgrammeOnDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("demo data set")
	}
	dir := t.TempDir()
	sum, err := demo.Generate(context.Background(), demo.Config{Referrals: 800}, dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := events.NewPseudonymiser([]byte("programme-test-key-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	var lines bytes.Buffer
	for _, f := range sum.Files {
		if !strings.HasSuffix(f, ".ndjson") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			ev, err := events.Decode(sc.Bytes(), events.DecodeOptions{Pseudonymiser: p})
			if err != nil {
				continue // bad lines: ingest dead-letters them
			}
			j, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			lines.Write(append(j, '\n'))
		}
	}
	lake := t.TempDir()
	writeLake(t, lake, lines.Bytes())
	w, err := Open(context.Background(), Config{Lake: lake})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := w.Programme(context.Background(), FinancialYear(2024), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Metrics["wemwbs_change"]; v.Value == nil || *v.Value <= 0 || v.CI95 == nil || *v.Numerator < 10 {
		t.Errorf("wemwbs_change %+v, want a positive mean change over at least 10 pairs", v)
	}
	f := progTable(t, res, "funnel")
	for i := 1; i < len(f.Rows); i++ {
		if *f.Rows[i].Cells[0].Value > *f.Rows[i-1].Cells[0].Value {
			t.Errorf("funnel widens at %s", f.Rows[i].Label)
		}
	}
	if *f.Rows[0].Cells[0].Value == 0 || *f.Rows[4].Cells[0].Value == 0 {
		t.Errorf("funnel has no referrals or no onward plans: %+v", f.Rows)
	}
	props := []Value{res.Metrics["wemwbs_meaningful_improvement_pct"], res.Metrics["pam_level_shift"], res.Metrics["funnel"]}
	for _, r := range f.Rows {
		props = append(props, r.Cells[1])
	}
	for _, v := range props {
		if v.Value == nil || *v.Value < 0 || *v.Value > 1 || v.CI95 == nil || v.CI95[0] > *v.Value || v.CI95[1] < *v.Value {
			t.Errorf("proportion %+v: want a value in [0,1] inside its interval", v)
		}
	}
	if v := res.Metrics["consultation_audit"]; v.Note == "" {
		t.Errorf("consultation_audit %+v: want a note", v)
	}
}

// Programme reads wellbeing_scores.sql once for its wellbeing step and
// peer_impact together (pairsMemo), again for another service, and
// peer_impact from the kept pairs is what it is from a read of its own.
func TestWellbeingPairsReadOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	w := openProgramme(t, Evaluation{})
	res, err := w.Programme(ctx, q1(), "svc-tt")
	if err != nil {
		t.Fatal(err)
	}
	if w.pairs.reads != 1 {
		t.Errorf("one Programme read the wellbeing scores %d times, want 1", w.pairs.reads)
	}
	if _, err := w.Programme(ctx, q1(), "svc-peer"); err != nil {
		t.Fatal(err)
	}
	if w.pairs.reads != 2 {
		t.Errorf("a second service: %d reads in all, want 2", w.pairs.reads)
	}

	alone := openProgramme(t, Evaluation{})
	own, err := alone.newResult(q1(), "svc-tt")
	if err != nil {
		t.Fatal(err)
	}
	if err := alone.peerImpact(ctx, own, day(q1().From), day(q1().To), "svc-tt"); err != nil {
		t.Fatal(err)
	}
	if alone.pairs.reads != 1 {
		t.Errorf("peer_impact alone: %d reads, want 1", alone.pairs.reads)
	}
	got, err := json.Marshal(progTable(t, res, "peer_impact"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(progTable(t, own, "peer_impact"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("peer_impact after the wellbeing step differs from peer_impact alone:\n got %s\nwant %s", got, want)
	}
}

// TestConsultationPackTotals: the pack's means and adsm_use_rate for the
// clinician (w1: ra rb rd re) and the service (all five).
//
//	     problem         ADSM scored  clinician  treatment  reviews  PHQ-9/GAD-7      recovery cohort
//	ra   social_anxiety  PCL-5 ✗      w1         2          1        15/12 → 5/4      recovered
//	rb   ptsd            IES-R ✓      w1         2          2        15/12 → 14/11    not recovered
//	rc   ptsd            PCL-5 ✓      w2         3          0        15/12 → 5/4      recovered
//	rd   depression      (SPIN: none) w1         2          0        5/3 → 5/3        not at caseness
//	re   ocd             none ✗       w1         2          0        5/3 → 5/3        not at caseness
//
// Treatment sessions, recovered: w1 2 (ra), service (2+3)/2 = 2.5; not
// recovered 2 and 2. Reviews, recovered: w1 1, service (1+0)/2 = 0.5; not
// recovered 2 and 2. adsm_use_rate counts a score on the referral's own
// problem's measure (for PTSD, PCL-5 or the IES-R), not another problem's,
// and leaves out a problem without one: w1 1/3 (rb), service 2/4 (rb rc).
func TestConsultationPackTotals(t *testing.T) {
	var lines []string
	ev := func(id, typ, ref, day, data string) {
		lines = append(lines, fmt.Sprintf(`{"event_id":%q,"type":%q,"occurred_at":"2024-%sT09:00:00Z","recorded_at":"2024-06-30T12:00:00Z","source":"t","service":"svc","person":"p_%s","referral_id":%q,"data":%s}`,
			id, typ, day, ref, ref, data))
	}
	score := func(ref, measure, day string, total int) {
		ev(ref+"-"+measure+"-"+day, "outcome.recorded", ref, day, fmt.Sprintf(`{"measure":%q,"timepoint":"session","total":%d}`, measure, total))
	}
	session := func(ref, kind, worker, day string) {
		id := ref + "-" + kind + "-" + day
		ev(id, "session.recorded", ref, day,
			fmt.Sprintf(`{"session_id":%q,"kind":%q,"attendance":"attended","worker_id":%q,"worker_role":"hi_therapist","step":3}`, id, kind, worker))
	}
	for _, r := range []struct {
		id, problem, measure, worker string
		treatment, reviews           int
		phq, gad                     [2]int
	}{
		{"ra", "social_anxiety", "pcl5", "w1", 2, 1, [2]int{15, 5}, [2]int{12, 4}},
		{"rb", "ptsd", "ies_r", "w1", 2, 2, [2]int{15, 14}, [2]int{12, 11}},
		{"rc", "ptsd", "pcl5", "w2", 3, 0, [2]int{15, 5}, [2]int{12, 4}},
		{"rd", "depression", "spin", "w1", 2, 0, [2]int{5, 5}, [2]int{3, 3}},
		{"re", "ocd", "", "w1", 2, 0, [2]int{5, 5}, [2]int{3, 3}},
	} {
		ev(r.id+"-rcv", "referral.received", r.id, "03-01", fmt.Sprintf(`{"programme":"talking_therapies","referral_source":"self","problem":%q}`, r.problem))
		for i := range r.treatment {
			session(r.id, "treatment", r.worker, fmt.Sprintf("03-%02d", 10+i))
		}
		for i := range r.reviews {
			session(r.id, "review", r.worker, fmt.Sprintf("04-%02d", 10+i))
		}
		for i, day := range []string{"03-10", "03-24"} {
			score(r.id, "phq9", day, r.phq[i])
			score(r.id, "gad7", day, r.gad[i])
			if r.measure != "" {
				score(r.id, r.measure, day, 20-i)
			}
		}
		ev(r.id+"-end", "referral.ended", r.id, "05-01", `{"reason":"completed","follow_up_offered":false}`)
	}
	w := openLines(t, lines)
	res, err := w.ConsultationPack(context.Background(), q1(), "w1")
	if err != nil {
		t.Fatal(err)
	}
	p := progTable(t, res, "consultation_pack")
	nan := math.NaN()
	for _, c := range []struct {
		row                  string
		clinician, service   float64
		nClinician, nService float64
	}{
		{"mean_treatment_sessions_recovered", 2, 2.5, 1, 2},
		{"mean_treatment_sessions_not_recovered", 2, 2, 1, 1},
		{"mean_review_sessions_recovered", 1, 0.5, 1, 2},
		{"mean_review_sessions_not_recovered", 2, 2, 1, 1},
		{"adsm_use_rate", 1.0 / 3, 0.5, 3, 4},
	} {
		r := rowOf(t, p, c.row)
		checkProg(t, c.row+" clinician", r[1], c.clinician, nan, nan)
		checkProg(t, c.row+" service", r[2], c.service, nan, nan)
		if *r[1].Denominator != c.nClinician || *r[2].Denominator != c.nService {
			t.Errorf("%s n = %v, %v; want %v, %v", c.row, *r[1].Denominator, *r[2].Denominator, c.nClinician, c.nService)
		}
	}
}
