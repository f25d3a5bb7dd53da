package warehouse

import (
	"context"
	"testing"
)

// An empty lake still has every view with its columns, and every metric
// answers (zero counts, no proportions).
func TestEmptyLake(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, Config{Lake: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, view := range []string{"raw_referrals", "raw_sessions", "raw_outcomes", "raw_feedback", "raw_crisis", "raw_programme", "raw_deadletter", "events", "referrals", "sessions", "scores", "episodes"} {
		cols, rows, err := w.Query(ctx, "SELECT * FROM "+view)
		if err != nil || len(rows) != 0 || len(cols) == 0 {
			t.Errorf("%s: %d cols, %d rows, %v; want columns and no rows", view, len(cols), len(rows), err)
		}
	}
	res, err := w.TalkingTherapies(ctx, q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Metrics["referrals_received"]; v.Value == nil || *v.Value != 0 {
		t.Errorf("referrals_received = %+v, want 0", v)
	}
	if v := res.Metrics["recovery_rate"]; v.Value != nil {
		t.Errorf("recovery_rate = %v, want none", *v.Value)
	}
	if c, err := w.Counts(ctx); err != nil || c != (Counts{}) {
		t.Errorf("Counts = %+v, %v", c, err)
	}
}
