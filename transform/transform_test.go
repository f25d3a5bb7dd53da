package transform_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/lake"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/parquet-go/parquet-go"
	"github.com/segmentio/kafka-go"
)

var day0 = time.Date(2024, 5, 1, 22, 0, 0, 0, time.UTC)

func TestRunWritesLake(t *testing.T) {
	b, k := startBroker(t)
	// 60 events, one a minute from 22:00: they span two record dates.
	evs := genEvents(240, day0, time.Minute)
	produceEvents(t, b, k, evs)
	root := t.TempDir()
	cfg := config(b, k, root)
	cfg.MaxFileRows = 25
	stats, err := transform.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkExactlyOnce(t, root, evs)

	wantRows := map[events.Family]int64{}
	for _, e := range evs {
		wantRows[e.fam]++
	}
	if stats.Messages != int64(len(evs)) || stats.Poison != 0 || stats.DeadLetters != 0 {
		t.Errorf("stats = %+v, want %d messages, no poison, no dead letters", stats, len(evs))
	}
	for fam, n := range wantRows {
		if stats.Rows[fam] != n {
			t.Errorf("stats.Rows[%s] = %d, want %d", fam, stats.Rows[fam], n)
		}
	}

	files, err := lake.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files != int64(len(files)) {
		t.Errorf("stats.Files = %d, lake has %d files", stats.Files, len(files))
	}
	type span struct{ start, end int64 }
	spans := map[string][]span{} // topic/partition -> file offset spans
	for _, f := range files {
		rel, _ := filepath.Rel(root, f.Path)
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) != 3 || !strings.HasPrefix(parts[1], "date=") {
			t.Errorf("file %s: want <family>/date=YYYY-MM-DD/<name>", rel)
			continue
		}
		day, err := time.Parse(time.DateOnly, strings.TrimPrefix(parts[1], "date="))
		if err != nil {
			t.Errorf("file %s: bad date folder: %v", rel, err)
		}
		if want := lake.FileName(f.Topic, f.Partition, f.StartOffset); parts[2] != want {
			t.Errorf("file %s: name %s, want %s", rel, parts[2], want)
		}
		if f.Rows > int64(cfg.MaxFileRows) {
			t.Errorf("file %s: %d rows, more than MaxFileRows %d", rel, f.Rows, cfg.MaxFileRows)
		}
		// Rows: all of the folder's date, offsets within the file's span and
		// lineage matching the file.
		pf := readRows(t, f.Path)
		for _, r := range pf {
			if !r.KafkaTimestamp.UTC().Truncate(24 * time.Hour).Equal(day) {
				t.Errorf("file %s: row %s published %s, not on %s", rel, r.EventID, r.KafkaTimestamp, parts[1])
			}
			if int(r.KafkaPartition) != f.Partition || r.KafkaOffset < f.StartOffset || r.KafkaOffset > f.EndOffset {
				t.Errorf("file %s [%d-%d] p%d: row at p%d@%d", rel, f.StartOffset, f.EndOffset, f.Partition, r.KafkaPartition, r.KafkaOffset)
			}
		}
		if pf[0].KafkaOffset != f.StartOffset {
			t.Errorf("file %s: first row at offset %d, want the start offset %d", rel, pf[0].KafkaOffset, f.StartOffset)
		}
		key := fmt.Sprintf("%s/%d", f.Topic, f.Partition)
		spans[key] = append(spans[key], span{f.StartOffset, f.EndOffset})
	}
	// Each partition's files tile its log: no gap, no overlap.
	for key, ss := range spans {
		slices.SortFunc(ss, func(a, b span) int { return int(a.start - b.start) })
		for i := 1; i < len(ss); i++ {
			if ss[i].start != ss[i-1].end+1 {
				t.Errorf("%s: file at %d follows a file ending at %d", key, ss[i].start, ss[i-1].end)
			}
		}
	}
	if tmp := tempFiles(t, root); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}

	// A second run finds nothing new: same files, no messages.
	before := fileNames(t, root)
	stats, err = transform.Run(context.Background(), cfg)
	if err != nil || stats.Messages != 0 || stats.Files != 0 {
		t.Errorf("second Run = %+v, %v; want nothing read, nothing written", stats, err)
	}
	if after := fileNames(t, root); !slices.Equal(before, after) {
		t.Errorf("second run changed the lake: %v -> %v", before, after)
	}
}

type envRow struct {
	EventID        string    `parquet:"event_id"`
	RecordedAt     time.Time `parquet:"recorded_at,timestamp(microsecond)"`
	KafkaTimestamp time.Time `parquet:"kafka_timestamp,timestamp(microsecond)"`
	KafkaPartition int32     `parquet:"kafka_partition"`
	KafkaOffset    int64     `parquet:"kafka_offset"`
}

