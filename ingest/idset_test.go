package ingest

import (
	"fmt"
	"testing"
)

// TestIDSet: a repeat is recognised while its first sighting is within the
// newer two generations, and forgotten after; distinct ids are never taken
// for repeats.
func TestIDSet(t *testing.T) {
	s := newIDSet()
	s.limit = 100
	for i := range 250 {
		if !s.add(fmt.Sprint("id-", i)) {
			t.Fatalf("id-%d taken for a repeat", i)
		}
	}
	// 250 added with generations of 100: ids 100-249 are remembered (and a
	// repeat adds nothing), ids 0-99 forgotten.
	for i := 100; i < 250; i++ {
		if s.add(fmt.Sprint("id-", i)) {
			t.Errorf("id-%d: repeat not recognised", i)
		}
	}
	for i := range 100 {
		if !s.add(fmt.Sprint("id-", i)) {
			t.Errorf("id-%d: still remembered after two generations", i)
		}
	}
}

// BenchmarkIDSet: adding a million ids, as one run of the demo at 1M events.
func BenchmarkIDSet(b *testing.B) {
	ids := make([]string, 1<<20)
	for i := range ids {
		ids[i] = fmt.Sprintf("tt-r%07d-s%02d-gad7", i/20, i%20)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := newIDSet()
		for _, id := range ids {
			s.add(id)
		}
	}
}
