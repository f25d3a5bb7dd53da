package spc

// classify applies the special-cause rules to one phase, as
// NHSRplotthedots' ptd_special_cause_type and ptd_point_type do:
//
//   - outside_limits: y > UPL or y < LPL (strict).
//   - trend: 7 points each strictly above (or below) the one before; a tie
//     breaks the trend; every point of it is flagged.
//   - two_of_three: among 3 consecutive points all strictly on one side of
//     the mean, at least 2 are between 2/3 of the way to a limit and the
//     limit (a point outside the limits does not count as "close"); those
//     close points are flagged.
//   - run: 7 consecutive points strictly on one side of the mean; a point
//     exactly on the mean breaks the run; every point of it is flagged.
//
// A point flagged by several rules takes the first in that order. Its
// direction is the side of the mean (outside, two_of_three, run) or the
// direction of the trend, so an improving trend below the mean is improvement.
func classify(y []float64, l phaseLimits, dir int, out []Point) {
	n := len(y)
	rtm := make([]int, n)
	outside := make([]bool, n)
	closeTo := make([]bool, n)
	for i, v := range y {
		rtm[i] = sign(v - l.mean)
		outside[i] = v > l.upl || v < l.lpl
		closeTo[i] = !outside[i] && (v < l.nlpl || v > l.nupl)
	}
	run := partOfSeven(endsRun(rtm))
	trend := partOfSeven(endsTrend(y))
	two := twoOfThree(closeTo, rtm)

	for i := range y {
		p := Point{Value: y[i], Mean: l.mean, LPL: l.lpl, UPL: l.upl, Type: CommonCause}
		var rule string
		var side int
		switch {
		case outside[i]:
			rule = RuleOutsideLimits
			side = aboveOrBelow(rtm[i] == 1)
		case trend[i]:
			rule = RuleTrend
			side = trendSide(y, trend, i)
		case two[i]:
			rule = RuleTwoOfThree
			side = aboveOrBelow(rtm[i] > 0)
		case run[i]:
			rule = RuleRun
			side = aboveOrBelow(rtm[i] > 0)
		}
		if rule != "" {
			r := rule
			p.Rule = &r
			p.Type = pointType(side, dir)
			p.side = side
		}
		out[i] = p
	}
}

// aboveOrBelow mirrors the reference's ifelse(..., "Above", "Below"):
// anything not above is below.
func aboveOrBelow(above bool) int {
	if above {
		return 1
	}
	return -1
}

// trendSide is the direction of the trend at point i. Where the next point
// is also in a trend the step to it is used, otherwise the step from the
// previous point (the reference's sdy); a zero step reads as decreasing.
func trendSide(y []float64, trend []bool, i int) int {
	var s int
	if i+1 < len(y) && trend[i+1] {
		s = sign(y[i+1] - y[i])
	} else if i > 0 {
		s = sign(y[i] - y[i-1])
	}
	if s == 1 {
		return 1
	}
	return -1
}

func pointType(side, dir int) string {
	switch {
	case dir == 0:
		return SpecialCauseNeutral
	case side*dir > 0:
		return SpecialCauseImprovement
	default:
		return SpecialCauseConcern
	}
}

// endsRun marks points that end 7 consecutive points on the same side of
// the mean (ptd_seven_point_one_side_mean).
func endsRun(rtm []int) []bool {
	ends := make([]bool, len(rtm))
	for i := runLength - 1; i < len(rtm); i++ {
		if rtm[i] == 0 {
			continue
		}
		ends[i] = true
		for j := i - runLength + 1; j < i; j++ {
			if rtm[j] != rtm[i] {
				ends[i] = false
				break
			}
		}
	}
	return ends
}

// endsTrend marks points that end 7 strictly increasing or strictly
// decreasing points (ptd_seven_point_trend).
func endsTrend(y []float64) []bool {
	ends := make([]bool, len(y))
	for i := runLength - 1; i < len(y); i++ {
		d := sign(y[i] - y[i-1])
		if d == 0 {
			continue
		}
		ends[i] = true
		for j := i - runLength + 2; j < i; j++ {
			if sign(y[j]-y[j-1]) != d {
				ends[i] = false
				break
			}
		}
	}
	return ends
}

// partOfSeven marks a point when it, or one of the next 6, ends a run or
// trend: the 7 points of each are flagged (ptd_part_of_seven_trend).
func partOfSeven(ends []bool) []bool {
	part := make([]bool, len(ends))
	for i := range ends {
		for j := i; j < i+runLength && j < len(ends); j++ {
			if ends[j] {
				part[i] = true
				break
			}
		}
	}
	return part
}

// twoOfThree marks close points that lie in some window of 3 consecutive
// points with at least 2 close and all 3 strictly on one side of the mean
// (ptd_two_in_three and ptd_part_of_two_in_three).
func twoOfThree(closeTo []bool, rtm []int) []bool {
	n := len(closeTo)
	out := make([]bool, n)
	for w := 0; w+3 <= n; w++ {
		c, s := 0, 0
		for j := w; j < w+3; j++ {
			if closeTo[j] {
				c++
			}
			s += rtm[j]
		}
		if c >= 2 && (s == 3 || s == -3) {
			for j := w; j < w+3; j++ {
				if closeTo[j] {
					out[j] = true
				}
			}
		}
	}
	return out
}
