package warehouse

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"
)

// scaledFixture is the fixture copied n times, each copy's event ids,
// referral ids and people renamed, so the metrics scale by n.
func scaledFixture(tb testing.TB, n int) []byte {
	tb.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		tb.Fatal(err)
	}
	ids := regexp.MustCompile(`"(event_id|referral_id|person|target_event_id|session_id)":"([^"]+)"`)
	var out bytes.Buffer
	for i := range n {
		out.Write(ids.ReplaceAllFunc(b, func(m []byte) []byte {
			s := ids.FindSubmatch(m)
			return fmt.Appendf(nil, `"%s":"%s-%d"`, s[1], s[2], i)
		}))
	}
	return out.Bytes()
}

// BenchmarkOpen: build the warehouse (read the lake, dedup, project,
// materialise) over the fixture ×500: 67,000 events, 9,500 referrals.
//
//	go test ./warehouse -run '^$' -bench . -benchtime 3x
func BenchmarkOpen(b *testing.B) {
	root := b.TempDir()
	writeLake(b, root, scaledFixture(b, 500))
	b.ResetTimer()
	for b.Loop() {
		w, err := Open(context.Background(), Config{Lake: root})
		if err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
}

// BenchmarkTalkingTherapies: every metric, breakdown and series of one
// period on the fixture ×500.
func BenchmarkTalkingTherapies(b *testing.B) {
	root := b.TempDir()
	writeLake(b, root, scaledFixture(b, 500))
	w, err := Open(context.Background(), Config{Lake: root})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ResetTimer()
	for b.Loop() {
		res, err := w.TalkingTherapies(context.Background(), q1(), "")
		if err != nil {
			b.Fatal(err)
		}
		if got := *res.Metrics["recovered"].Value; got != 5*500 {
			b.Fatalf("recovered = %g, want %d", got, 5*500)
		}
	}
}
