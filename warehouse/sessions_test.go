package warehouse

import (
	"fmt"
	"testing"
)

// A session recorded again under a new event_id is an update: sessions
// keeps the copy recorded last (ties by event_id, the greater), one row a
// session, and a session recorded once is left alone. The same session_id
// under two referrals is two sessions.
func TestSessionUpdatesLastRecordedWins(t *testing.T) {
	lines := []string{
		`{"event_id":"rcv-a","type":"referral.received","occurred_at":"2024-01-10T09:00:00Z","recorded_at":"2024-01-10T11:00:00Z","source":"t","service":"svc","person":"p_a","referral_id":"ra","data":{"programme":"talking_therapies","referral_source":"gp","problem":"depression"}}`,
		`{"event_id":"rcv-b","type":"referral.received","occurred_at":"2024-01-10T09:00:00Z","recorded_at":"2024-01-10T11:00:00Z","source":"t","service":"svc","person":"p_b","referral_id":"rb","data":{"programme":"talking_therapies","referral_source":"gp","problem":"depression"}}`,
	}
	session := func(id, ref, sid, recorded, attendance string) string {
		return fmt.Sprintf(`{"event_id":%q,"type":"session.recorded","occurred_at":"2024-02-01T09:00:00Z","recorded_at":%q,"source":"t","service":"svc","person":"p_%s","referral_id":%q,"data":{"session_id":%q,"kind":"treatment","attendance":%q,"worker_id":"w1","worker_role":"pwp","step":2}}`,
			id, recorded, ref[1:], ref, sid, attendance)
	}
	lines = append(lines,
		// s1 of ra: recorded three times; the last recorded says attended
		session("e1", "ra", "s1", "2024-02-01T10:00:00Z", "dna"),
		session("e3", "ra", "s1", "2024-02-03T10:00:00Z", "attended"),
		session("e2", "ra", "s1", "2024-02-02T10:00:00Z", "cancelled_by_patient"),
		// s2 of ra: two copies recorded at the same instant; event_id "e5" > "e4" wins
		session("e4", "ra", "s2", "2024-02-05T10:00:00Z", "dna"),
		session("e5", "ra", "s2", "2024-02-05T10:00:00Z", "attended"),
		// s1 of rb: the same session_id under another referral, recorded once
		session("e6", "rb", "s1", "2024-02-01T10:00:00Z", "dna"),
	)
	w := openLines(t, lines)
	got := queryString(t, w, `SELECT string_agg(concat_ws(':', referral_id, session_id, event_id, attendance), ' ' ORDER BY referral_id, session_id) FROM sessions`)
	if want := "ra:s1:e3:attended ra:s2:e5:attended rb:s1:e6:dna"; got != want {
		t.Errorf("sessions = %s\nwant      %s", got, want)
	}
}
