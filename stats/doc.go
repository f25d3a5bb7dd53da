// Package stats computes the confidence intervals printed beside every
// published figure: the 95% Wilson score interval for a proportion, the
// Newcombe hybrid score interval for a difference of proportions, the paired t
// interval with Cohen's d_z for a mean change, the Welch interval for a
// difference of independent means, and a seeded percentile bootstrap for
// statistics without a closed form (crisis savings).
//
// METRICS.md ("Conventions") names which interval each kind of metric uses;
// reports call these functions and never compute an interval themselves.
//
// Data flow: a report has already counted numerators and denominators, or
// collected paired scores, from the warehouse; it passes the counts or the
// score vectors here with a confidence level (0.95 in every published
// report) and prints the returned Interval. Nothing here reads files, logs or
// keeps state.
//
// Distributions (normal and Student t quantiles and CDFs) come from
// gonum.org/v1/gonum/stat/distuv, a maintained library, as METRICS.md asks;
// this package writes only the interval formulas on top of them.
//
// Errors are never silent: an empty sample, mismatched lengths, a level
// outside (0,1), counts out of range or too few observations return an error
// wrapping one of the sentinels below (test with errors.Is), never a NaN and
// never a panic.
//
// References
//
//   - Wilson EB (1927). Probable inference, the law of succession, and
//     statistical inference. JASA 22:209-212.
//   - Newcombe RG (1998a). Two-sided confidence intervals for the single
//     proportion: comparison of seven methods. Statistics in Medicine
//     17:857-872 (method 3, the score interval, with worked examples).
//   - Newcombe RG (1998b). Interval estimation for the difference between
//     independent proportions: comparison of eleven methods. Statistics in
//     Medicine 17:873-890 (method 10, the hybrid score interval; worked
//     examples in its Table II).
//   - Welch BL (1947). The generalization of "Student's" problem when several
//     different population variances are involved. Biometrika 34:28-35.
//   - Lakens D (2013). Calculating and reporting effect sizes... Frontiers in
//     Psychology 4:863 (Cohen's d_z for paired designs).
//   - Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap, ch. 13
//     (percentile intervals).
//   - Hyndman RJ, Fan Y (1996). Sample quantiles in statistical packages. The
//     American Statistician 50:361-365 (definition 7, R's default, used for
//     the bootstrap percentiles and Median).
//
// The tests check every closed-form result against the published worked
// examples above and against R (testdata/reference.R, whose output is
// testdata/reference.txt; re-run with `Rscript testdata/reference.R >
// testdata/reference.txt` from this folder and diff).
package stats
