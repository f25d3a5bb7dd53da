//go:build linux && cgo

package warehouse

/*
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

// DuckDB's driver links jemalloc with the duckdb_je_ prefix on Linux. The
// reference is weak: where the library was built without it, the symbol
// is NULL and nothing is set.
extern int duckdb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen) __attribute__((weak));

static int evalpipe_je_present(void) { return duckdb_je_mallctl != NULL; }

// evalpipe_je_decay sets the dirty and muzzy decay of every arena, and the
// default of arenas made later; it returns how many settings failed.
static int evalpipe_je_decay(ssize_t ms) {
	int failed = 0;
	unsigned narenas = 0;
	size_t sz = sizeof(narenas);
	if (duckdb_je_mallctl("arenas.narenas", &narenas, &sz, NULL, 0) != 0) {
		return -1;
	}
	failed += duckdb_je_mallctl("arenas.dirty_decay_ms", NULL, NULL, &ms, sizeof(ms)) != 0;
	failed += duckdb_je_mallctl("arenas.muzzy_decay_ms", NULL, NULL, &ms, sizeof(ms)) != 0;
	char name[64];
	for (unsigned i = 0; i < narenas; i++) {
		// An arena not yet in use has no settings to change (EFAULT): it
		// takes the default above when it is made.
		snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", i);
		duckdb_je_mallctl(name, NULL, NULL, &ms, sizeof(ms));
		snprintf(name, sizeof name, "arena.%u.muzzy_decay_ms", i);
		duckdb_je_mallctl(name, NULL, NULL, &ms, sizeof(ms));
	}
	return failed;
}

// evalpipe_je_purge returns every arena's unused pages to the system
// (4096 is MALLCTL_ARENAS_ALL).
static int evalpipe_je_purge(void) {
	return duckdb_je_mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
}

// DuckDB's objects other than its data (plans, operator state, C++
// containers) come from the C library's malloc; glibc keeps what they
// free in its per-thread arenas until malloc_trim. Weak: musl has none.
extern int malloc_trim(size_t pad) __attribute__((weak));

static void evalpipe_trim(void) {
	if (malloc_trim != NULL) {
		malloc_trim(0);
	}
}
*/
import "C"

import "fmt"

// setAllocatorDecay sets how long DuckDB's allocator keeps pages freed by
// the database before returning them to the system; see allocatorDecayMS.
func setAllocatorDecay(ms int) error {
	if C.evalpipe_je_present() == 0 {
		return errNoJemalloc
	}
	if n := C.evalpipe_je_decay(C.ssize_t(ms)); n != 0 {
		return fmt.Errorf("jemalloc: %d decay settings not taken", int(n))
	}
	return nil
}

// purgeAllocator returns the pages DuckDB's allocators hold unused to the
// system at once: jemalloc's (its data) and glibc's (its other objects).
func purgeAllocator() error {
	if C.evalpipe_je_present() == 0 {
		return errNoJemalloc
	}
	C.evalpipe_trim()
	if rc := C.evalpipe_je_purge(); rc != 0 {
		return fmt.Errorf("jemalloc: purge failed (%d)", int(rc))
	}
	return nil
}
