package ingest

import (
	"fmt"
	"math/rand/v2"
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

// TestIDSetAgainstMap: add's answers match a reference of two generations
// of map[string]bool on random ids, drawn so that some repeats come within
// the two generations and some after: across turnovers (a small limit),
// and across the tables' growth (a limit the table reaches by doubling
// from its smallest, through the size that holds a full generation).
func TestIDSetAgainstMap(t *testing.T) {
	for _, c := range []struct {
		limit, adds int
	}{
		{1, 2000},
		{7, 5000},
		{100, 50000},
		{1000, 200000},
		{40000, 300000},
	} {
		t.Run(fmt.Sprint("limit-", c.limit), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(c.limit)))
			s := newIDSet()
			s.limit = c.limit
			cur, old := map[string]bool{}, map[string]bool{}
			var turnovers, repeats int
			for n := range c.adds {
				id := fmt.Sprint("ev-", rng.IntN(3*c.limit+10))
				want := !cur[id] && !old[id]
				if want && len(cur) >= c.limit {
					cur, old = map[string]bool{}, cur
					turnovers++
				}
				if want {
					cur[id] = true
				} else {
					repeats++
				}
				if got := s.add(id); got != want {
					t.Fatalf("add %d (%s): new %v, want %v", n, id, got, want)
				}
				if s.cur.n != len(cur) || s.old.n != len(old) {
					t.Fatalf("add %d: generations of %d and %d, want %d and %d", n, s.cur.n, s.old.n, len(cur), len(old))
				}
				if n%(c.adds/10) == 0 {
					checkTable(t, &s.cur)
					checkTable(t, &s.old)
				}
			}
			checkTable(t, &s.cur)
			checkTable(t, &s.old)
			if turnovers < 2 || repeats == 0 {
				t.Errorf("%d turnovers and %d repeats: the test does not exercise them", turnovers, repeats)
			}
			// A full generation's table is the size that holds limit at
			// the maximum load, whatever it grew through.
			if want := (uint64(c.limit)*maxLoadDen + maxLoadNum - 1) / maxLoadNum; c.limit >= fpTableMinSize && s.old.size != want {
				t.Errorf("full generation of %d in %d home slots, want %d", c.limit, s.old.size, want)
			}
		})
	}
}

// TestIDSetZeroFingerprint: an id whose fingerprint is zero, the value of an
// empty slot, is remembered like any other, through a turnover.
func TestIDSetZeroFingerprint(t *testing.T) {
	s := newIDSet()
	s.limit = 100
	if !s.addFingerprint([2]uint64{}) {
		t.Fatal("zero fingerprint taken for a repeat")
	}
	if s.addFingerprint([2]uint64{}) {
		t.Fatal("zero fingerprint: repeat not recognised")
	}
	for i := range 99 {
		if !s.addFingerprint([2]uint64{uint64(i) + 1, 42}) {
			t.Fatalf("fingerprint %d taken for a repeat", i+1)
		}
	}
	if !s.addFingerprint([2]uint64{1000, 1}) { // turns the generation over
		t.Fatal("fingerprint 1000 taken for a repeat")
	}
	if s.old.n != 100 {
		t.Fatalf("older generation holds %d, want 100", s.old.n)
	}
	if s.addFingerprint([2]uint64{}) {
		t.Fatal("zero fingerprint: repeat not recognised in the older generation")
	}
	checkTable(t, &s.cur)
	checkTable(t, &s.old)
}

// TestFPTableOverflow: fingerprints that all have the last home slot run
// past the overflow the table was made with; it takes a larger one and
// keeps them all.
func TestFPTableOverflow(t *testing.T) {
	var ft fpTable
	ft.reset()
	pad := len(ft.slots) - int(ft.size)
	const n = 1000
	for i := range n {
		k := [2]uint64{uint64(i%7) + 1, uint64(i)} // ^k[0]: the last home slot
		if j, ok := ft.find(k); ok {
			t.Fatalf("%v found before it was added", k)
		} else {
			ft.insert(j, k)
		}
	}
	if got := len(ft.slots) - int(ft.size); got <= pad || ft.size != fpTableMinSize {
		t.Errorf("%d home slots and an overflow of %d, want %d and more than %d", ft.size, got, fpTableMinSize, pad)
	}
	for i := range n {
		k := [2]uint64{uint64(i%7) + 1, uint64(i)}
		if _, ok := ft.find(k); !ok {
			t.Fatalf("%v lost", k)
		}
	}
	checkTable(t, &ft)
}

// checkTable checks what probes rely on: the last slot is empty; going up
// the slots, the fingerprints held fall; each is at or past its home slot,
// with no empty slot between; and the count is right.
func checkTable(t *testing.T, ft *fpTable) {
	t.Helper()
	if ft.slots == nil {
		return
	}
	if last := ft.slots[len(ft.slots)-1]; last != ([2]uint64{}) {
		t.Fatalf("last slot holds %v", last)
	}
	n, empty := 0, -1 // the last empty slot seen
	var prev [2]uint64
	for i, k := range ft.slots {
		if k == ([2]uint64{}) {
			empty = i
			continue
		}
		if n > 0 && (k[0] > prev[0] || k[0] == prev[0] && k[1] >= prev[1]) {
			t.Fatalf("slot %d: %v after %v", i, k, prev)
		}
		if h := int(ft.home(k)); h > i || h <= empty {
			t.Fatalf("slot %d: %v has home %d, the last empty slot before it is %d", i, k, h, empty)
		}
		n++
		prev = k
	}
	if n != ft.n {
		t.Fatalf("%d fingerprints held, counted %d", n, ft.n)
	}
}
