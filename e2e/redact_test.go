package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Staff names listed in the config are redacted from published quotes, with
// phone numbers and the rest, through the whole pipeline.
func TestStaffNamesRedactedFromQuotes(t *testing.T) {
	data := t.TempDir()
	var lines []string
	for i := 1; i <= 8; i++ {
		ref, p := fmt.Sprintf("q%02d", i), fmt.Sprintf("p_q%02d", i)
		lines = append(lines,
			fmt.Sprintf(`{"event_id":"%s-rec","type":"referral.received","occurred_at":"2024-05-%02dT10:00:00+01:00","source":"app","service":"pc","person":"%s","referral_id":"%s","data":{"programme":"peer_coaching","referral_source":"gp"}}`, ref, i, p, ref),
			fmt.Sprintf(`{"event_id":"%s-fb","type":"feedback.received","occurred_at":"2024-06-%02dT10:00:00+01:00","source":"peq","service":"pc","person":"%s","referral_id":"%s","data":{"feedback_id":"f%d","respondent":"service_user","channel":"peq","experience":"good","consent_to_quote":true,"text":"Priya Okafor listened to me, ring me on 07700 900%03d any time (%d)."}}`, ref, i, p, ref, i, i, i),
			fmt.Sprintf(`{"event_id":"%s-fc","type":"feedback.coded","occurred_at":"2024-06-%02dT12:00:00+01:00","source":"eval","service":"pc","data":{"feedback_id":"f%d","codes":["feeling_listened_to"],"coder":"ev1","codebook":"v1"}}`, ref, i, i))
	}
	in := filepath.Join(data, "events.ndjson")
	cfg := filepath.Join(data, "config.yaml")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("staff_names: [Priya Okafor]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	evalpipe(t, data, "--config", cfg, "run", "--input", in, "--from", "2024-04", "--to", "2024-06")
	out := evalpipe(t, data, "--config", cfg, "report", "interim", "--programme", "peer_coaching", "--format", "json", "--out", "-", "--from", "2024-04", "--to", "2024-06")
	if !strings.Contains(out, "listened to me") {
		t.Fatalf("no quote in the interim report to check:\n%.2000s", out)
	}
	for _, leak := range []string{"Priya", "Okafor", "07700"} {
		if strings.Contains(out, leak) {
			t.Errorf("published quote still contains %q", leak)
		}
	}
	if !strings.Contains(out, "[name]") || !strings.Contains(out, "[phone]") {
		t.Errorf("want [name] and [phone] tokens in the quotes")
	}
}
