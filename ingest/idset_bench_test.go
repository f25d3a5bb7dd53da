package ingest

import (
	"runtime"
	"strconv"
	"testing"
	"unsafe"
)

// This file uses only newIDSet and add, so that it builds against an
// earlier idSet too, for comparing the two:
//
//	go test -run '^$' -bench 'IDSetAdd|IDSetMemory' -benchtime 3x ./ingest

// benchIDs returns n distinct event ids of 20 bytes, shaped as the
// demo's ("tt-r0000012-s07-gad7"), in one pointer-free slab, so that
// holding them costs the garbage collector nothing and the heap little.
func benchIDs(n int) []string {
	const size = 20
	slab := make([]byte, 0, n*size)
	for i := range n {
		slab = append(slab, "tt-r"...)
		slab = appendPadded(slab, i/20, 7)
		slab = append(slab, "-s"...)
		slab = appendPadded(slab, i%20, 2)
		slab = append(slab, "-gad7"...)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = unsafe.String(&slab[i*size], size)
	}
	return ids
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// BenchmarkIDSetAdd: ns/add, each iteration into a new set.
//
//   - distinct-6M: 6Mi distinct ids, as a national run: the set grows to a
//     full generation (4Mi ids), turns over, and each later add is looked
//     up in the older generation too.
//   - distinct-2M: 2Mi distinct ids, as the demo's 2M-event ingest.
//   - resent-1Mx4: 1Mi distinct ids, sent four times over (a re-sent
//     export): three adds in four are duplicates.
func BenchmarkIDSetAdd(b *testing.B) {
	for _, c := range []struct {
		name     string
		distinct int
		rounds   int
	}{
		{"distinct-6M", 6 << 20, 1},
		{"distinct-2M", 2 << 20, 1},
		{"resent-1Mx4", 1 << 20, 4},
	} {
		b.Run(c.name, func(b *testing.B) {
			ids := benchIDs(c.distinct)
			runtime.GC()
			b.ResetTimer()
			var adds int
			for b.Loop() {
				s := newIDSet()
				added := 0
				for range c.rounds {
					for _, id := range ids {
						if s.add(id) {
							added++
						}
					}
				}
				if added != c.distinct {
					b.Fatalf("%d ids new, want %d", added, c.distinct)
				}
				adds += c.rounds * c.distinct
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(adds), "ns/add")
		})
	}
}

// BenchmarkIDSetMemory: the heap a set holds (runtime.MemStats.HeapAlloc
// after a collection, less that before the set), in bytes an id, with one
// full generation (idSetGeneration ids) and with two (2×idSetGeneration:
// the most the set holds).
func BenchmarkIDSetMemory(b *testing.B) {
	ids := benchIDs(2 * idSetGeneration)
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for b.Loop() {
		before := heap()
		s := newIDSet()
		for _, id := range ids[:idSetGeneration] {
			s.add(id)
		}
		one := heap()
		for _, id := range ids[idSetGeneration:] {
			s.add(id)
		}
		two := heap()
		runtime.KeepAlive(s)
		b.ReportMetric(float64(one-before)/float64(idSetGeneration), "B/id-1gen")
		b.ReportMetric(float64(two-before)/float64(2*idSetGeneration), "B/id-2gen")
	}
}
