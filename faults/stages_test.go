//go:build faults

package faults

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ingestpkg "github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/lake"
)

// TestKillIngest kills `evalpipe ingest` part-way through a file of more
// than one checkpoint batch (5,000 lines), runs the same command again and
// checks exactly-once in the warehouse, and down to the lake's rows where
// the kill cannot fall in ingest's at-least-once window:
//
//   - after_checkpoint: killed just after a batch's checkpoint was saved:
//     exactly once in the lake too;
//   - before_checkpoint: killed after Kafka acknowledged a batch but before
//     its checkpoint was saved. The rerun cannot know the batch arrived and
//     produces it again, so the lake holds those events twice; the
//     warehouse, which de-duplicates by event_id, must still count each
//     once (the at-least-once window documented in ingest);
//   - random: killed at a seeded delay after the first checkpoint appeared.
//     The kill may fall in that window (it did in about one run in four:
//     3,000-4,400 lake duplicates), so it is held to before_checkpoint's
//     rule: at most one batch twice in the lake (a batch is sealed at the
//     first chunk end past 5,000 records: ingest.MaxBatchRecords; one run
//     on 6 December re-sent 5,117), each event once in the
//     warehouse.
func TestKillIngest(t *testing.T) {
	ref := clean(t, large)
	for _, tt := range []struct {
		name, failpoint string
		lakeDuplicates  bool
	}{
		{"after_checkpoint", "ingest.after_checkpoint:crash@5", false},
		{"random", "", true},
		{"before_checkpoint", "ingest.before_checkpoint:crash@5", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var data string
			if tt.failpoint != "" {
				data = t.TempDir()
				startBroker(t, data)
				p := start(t, data, []string{"EVALPIPE_FAILPOINT=" + tt.failpoint}, "ingest", large)
				if ok, err := p.exited(2 * time.Minute); !ok || !killed(err) {
					t.Fatalf("ingest: exited %v, %v; want killed\n%s", ok, err, p.Stderr())
				}
			} else {
				data = killIngestAtRandom(t, seed(t))
			}
			second := ingestedOf(t, evalpipe(t, data, "ingest", large))
			t.Logf("the rerun ingested %d of %d", second, ref.ingested)
			if second >= ref.ingested && tt.failpoint != "" {
				t.Errorf("the rerun ingested %d: it did not resume from the checkpoint", second)
			}
			evalpipe(t, data, "transform", "--until-caught-up")
			if !tt.lakeDuplicates {
				checkExactlyOnce(t, data, ref)
				return
			}
			got := queryInts(t, data, "SELECT (SELECT count(*) FROM lake_events), (SELECT count(DISTINCT event_id) FROM lake_events), (SELECT count(*) FROM visible_events)")
			t.Logf("lake rows %d, distinct %d, warehouse %d (ingested %d)", got[0], got[1], got[2], ref.ingested)
			if got[1] != ref.ingested || got[2] != ref.ingested {
				t.Errorf("distinct %d, warehouse %d; want both = ingested %d", got[1], got[2], ref.ingested)
			}
			if most := int64(ingestpkg.MaxBatchRecords(ingestpkg.DefaultBatchSize)); got[0]-got[1] < 0 || got[0]-got[1] > most {
				t.Errorf("%d duplicate lake rows; want at most one batch (%d records)", got[0]-got[1], most)
			}
			if k := kpi(t, data); fmt.Sprint(k) != fmt.Sprint(ref.kpi) {
				t.Errorf("KPIs differ from a clean run's")
			}
		})
	}
}

