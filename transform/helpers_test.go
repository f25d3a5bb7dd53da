package transform_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/evalpipe/evalpipe/lake"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/parquet-go/parquet-go"
	"github.com/segmentio/kafka-go"
)

// quiet keeps test output readable; set EVALPIPE_TEST_LOG=1 to see the logs.
func quiet() *slog.Logger {
	if os.Getenv("EVALPIPE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startBroker starts a real embedded broker with every evalpipe topic.
func startBroker(tb testing.TB) (*broker.Broker, *kafkaconf.Config) {
	tb.Helper()
	k := &kafkaconf.Config{}
	if err := k.Validate(); err != nil {
		tb.Fatal(err)
	}
	b, err := broker.Start(context.Background(), broker.Config{DataDir: filepath.Join(tb.TempDir(), "broker"), Topics: k.Topics(), Logger: quiet()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b, k
}

func config(b *broker.Broker, k *kafkaconf.Config, lakeRoot string) transform.Config {
	return transform.Config{Kafka: k, Brokers: b.Addrs(), Lake: lakeRoot, UntilCaughtUp: true, Logger: quiet()}
}

// event is one generated canonical event and where it goes.
type event struct {
	id    string
	fam   events.Family
	key   string
	value []byte
}

func (e event) message(k *kafkaconf.Config) kafka.Message {
	return kafka.Message{Topic: k.Topic(e.fam), Key: []byte(e.key), Value: e.value}
}

// genEvents makes n valid canonical events, time-ordered from start, one
// every step, in a realistic mix of families (sessions and outcomes
// dominate, as in a real service).
func genEvents(n int, start time.Time, step time.Duration) []event {
	out := make([]event, 0, n)
	for i := range n {
		at := start.Add(time.Duration(i) * step).UTC()
		ts := at.Format(time.RFC3339)
		person := fmt.Sprintf("p%032x", uint64(i/12)*2654435761%1000003)
		ref := fmt.Sprintf("r%07d", i/12)
		id := fmt.Sprintf("e%08d", i)
		env := func(typ string) string {
			return fmt.Sprintf(`{"event_id":%q,"type":%q,"schema":1,"occurred_at":%q,"recorded_at":%q,"source":"iaptus","service":"svc-%d","person":%q,"referral_id":%q,"data":`,
				id, typ, ts, ts, i%4, person, ref)
		}
		var fam events.Family
		var v string
		switch r := i % 20; {
		case r == 0 || r == 1:
			fam, v = events.Referrals, env("referral.received")+`{"programme":"talking_therapies","referral_source":"gp","gp_practice":"Y0`+fmt.Sprint(i%97)+`","age_band":"26-35","gender":"female","ethnicity":"white","problem":"depression","complexity":"standard"}}`
		case r == 2 || r == 3:
			fam, v = events.Referrals, env("referral.status_changed")+`{"status":"assessed","worker_id":"w`+fmt.Sprint(i%31)+`","detail":"assessment completed by phone"}}`
		case r == 4:
			fam, v = events.Referrals, env("referral.ended")+`{"reason":"completed","follow_up_offered":true}}`
		case r < 12:
			fam, v = events.Sessions, env("session.recorded")+fmt.Sprintf(`{"session_id":"s%d","kind":"treatment","attendance":"attended","worker_id":"w%d","worker_role":"pwp","step":2,"duration_min":%d,"setting":"phone","intervention":"guided self-help"}}`, i, i%31, 30+i%30)
		case r < 16:
			fam, v = events.Outcomes, env("outcome.recorded")+fmt.Sprintf(`{"measure":"phq9","timepoint":"session","session_id":"s%d","items":[%d,%d,2,1,0,3,1,2,%d]}}`, i, i%4, (i/3)%4, (i/7)%4)
		case r < 18:
			fam, v = events.Feedback, env("feedback.received")+`{"feedback_id":"f`+fmt.Sprint(i)+`","respondent":"service_user","channel":"peq","experience":"good","text":"The sessions helped me understand my anxiety.","consent_to_quote":false}}`
		case r == 18:
			fam, v = events.Crisis, env("crisis.contact")+`{"kind":"crisis_line_call","experience":"fair"}}`
		default:
			fam, v = events.Programme, fmt.Sprintf(`{"event_id":%q,"type":"involvement.recorded","schema":1,"occurred_at":%q,"recorded_at":%q,"source":"admin","service":"svc-0","data":{"activity":"advisory_group","participants":%d,"hours":2.5,"led_by_service_users":true}}`, id, ts, ts, 3+i%9)
		}
		out = append(out, event{id: id, fam: fam, key: person, value: []byte(v)})
	}
	return out
}

// produce writes messages to the broker, partitioned by key, and waits for
// every acknowledgement.
func produce(tb testing.TB, brokers []string, msgs []kafka.Message) {
	tb.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Balancer: &kafka.Hash{}, BatchSize: 2000, BatchBytes: 1 << 20, BatchTimeout: 20 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	for len(msgs) > 0 {
		n := min(len(msgs), 20000)
		if err := w.WriteMessages(context.Background(), msgs[:n]...); err != nil {
			tb.Fatalf("produce: %.300v", err)
		}
		msgs = msgs[n:]
	}
}

func produceEvents(tb testing.TB, b *broker.Broker, k *kafkaconf.Config, evs []event) {
	tb.Helper()
	msgs := make([]kafka.Message, len(evs))
	for i, e := range evs {
		msgs[i] = e.message(k)
	}
	produce(tb, b.Addrs(), msgs)
}

type idRow struct {
	EventID string `parquet:"event_id"`
}

// lakeIDs counts the event ids of every committed file of the valid
// families, and checks each file against its name and metadata.
func lakeIDs(t *testing.T, root string) map[string]int {
	t.Helper()
	files, err := lake.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range files {
		fam := events.Family(filepath.Base(filepath.Dir(filepath.Dir(f.Path))))
		if fam == events.DeadLetter {
			continue
		}
		if want := "evalpipe." + string(fam); f.Topic != want {
			t.Errorf("%s: topic %s in folder %s", f.Path, f.Topic, fam)
		}
		rows, err := parquet.ReadFile[idRow](f.Path)
		if err != nil {
			t.Fatalf("read %s: %v", f.Path, err)
		}
		if int64(len(rows)) != f.Rows || f.Rows == 0 {
			t.Errorf("%s: %d rows, metadata says %d", f.Path, len(rows), f.Rows)
		}
		for _, r := range rows {
			got[r.EventID]++
		}
	}
	return got
}

// checkExactlyOnce fails unless the lake holds each event exactly once.
func checkExactlyOnce(t *testing.T, root string, evs []event) {
	t.Helper()
	got := lakeIDs(t, root)
	missing, twice := 0, 0
	for _, e := range evs {
		switch n := got[e.id]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
		delete(got, e.id)
	}
	if missing > 0 || twice > 0 || len(got) > 0 {
		t.Errorf("lake: %d events missing, %d more than once, %d unexpected (of %d); want each exactly once", missing, twice, len(got), len(evs))
	}
}

// fileNames lists the lake's committed files relative to root, sorted.
func fileNames(t *testing.T, root string) []string {
	t.Helper()
	files, err := lake.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f.Path)
		out = append(out, rel)
	}
	return out
}

func tempFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			out = append(out, p)
		}
		return nil
	})
	return out
}
