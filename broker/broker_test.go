package broker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/segmentio/kafka-go"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func kconf(t *testing.T) *kafkaconf.Config {
	t.Helper()
	k := &kafkaconf.Config{}
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	return k
}

func start(t *testing.T, dir string, k *kafkaconf.Config) *broker.Broker {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{DataDir: dir, Topics: k.Topics(), Logger: quiet()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return b
}

// TestRestartKeepsLogAndOffsets: what was produced, and what a consumer group
// committed, is still there after the broker restarts on the same directory.
func TestRestartKeepsLogAndOffsets(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "broker")
	k := kconf(t)
	topic := k.Topics()[0]
	b := start(t, dir, k)

	var want []string
	var msgs []kafka.Message
	for i := range 50 {
		v := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, v)
		msgs = append(msgs, kafka.Message{Value: []byte(v)})
	}
	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), Topic: topic, Balancer: &kafka.RoundRobin{}, RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
	w.Close()

	client := &kafka.Client{Addr: kafka.TCP(b.Addrs()...), Timeout: 10 * time.Second}
	commit, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{
		GroupID: "g", GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 1, Offset: 7}}},
	})
	if err != nil {
		t.Fatalf("commit offset: %v", err)
	}
	for _, ps := range commit.Topics {
		for _, p := range ps {
			if p.Error != nil {
				t.Fatalf("commit offset: partition %d: %v", p.Partition, p.Error)
			}
		}
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, broker.AddrFile)); !os.IsNotExist(err) {
		t.Errorf("ADDR still there after Close: %v", err)
	}

	b = start(t, dir, k)
	defer b.Close()
	var got []string
	for p := range 3 {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		conn, err := kafka.DialLeader(ctx, "tcp", b.Addrs()[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		for range last {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("read partition %d: %v", p, err)
			}
			got = append(got, string(m.Value))
		}
		r.Close()
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after restart read %d messages, want the %d produced", len(got), len(want))
	}

	fetched, err := (&kafka.Client{Addr: kafka.TCP(b.Addrs()...), Timeout: 10 * time.Second}).OffsetFetch(ctx, &kafka.OffsetFetchRequest{
		GroupID: "g", Topics: map[string][]int{topic: {1}},
	})
	if err != nil {
		t.Fatalf("fetch committed offset: %v", err)
	}
	if ps := fetched.Topics[topic]; len(ps) != 1 || ps[0].CommittedOffset != 7 {
		t.Errorf("committed offset after restart = %+v, want 7", ps)
	}
}

func TestSecondStartFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "broker")
	k := kconf(t)
	b := start(t, dir, k)
	defer b.Close()
	_, err := broker.Start(context.Background(), broker.Config{DataDir: dir, Logger: quiet()})
	if !errors.Is(err, broker.ErrInUse) {
		t.Fatalf("second Start = %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), b.Addrs()[0]) {
		t.Errorf("error %q does not name the running broker's address %s", err, b.Addrs()[0])
	}
	// The running broker is unharmed.
	if _, err := kafka.DialLeader(context.Background(), "tcp", b.Addrs()[0], k.Topics()[0], 0); err != nil {
		t.Errorf("running broker after the failed start: %v", err)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		running bool     // a broker already runs on the data dir
		brokers []string // kafkaconf brokers
	}{
		{name: "finds the running broker", running: true},
		{name: "starts one in process"},
		{name: "configured brokers win", running: true, brokers: []string{"configured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "broker")
			k := kconf(t)
			var running *broker.Broker
			if tt.running {
				running = start(t, dir, &kafkaconf.Config{TopicPrefix: "other", Partitions: 1})
				defer running.Close()
			}
			if tt.brokers != nil {
				k.Brokers = running.Addrs() // a "real" cluster that happens to be kfake
			}
			brokers, stop, err := broker.Resolve(ctx, dir, k)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			switch {
			case tt.brokers != nil:
				if !slices.Equal(brokers, k.Brokers) {
					t.Errorf("brokers = %v, want the configured %v", brokers, k.Brokers)
				}
			case tt.running:
				if !slices.Equal(brokers, running.Addrs()) {
					t.Errorf("brokers = %v, want the running broker %v", brokers, running.Addrs())
				}
			default:
				addr, _ := os.ReadFile(filepath.Join(dir, broker.AddrFile))
				if strings.TrimSpace(string(addr)) != brokers[0] {
					t.Errorf("ADDR = %q, want %s", addr, brokers[0])
				}
			}
			// Every evalpipe topic exists, with the configured partitions.
			conn, err := kafka.Dial("tcp", brokers[0])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, topic := range k.Topics() {
				ps, err := conn.ReadPartitions(topic)
				if err != nil || len(ps) != k.Partitions {
					t.Errorf("topic %s: %d partitions, %v; want %d", topic, len(ps), err, k.Partitions)
				}
			}
			if err := stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			if !tt.running {
				if _, err := os.Stat(filepath.Join(dir, broker.AddrFile)); !os.IsNotExist(err) {
					t.Errorf("in-process broker still advertised after stop: %v", err)
				}
			}
		})
	}
}

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

