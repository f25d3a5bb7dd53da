package ingest

import (
	"hash/maphash"
	"math/bits"
)

// idSet remembers the event ids ingested in a run, so that a repeat within
// the run is counted as a duplicate and not produced again.
//
// It holds 128-bit fingerprints (two seeded maphash sums), not the ids: a
// table of fixed-size keys holds no pointers, so the garbage collector does
// not scan it (with string keys it spent over a third of ingest's CPU
// marking a million ids). Two distinct ids share a fingerprint with
// probability about n²/2¹²⁹ — for a national year's 40 million ids, 10⁻²⁴.
//
// Memory stays bounded at national scale: the set keeps two generations of
// at most idSetGeneration ids each and forgets the older when the newer
// fills, so a repeat is recognised when it comes within idSetGeneration
// ids of the first (a re-sent export, a file given twice). A repeat further
// apart is produced again; the warehouse keeps one event per event_id, as
// it does for a batch re-sent after a crash.
//
// Each generation is an fpTable, not a Go map[[2]uint64]struct{}: the maps
// cost about 600 ns an add in a profile of a 2M-event ingest (a lookup in
// each generation and an insert, each missing the cache), and 35-53 bytes
// an id at 3-4Mi ids (their slots take 24 bytes, the empty value being
// padded), not the 20 once written here. See
// fpTable for the table and the figures.
type idSet struct {
	seeds    [2]maphash.Seed
	cur, old fpTable
	limit    int // ids in a generation: idSetGeneration, less in tests
}

// idSetGeneration is the ids in each of the set's two generations: full,
// the set holds 146 MiB (18.3 bytes an id: see fpTable).
const idSetGeneration = 4 << 20

func newIDSet() *idSet {
	s := &idSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, limit: idSetGeneration}
	s.cur.reset()
	return s
}

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	return s.addFingerprint([2]uint64{maphash.String(s.seeds[0], id), maphash.String(s.seeds[1], id)})
}

// addFingerprint records k and reports whether it was new. The zero
// fingerprint marks an empty slot, so an id whose fingerprint is zero is
// held as {0, 1}: it is remembered like any other, and shares its
// fingerprint with the ids of {0, 1}, as two ids share one with
// probability 2⁻¹²⁸.
func (s *idSet) addFingerprint(k [2]uint64) bool {
	if k == ([2]uint64{}) {
		k[1] = 1
	}
	// Both generations' home slots are read before either probe goes on,
	// so that their cache misses overlap.
	ci := s.cur.home(k)
	c := s.cur.slots[ci]
	var oi uint64
	var o [2]uint64
	if s.old.n > 0 {
		oi = s.old.home(k)
		o = s.old.slots[oi]
	}
	i, ok := s.cur.findFrom(ci, c, k)
	if ok {
		return false
	}
	if s.old.n > 0 {
		if _, ok := s.old.findFrom(oi, o, k); ok {
			return false
		}
	}
	switch {
	case s.cur.n >= s.limit:
		// The newer generation is full: the older is forgotten, and its
		// table, cleared, takes the new one.
		s.old, s.cur = s.cur, s.old
		s.cur.reset()
		i, _ = s.cur.find(k)
	case s.cur.n >= s.cur.most():
		s.cur.resize(s.cur.grown(s.limit), 0)
		i, _ = s.cur.find(k)
	}
	s.cur.insert(i, k)
	return true
}

