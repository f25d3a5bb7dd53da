package warehouse

import (
	"errors"
	"sync"
)

// DuckDB allocates through jemalloc (on Linux), which it configures to
// return freed pages to the system only after five seconds. A warehouse
// build is a sequence of statements each of which fills DuckDB's buffer
// pool up to memory_limit and frees it, so with that delay the pages one
// statement freed were still resident while the next filled the pool
// again: on the national year (40M events, 512MB) the memory outside the
// pool after a statement was 0.3-1.0 GiB. The warehouse shortens the delay
// to allocatorDecayMS and purges the freed pages after every build
// statement and KPI metric query. DuckDB's other objects (plans, operator
// state) come from glibc's malloc, whose per-thread arenas kept what they
// freed: 0.5 GiB outside the pool by the end of the report even with
// jemalloc purged, 0.19 GiB with malloc_trim after each statement too
// (see warehouse/README.md).
const allocatorDecayMS = 100

var errNoJemalloc = errors.New("DuckDB's allocator is not jemalloc here")

var allocatorOnce sync.Once

// tuneAllocator sets the allocator's decay once per process (it is the
// process's, shared by every warehouse in it).
func tuneAllocator() error {
	var err error
	allocatorOnce.Do(func() { err = setAllocatorDecay(allocatorDecayMS) })
	return err
}
