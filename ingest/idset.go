package ingest

import "hash/maphash"

// idSet remembers the event ids ingested in a run, so that a repeat within
// the run is counted as a duplicate and not produced again.
//
// It holds 128-bit fingerprints (two seeded maphash sums), not the ids: a
// map of fixed-size keys holds no pointers, so the garbage collector does
// not scan it (with string keys it spent over a third of ingest's CPU
// marking a million ids), and it takes 16 bytes an id. Two distinct ids
// share a fingerprint with probability about n²/2¹²⁹ — for a national
// year's 40 million ids, 10⁻²⁴.
//
// Memory stays bounded at national scale: the set keeps two generations of
// at most idSetGeneration ids each and forgets the older when the newer
// fills, so a repeat is recognised when it comes within idSetGeneration
// ids of the first (a re-sent export, a file given twice). A repeat further
// apart is produced again; the warehouse keeps one event per event_id, as
// it does for a batch re-sent after a crash.
type idSet struct {
	seeds    [2]maphash.Seed
	cur, old map[[2]uint64]struct{}
	limit    int
}

// idSetGeneration is the ids in each of the set's two generations: full,
// the set holds about 170 MiB (16-byte keys plus the map's control bytes
// and slack, about 20 bytes an id).
const idSetGeneration = 4 << 20

func newIDSet() *idSet {
	return &idSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, cur: map[[2]uint64]struct{}{}, limit: idSetGeneration}
}

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	k := [2]uint64{maphash.String(s.seeds[0], id), maphash.String(s.seeds[1], id)}
	if _, ok := s.cur[k]; ok {
		return false
	}
	if _, ok := s.old[k]; ok {
		return false
	}
	if len(s.cur) >= s.limit {
		s.old, s.cur = s.cur, make(map[[2]uint64]struct{}, len(s.cur))
	}
	s.cur[k] = struct{}{}
	return true
}
