package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// pcgStream is the second PCG word. It is fixed so that one seed always
// means one stream: a published interval can be reproduced from the seed
// printed beside it.
const pcgStream = 0x9e3779b97f4a7c15

// BootstrapCI returns the percentile bootstrap interval for a statistic of
// n observations. Each of reps replicates draws n indices from 0..n-1 with
// replacement (math/rand/v2 PCG seeded with seed) and calls stat with them;
// the interval is the (1-level)/2 and 1-(1-level)/2 sample quantiles of the
// replicates (Hyndman and Fan definition 7, R's quantile() default).
//
// The same (n, stat, reps, seed, level) always gives the same interval. stat
// must not keep idx: the slice is reused between calls. A NaN or infinite
// replicate is an error (ErrNotFinite), not silently dropped, because
// dropping replicates biases the interval.
//
//	ci, err := stats.BootstrapCI(len(saving), func(idx []int) float64 {
//		s := 0.0
//		for _, i := range idx {
//			s += saving[i]
//		}
//		return s
//	}, 2000, 20240401, 0.95)
func BootstrapCI(n int, statFn func(idx []int) float64, reps int, seed uint64, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, fmt.Errorf("stats: BootstrapCI(level %v): %w", level, err)
	}
	if n <= 0 {
		return Interval{}, fmt.Errorf("stats: BootstrapCI(n %d): %w", n, ErrEmpty)
	}
	if reps < 2 {
		return Interval{}, fmt.Errorf("stats: BootstrapCI(reps %d): need at least 2 replicates: %w", reps, ErrTooFew)
	}
	if statFn == nil {
		return Interval{}, fmt.Errorf("stats: BootstrapCI: nil statistic")
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	idx := make([]int, n)
	reps64 := make([]float64, reps)
	for r := range reps64 {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		v := statFn(idx)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Interval{}, fmt.Errorf("stats: BootstrapCI: replicate %d gave %v: %w", r, v, ErrNotFinite)
		}
		reps64[r] = v
	}
	slices.Sort(reps64)
	a := (1 - level) / 2
	return Interval{Lo: quantile7(reps64, a), Hi: quantile7(reps64, 1-a)}, nil
}

// Median returns the median of xs (the mean of the two middle values for an
// even count) without modifying xs. It returns NaN for an empty slice: the
// caller decides how to print "no data" (METRICS.md wait_median_days).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantile7(s, 0.5)
}

// quantile7 is Hyndman and Fan's definition 7 on sorted data: linear
// interpolation between order statistics at h = (n-1)p.
func quantile7(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}
