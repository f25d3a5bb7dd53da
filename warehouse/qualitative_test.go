package warehouse

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The qualitative fixture, testdata/qualitative/events.ndjson, worked out
// by hand for 2024-04..2024-06 (Q2), Europe/London; service svc-q except fb-10.
//
// Episodes (talking therapies, for response rates and outcome groups):
//
//	q-r1 (q-p1) ended 04-05 completed, PHQ-9 15→5, GAD-7 12→4: recovered
//	q-r2 (q-p2) ended 04-10 completed, PHQ-9 15→14, GAD-7 12→11: not recovered
//	q-r3 (q-p3) ended 05-01 dropped_out (1 session): not in the recovery cohort
//	q-r4 (q-p4) ended 05-02 completed, no scores: not linkable
//	Response: completers r1 r2 r4 → fb-01, fb-02 → 2/3; non-completers r3 → fb-04 → 1/1; all 3/4.
//
// Feedback (consent C = true, - = false or absent):
//
//	id     date   respondent     channel       exp        consent  latest codes              outcome
//	fb-01  04-12  service_user   peq           excellent  C        waiting, listened         recovered (q-r1)
//	fb-02  04-15  service_user   peq           poor       -        waiting                   not recovered (q-r2)
//	fb-03  05-01  carer          website       good       C        continuity, waiting (recoded: the latest wins)
//	fb-04  05-20  non_completer  phone_survey  very_poor  -        access_barriers           (q-r3 not eligible)
//	fb-05  06-03  staff          interview     —          C        waiting
//	fb-06  06-10  service_user   peq           good       C        listened                  recovered (person q-p1)
//	fb-07  06-20  service_user   website       fair       C then - (re-recorded: consent withdrawn) waiting
//	fb-08  03-20  outside the period
//	fb-09  06-25  service_user   peq           good       —        not coded
//	fb-10  05-05  service_user   peq (svc-other) good     C        waiting
//
// Volume 9 (service_user 6: peq 5, website 1; carer 1; non_completer 1; staff 1).
// Experience: 8 rated, good/excellent 01 03 06 09 10 = 5/8; service_user 4/6.
// Coded pieces 8 (all but fb-09): waiting 6 (01 02 03 05 07 10) = 6/8,
// listened 2 (01 06), access 1, continuity 1. Ranking: waiting, listened,
// access_barriers, continuity (ties by code). Service-user coded 5, waiting 4/5.
// Outcome groups: recovered 01 06 (2), not recovered 02 (1): waiting 1/2 and
// 1/1, listened 2/2 and 0/1.
// Quotes, 2 per theme: waiting fb-01 fb-03 (05 and 10 beyond the cap; 02 and
// 07 never), listened fb-01 fb-06, access none (fb-04 has no consent),
// continuity fb-03: 5 quotes.
// Actions to 06-30: act-1 05-15 waiting; act-2 06-01 no codes, answers fb-04
// → access_barriers; act-4 02-01 flexibility (no feedback: count 0); act-3
// 07-20 is after the period. Rows waiting 6/1, listened 2/0, access 1/1,
// continuity 1/0, flexibility 0/1.
// Involvement, 2024-01..2024-09: Q1 inv-1 (8 people, 16 h, not led);
// Q2 inv-2 (2024-03-31T23:30Z = 04-01 BST; 10, 15 h, led), inv-3 (5, 15 h,
// led), inv-4 (3, 12 h) → 3 activities, 18 people, 42 h, led 2/3, 30 led
// hours; Q3 inv-5 (2, 12 h, led); inv-6 (10-01) out. All: 5, 28, 70 h, led 3/5.
var qualitativeFixture = filepath.Join("testdata", "qualitative", "events.ndjson")

// The texts without consent, which must never appear in a Result.
var noConsentTexts = []string{"SECRET-NO-CONSENT-02", "SECRET-NO-CONSENT-04", "SECRET-WITHDRAWN-07"}

