package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

const testPartitions = 3

var testKey = []byte("0123456789abcdef0123456789abcdef")

// startBroker runs an in-process Kafka-protocol broker with every topic.
func startBroker(tb testing.TB) (*kafkaconf.Config, []string) {
	tb.Helper()
	kc := &kafkaconf.Config{}
	if err := kc.Validate(); err != nil {
		tb.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(testPartitions, kc.Topics()...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return kc, c.ListenAddrs()
}

func testConfig(tb testing.TB, kc *kafkaconf.Config, brokers []string) Config {
	tb.Helper()
	p, err := events.NewPseudonymiser(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return Config{
		Kafka:         kc,
		Brokers:       brokers,
		Pseudonymiser: p,
		StateDir:      filepath.Join(tb.TempDir(), "state"),
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:           func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) },
	}
}

// readTopic reads every message of a topic, partition by partition.
func readTopic(tb testing.TB, brokers []string, topic string) []kafka.Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []kafka.Message
	for part := 0; part < testPartitions; part++ {
		conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, part)
		if err != nil {
			tb.Fatalf("dial %s/%d: %v", topic, part, err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			tb.Fatalf("last offset %s/%d: %v", topic, part, err)
		}
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: part, MaxWait: 50 * time.Millisecond})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				tb.Fatalf("read %s/%d: %v", topic, part, err)
			}
			out = append(out, m)
			if m.Offset+1 >= last {
				break
			}
		}
		r.Close()
	}
	return out
}

// readAll reads every topic, keyed by topic name.
func readAll(tb testing.TB, kc *kafkaconf.Config, brokers []string) map[string][]kafka.Message {
	tb.Helper()
	all := map[string][]kafka.Message{}
	for _, t := range kc.Topics() {
		all[t] = readTopic(tb, brokers, t)
	}
	return all
}

func deadLetters(tb testing.TB, msgs []kafka.Message) []events.DeadLetterMessage {
	tb.Helper()
	var out []events.DeadLetterMessage
	for _, m := range msgs {
		var dl events.DeadLetterMessage
		if err := json.Unmarshal(m.Value, &dl); err != nil {
			tb.Fatalf("dead letter %s: %v", m.Value, err)
		}
		out = append(out, dl)
	}
	return out
}

// nhsNumber returns a valid NHS number (Modulus 11) derived from n.
func nhsNumber(n int) string {
	for i := n; ; i++ {
		d := fmt.Sprintf("%09d", 400000000+i*7919%500000000)
		sum := 0
		for j := 0; j < 9; j++ {
			sum += int(d[j]-'0') * (10 - j)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return d + fmt.Sprint(check)
		}
	}
}

func spaced(nhs string) string { return nhs[:3] + " " + nhs[3:6] + " " + nhs[6:] }

func writeFile(tb testing.TB, path, content string) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func checkInvariant(t *testing.T, s Summary) {
	t.Helper()
	if s.Read != s.Ingested+s.DeadLettered+s.Duplicates {
		t.Errorf("total: read %d != ingested %d + dead-lettered %d + duplicates %d", s.Read, s.Ingested, s.DeadLettered, s.Duplicates)
	}
	var r, i, d, u int64
	for _, f := range s.PerFile {
		if f.Read != f.Ingested+f.DeadLettered+f.Duplicates {
			t.Errorf("%s: read %d != ingested %d + dead-lettered %d + duplicates %d", f.Path, f.Read, f.Ingested, f.DeadLettered, f.Duplicates)
		}
		r, i, d, u = r+f.Read, i+f.Ingested, d+f.DeadLettered, u+f.Duplicates
	}
	if r != s.Read || i != s.Ingested || d != s.DeadLettered || u != s.Duplicates {
		t.Errorf("per-file sums %d/%d/%d/%d differ from totals %d/%d/%d/%d", r, i, d, u, s.Read, s.Ingested, s.DeadLettered, s.Duplicates)
	}
	if s.Files != len(s.PerFile) {
		t.Errorf("Files = %d, PerFile has %d", s.Files, len(s.PerFile))
	}
}

// assertNoIdentifiers scans every produced message for the given strings.
func assertNoIdentifiers(t *testing.T, all map[string][]kafka.Message, idents ...string) {
	t.Helper()
	for topic, msgs := range all {
		for _, m := range msgs {
			for _, id := range idents {
				if strings.Contains(string(m.Value), id) || strings.Contains(string(m.Key), id) {
					t.Errorf("%s message %s carries identifier %q", topic, m.Value, id)
				}
			}
		}
	}
}
