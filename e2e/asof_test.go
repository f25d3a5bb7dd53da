package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// As-of (issue 4): `evalpipe report interim --as-of 2024-09-30` on data that
// goes on after that date, with corrections recorded later, reports exactly
// what was known at the end of 30 September 2024.
//
// Six peer-coaching referrals, WEMWBS at baseline and follow-up (the
// change is the latest follow-up after the earliest baseline, per person,
// among referrals ended in the period):
//
//	     baseline  follow-ups (recorded)                          ended (recorded)
//	q_a  40        46 (08-20); 50 occurred 09-20, recorded 11-05  09-25
//	q_b  35        37 (07-15); 38 (09-10), retracted on 10-15     09-12
//	q_c  50        48 (08-10)                                     08-30
//	q_d  42        47 (09-01)                                     09-05
//	q_e  44        none: lost to follow-up                        09-15
//	q_f  30        36 (09-25)                                     09-28, recorded 10-02
//	q_g  45        49 (11-20)                                     11-25 (referred in October)
//
// Known on 30 September: q_a +6, q_b +3, q_c −2, q_d +5; q_e lost; q_f's
// referral had not been recorded as ended, so it is not in the cohort.
// n = 4 paired of 5 with a baseline, mean change 12/4 = 3; paired t
// interval 3 ± t(0.975, 3) × s/√4 with s² = (9+0+25+4)/3; 3 of 4 (q_a,
// q_b, q_d) improved by 3 points or more.
//
// Known now, over the same period: q_a +10 (the November follow-up), q_b +2
// (the September score retracted), q_c −2, q_d +5, q_f +6; q_e lost: n = 5
// of 6, mean 21/5 = 4.2; 3 of 5 (q_a, q_d, q_f) improved by 3 or more.
// By default the period is now the 12 months to October, the month of the
// latest referral (q_g's); q_g's referral ended in November, outside it,
// so the figures are the same as over the period to September.
func TestInterimAsOf(t *testing.T) {
	data := t.TempDir()
	input := filepath.Join(data, "asof.ndjson")
	if err := os.WriteFile(input, []byte(asOfEvents()), 0o644); err != nil {
		t.Fatal(err)
	}
	evalpipe(t, data, "run", "--input", input, "--out", filepath.Join(data, "out"))

	type value struct {
		Value       *float64    `json:"value"`
		Numerator   *float64    `json:"numerator"`
		Denominator *float64    `json:"denominator"`
		CI95        *[2]float64 `json:"ci95"`
	}
	type report struct {
		Period struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"period"`
		Metrics    map[string]value `json:"metrics"`
		Provenance struct {
			AsOf string `json:"as_of"`
		} `json:"provenance"`
	}
	interim := func(extra ...string) report {
		t.Helper()
		args := append([]string{"report", "interim", "--programme", "peer_coaching", "--format", "json", "--disclosure", "none", "--out", "-"}, extra...)
		var r report
		if err := json.Unmarshal([]byte(evalpipe(t, data, args...)), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	near := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Errorf("%s: missing, want %v", name, want)
		} else if math.Abs(*got-want) > 1e-4 { // the JSON carries 4 decimals
			t.Errorf("%s = %v, want %v", name, *got, want)
		}
	}

	then := interim("--as-of", "2024-09-30")
	// The default period is the 12 months ending with the latest month of
	// data as known then: the referrals were all received by September.
	if then.Period.From != "2023-10-01" || then.Period.To != "2024-09-30" {
		t.Errorf("as-of period %s to %s, want 2023-10-01 to 2024-09-30", then.Period.From, then.Period.To)
	}
	if !strings.HasPrefix(then.Provenance.AsOf, "2024-09-30") {
		t.Errorf("provenance as_of %q, want the end of 30 September 2024", then.Provenance.AsOf)
	}
	s := math.Sqrt((9.0 + 0 + 25 + 4) / 3)
	const t975df3 = 3.182446305284263
	half := t975df3 * s / 2
	ch := then.Metrics["wemwbs_change"]
	near("as of: wemwbs_change", ch.Value, 3)
	near("as of: wemwbs_change paired", ch.Numerator, 4)
	near("as of: wemwbs_change with a baseline", ch.Denominator, 5)
	if ch.CI95 == nil {
		t.Errorf("as of: wemwbs_change has no interval")
	} else {
		near("as of: wemwbs_change CI low", &ch.CI95[0], 3-half)
		near("as of: wemwbs_change CI high", &ch.CI95[1], 3+half)
	}
	mi := then.Metrics["wemwbs_meaningful_improvement_pct"]
	near("as of: wemwbs_meaningful_improvement_pct", mi.Value, 0.75)
	near("as of: improved", mi.Numerator, 3)
	near("as of: paired", mi.Denominator, 4)

	// The same period with everything recorded since: the November
	// follow-up, the October retraction and q_f's late ending all count.
	now := interim("--from", "2023-10", "--to", "2024-09")
	ch = now.Metrics["wemwbs_change"]
	near("now: wemwbs_change", ch.Value, 4.2)
	near("now: wemwbs_change paired", ch.Numerator, 5)
	near("now: wemwbs_change with a baseline", ch.Denominator, 6)
	mi = now.Metrics["wemwbs_meaningful_improvement_pct"]
	near("now: wemwbs_meaningful_improvement_pct", mi.Value, 0.6)
	near("now: improved", mi.Numerator, 3)
	near("now: paired", mi.Denominator, 5)

	// Without --as-of or a period: the 12 months to October.
	latest := interim()
	if latest.Period.From != "2023-11-01" || latest.Period.To != "2024-10-31" {
		t.Errorf("period %s to %s, want 2023-11-01 to 2024-10-31", latest.Period.From, latest.Period.To)
	}
	ch = latest.Metrics["wemwbs_change"]
	near("latest: wemwbs_change", ch.Value, 4.2)
	near("latest: wemwbs_change paired", ch.Numerator, 5)
	near("latest: wemwbs_change with a baseline", ch.Denominator, 6)
	near("latest: wemwbs_meaningful_improvement_pct", latest.Metrics["wemwbs_meaningful_improvement_pct"].Value, 0.6)

	// And as of 30 September again with the same explicit period: the
	// same figures, whatever was recorded since.
	again := interim("--as-of", "2024-09-30", "--from", "2023-10", "--to", "2024-09")
	for _, id := range []string{"wemwbs_change", "wemwbs_meaningful_improvement_pct"} {
		ja, _ := json.Marshal(again.Metrics[id])
		jb, _ := json.Marshal(then.Metrics[id])
		if string(ja) != string(jb) {
			t.Errorf("%s as of 30 September: %s with the period given, %s by default", id, ja, jb)
		}
	}
}

// asOfEvents is the NDJSON of TestInterimAsOf.
func asOfEvents() string {
	var b strings.Builder
	ev := func(id, typ, occurred, recorded, person, referral, data string) {
		fmt.Fprintf(&b, `{"event_id":%q,"type":%q,"occurred_at":"2024-%sT09:00:00Z","recorded_at":"2024-%sT11:00:00Z","source":"asof-svc-peer","service":"svc-peer","person":%q,"referral_id":%q,"data":%s}`+"\n",
			id, typ, occurred, recorded, person, referral, data)
	}
	wemwbs := func(person, ref, timepoint, occurred, recorded string, total int) string {
		id := fmt.Sprintf("%s-%s-%s", ref, timepoint, occurred)
		ev(id, "outcome.recorded", occurred, recorded, person, ref, fmt.Sprintf(`{"measure":"wemwbs","timepoint":%q,"total":%d}`, timepoint, total))
		return id
	}
	type person struct {
		id, ref, received string
		base              int
		follow            []struct {
			occurred, recorded string
			total              int
		}
		ended, endedRec string
	}
	type fu = struct {
		occurred, recorded string
		total              int
	}
	people := []person{
		{"q_a", "a01", "04-02", 40, []fu{{"08-20", "08-20", 46}, {"09-20", "11-05", 50}}, "09-25", "09-25"},
		{"q_b", "a02", "04-03", 35, []fu{{"07-15", "07-15", 37}, {"09-10", "09-10", 38}}, "09-12", "09-12"},
		{"q_c", "a03", "05-06", 50, []fu{{"08-10", "08-10", 48}}, "08-30", "08-30"},
		{"q_d", "a04", "05-07", 42, []fu{{"09-01", "09-01", 47}}, "09-05", "09-05"},
		{"q_e", "a05", "06-03", 44, nil, "09-15", "09-15"},
		// Received after the as-of date.
		{"q_g", "a07", "10-10", 45, []fu{{"11-20", "11-20", 49}}, "11-25", "11-25"},
		{"q_f", "a06", "09-02", 30, []fu{{"09-25", "09-25", 36}}, "09-28", "10-02"},
	}
	retract := ""
	for _, p := range people {
		ev(p.ref+"-rcv", "referral.received", p.received, p.received, p.id, p.ref,
			`{"programme":"peer_coaching","referral_source":"navigator","gp_practice":"G1","age_band":"26-35","ethnicity":"white"}`)
		base := nextDay(p.received)
		wemwbs(p.id, p.ref, "baseline", base, base, p.base)
		for _, f := range p.follow {
			id := wemwbs(p.id, p.ref, "follow_up", f.occurred, f.recorded, f.total)
			if p.id == "q_b" && f.occurred == "09-10" {
				retract = id
			}
		}
		ev(p.ref+"-end", "referral.ended", p.ended, p.endedRec, p.id, p.ref, `{"reason":"completed","follow_up_offered":true}`)
	}
	// Recorded in October: q_b's September score was keyed to the wrong person.
	ev("a02-retract", "event.retracted", "10-15", "10-15", "q_b", "a02",
		fmt.Sprintf(`{"target_event_id":%q,"reason":"score entered against the wrong person","family":"outcomes"}`, retract))
	return b.String()
}

// nextDay is the MM-DD after md in 2024 (baselines a day after referral;
// no referral is received on a month's last day).
func nextDay(md string) string {
	var m, d int
	fmt.Sscanf(md, "%d-%d", &m, &d)
	return fmt.Sprintf("%02d-%02d", m, d+1)
}
