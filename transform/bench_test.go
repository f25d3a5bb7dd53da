package transform_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/segmentio/kafka-go"
)

// childBrokerEnv makes the test binary a broker process (see TestMain), so
// the benchmark's heap figure is the transformer's alone.
const childBrokerEnv = "EVALPIPE_TEST_BROKER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childBrokerEnv); dir != "" {
		k := &kafkaconf.Config{}
		k.Validate()
		b, err := broker.Start(context.Background(), broker.Config{DataDir: dir, Topics: k.Topics(), Logger: quiet()})
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		fmt.Println(b.Addrs()[0])
		bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
		b.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childBroker runs a broker in a child process and returns its address.
func childBroker(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childBrokerEnv+"="+filepath.Join(b.TempDir(), "broker"))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "ERROR") {
		b.Fatalf("child broker: %q %v", line, err)
	}
	return strings.TrimSpace(line)
}

// BenchmarkTransform measures Run UntilCaughtUp over BENCH_EVENTS events
// (default 200000) against DuckDB writing the same events from NDJSON to
// one Parquet file:
//
//	go test -run '^$' -bench BenchmarkTransform -benchtime 1x ./transform/
func BenchmarkTransform(b *testing.B) {
	n := 200000
	if s := os.Getenv("BENCH_EVENTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCH_EVENTS = %q: want a positive integer", s)
		}
		n = v
	}
	// One event every 10 s: ~23 days of a busy service for 200000 events.
	evs := genEvents(n, time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), 10*time.Second)
	addr := childBroker(b)
	k := &kafkaconf.Config{}
	k.Validate()
	msgs := make([]kafka.Message, 0, n)
	for _, e := range evs {
		msgs = append(msgs, e.message(k))
	}
	produce(b, []string{addr}, msgs)

	ndjson := filepath.Join(b.TempDir(), "events.ndjson")
	f, err := os.Create(ndjson)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, e := range evs {
		w.Write(e.value)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	evs, msgs = nil, nil
	runtime.GC()

	var transformTime, duckTime time.Duration
	var peak uint64
	b.ResetTimer()
	for i := range b.N {
		cfg := transform.Config{Kafka: k, Brokers: []string{addr}, Lake: filepath.Join(b.TempDir(), "lake"),
			GroupID: fmt.Sprintf("bench-%d", i), UntilCaughtUp: true, Logger: quiet()}
		stop := sampleHeap(&peak)
		t0 := time.Now()
		stats, err := transform.Run(context.Background(), cfg)
		transformTime += time.Since(t0)
		stop()
		if err != nil {
			b.Fatal(err)
		}
		if stats.TotalRows() != int64(n) {
			b.Fatalf("transform wrote %d rows, want %d", stats.TotalRows(), n)
		}

		t0 = time.Now()
		if err := duckdbCopy(ndjson, filepath.Join(b.TempDir(), "out.parquet")); err != nil {
			b.Fatal(err)
		}
		duckTime += time.Since(t0)
	}
	b.StopTimer()
	rowsPerSec := float64(n*b.N) / transformTime.Seconds()
	duckPerSec := float64(n*b.N) / duckTime.Seconds()
	b.ReportMetric(rowsPerSec, "rows/s")
	b.ReportMetric(duckPerSec, "duckdb_rows/s")
	b.ReportMetric(rowsPerSec/duckPerSec, "ratio_vs_duckdb")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
}

// sampleHeap records the peak of live heap objects every 5 ms until stopped.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for !done.Load() {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); <-finished }
}

func duckdbCopy(ndjson, out string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	defer db.Close()
	q := fmt.Sprintf("COPY (SELECT * FROM read_json('%s')) TO '%s' (FORMAT parquet)", ndjson, out)
	if _, err := db.Exec(q); err != nil {
		return fmt.Errorf("duckdb copy: %w", err)
	}
	return nil
}
