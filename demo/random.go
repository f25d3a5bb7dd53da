package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Stream ids: each part of the service draws from its own PCG stream, so
// that changing one part's shape leaves the others' bytes alone.
const (
	streamTalking uint64 = iota + 1
	streamPeer
	streamFeedback
	streamCrisis
	streamProgramme
	streamFaults
)

// rng wraps a seeded PCG with the draws the generators need.
type rng struct{ *rand.Rand }

func newRNG(seed int64, stream uint64) rng {
	return rng{rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15^stream))}
}

// chance is true with probability p.
func (r rng) chance(p float64) bool { return r.Float64() < p }

// between draws an integer in [lo, hi].
func (r rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// normal draws from N(mean, sd) rounded to an integer and clipped to [lo, hi].
func (r rng) normal(mean, sd float64, lo, hi int) int {
	return clip(int(math.Round(mean+sd*r.NormFloat64())), lo, hi)
}

func clip(v, lo, hi int) int { return max(lo, min(hi, v)) }

// weighted is one value of a categorical distribution.
type weighted struct {
	v string
	w float64
}

// pick draws a value from a categorical distribution.
func (r rng) pick(dist []weighted) string {
	var total float64
	for _, d := range dist {
		total += d.w
	}
	u := r.Float64() * total
	for _, d := range dist {
		if u < d.w {
			return d.v
		}
		u -= d.w
	}
	return dist[len(dist)-1].v
}

// index draws an index with probability proportional to its weight.
func (r rng) index(w []float64) int {
	var total float64
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// oneOf draws uniformly from values.
func (r rng) oneOf(values ...string) string { return values[r.IntN(len(values))] }

// nhsNumber returns a ten-digit NHS number that passes the Modulus 11
// check, from the 999 range that the NHS reserves for test data.
func (r rng) nhsNumber() string {
	for {
		d := [10]int{9, 9, 9}
		sum := 9*10 + 9*9 + 9*8
		for i := 3; i < 9; i++ {
			d[i] = r.IntN(10)
			sum += d[i] * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check == 10 {
			continue // no valid check digit: such numbers are never issued
		}
		d[9] = check
		return fmt.Sprintf("%d%d%d%d%d%d%d%d%d%d", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9])
	}
}

// spaced writes an NHS number as people do on letters: "999 123 4567".
func spaced(nhs string) string { return nhs[:3] + " " + nhs[3:6] + " " + nhs[6:] }

// items spreads a questionnaire total over n items in [lo, hi]: a
// plausible item response set whose sum is total (clipped to the range).
func (r rng) items(total, n, lo, hi int) []int {
	total = clip(total, n*lo, n*hi)
	out := make([]int, n)
	for i := range out {
		out[i] = lo
	}
	for rest := total - n*lo; rest > 0; {
		i := r.IntN(n)
		if out[i] < hi {
			out[i]++
			rest--
		}
	}
	return out
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
