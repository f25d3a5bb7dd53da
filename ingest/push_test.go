package ingest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

func newTestPusher(t testing.TB, cfg Config) *Pusher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := NewPusher(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Each non-blank line gets its own answer, numbered by physical line.
func TestPushPerLineStatuses(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	p := newTestPusher(t, cfg)
	defer p.Close()
	nhs := nhsNumber(7)
	body := referral("e1", nhs, "1990-02-03") + "\n" +
		"\n" + // blank: no answer
		"{not json " + nhs + "\n" +
		referral("e1", nhs, "1990-02-03") + "\n" + // again in the same body
		session("e2", "p1") + "\n"
	res, sum, err := p.Push(context.Background(), "push:test", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line   int64
		status string
		id     string
	}{{1, StatusIngested, "e1"}, {3, StatusDeadLettered, ""}, {4, StatusDuplicate, ""}, {5, StatusIngested, "e2"}}
	if len(res) != len(want) {
		t.Fatalf("answers %+v, want %d", res, len(want))
	}
	for i, w := range want {
		if res[i].Line != w.line || res[i].Status != w.status || (w.id != "" && res[i].EventID != w.id) {
			t.Errorf("answer %d: %+v, want line %d %s %s", i, res[i], w.line, w.status, w.id)
		}
	}
	if res[1].Reason == "" {
		t.Errorf("a dead letter without a reason: %+v", res[1])
	}
	if b, _ := json.Marshal(res); strings.Contains(string(b), nhs) {
		t.Errorf("the answer echoes the NHS number: %s", b)
	}
	if sum.Read != 4 || sum.Ingested != 2 || sum.DeadLettered != 1 || sum.Duplicates != 1 {
		t.Errorf("summary %+v", sum)
	}
}

// A push repeated after a restart is answered duplicate, line by line, and
// produces nothing more.
func TestPushIdempotentAcrossRestart(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	body := session("a1", "p1") + "\n" + session("a2", "p2") + "\n"
	p := newTestPusher(t, cfg)
	res, _, err := p.Push(context.Background(), "push:test", strings.NewReader(body))
	if err != nil || len(res) != 2 || res[0].Status != StatusIngested || res[1].Status != StatusIngested {
		t.Fatalf("first push: %+v %v", res, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p = newTestPusher(t, cfg) // a restart: the seen-set is read back
	defer p.Close()
	res, sum, err := p.Push(context.Background(), "push:test", strings.NewReader(body+session("a3", "p3")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Status != StatusDuplicate || res[1].Status != StatusDuplicate || res[2].Status != StatusIngested {
		t.Errorf("after the restart: %+v, want duplicate, duplicate, ingested", res)
	}
	if sum.Ingested != 1 || sum.Duplicates != 2 {
		t.Errorf("summary %+v", sum)
	}
	if n := len(readTopic(t, brokers, kc.Topic(events.Sessions))); n != 3 {
		t.Errorf("%d session messages in Kafka, want 3", n)
	}
}

// FuzzPushBody: any body is answered without a panic, one answer per
// non-blank line at most, and no answer carries an NHS number the body
// held.
func FuzzPushBody(f *testing.F) {
	nhs := nhsNumber(3)
	f.Add([]byte(referral("f1", nhs, "1990-02-03") + "\n" + session("f2", "p1") + "\n"))
	f.Add([]byte("{\"event_id\":\"" + nhs + "\",\"type\":\"referral.received\"}\n"))
	f.Add([]byte(`{"event_id":"x1","type":"session.recorded","nhs_number":"` + nhs[:3] + " " + nhs[3:6] + " " + nhs[6:] + `"}` + "\n\n\r\n"))
	f.Add([]byte("not json " + nhs + "\n{\"event_id\": " + nhs + "}\n"))
	f.Add([]byte(strings.Repeat("x", 300) + nhs + "\n"))
	f.Add([]byte{})
	kc, brokers := startBroker(f)
	cfg := testConfig(f, kc, brokers)
	p := newTestPusher(f, cfg)
	f.Cleanup(func() { p.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		res, _, err := p.Push(context.Background(), "push:fuzz", strings.NewReader(string(body)))
		if err != nil {
			if strings.Contains(err.Error(), "read") { // a line longer than MaxLineBytes
				return
			}
			t.Fatalf("push: %v", err)
		}
		lines := 0
		for _, l := range strings.Split(string(body), "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(res) > lines+1 {
			t.Errorf("%d answers for %d lines", len(res), lines)
		}
		// Check the answer's values as a client decodes them: JSON escapes
		// (json.Marshal writes & as \u0026) can fake a run of digits.
		var vals []string
		for _, r := range res {
			vals = append(vals, r.Status, r.EventID, r.Reason)
		}
		out := strings.Join(vals, "\x00")
		secrets := nhsNumbersIn(string(body))
		if raw, _, _, _, ok := redactJSONLine(body); ok {
			secrets = append(secrets, nhsNumbersIn(raw)...)
		}
		for _, s := range secrets {
			if strings.Contains(string(out), s) {
				t.Errorf("the answer echoes NHS number %s:\n%s", s, out)
			}
		}
		for _, found := range nhsNumbersIn(string(out)) {
			t.Errorf("the answer holds NHS number %s:\n%s", found, out)
		}
	})
}
