//go:build faults

package faults

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKillTransformLoop kills `evalpipe transform` with SIGKILL twenty
// times, each on a fresh lake and consumer group over the same log, then
// runs `transform --until-caught-up` and checks exactly-once. The kills land
//
//   - at a seeded random delay (anywhere: fetching, writing, committing);
//   - while a file is being written (failpoint transform.write:crash@k);
//   - after a file is synced but before its rename (transform.before_rename);
//   - between the rename and the offset commit (transform.after_rename);
//   - during a rebalance: a second transform joins and the first is killed
//     while the group re-forms; the second must finish the job.
//
// Four lanes, each with its own broker server, run five kills apiece in
// parallel: a recovery waits out the dead member's session (10s), and
// sequentially the twenty would take four minutes.
func TestKillTransformLoop(t *testing.T) {
	ref := clean(t, small)
	kinds := []string{"random", "write", "before_rename", "after_rename", "rebalance"}
	for lane := range 4 {
		t.Run(fmt.Sprintf("lane%d", lane), func(t *testing.T) {
			t.Parallel()
			rng := seed(t)
			data := t.TempDir()
			b := startBroker(t, data)
			if got := ingest(t, data, small); got != ref.ingested {
				t.Fatalf("ingested %d, clean run %d", got, ref.ingested)
			}
			for i := range 5 {
				kind := kinds[(lane+i)%len(kinds)]
				if !t.Run(fmt.Sprintf("%d-%s", i, kind), func(t *testing.T) {
					resetTransform(t, b)
					killTransform(t, rng, data, kind)
					evalpipe(t, data, "transform", "--until-caught-up")
					checkExactlyOnce(t, data, ref)
				}) {
					return
				}
			}
		})
	}
}

// killTransform runs transform on data and kills it as kind says.
func killTransform(t *testing.T, rng *rand.Rand, data, kind string) {
	t.Helper()
	args := []string{"transform", "--max-file-rows", "100"}
	crashAt := func(point string, k int) {
		fp := fmt.Sprintf("EVALPIPE_FAILPOINT=transform.%s:crash@%d", point, k)
		t.Log(fp)
		p := start(t, data, []string{fp}, args...)
		ok, err := p.exited(2 * time.Minute)
		if !ok || !killed(err) {
			t.Fatalf("transform with %s: exited %v, %v; want killed by its failpoint\n%s", fp, ok, err, p.Stderr())
		}
	}
	switch kind {
	case "random":
		// Up to 6.5s: past the 5s idle flush that commits the last, short files.
		d := time.Duration(150+rng.IntN(6350)) * time.Millisecond
		p := start(t, data, nil, args...)
		time.Sleep(d)
		p.kill()
		t.Logf("killed after %s: %d files in the lake, %d temporary", d, lakeFiles(data), len(tempFiles(t, data)))
	case "write":
		crashAt("write", 1+rng.IntN(3000)) // of about 4,600 rows
	case "before_rename":
		crashAt("before_rename", 1+rng.IntN(30)) // of about 60 files
		if n := len(tempFiles(t, data)); n == 0 {
			t.Error("a crash before the rename left no temporary file: the failpoint is not where it claims")
		}
	case "after_rename":
		crashAt("after_rename", 1+rng.IntN(30))
	case "rebalance":
		a := start(t, data, nil, args...)
		waitFor(t, time.Minute, "the first transform to join", func() bool { return strings.Contains(a.Stderr(), "transform: generation") })
		bp := start(t, data, nil, append(args, "--until-caught-up")...)
		d := time.Duration(rng.IntN(1500)) * time.Millisecond
		time.Sleep(d)
		a.kill()
		t.Logf("first transform killed %s after the second started", d)
		ok, err := bp.exited(2 * time.Minute)
		if !ok || err != nil {
			t.Fatalf("second transform: exited %v, %v; want it to take over and finish\n%s", ok, err, bp.Stderr())
		}
	default:
		t.Fatalf("unknown kind %q", kind)
	}
}

var generationRE = regexp.MustCompile(`msg="transform: generation" group=\S+ generation=(\d+) partitions=(\d+)`)

// lastGeneration is the last generation a transform's log reports and the
// partitions it was given; -1 when none yet.
func lastGeneration(log string) (gen, partitions int) {
	m := generationRE.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		return -1, -1
	}
	gen, _ = strconv.Atoi(m[len(m)-1][1])
	partitions, _ = strconv.Atoi(m[len(m)-1][2])
	return gen, partitions
}

// TestTakeOver: two continuous transforms share the 21 partitions; events
// arrive; one is killed mid-stream. The survivor is given all 21 partitions,
// finishes the dead one's work, and nothing is written twice.
func TestTakeOver(t *testing.T) {
	t.Parallel()
	ref := clean(t, small)
	data := t.TempDir()
	startBroker(t, data)
	args := []string{"transform", "--max-file-rows", "100"}
	a := start(t, data, nil, args...)
	waitFor(t, time.Minute, "the first transform to join", func() bool { _, n := lastGeneration(a.Stderr()); return n == 21 })
	b := start(t, data, nil, args...)
	waitFor(t, time.Minute, "the group to split the partitions", func() bool {
		ga, na := lastGeneration(a.Stderr())
		gb, nb := lastGeneration(b.Stderr())
		return ga == gb && na > 0 && nb > 0 && na+nb == 21
	})
	_, na := lastGeneration(a.Stderr())
	if got := ingest(t, data, small); got != ref.ingested {
		t.Fatalf("ingested %d, clean run %d", got, ref.ingested)
	}
	a.kill()
	t.Logf("killed the member holding %d partitions with %d files in the lake", na, lakeFiles(data))
	waitFor(t, time.Minute, "the survivor to hold all 21 partitions", func() bool { _, n := lastGeneration(b.Stderr()); return n == 21 })
	// The survivor flushes idle partitions after 5s; poll until every
	// event is in the lake.
	waitFor(t, 90*time.Second, "the survivor to write every event", func() bool {
		return queryInts(t, data, "SELECT count(DISTINCT event_id) FROM lake_events")[0] == ref.ingested
	})
	b.cmd.Process.Signal(syscall.SIGTERM)
	if ok, err := b.exited(30 * time.Second); !ok || err != nil {
		t.Fatalf("survivor on SIGTERM: exited %v, %v\n%s", ok, err, b.Stderr())
	}
	checkExactlyOnce(t, data, ref)
}