func qualQ2() Period {
	p, err := ParsePeriod("2024-04", "2024-06")
	if err != nil {
		panic(err)
	}
	return p
}

func TestQualitativeFixture(t *testing.T) {
	w := openSectionLake(t, qualitativeFixture, Config{Evaluation: Evaluation{QuotesPerTheme: 2}})
	res, err := w.Qualitative(context.Background(), qualQ2(), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range noConsentTexts {
		if strings.Contains(string(b), s) {
			t.Errorf("the Result contains %q, a text without consent to quote", s)
		}
	}

	t.Run("volume", func(t *testing.T) {
		crisisWant(t, "feedback_volume", res.Metrics["feedback_volume"], 9)
		tb := crisisTable(t, res, "feedback_volume", "")
		crisisWant(t, "service_user peq", crisisCell(t, tb, "service_user", "peq"), 5)
		crisisWant(t, "service_user website", crisisCell(t, tb, "service_user", "website"), 1)
		crisisWant(t, "service_user total", crisisCell(t, tb, "service_user", "total"), 6)
		crisisWant(t, "staff interview", crisisCell(t, tb, "staff", "interview"), 1)
		crisisWant(t, "response", res.Metrics["feedback_response_rate"], 0.75)
		crisisWant(t, "response completers", res.Breakdowns["feedback_response_rate"]["group"]["completers"], 2.0/3)
		crisisWant(t, "response non_completers", res.Breakdowns["feedback_response_rate"]["group"]["non_completers"], 1)
	})

	t.Run("experience", func(t *testing.T) {
		v := res.Metrics["experience_good_pct"]
		crisisWant(t, "experience_good_pct", v, 5.0/8)
		if v.CI95 == nil {
			t.Error("no Wilson interval")
		}
		crisisWant(t, "service_user", res.Breakdowns["experience_good_pct"]["respondent"]["service_user"], 4.0/6)
		crisisWant(t, "non_completer", res.Breakdowns["experience_good_pct"]["respondent"]["non_completer"], 0)
	})

	t.Run("themes", func(t *testing.T) {
		crisisWant(t, "coded pieces", res.Metrics["theme_frequency"], 8)
		tb := crisisTable(t, res, "theme_frequency", "Themes: pieces")
		var order []string
		for _, r := range tb.Rows {
			order = append(order, r.Label)
		}
		if got := strings.Join(order, ","); got != "waiting_time,feeling_listened_to,access_barriers,continuity" {
			t.Errorf("theme order %s", got)
		}
		crisisWant(t, "waiting pieces", crisisCell(t, tb, "waiting_time", "pieces"), 6)
		crisisWant(t, "waiting share", crisisCell(t, tb, "waiting_time", "share"), 0.75)
		crisisWant(t, "continuity share", res.Breakdowns["theme_frequency"]["code"]["continuity"], 1.0/8)
		byResp := crisisTable(t, res, "theme_frequency", "Themes by respondent")
		crisisWant(t, "waiting service_user", crisisCell(t, byResp, "waiting_time", "service_user"), 4.0/5)
		crisisWant(t, "access non_completer", crisisCell(t, byResp, "access_barriers", "non_completer"), 1)
		byOut := crisisTable(t, res, "theme_frequency", "Themes by outcome")
		crisisWant(t, "waiting recovered", crisisCell(t, byOut, "waiting_time", "recovered"), 0.5)
		crisisWant(t, "waiting not recovered", crisisCell(t, byOut, "waiting_time", "not_recovered"), 1)
		crisisWant(t, "listened recovered", crisisCell(t, byOut, "feeling_listened_to", "recovered"), 1)
		crisisWant(t, "listened not recovered", crisisCell(t, byOut, "feeling_listened_to", "not_recovered"), 0)
		if !strings.Contains(byOut.Note, "3 of 8 coded pieces linkable") {
			t.Errorf("outcome note %q", byOut.Note)
		}
	})

	t.Run("quotes", func(t *testing.T) {
		tb := crisisTable(t, res, "quotes", "")
		var got []string
		for _, r := range tb.Rows {
			got = append(got, r.Cells[0].Text+":"+r.Label)
			if tb.Columns[1].Unit != "quote" {
				t.Errorf("quote column unit %q", tb.Columns[1].Unit)
			}
		}
		want := "waiting_time:fb-01,waiting_time:fb-03,feeling_listened_to:fb-01,feeling_listened_to:fb-06,continuity:fb-03"
		if strings.Join(got, ",") != want {
			t.Errorf("quotes %s, want %s", strings.Join(got, ","), want)
		}
		if q := crisisCell(t, tb, "fb-06", "quote").Text; q != "Consented quote six: I felt heard." {
			t.Errorf("fb-06 quote %q", q)
		}
		if !strings.Contains(tb.Note, "no consented quote for access_barriers") {
			t.Errorf("note %q", tb.Note)
		}
	})

	t.Run("you_said_we_did", func(t *testing.T) {
		tb := crisisTable(t, res, "you_said_we_did", "")
		for _, c := range []struct {
			theme     string
			fb, acts  float64
			summaries string
		}{
			{"waiting_time", 6, 1, "Added evening clinics."},
			{"feeling_listened_to", 2, 0, ""},
			{"access_barriers", 1, 1, "Booked interpreters by default."},
			{"continuity", 1, 0, ""}, // act-3 is after the period
			{"flexibility", 0, 1, "Offered Saturday appointments."},
		} {
			crisisWant(t, c.theme+" feedback", crisisCell(t, tb, c.theme, "feedback"), c.fb)
			crisisWant(t, c.theme+" actions", crisisCell(t, tb, c.theme, "actions"), c.acts)
			if got := crisisCell(t, tb, c.theme, "summaries").Text; got != c.summaries {
				t.Errorf("%s summaries %q, want %q", c.theme, got, c.summaries)
			}
		}
		if len(tb.Rows) != 5 {
			t.Errorf("%d rows, want 5", len(tb.Rows))
		}
	})

	t.Run("involvement Q2", func(t *testing.T) {
		crisisWant(t, "involvement_hours", res.Metrics["involvement_hours"], 42)
	})
}

func TestQualitativeInvolvementByQuarter(t *testing.T) {
	w := openSectionLake(t, qualitativeFixture, Config{})
	p, _ := ParsePeriod("2024-01", "2024-09")
	res, err := w.Qualitative(context.Background(), p, "svc-q")
	if err != nil {
		t.Fatal(err)
	}
	crisisWant(t, "involvement_hours", res.Metrics["involvement_hours"], 70)
	tb := crisisTable(t, res, "involvement_hours", "")
	for _, c := range []struct {
		q                                 string
		acts, people, hours, led, ledHour float64
	}{
		{"2024-Q1", 1, 8, 16, 0, 0}, {"2024-Q2", 3, 18, 42, 2.0 / 3, 30}, {"2024-Q3", 1, 2, 12, 1, 12}, {"all", 5, 28, 70, 0.6, 42},
	} {
		crisisWant(t, c.q+" activities", crisisCell(t, tb, c.q, "activities"), c.acts)
		crisisWant(t, c.q+" participants", crisisCell(t, tb, c.q, "participants"), c.people)
		crisisWant(t, c.q+" hours", crisisCell(t, tb, c.q, "hours"), c.hours)
		crisisWant(t, c.q+" led share", crisisCell(t, tb, c.q, "led_share"), c.led)
		crisisWant(t, c.q+" led hours", crisisCell(t, tb, c.q, "led_hours"), c.ledHour)
	}
	// Service filter: fb-10 (svc-other) is not in svc-q's volume for Q2.
	q2, err := w.Qualitative(context.Background(), qualQ2(), "svc-q")
	if err != nil {
		t.Fatal(err)
	}
	crisisWant(t, "svc-q volume", q2.Metrics["feedback_volume"], 8)
}
