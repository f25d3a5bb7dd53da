// Package spc draws monthly KPI series as XmR (individuals and moving
// range) charts in the NHS England "Making Data Count" style, as
// METRICS.md ("Statistical process control") asks, for the KPI report, the
// crisis area series (rebased at the service launch) and `evalpipe spc`.
//
// Data flow: a report passes a series of values in time order, with no
// gaps, and Options (improvement direction, target, rebase points,
// screening, fixing); XmR returns a Chart whose JSON is CLI.md's `spc`
// shape. Nothing here reads files or keeps state.
//
// For each phase (the whole series, or each part between rebase points):
// centre line = mean; moving range = |x_i - x_{i-1}|; process limits =
// mean ± 2.66 × mean moving range. Then, within the phase, the special
// cause rules, in priority order: outside_limits, trend (7 points strictly
// rising or falling), two_of_three (2 of 3 consecutive points, all on one
// side of the mean, beyond 2/3 of the way to a limit), run (7 points
// strictly on one side of the mean). The variation icon is read from the
// latest point, the assurance icon from the target against the last
// phase's limits.
//
// Reference implementation: the NHS-R community's R package
// NHSRplotthedots (github.com/nhs-r-community/NHSRplotthedots),
// R/ptd_spc_standard.R (limits, screening, fixing), R/ptd_calculate_point_type.R
// (rules, their priority, the trend direction of a point), R/geom_ptd_icon.R
// (variation icons), R/ptd_calculate_assurance_type.R (assurance) and
// R/ptd_add_short_group_warnings.R (warning below 12 points). Its behaviour
// is matched exactly, including: ties break a trend; a point exactly on the
// mean breaks a run; a point outside the limits does not count as "close"
// for two_of_three; screening drops moving ranges >= 3.267 × their mean;
// a special-cause point's direction is its side of the mean, or the
// direction of its trend.
//
// Deliberate differences, all in the output's shape rather than the
// arithmetic: CLI.md has one "special_cause_neutral" type where the
// reference has _high and _low (the distinction survives in the
// neither_high / neither_low icon); screening is off by default, as in the
// Making Data Count spreadsheets (the R package defaults to on); a constant
// phase with screening has limits equal to the mean where R computes NaN;
// fewer than 2 points in a series or phase is an error.
//
// Tests compare every point of 44 charts with the reference's own output
// (testdata/reference_ptd.R runs the package's functions; its output is
// testdata/ptd_reference.txt) and with the summaries in its snapshot tests
// (tests/testthat/_snaps/ptd_spc.md, _snaps/ptd_spc_standard.md).
//
// Further reading: NHS England / NHS Improvement, "Making Data Count:
// Getting started" (2019) and "Strengthening your decisions" (2019).
package spc
