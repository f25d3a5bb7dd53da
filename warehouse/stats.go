package warehouse

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// z95 is the standard normal quantile for a two-sided 95% interval.
var z95 = distuv.UnitNormal.Quantile(0.975)

// Wilson is the 95% Wilson score interval of k successes in n trials.
func Wilson(k, n float64) (lo, hi float64) {
	if n <= 0 {
		return math.NaN(), math.NaN()
	}
	p := k / n
	z2 := z95 * z95
	denom := 1 + z2/n
	centre := (p + z2/(2*n)) / denom
	half := z95 / denom * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// Proportion is num ÷ den with its Wilson interval. An empty cohort has no
// value (nil), with numerator and denominator 0.
func Proportion(num, den float64) Value {
	v := Value{Numerator: ptr(num), Denominator: ptr(den)}
	if den <= 0 {
		v.Note = "empty cohort"
		return v
	}
	v.Value = ptr(num / den)
	lo, hi := Wilson(num, den)
	v.CI95 = &[2]float64{lo, hi}
	return v
}

// RecoveryRate is the NHS formula recovered ÷ (finished_paired − not_at_caseness).
func RecoveryRate(recovered, finishedPaired, notAtCaseness float64) Value {
	return Proportion(recovered, finishedPaired-notAtCaseness)
}

// ReliableImprovementRate is reliably improved ÷ finished_paired.
func ReliableImprovementRate(improved, finishedPaired float64) Value {
	return Proportion(improved, finishedPaired)
}

func ptr(f float64) *float64 { return &f }
