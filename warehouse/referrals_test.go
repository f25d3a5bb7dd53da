package warehouse

import (
	"fmt"
	"testing"
)

// The referrals rules of 03_projections.sql, each where it could go
// wrong: the first referral.received (by occurred_at, then event_id) gives
// the referral's attributes; the last referral.ended gives its end; the
// last allocation with a worker gives allocated_worker; the earliest
// contact gives first_contacted_date; a referral with no
// referral.received has no row; and a referral with nothing after receipt
// has NULLs.
func TestReferralRules(t *testing.T) {
	ev := func(id, typ, ref, occurred, data string) string {
		return fmt.Sprintf(`{"event_id":%q,"type":%q,"occurred_at":%q,"recorded_at":"2024-06-30T12:00:00Z","source":"t","service":"svc","person":"p_%s","referral_id":%q,"data":%s}`,
			id, typ, occurred, ref, ref, data)
	}
	rcv := func(src string) string {
		return fmt.Sprintf(`{"programme":"talking_therapies","referral_source":%q,"problem":"depression"}`, src)
	}
	lines := []string{
		// ra: two receipts at the same instant: event_id "a1" < "a2" wins
		ev("a2", "referral.received", "ra", "2024-01-10T09:00:00Z", rcv("self")),
		ev("a1", "referral.received", "ra", "2024-01-10T09:00:00Z", rcv("gp")),
		// a later receipt does not replace the first
		ev("a0", "referral.received", "ra", "2024-01-11T09:00:00Z", rcv("other")),
		// two endings: the later one (by occurred_at) wins, whatever the event_ids
		ev("z9", "referral.ended", "ra", "2024-03-01T09:00:00Z", `{"reason":"dropped_out","follow_up_offered":false}`),
		ev("a5", "referral.ended", "ra", "2024-04-01T09:00:00Z", `{"reason":"completed","follow_up_offered":true}`),
		// allocations: the last with a worker, not the one without
		ev("a6", "referral.status_changed", "ra", "2024-01-20T09:00:00Z", `{"status":"allocated","worker_id":"w1"}`),
		ev("a7", "referral.status_changed", "ra", "2024-01-25T09:00:00Z", `{"status":"allocated","worker_id":"w2"}`),
		ev("a8", "referral.status_changed", "ra", "2024-01-30T09:00:00Z", `{"status":"allocated"}`),
		// contacts: the earliest date
		ev("a9", "referral.status_changed", "ra", "2024-01-18T09:00:00Z", `{"status":"contacted"}`),
		ev("aa", "referral.status_changed", "ra", "2024-01-15T09:00:00Z", `{"status":"contacted"}`),
		// another status is none of these
		ev("ab", "referral.status_changed", "ra", "2024-01-12T09:00:00Z", `{"status":"assessed","worker_id":"w9"}`),
		// rb: received only
		ev("b1", "referral.received", "rb", "2024-02-01T09:00:00Z", rcv("gp")),
		// rc: no receipt, so no row, although it ended and was allocated
		ev("c1", "referral.ended", "rc", "2024-03-01T09:00:00Z", `{"reason":"completed"}`),
		ev("c2", "referral.status_changed", "rc", "2024-02-01T09:00:00Z", `{"status":"allocated","worker_id":"w3"}`),
	}
	w := openLines(t, lines)
	got := queryString(t, w, `SELECT string_agg(concat_ws('|', referral_id, referral_source, received_date, coalesce(ended_date::VARCHAR, '-'),
	        coalesce(end_reason, '-'), coalesce(follow_up_offered::VARCHAR, '-'), coalesce(allocated_worker, '-'),
	        coalesce(first_contacted_date::VARCHAR, '-')), ' ' ORDER BY referral_id)
	      FROM referrals`)
	want := "ra|gp|2024-01-10|2024-04-01|completed|true|w2|2024-01-15 rb|gp|2024-02-01|-|-|-|-|-"
	if got != want {
		t.Errorf("referrals = %s\nwant        %s", got, want)
	}
}
