//go:build linux && cgo

package warehouse

import (
	"database/sql"
	"os"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/evalpipe/evalpipe/internal/procstatus"
)

func residentMiB(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	v, ok := procstatus.KiB(b, "VmRSS:")
	if !ok {
		t.Fatal("no VmRSS in /proc/self/status")
	}
	return v >> 10
}

// DuckDB's jemalloc is reachable: its decay can be set, and a purge gives
// back what the database freed. With decay off (-1, pages kept until
// purged), a table of some 300 MiB is made and dropped: resident memory
// stays up until purgeAllocator, then falls by most of it.
func TestAllocatorPurgeReturnsFreedMemory(t *testing.T) {
	if err := setAllocatorDecay(-1); err != nil {
		t.Fatalf("setAllocatorDecay: %v (the driver's jemalloc should be linked on linux)", err)
	}
	defer setAllocatorDecay(allocatorDecayMS)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"SET threads = 1",
		"CREATE TABLE big AS SELECT repeat(CAST(i AS VARCHAR), 8) AS s FROM range(6000000) AS t(i)",
		"DROP TABLE big",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := residentMiB(t)
	if err := purgeAllocator(); err != nil {
		t.Fatal(err)
	}
	after := residentMiB(t)
	t.Logf("resident %d MiB before the purge, %d after", before, after)
	if before-after < 100 {
		t.Errorf("the purge gave back %d MiB (resident %d → %d), want at least 100 of the dropped table's", before-after, before, after)
	}
}
