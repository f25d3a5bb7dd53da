package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// PairedResult is a paired mean change: the mean of after - before with its
// t interval (R's t.test(after, before, paired = TRUE)).
type PairedResult struct {
	N        int      // number of pairs
	MeanDiff float64  // mean of after[i] - before[i]
	SD       float64  // sample SD (n - 1) of the differences
	CI       Interval // paired t interval for MeanDiff
	DZ       float64  // Cohen's d_z = MeanDiff / SD
	T, P     float64  // t statistic (df = N - 1) and two-sided p-value
}

// PairedT compares paired scores, e.g. WEMWBS at baseline (before) and
// follow-up (after) for the same people. Positive MeanDiff means scores rose.
//
// With every difference equal the interval is undefined: PairedT then
// returns N, MeanDiff and SD = 0 with an error wrapping ErrNoVariance.
func PairedT(before, after []float64, level float64) (PairedResult, error) {
	if err := checkLevel(level); err != nil {
		return PairedResult{}, fmt.Errorf("stats: PairedT(level %v): %w", level, err)
	}
	if len(before) != len(after) {
		return PairedResult{}, fmt.Errorf("stats: PairedT(%d before, %d after): %w", len(before), len(after), ErrLength)
	}
	n := len(before)
	if n == 0 {
		return PairedResult{}, fmt.Errorf("stats: PairedT: %w", ErrEmpty)
	}
	if n < 2 {
		return PairedResult{}, fmt.Errorf("stats: PairedT(%d pair): need at least 2 pairs: %w", n, ErrTooFew)
	}
	if !allFinite(before) || !allFinite(after) {
		return PairedResult{}, fmt.Errorf("stats: PairedT: %w in the scores", ErrNotFinite)
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = after[i] - before[i]
	}
	mean, sd := stat.MeanStdDev(d, nil)
	r := PairedResult{N: n, MeanDiff: mean, SD: sd}
	if sd == 0 {
		r.CI = Interval{mean, mean}
		return r, fmt.Errorf("stats: PairedT(%d pairs, all differences %v): %w", n, mean, ErrNoVariance)
	}
	se := sd / math.Sqrt(float64(n))
	r.DZ = mean / sd
	r.T, r.P, r.CI = tInterval(mean, se, float64(n-1), level)
	return r, nil
}

// WelchResult is a difference of independent means, mean(a) - mean(b), with
// the Welch-Satterthwaite interval (R's t.test(a, b, var.equal = FALSE)).
type WelchResult struct {
	N1, N2 int
	Diff   float64  // mean(a) - mean(b)
	CI     Interval // Welch interval for Diff
	DF     float64  // Welch-Satterthwaite degrees of freedom (not an integer)
	T, P   float64  // t statistic and two-sided p-value
}

// Welch compares two independent groups, e.g. WEMWBS change with and
// without a peer worker; it does not assume equal variances.
func Welch(a, b []float64, level float64) (WelchResult, error) {
	if err := checkLevel(level); err != nil {
		return WelchResult{}, fmt.Errorf("stats: Welch(level %v): %w", level, err)
	}
	if len(a) == 0 || len(b) == 0 {
		return WelchResult{}, fmt.Errorf("stats: Welch(%d, %d observations): %w", len(a), len(b), ErrEmpty)
	}
	if len(a) < 2 || len(b) < 2 {
		return WelchResult{}, fmt.Errorf("stats: Welch(%d, %d observations): need at least 2 per group: %w", len(a), len(b), ErrTooFew)
	}
	if !allFinite(a) || !allFinite(b) {
		return WelchResult{}, fmt.Errorf("stats: Welch: %w in the values", ErrNotFinite)
	}
	m1, v1 := stat.MeanVariance(a, nil)
	m2, v2 := stat.MeanVariance(b, nil)
	n1, n2 := float64(len(a)), float64(len(b))
	r := WelchResult{N1: len(a), N2: len(b), Diff: m1 - m2}
	s1, s2 := v1/n1, v2/n2
	se := math.Sqrt(s1 + s2)
	if se == 0 {
		r.CI = Interval{r.Diff, r.Diff}
		return r, fmt.Errorf("stats: Welch(%d, %d observations, both constant): %w", len(a), len(b), ErrNoVariance)
	}
	r.DF = (s1 + s2) * (s1 + s2) / (s1*s1/(n1-1) + s2*s2/(n2-1))
	r.T, r.P, r.CI = tInterval(r.Diff, se, r.DF, level)
	return r, nil
}

// tInterval returns the t statistic, its two-sided p-value and the
// level-confidence interval est ± t_{df} × se.
func tInterval(est, se, df, level float64) (t, p float64, ci Interval) {
	dist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	q := dist.Quantile(1 - (1-level)/2)
	t = est / se
	p = 2 * dist.Survival(math.Abs(t))
	return t, p, Interval{Lo: est - q*se, Hi: est + q*se}
}
