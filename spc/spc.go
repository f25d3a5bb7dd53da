package spc

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Constants of the XmR chart, as in NHSRplotthedots' ptd_spc_standard.
const (
	// limitFactor × mean moving range is the distance from the mean to a
	// process limit (3 / d2 with d2 = 1.128 for ranges of two).
	limitFactor = 2.66
	// closeFactor marks the "two of three" zone: 2/3 of the way to a limit.
	closeFactor = 2 * limitFactor / 3
	// screenFactor: with screening, moving ranges at or above this multiple
	// of the mean moving range are dropped before the limits are computed.
	screenFactor = 3.267
	// ShortPhase is the fewest points per phase the reference considers
	// best practice (ptd_add_short_group_warnings, warning_threshold = 12).
	ShortPhase = 12
	// runLength is both the run length and the trend length, in points.
	runLength = 7
)

// Rule names, in the reference's priority order: a point flagged by more
// than one rule carries the first (ptd_special_cause_type's case_when).
const (
	RuleOutsideLimits = "outside_limits"
	RuleTrend         = "trend"
	RuleTwoOfThree    = "two_of_three"
	RuleRun           = "run"
)

// Point types (CLI.md).
const (
	CommonCause             = "common_cause"
	SpecialCauseImprovement = "special_cause_improvement"
	SpecialCauseConcern     = "special_cause_concern"
	SpecialCauseNeutral     = "special_cause_neutral"
)

// Assurance values (CLI.md).
const (
	ConsistentPass = "consistent_pass"
	ConsistentFail = "consistent_fail"
	Inconsistent   = "inconsistent"
)

// Errors returned by XmR and Options.Validate; test with errors.Is.
var (
	ErrTooFew     = errors.New("too few points")
	ErrNotFinite  = errors.New("non-finite value")
	ErrBadOptions = errors.New("invalid options")
)

// Options configure an XmR chart. The zero value is a valid configuration:
// improvement up, no target, one phase, no screening, limits from all points.
type Options struct {
	// Improvement is the direction that is better: "up", "down" or
	// "neutral". Default "" means "up" (the reference's "increase").
	Improvement string
	// Target, when set and Improvement is not neutral, gives the assurance
	// icon. Default nil: no assurance.
	Target *float64
	// RebaseAt lists indices into values where a new phase starts, e.g. the
	// month a service launched. Each phase gets its own mean and limits and
	// its own rules (a run never crosses a rebase). Index 0 is allowed and
	// changes nothing. Default nil: one phase.
	RebaseAt []int
	// ScreenOutliers drops moving ranges >= 3.267 × the mean moving range
	// before computing the limits. Default false, as in the Making Data
	// Count spreadsheets; NHSRplotthedots defaults to true.
	ScreenOutliers bool
	// FixAfterN computes each phase's mean and limits from its first N
	// points only, and applies them to the rest. Default 0: all points.
	// Must be 0 or at least 2.
	FixAfterN int
}

func (o Options) direction() int {
	switch o.Improvement {
	case "down":
		return -1
	case "neutral":
		return 0
	}
	return 1
}

// Validate reports whether the options can chart n values.
func (o Options) Validate(n int) error {
	switch o.Improvement {
	case "", "up", "down", "neutral":
	default:
		return fmt.Errorf("spc: improvement %q: want up, down or neutral: %w", o.Improvement, ErrBadOptions)
	}
	if o.Target != nil && (math.IsNaN(*o.Target) || math.IsInf(*o.Target, 0)) {
		return fmt.Errorf("spc: target %v: %w", *o.Target, ErrNotFinite)
	}
	if o.FixAfterN < 0 || o.FixAfterN == 1 {
		return fmt.Errorf("spc: FixAfterN %d: want 0 (off) or at least 2, a mean moving range needs two points: %w", o.FixAfterN, ErrBadOptions)
	}
	for _, r := range o.RebaseAt {
		if r < 0 || r >= n {
			return fmt.Errorf("spc: rebase at %d: outside the %d values: %w", r, n, ErrBadOptions)
		}
	}
	return nil
}

// Point is one value on the chart with its phase's limits and its
// classification. Rule is nil for common cause.
type Point struct {
	Value float64 `json:"value"`
	Mean  float64 `json:"-"`
	LPL   float64 `json:"-"`
	UPL   float64 `json:"-"`
	Type  string  `json:"type"`
	Rule  *string `json:"rule"`

	side int // +1 high, -1 low for special cause (the reference's Above/Increasing vs Below/Decreasing)
}

