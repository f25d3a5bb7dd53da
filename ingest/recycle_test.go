package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/events"
)

// TestRecycledBuffers: chunks, the slabs their messages are cut from and
// batches' message slices are reused once a batch is acknowledged; every
// message in Kafka must still be the canonical JSON of its own line, across
// many small batches and several files of one run.
func TestRecycledBuffers(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	cfg.BatchSize = 40
	dir := t.TempDir()
	want := map[string]string{} // event id -> canonical JSON
	opts := events.DecodeOptions{Pseudonymiser: cfg.Pseudonymiser, Now: cfg.Now}
	var paths []string
	for f := range 3 {
		var b strings.Builder
		for i := range 700 {
			id := fmt.Sprintf("f%d-%d", f, i)
			var line string
			if i%3 == 0 {
				line = referral(id, nhsNumber(i), "1980-01-02")
			} else {
				line = session(id, fmt.Sprintf("p%d-%s", i, strings.Repeat("x", i%50)))
			}
			ev, err := events.Decode([]byte(line), opts)
			if err != nil {
				t.Fatal(err)
			}
			value, _ := events.AppendJSON(nil, &ev)
			want[id] = string(value)
			b.WriteString(line + "\n")
		}
		paths = append(paths, writeFile(t, filepath.Join(dir, fmt.Sprintf("f%d.ndjson", f)), b.String()))
	}
	sum, err := Ingest(context.Background(), cfg, paths...)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ingested != int64(len(want)) {
		t.Fatalf("ingested %d, want %d: %+v", sum.Ingested, len(want), sum)
	}
	got := 0
	for _, fam := range []events.Family{events.Referrals, events.Sessions} {
		for _, m := range readTopic(t, brokers, kc.Topic(fam)) {
			ev, err := events.Decode(m.Value, events.DecodeOptions{})
			if err != nil {
				t.Fatalf("message %s: %v", m.Value, err)
			}
			if string(m.Value) != want[ev.EventID] {
				t.Fatalf("message of %s:\n%s\nwant\n%s", ev.EventID, m.Value, want[ev.EventID])
			}
			got++
		}
	}
	if got != len(want) {
		t.Fatalf("%d messages, want %d", got, len(want))
	}
}
