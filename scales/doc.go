// Package scales turns the items of an outcome questionnaire into the score
// that the published scoring rules give, so that every report, the `score`
// command and the tests read one implementation.
//
// Items are validated against the single item definition in
// events.Measures (count and range); the published tables this package needs
// are data files under data/, embedded at build time, each naming its source
// in a header comment and in data/SOURCES.md.
//
// What is scored, and from where:
//
//   - WEMWBS: sum of 14 items 1-5, 14-70 (Tennant et al. 2007, Health Qual
//     Life Outcomes 5:63).
//   - SWEMWBS: sum of 7 items 1-5, converted with Warwick Medical School's
//     raw-to-metric table (Stewart-Brown et al. 2009, Health Qual Life
//     Outcomes 7:15); data/swemwbs_conversion.csv.
//   - EQ-5D-5L index, two value sets (see ValueSets):
//     "uk-crosswalk", the van Hout et al. 2012 crosswalk to the UK 3L value
//     set (Dolan 1997), as NICE's position statement asks; the EuroQol
//     crosswalk table for all 3,125 states, data/eq5d_uk_crosswalk.csv.
//     "england-5l", the Devlin et al. 2018 England value set (Health Econ
//     27:7-22); data/eq5d_england_5l.csv.
//   - ASCOT SCT4: unweighted 0-24 sum unless preference weights are
//     configured (ASCOTWeights); no weights are shipped.
//   - PAM: the score itself is licensed (Insignia Health); PAMLevel maps a
//     0-100 score to levels 1-4 by the published bands.
//   - Talking therapies thresholds: DefaultThresholds carries PHQ-9 and
//     GAD-7 (NHS Digital); anxiety-disorder-specific measures (ADSMs) are
//     listed without values until a service configures them from a cited
//     source with LoadThresholds. ADSMFor maps a problem descriptor to its
//     ADSM (Clark et al. 2018, Lancet 391:679-686, Table 2).
//
// Score dispatches by measure name, for the `score` command.
//
// Errors wrap the sentinels ErrItemCount, ErrItemRange, ErrUnknownMeasure,
// ErrUnknownValueSet and ErrNotScorable, and name the item and its range.
package scales