func readRows(t *testing.T, path string) []envRow {
	t.Helper()
	rows, err := parquet.ReadFile[envRow](path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}

func TestRunEmptyTopics(t *testing.T) {
	b, k := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stats, err := transform.Run(ctx, config(b, k, t.TempDir()))
	if err != nil || stats.Messages != 0 || ctx.Err() != nil {
		t.Errorf("Run on empty topics = %+v, %v (ctx %v); want a clean, prompt exit", stats, err, ctx.Err())
	}
}

// TestCrashAndResume interrupts a run at each point where a crash matters,
// reruns, and checks the lake holds every event once, in the same files as
// an uninterrupted run of the same input.
func TestCrashAndResume(t *testing.T) {
	b, k := startBroker(t)
	evs := genEvents(3000, day0, 40*time.Second) // ~1.4 days
	produceEvents(t, b, k, evs)
	base := func(root, group string) transform.Config {
		cfg := config(b, k, root)
		cfg.GroupID, cfg.MaxFileRows = group, 97
		return cfg
	}
	refRoot := t.TempDir()
	if _, err := transform.Run(context.Background(), base(refRoot, "reference")); err != nil {
		t.Fatalf("reference run: %v", err)
	}
	want := fileNames(t, refRoot)

	boom := errors.New("injected crash")
	// failOn returns a hook that fails its nth call.
	failOn := func(n int32) func() error {
		var calls atomic.Int32
		return func() error {
			if calls.Add(1) == n {
				return boom
			}
			return nil
		}
	}
	tests := []struct {
		name      string
		hooks     func() transform.Hooks
		sameNames bool
	}{
		{"before rename", func() transform.Hooks {
			f := failOn(3)
			return transform.Hooks{BeforeRename: func(string) error { return f() }}
		}, true},
		{"after rename, before offset commit", func() transform.Hooks {
			f := failOn(3)
			return transform.Hooks{AfterRename: func(string) error { return f() }}
		}, true},
		{"before offset commit", func() transform.Hooks {
			f := failOn(5)
			return transform.Hooks{BeforeCommit: func(string, int, int64) error { return f() }}
		}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			cfg := base(root, fmt.Sprintf("crash-%d", i))
			cfg.Hooks = tt.hooks()
			if _, err := transform.Run(context.Background(), cfg); !errors.Is(err, boom) {
				t.Fatalf("first Run = %v, want the injected crash", err)
			}
			// Other partitions' workers may finish before the crash stops
			// them, so the lake can hold anything from one file to all.
			if n := len(fileNames(t, root)); n == 0 {
				t.Fatalf("after the crash the lake has no files; the hook fired too early")
			}
			cfg.Hooks = transform.Hooks{}
			if _, err := transform.Run(context.Background(), cfg); err != nil {
				t.Fatalf("second Run: %v", err)
			}
			checkExactlyOnce(t, root, evs)
			if got := fileNames(t, root); tt.sameNames && !slices.Equal(got, want) {
				t.Errorf("files after crash and rerun differ from an uninterrupted run:\n got %v\nwant %v", got, want)
			}
		})
	}

	t.Run("cancelled mid-way", func(t *testing.T) {
		root := t.TempDir()
		cfg := base(root, "cancel")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg.Hooks.AfterRename = func(string) error { cancel(); return nil }
		stats, err := transform.Run(ctx, cfg)
		if err != nil {
			t.Fatalf("cancelled Run = %v, want a graceful stop", err)
		}
		if stats.Messages >= int64(len(evs)) {
			t.Logf("the run finished before the cancel took effect (%d messages)", stats.Messages)
		}
		cfg.Hooks = transform.Hooks{}
		if _, err := transform.Run(context.Background(), cfg); err != nil {
			t.Fatalf("second Run: %v", err)
		}
		checkExactlyOnce(t, root, evs)
	})
}