// fpTable is a set of non-zero 128-bit fingerprints: one slice of them,
// open addressing with linear probing, zero for an empty slot. It holds 16
// bytes a slot, and a slot holds a fingerprint or nothing.
//
// A fingerprint's home slot is the high word of ^k[0] × size (Lemire's
// multiply-shift, so size need not be a power of two), and the table is
// kept in order: going up the slots, the fingerprints held fall (ordered
// linear probing, Amble and Knuth 1974: the same as Robin Hood hashing
// when home slots are monotonic). So a probe stops at the first slot
// holding a fingerprint not greater than the one sought (an empty slot
// holds zero, the least): an absent fingerprint costs as few probes as a
// present one, about (1 + 1/(1-α))/2 at load α, not (1 + 1/(1-α)²)/2;
// an insert shifts the rest of its run up a slot (a memmove, on lines the
// probe has just read); and a resize is one pass in order, without random
// access. Probes never wrap: slots past size take what runs off the end,
// and the last slot is kept empty, so every probe stops.
//
// Load: a table grows by doubling when it holds maxLoad (7/8) of its home
// slots, and the doubling stops at the size that holds one generation at
// that load, so a full generation's table is at 7/8 load: 4Mi ids in 4.8Mi
// slots, 73 MiB, 18.3 bytes an id (16/maxLoad), and a growing one between
// 7/16 and 7/8 (18.3 to 36.6 bytes an id). At 7/8 a probe reads 4.5 slots
// on average (72 bytes, a cache line or two) and an insert moves 32 on
// average (half a KiB, mostly lines the probe has read); a lower load
// would cost memory (3/4: 21.3 bytes an id) to save little, as a probe's
// first read is a cache miss either way. After the first turnover a generation's
// table is the forgotten one's, cleared: it grows no more, and no third
// generation's worth is allocated while the forgotten one awaits the
// garbage collector, as it was with maps. (In the first generation a
// doubling holds the old slots and the new at once, briefly.)
//
// Measured, medians of 5 runs interleaved with the maps' (go1.26, a shared
// 2-core AMD EPYC; go test -run '^$' -bench 'IDSetAdd|IDSetMemory'
// -benchtime 3x ./ingest, the maps' build from the commit before):
//
//	BenchmarkIDSetAdd     maps     fpTable   (ns/add)
//	  distinct-6M         447      287       a turnover at 4Mi
//	  distinct-2M         385      202       as a 2M-event ingest
//	  resent-1Mx4         266      189       3 adds in 4 repeats
//	BenchmarkIDSetMemory  53.3     18.3      bytes an id, one or two full
//	                                         generations (HeapAlloc after
//	                                         runtime.GC, less before)
//
// What is left of an add is mostly the cache miss (and TLB miss) on the
// newer generation's home slot; the older's is read at the same time.
type fpTable struct {
	slots [][2]uint64 // home slots [0, size), then the overflow; the last is empty
	size  uint64
	n     int // fingerprints held
}

const (
	maxLoadNum, maxLoadDen = 7, 8
	fpTableMinSize         = 64 // home slots of a new table
	fpTableMaxPad          = 4096
)

// home returns k's home slot. It falls as k[0] rises.
func (t *fpTable) home(k [2]uint64) uint64 {
	hi, _ := bits.Mul64(^k[0], t.size)
	return hi
}

// find returns the slot holding k and true, or, if k is absent, the slot
// where it goes and false. k is non-zero.
func (t *fpTable) find(k [2]uint64) (int, bool) {
	i := t.home(k)
	return t.findFrom(i, t.slots[i], k)
}

// findFrom is find given k's home slot i and what it holds, s.
func (t *fpTable) findFrom(i uint64, s, k [2]uint64) (int, bool) {
	for s[0] > k[0] || s[0] == k[0] && s[1] > k[1] {
		i++
		s = t.slots[i]
	}
	return int(i), s == k
}

// insert puts k at slot i, where find said it goes, shifting the rest of
// the run up a slot. A run that would reach the last slot takes a larger
// overflow first.
func (t *fpTable) insert(i int, k [2]uint64) {
	j := i
	for t.slots[j] != ([2]uint64{}) {
		j++
	}
	if j == len(t.slots)-1 {
		t.resize(t.size, 2*(uint64(len(t.slots))-t.size))
		i, _ = t.find(k)
		t.insert(i, k)
		return
	}
	copy(t.slots[i+1:j+1], t.slots[i:j])
	t.slots[i] = k
	t.n++
}

// most returns how many fingerprints the table holds before it grows.
func (t *fpTable) most() int {
	return int(t.size * maxLoadNum / maxLoadDen)
}

// grown returns the size a table grows to: double, but no more than
// holds limit fingerprints at the maximum load.
func (t *fpTable) grown(limit int) uint64 {
	full := (uint64(limit)*maxLoadDen + maxLoadNum - 1) / maxLoadNum
	if full > t.size && full < 2*t.size {
		return full
	}
	return 2 * t.size
}

// resize remakes the table with size home slots and an overflow of pad
// (0: the default), keeping what it holds: one pass, in order, each
// fingerprint at its new home or just past the one before.
func (t *fpTable) resize(size, pad uint64) {
	if pad == 0 {
		pad = min(size, fpTableMaxPad) + 1
	}
	from := t.slots
	for {
		t.slots, t.size = make([][2]uint64, size+pad), size
		if t.fill(from) {
			return
		}
		pad *= 2
	}
}

// fill places from's fingerprints, held in order, into the empty table,
// and reports whether they fit before its last slot.
func (t *fpTable) fill(from [][2]uint64) bool {
	next, last := uint64(0), uint64(len(t.slots)-1)
	for _, k := range from {
		if k == ([2]uint64{}) {
			continue
		}
		i := max(t.home(k), next)
		if i >= last {
			return false
		}
		t.slots[i] = k
		next = i + 1
	}
	return true
}

// reset empties the table, keeping its slots; a table never made gets
// the smallest.
func (t *fpTable) reset() {
	t.n = 0
	if t.slots == nil {
		t.resize(fpTableMinSize, 0)
		return
	}
	clear(t.slots)
}
