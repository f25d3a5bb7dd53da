package transform_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/transform"
)

// requireKcat finds kcat or fails with how to install it: CI must not
// silently skip the interoperability tests.
func requireKcat(t *testing.T) string {
	t.Helper()
	if os.Getenv("EVALPIPE_NO_KCAT") == "1" {
		t.Skip("EVALPIPE_NO_KCAT=1")
	}
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: install it (Debian/Ubuntu: apt-get install -y kcat; macOS: brew install kcat) or set EVALPIPE_NO_KCAT=1 to skip")
	}
	return path
}

// TestKcatProducedEvent: an event produced by a foreign client (kcat, i.e.
// librdkafka) reaches the lake like any other.
func TestKcatProducedEvent(t *testing.T) {
	kcat := requireKcat(t)
	b, k := startBroker(t)
	ev := genEvents(1, day0, time.Minute)[0] // a referral.received
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-P", "-b", b.Addrs()[0], "-t", k.Topic(ev.fam), "-K:")
	cmd.Stdin = bytes.NewReader(append([]byte(ev.key+":"+string(ev.value)), '\n'))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	root := t.TempDir()
	stats, err := transform.Run(ctx, config(b, k, root))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if stats.Rows[ev.fam] != 1 || stats.Poison != 0 {
		t.Errorf("stats = %+v, want one %s row", stats, ev.fam)
	}
	checkExactlyOnce(t, root, []event{ev})
}