// killIngestAtRandom starts ingest of the large input on a new broker and
// kills it at a seeded delay after its first checkpoint appears, returning
// the data folder. Ingest takes well under a second here, so a delay can
// fall after it has finished: then it tries again on a fresh folder with
// half the longest delay, up to six times.
func killIngestAtRandom(t *testing.T, rng *rand.Rand) string {
	t.Helper()
	longest := 400 * time.Millisecond
	for try := 1; ; try++ {
		data := t.TempDir()
		startBroker(t, data)
		p := start(t, data, nil, "ingest", large)
		waitFor(t, time.Minute, "the first checkpoint", func() bool {
			m, _ := filepath.Glob(filepath.Join(data, "ingest", "files", "*.json"))
			return len(m) > 0
		})
		delay := time.Duration(rng.Int64N(int64(longest)))
		time.Sleep(delay)
		p.kill()
		ok, err := p.exited(2 * time.Minute)
		if ok && killed(err) {
			t.Logf("ingest killed %v after its first checkpoint (try %d)", delay, try)
			return data
		}
		if !ok || err != nil || try == 6 {
			t.Fatalf("ingest, try %d, kill after %v: exited %v, %v; want killed\n%s", try, delay, ok, err, p.Stderr())
		}
		longest /= 2
	}
}

// TestBrokerRestart stops the broker server between ingest and transform,
// cleanly (SIGTERM) and by a crash (SIGKILL), starts it again on the same
// log, and checks nothing ingested was lost.
func TestBrokerRestart(t *testing.T) {
	ref := clean(t, small)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			data := t.TempDir()
			b := startBroker(t, data)
			if got := ingest(t, data, small); got != ref.ingested {
				t.Fatalf("ingested %d, clean run %d", got, ref.ingested)
			}
			b.stop(t, sig)
			startBroker(t, data)
			// The checkpoints and the log agree: nothing to ingest again.
			if got := ingest(t, data, small); got != 0 {
				t.Errorf("ingest after the restart ingested %d, want 0", got)
			}
			evalpipe(t, data, "transform", "--until-caught-up")
			checkExactlyOnce(t, data, ref)
		})
	}
}

// TestPoisonMessages produces, with kcat, bytes that are not JSON, an event
// of the wrong shape and an event carrying an NHS number into the referrals
// topic among good events: transform dead-letters the three with a reason,
// scrubs the identifier, does not crash, and every good event is there.
func TestPoisonMessages(t *testing.T) {
	t.Parallel()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: install it (Debian/Ubuntu: apt-get install -y kcat)")
	}
	ref := clean(t, small)
	data := t.TempDir()
	b := startBroker(t, data)
	ingest(t, data, small)
	const nhs = "9434765919"
	poison := []string{
		"k1:\x00\x01 not json at all {",
		`k2:{"event_id":"poison-shape","type":"referral.received","schema":1,"data":"not an object"}`,
		`k3:{"event_id":"poison-nhs","type":"referral.received","schema":1,"occurred_at":"2024-05-01T10:00:00Z","recorded_at":"2024-05-01T10:00:00Z","source":"x","service":"tt-islington","referral_id":"tt-x","nhs_number":"` + nhs + `","data":{"programme":"talking_therapies"}}`,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-P", "-b", b.addr, "-t", "evalpipe.referrals", "-K:")
	cmd.Stdin = strings.NewReader(strings.Join(poison, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	evalpipe(t, data, "transform", "--until-caught-up")
	if got := queryInts(t, data, "SELECT count(*) FROM dead_letters WHERE origin LIKE 'evalpipe.referrals/%' AND reason <> ''")[0]; got != 3 {
		t.Errorf("dead letters from the referrals topic with a reason: %d, want 3", got)
	}
	if got := queryInts(t, data, "SELECT count(*) FROM dead_letters WHERE raw LIKE '%"+nhs+"%'")[0]; got != 0 {
		t.Errorf("%d dead letters still carry the NHS number", got)
	}
	t.Log(evalpipe(t, data, "query", "--format", "csv", "SELECT origin, code, reason FROM dead_letters ORDER BY origin"))
	checkExactlyOnce(t, data, ref)
}

// TestLakeWriteFails makes the lake refuse writes during transform — by a
// failpoint returning ENOSPC at the rename or in the middle of a file, and
// by a real full disk (a small tmpfs mounted on the lake, when the test may
// mount) — and checks that transform fails with an error naming the file
// and what to do, that no group offset runs ahead of the lake, and that the
// run completes once space is back.
func TestLakeWriteFails(t *testing.T) {
	ref := clean(t, small)
	for _, tt := range []struct{ name, failpoint string }{
		{"enospc_at_rename", "transform.before_rename:enospc@5"},
		{"enospc_mid_file", "transform.write:enospc@1500"},
		{"full_tmpfs", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := t.TempDir()
			b := startBroker(t, data)
			ingest(t, data, small)
			var env []string
			if tt.failpoint != "" {
				env = []string{"EVALPIPE_FAILPOINT=" + tt.failpoint}
			} else {
				mountFull(t, filepath.Join(data, "lake"))
			}
			_, stderr, err := evalpipeErr(t, data, env, "transform", "--until-caught-up", "--max-file-rows", "100")
			if err == nil {
				t.Fatalf("transform succeeded on a full lake\n%s", stderr)
			}
			for _, want := range []string{"no space left on device", ".parquet", "were not committed", "run transform again"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("error does not say %q:\n%.3000s", want, stderr)
				}
			}
			// Offsets are committed only after the file is durable: none may
			// run ahead of what the lake holds.
			next, err := lake.NextOffsets(filepath.Join(data, "lake"))
			if err != nil {
				t.Fatal(err)
			}
			topics := []string{"evalpipe.referrals", "evalpipe.sessions", "evalpipe.outcomes", "evalpipe.feedback", "evalpipe.crisis", "evalpipe.programme", "evalpipe.deadletter"}
			for topic, ps := range committedOffsets(t, b.addr, topics) {
				for p, off := range ps {
					if off > next[topic][p] {
						t.Errorf("%s/%d: committed offset %d is ahead of the lake (%d)", topic, p, off, next[topic][p])
					}
				}
			}
			if tt.failpoint == "" {
				growTmpfs(t, filepath.Join(data, "lake"))
			}
			evalpipe(t, data, "transform", "--until-caught-up")
			checkExactlyOnce(t, data, ref)
		})
	}
}

