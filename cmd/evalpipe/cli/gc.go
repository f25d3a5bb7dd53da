package cli

import (
	"os"
	"runtime/debug"
)

// batchGC tunes the garbage collector for a batch command that allocates
// fast while holding little (ingest: every event's decoding is garbage a
// moment later). The collector runs at a quarter of its default rate
// (GOGC=400) under a soft limit that keeps the process inside the
// pipeline's 1 GiB budget. GOGC or GOMEMLIMIT in the environment win.
//
// Measured on the 1M-event bench data (bench/README.md), ingest alone:
// 7.2 s at GOGC=100, 6.2 s at 400; peak RSS 216 and 393 MiB.
func batchGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}