func TestKcatListsTopics(t *testing.T) {
	kcat := requireKcat(t)
	k := kconf(t)
	b := start(t, filepath.Join(t.TempDir(), "broker"), k)
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", b.Addrs()[0], "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	for _, topic := range k.Topics() {
		if want := fmt.Sprintf("topic %q with %d partitions", topic, k.Partitions); !strings.Contains(string(out), want) {
			t.Errorf("kcat -L does not list %s:\n%s", want, out)
		}
	}
}

// TestLogRollsSmallSegments: the log rolls at SegmentBytes, not kfake's
// 100 MiB, because a starting broker reads every partition at once a whole
// segment at a time (a national year's log peaked at 1.9 GiB loading with
// 100 MiB segments, 0.5 GiB with 16 MiB), and what was written across
// several segments is all read back after a restart.
func TestLogRollsSmallSegments(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "broker")
	k := kconf(t)
	topic := k.Topics()[0]
	b := start(t, dir, k)

	const size = 64 << 10 // incompressible values: the bytes on disk are these
	n := 5 * broker.SegmentBytes / 2 / size
	conn, err := kafka.DialLeader(ctx, "tcp", b.Addrs()[0], topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	const perBatch = 8 // 512 KiB, under the broker's message.max.bytes
	for i := 0; i < n; i += perBatch {
		var msgs []kafka.Message
		for range perBatch {
			v := make([]byte, size)
			for j := range v {
				v[j] = byte(rnd.Uint32())
			}
			msgs = append(msgs, kafka.Message{Value: v})
		}
		if _, err := conn.WriteMessages(msgs...); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	conn.Close()
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	segs, err := filepath.Glob(filepath.Join(dir, "log", "partitions", topic+"-0", "*.dat"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment files of %s-0 under %s (%v): has kfake's layout changed?", topic, dir, err)
	}
	var total int64
	for _, s := range segs {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
		if fi.Size() > broker.SegmentBytes+perBatch*(size+1024) { // one batch may cross the line
			t.Errorf("segment %s is %d bytes, want at most %d and a batch", filepath.Base(s), fi.Size(), broker.SegmentBytes)
		}
	}
	if want := int(total/broker.SegmentBytes) + 1; len(segs) < want-1 {
		t.Errorf("%d segment files for %d bytes, want about %d", len(segs), total, want)
	}

	b = start(t, dir, k)
	defer b.Close()
	conn, err = kafka.DialLeader(ctx, "tcp", b.Addrs()[0], topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		t.Fatal(err)
	}
	wantN := (n + perBatch - 1) / perBatch * perBatch
	if first != 0 || last != int64(wantN) {
		t.Fatalf("after restart the partition holds offsets %d to %d, want 0 to %d", first, last, wantN)
	}
	// the last message, in the last segment, reads back whole
	if _, err := conn.Seek(last-1, kafka.SeekAbsolute); err != nil {
		t.Fatal(err)
	}
	m, err := conn.ReadMessage(2 * size)
	if err != nil || len(m.Value) != size {
		t.Fatalf("last message after restart: %d bytes, %v; want %d bytes", len(m.Value), err, size)
	}
}
