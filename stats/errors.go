package stats

import (
	"errors"
	"math"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, with the call and its arguments in the message, so a report can
// decide with errors.Is whether to print "not enough data" or to fail.
var (
	// ErrEmpty: a sample or a denominator of zero.
	ErrEmpty = errors.New("no observations")
	// ErrLevel: a confidence level that is not strictly between 0 and 1.
	ErrLevel = errors.New("confidence level must be strictly between 0 and 1")
	// ErrCounts: successes negative or greater than the number of trials.
	ErrCounts = errors.New("successes must be between 0 and n")
	// ErrLength: paired samples of different lengths.
	ErrLength = errors.New("paired samples differ in length")
	// ErrTooFew: fewer observations than the method needs (2 per group for
	// t intervals, 2 bootstrap replicates).
	ErrTooFew = errors.New("too few observations")
	// ErrNoVariance: every observation (or difference) is equal, so the t
	// statistic and d_z are undefined. The returned result still carries
	// N, the mean and SD = 0, so a report can print the point estimate.
	ErrNoVariance = errors.New("zero variance: interval undefined")
	// ErrNotFinite: an input or a bootstrap statistic that is NaN or ±Inf.
	ErrNotFinite = errors.New("non-finite value")
)

// Interval is a two-sided confidence interval, Lo <= Hi.
type Interval struct{ Lo, Hi float64 }

// Contains reports whether x lies in the closed interval.
func (i Interval) Contains(x float64) bool { return i.Lo <= x && x <= i.Hi }

func checkLevel(level float64) error {
	if !(level > 0 && level < 1) { // also rejects NaN
		return ErrLevel
	}
	return nil
}

func allFinite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