func TestStaleTempFileRemoved(t *testing.T) {
	b, k := startBroker(t)
	evs := genEvents(200, day0, time.Minute)
	produceEvents(t, b, k, evs)
	root := t.TempDir()

	// A crashed writer's leftover: a file under the temporary name of the
	// very first file the run will write, holding an event that is not in
	// the log.
	stale := genEvents(1, day0.Add(-time.Hour), time.Minute)[0]
	stale.id = "stale"
	stale.value = []byte(strings.Replace(string(stale.value), `"e00000000"`, `"stale"`, 1))
	ev, err := events.Decode(stale.value, events.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row, _ := ev.Row(0, 0)
	var tmpPaths []string
	for p := range 3 {
		w, err := lake.Create(root, events.Referrals, day0, "evalpipe.referrals", p, 0, lake.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		// never committed: a crash
	}
	tmpPaths = tempFiles(t, root)
	if len(tmpPaths) != 3 {
		t.Fatalf("set-up: %d temp files, want 3", len(tmpPaths))
	}

	if _, err := transform.Run(context.Background(), config(b, k, root)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if left := tempFiles(t, root); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if n := lakeIDs(t, root)["stale"]; n != 0 {
		t.Errorf("the stale temp file's row is in the lake %d times, want 0", n)
	}
	checkExactlyOnce(t, root, evs)
}

type deadRow struct {
	EventID        *string `parquet:"event_id,optional"`
	Type           *string `parquet:"type,optional"`
	Reason         string  `parquet:"reason"`
	Code           string  `parquet:"code"`
	Origin         string  `parquet:"origin"`
	Raw            string  `parquet:"raw"`
	KafkaPartition int32   `parquet:"kafka_partition"`
	KafkaOffset    int64   `parquet:"kafka_offset"`
}

func deadLetters(t *testing.T, root string) []deadRow {
	t.Helper()
	paths, _ := filepath.Glob(lake.Glob(root, events.DeadLetter))
	var out []deadRow
	for _, p := range paths {
		rows, err := parquet.ReadFile[deadRow](p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		out = append(out, rows...)
	}
	return out
}

func TestPoisonMessages(t *testing.T) {
	b, k := startBroker(t)
	good := genEvents(100, day0, time.Minute)
	session := string(good[5].value) // a session.recorded
	tests := []struct {
		name, topic, value string
		code               string
		rawHas, rawHasNot  string
	}{
		{"not json", "evalpipe.referrals", "\x00\x01 not json", events.CodeInvalidJSON, "not json", ""},
		{"nhs number", "evalpipe.sessions",
			strings.Replace(strings.Replace(session, `"person":`, `"nhs_number":"9434765919","date_of_birth":"1990-05-02","x":`, 1), `"e00000005"`, `"bad-nhs"`, 1),
			events.CodeIdentifier, `"bad-nhs"`, "9434765919"},
		{"unknown type", "evalpipe.sessions", strings.Replace(strings.Replace(session, "session.recorded", "session.teleported", 1), `"e00000005"`, `"bad-type"`, 1),
			events.CodeUnknownType, "session.teleported", ""},
		{"wrong family for topic", "evalpipe.referrals", strings.Replace(session, `"e00000005"`, `"bad-family"`, 1),
			events.CodeInconsistency, `"bad-family"`, ""},
		{"unreadable dead letter", "evalpipe.deadletter", "garbage on the dead-letter topic", events.CodeInvalidJSON, "garbage", ""},
	}
	var msgs []kafka.Message
	for i, e := range good {
		msgs = append(msgs, e.message(k))
		if i < len(tests) {
			msgs = append(msgs, kafka.Message{Topic: tests[i].topic, Key: []byte("k"), Value: []byte(tests[i].value)})
		}
	}
	produce(t, b.Addrs(), msgs)

	root := t.TempDir()
	stats, err := transform.Run(context.Background(), config(b, k, root))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkExactlyOnce(t, root, good)
	if stats.Poison != 4 || stats.DeadLetters != 5 {
		t.Errorf("stats: %d poison, %d dead letters; want 4 and 5", stats.Poison, stats.DeadLetters)
	}
	dead := deadLetters(t, root)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var found []deadRow
			for _, d := range dead {
				if strings.Contains(d.Raw, tt.rawHas) {
					found = append(found, d)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d dead letters with raw containing %q, want 1 (all: %+v)", len(found), tt.rawHas, dead)
			}
			d := found[0]
			if d.Code != tt.code || d.Reason == "" {
				t.Errorf("code %q reason %q; want code %q with a reason", d.Code, d.Reason, tt.code)
			}
			if tt.rawHasNot != "" && strings.Contains(d.Raw, tt.rawHasNot) {
				t.Errorf("raw %s still contains %q", d.Raw, tt.rawHasNot)
			}
			if strings.Contains(d.Raw, "date_of_birth") || strings.Contains(d.Raw, "nhs_number") {
				t.Errorf("raw %s still carries a direct identifier key", d.Raw)
			}
			wantOrigin := tt.topic + "/"
			if tt.topic == "evalpipe.deadletter" {
				wantOrigin = "evalpipe.deadletter/" + strconv.Itoa(int(d.KafkaPartition)) + "@"
			}
			if !strings.HasPrefix(d.Origin, wantOrigin) || !strings.Contains(d.Origin, "@") {
				t.Errorf("origin %q, want %s<partition>@<offset>", d.Origin, wantOrigin)
			}
		})
	}
}

func TestConcurrentRunsShareTheGroup(t *testing.T) {
	b, k := startBroker(t)
	evs := genEvents(30000, day0, 5*time.Second)
	produceEvents(t, b, k, evs)
	root := t.TempDir()
	cfg := config(b, k, root)
	cfg.MaxFileRows = 1000

	var wg sync.WaitGroup
	stats := make([]transform.Stats, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { stats[i], errs[i] = transform.Run(context.Background(), cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Run %d: %v", i, err)
		}
	}
	t.Logf("run 0 read %d messages, run 1 read %d", stats[0].Messages, stats[1].Messages)
	checkExactlyOnce(t, root, evs)
}

// TestIdleFlush: in continuous mode, a partition that goes quiet has its
// open file committed after IdleFlush, without waiting for more rows.
func TestIdleFlush(t *testing.T) {
	b, k := startBroker(t)
	evs := genEvents(300, day0.Add(-12*time.Hour), time.Second) // one record date
	produceEvents(t, b, k, evs)
	root := t.TempDir()
	cfg := config(b, k, root)
	cfg.UntilCaughtUp, cfg.IdleFlush = false, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := transform.Run(ctx, cfg); done <- err }()
	deadline := time.Now().Add(20 * time.Second)
	for len(lakeIDs(t, root)) < len(evs) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkExactlyOnce(t, root, evs)
}
