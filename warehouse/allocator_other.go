//go:build !linux || !cgo

package warehouse

// DuckDB's driver uses the system allocator here: nothing to tune.
func setAllocatorDecay(int) error { return errNoJemalloc }
func purgeAllocator() error       { return errNoJemalloc }