// Chart is an XmR chart; its JSON is the shape `evalpipe spc` prints
// (CLI.md). Mean, LPL and UPL are those of the last phase, the ones the
// variation and assurance icons are read against.
type Chart struct {
	Mean   float64 `json:"mean"`
	LPL    float64 `json:"lpl"`
	UPL    float64 `json:"upl"`
	Points []Point `json:"points"`
	// Variation is the icon for the latest point: common_cause,
	// improvement_high, improvement_low, concern_high, concern_low,
	// neither_high or neither_low.
	Variation string `json:"variation"`
	// Assurance against Options.Target: consistent_pass, consistent_fail,
	// inconsistent, or nil without a target or with neutral improvement.
	Assurance *string `json:"assurance"`
	// Warning is set when a phase has fewer than ShortPhase points: the
	// chart is still computed, but its limits are not yet reliable.
	Warning string `json:"warning,omitempty"`
}

// XmR charts values (in time order, no gaps) in the NHS Making Data Count
// style, following NHSRplotthedots: mean and process limits per phase,
// the four special-cause rules, the variation and assurance icons.
//
//	c, err := spc.XmR(monthlyDNARate, spc.Options{Improvement: "down", Target: &target})
func XmR(values []float64, opt Options) (Chart, error) {
	n := len(values)
	if n < 2 {
		return Chart{}, fmt.Errorf("spc: %d value(s): need at least 2 for a moving range: %w", n, ErrTooFew)
	}
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Chart{}, fmt.Errorf("spc: value %d is %v: %w", i, v, ErrNotFinite)
		}
	}
	if err := opt.Validate(n); err != nil {
		return Chart{}, err
	}
	starts := phaseStarts(opt.RebaseAt)
	c := Chart{Points: make([]Point, n)}
	var short []string
	dir := opt.direction()
	for k, s := range starts {
		e := n
		if k+1 < len(starts) {
			e = starts[k+1]
		}
		if e-s < 2 {
			return Chart{}, fmt.Errorf("spc: phase starting at %d has %d point: need at least 2: %w", s, e-s, ErrTooFew)
		}
		if e-s < ShortPhase {
			short = append(short, fmt.Sprintf("phase starting at %d has %d points", s, e-s))
		}
		l := limits(values[s:e], opt)
		if math.IsNaN(l.lpl) || math.IsInf(l.lpl, 0) || math.IsInf(l.upl, 0) {
			return Chart{}, fmt.Errorf("spc: phase starting at %d: values too large for limits: %w", s, ErrNotFinite)
		}
		classify(values[s:e], l, dir, c.Points[s:e])
		c.Mean, c.LPL, c.UPL = l.mean, l.lpl, l.upl
	}
	c.Variation = variation(c.Points[n-1], dir)
	c.Assurance = assurance(opt, dir, c.LPL, c.UPL)
	if len(short) > 0 {
		c.Warning = fmt.Sprintf("fewer than %d points (%s): limits may be unreliable", ShortPhase, joinComma(short))
	}
	return c, nil
}

func phaseStarts(rebase []int) []int {
	starts := append([]int{0}, rebase...)
	slices.Sort(starts)
	return slices.Compact(starts)
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

type phaseLimits struct{ mean, lpl, upl, nlpl, nupl float64 }

// limits follows ptd_spc_standard: the mean and mean moving range of the
// (first FixAfterN) points, optionally screened.
func limits(y []float64, opt Options) phaseLimits {
	fixed := y
	if opt.FixAfterN > 0 && opt.FixAfterN < len(y) {
		fixed = y[:opt.FixAfterN]
	}
	mean := meanOf(fixed)
	mr := make([]float64, len(fixed)-1)
	for i := 1; i < len(fixed); i++ {
		mr[i-1] = math.Abs(fixed[i] - fixed[i-1])
	}
	amr := meanOf(mr)
	if opt.ScreenOutliers {
		kept := mr[:0:0]
		for _, r := range mr {
			if r < screenFactor*amr { // the reference keeps strictly below
				kept = append(kept, r)
			}
		}
		// With every moving range 0 nothing is strictly below 0; R's mean
		// of nothing is NaN. The spread is 0 either way, so keep 0.
		if len(kept) > 0 {
			amr = meanOf(kept)
		}
	}
	return phaseLimits{
		mean: mean,
		lpl:  mean - limitFactor*amr, upl: mean + limitFactor*amr,
		nlpl: mean - closeFactor*amr, nupl: mean + closeFactor*amr,
	}
}

// meanOf is R's mean.default: a second pass corrects the rounding of the
// first, so a constant series has exactly its value as mean and no point
// is spuriously above or below it.
func meanOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if math.IsInf(m, 0) {
		return m
	}
	t := 0.0
	for _, x := range xs {
		t += x - m
	}
	return m + t/float64(len(xs))
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
