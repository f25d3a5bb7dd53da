// Package failpoint makes a real evalpipe process fail at a chosen point, so
// that fault tests (../../faults) can kill it exactly where a crash matters
// instead of hoping a random delay lands there.
//
// Failpoints are off unless the environment variable EVALPIPE_FAILPOINT is
// set; then it holds comma-separated specs
//
//	<point>:<action>[@<n>]
//
// where action is
//
//	crash   the process kills itself with SIGKILL (no deferred cleanup, no
//	        flush: what kill -9 or a power-off of the process does) on the
//	        n-th hit of the point (default the first);
//	error   Inject returns an error on the n-th hit and every later one;
//	enospc  the same, wrapping syscall.ENOSPC, as a full disk would.
//
// The points are named where they are injected; see Points. With the variable
// unset, Inject is one atomic load.
package failpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Env is the environment variable read once, at the first Inject.
const Env = "EVALPIPE_FAILPOINT"

// Points are the failpoints the code injects, with where they are.
var Points = map[string]string{
	"transform.write":          "after a row is written to a lake file's temporary copy",
	"transform.before_rename":  "after a lake file's temporary copy is synced, before its rename",
	"transform.after_rename":   "after a lake file is durable, before its offsets are committed to Kafka",
	"transform.before_commit":  "before a partition's offsets are posted for commit",
	"ingest.before_checkpoint": "after a produce batch is acknowledged by Kafka, before its checkpoint is saved",
	"ingest.after_checkpoint":  "after a file's checkpoint is saved",
}

type spec struct {
	action string
	n      int64
	hits   atomic.Int64
}

var (
	once  sync.Once
	on    atomic.Bool
	specs map[string]*spec
)

func load() {
	v := os.Getenv(Env)
	if v == "" {
		return
	}
	specs = map[string]*spec{}
	for _, s := range strings.Split(v, ",") {
		point, action, ok := strings.Cut(strings.TrimSpace(s), ":")
		n := int64(1)
		if a, count, found := strings.Cut(action, "@"); found {
			action = a
			var err error
			if n, err = strconv.ParseInt(count, 10, 64); err != nil || n < 1 {
				ok = false
			}
		}
		if _, known := Points[point]; !ok || !known || (action != "crash" && action != "error" && action != "enospc") {
			// A mistyped failpoint must not let a fault test pass silently.
			fmt.Fprintf(os.Stderr, "%s=%q: bad spec %q: want <point>:crash|error|enospc[@n] with a point of package failpoint's Points\n", Env, v, s)
			os.Exit(2)
		}
		specs[point] = &spec{action: action, n: n}
	}
	on.Store(true)
}

// Inject is called at a failpoint. It returns nil unless EVALPIPE_FAILPOINT
// arms this point; then it crashes the process or returns an error, as the
// spec says.
func Inject(point string) error {
	once.Do(load)
	if !on.Load() {
		return nil
	}
	s := specs[point]
	if s == nil {
		return nil
	}
	hit := s.hits.Add(1)
	if hit < s.n {
		return nil
	}
	switch s.action {
	case "crash":
		if hit == s.n {
			fmt.Fprintf(os.Stderr, "failpoint %s: crashing (hit %d)\n", point, hit)
			p, _ := os.FindProcess(os.Getpid())
			p.Kill() // SIGKILL on Unix: nothing after this line runs
			time.Sleep(time.Hour)
		}
		return nil
	case "enospc":
		return fmt.Errorf("failpoint %s: %w", point, syscall.ENOSPC)
	default:
		return fmt.Errorf("failpoint %s: injected error", point)
	}
}
