package spc

// variation is the Making Data Count variation icon for the latest point
// (geom_ptd_icon's variation_icon_file): improvement or concern, high or
// low by the improvement direction; neither_high / neither_low when
// improvement is neutral.
func variation(last Point, dir int) string {
	switch last.Type {
	case SpecialCauseNeutral:
		if last.side > 0 {
			return "neither_high"
		}
		return "neither_low"
	case SpecialCauseImprovement:
		if dir > 0 {
			return "improvement_high"
		}
		return "improvement_low"
	case SpecialCauseConcern:
		if dir > 0 {
			return "concern_low"
		}
		return "concern_high"
	}
	return CommonCause
}

// assurance compares the target with the last phase's limits
// (ptd_calculate_assurance_type). A target beyond a limit is met by every
// point the process will produce, or by none; between the limits it is hit
// and miss. The comparisons are strict, so a target on a limit is
// inconsistent.
func assurance(opt Options, dir int, lpl, upl float64) *string {
	if opt.Target == nil || dir == 0 {
		return nil
	}
	t := *opt.Target
	a := Inconsistent
	switch {
	case t > upl: // every point is below the target
		a = ConsistentFail
		if dir < 0 {
			a = ConsistentPass
		}
	case t < lpl: // every point is above the target
		a = ConsistentPass
		if dir < 0 {
			a = ConsistentFail
		}
	}
	return &a
}
