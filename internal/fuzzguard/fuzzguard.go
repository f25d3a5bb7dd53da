// Package fuzzguard turns a fuzz input that hangs into a recorded failing
// input.
//
// Go's fuzzing coordinator does not time a single call of the fuzz function.
// An input on which the code under test loops forever shows as "execs: N
// (0/sec)" until -fuzztime runs out, and the run then fails with a bare
// "context deadline exceeded" and writes no input (internal/fuzz/worker.go
// returns ctx.Err() when the worker does not answer). That is also what a
// known race in the coordinator prints (go.dev/issue/75804), so the two
// cannot be told apart.
//
// Deferred at the top of a fuzz function, Start crashes the worker process
// instead. The coordinator then rebuilds the input from the worker's shared
// memory and writes it under testdata/fuzz like any other crasher, and the
// panic prints every goroutine's stack, so the loop can be seen.
package fuzzguard

import (
	"fmt"
	"runtime/debug"
	"time"
)

// Limit is how long one call of a fuzz function may run. The guarded
// functions decode one line or value and take microseconds; ten seconds
// leaves room for a starved CI machine and still ends a 10 s fuzz run with
// the input rather than without it.
const Limit = 10 * time.Second

// Start arms the guard for one call: unless stop is called within limit,
// the process panics. Use as
//
//	f.Fuzz(func(t *testing.T, b []byte) {
//		defer fuzzguard.Start(fuzzguard.Limit)()
//		...
func Start(limit time.Duration) (stop func()) {
	timer := time.AfterFunc(limit, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("fuzzguard: one call of the fuzz function has run for %v: this input hangs the code under test (every goroutine's stack follows)", limit))
	})
	return func() { timer.Stop() }
}