// mountFull mounts a 256 KiB tmpfs on dir, too small for the lake (about
// 600 KiB here), or skips the test when this process may not mount.
func mountFull(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); the failpoint cases cover a full disk", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
}

// growTmpfs gives the lake's tmpfs room again, keeping its files.
func growTmpfs(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
}

// TestPartialTempFile leaves temporary files where a crash would: a real
// one (transform killed while writing) and a torn one planted by hand with
// garbage bytes. The warehouse never reads them; the next transform removes
// them and the result is exactly once.
func TestPartialTempFile(t *testing.T) {
	t.Parallel()
	ref := clean(t, small)
	data := t.TempDir()
	startBroker(t, data)
	ingest(t, data, small)
	p := start(t, data, []string{"EVALPIPE_FAILPOINT=transform.write:crash@2000"}, "transform", "--max-file-rows", "400")
	if ok, err := p.exited(2 * time.Minute); !ok || !killed(err) {
		t.Fatalf("transform: exited %v, %v; want killed by its failpoint\n%s", ok, err, p.Stderr())
	}
	dir := filepath.Join(data, "lake", "referrals", "date=2024-04-05")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "."+lake.FileName("evalpipe.referrals", 0, 0)+".tmp")
	if err := os.WriteFile(torn, []byte("PAR1\x15\x00torn by a crash"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := tempFiles(t, data)
	if len(tmp) < 2 {
		t.Fatalf("temporary files before recovery: %v, want the crashed writer's and the planted one", tmp)
	}
	// The warehouse reads only committed files: the query works and sees
	// fewer events than were ingested, never an error from a torn file.
	if got := queryInts(t, data, "SELECT count(*) FROM lake_events")[0]; got >= ref.ingested {
		t.Errorf("lake events before recovery %d, want fewer than %d", got, ref.ingested)
	}
	evalpipe(t, data, "transform", "--until-caught-up")
	checkExactlyOnce(t, data, ref) // includes: no temporary file left
}
