package scales

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/evalpipe/evalpipe/events"
)

// Threshold is the caseness cut-off and reliable-change value of a
// talking-therapies measure, with where they come from.
type Threshold struct {
	Measure        string  // events measure name, e.g. "phq9"
	Caseness       float64 // a score >= Caseness is a clinical case; 0 when not known
	ReliableChange float64 // a change of at least this much is reliable; 0 when not known
	Direction      string  // "down": lower is better; "up": higher is better
	Source         string  // citation, or why there are no values
	Confirmed      bool    // values confirmed in a published source
}

// Known reports whether the threshold carries values that can be used.
func (t Threshold) Known() bool { return t.Caseness > 0 && t.ReliableChange > 0 }

const nhsDigital = "NHS Digital, NHS Talking Therapies (IAPT) data set: recovery and reliable improvement measures (PHQ-9 caseness >= 10, reliable change 6; GAD-7 caseness >= 8, reliable change 4)"

const adsmNotConfirmed = "not confirmed: configure from the NHS Talking Therapies Manual's ADSM table with LoadThresholds; the GAD-7 fallback is used meanwhile"

// DefaultThresholds returns PHQ-9 and GAD-7 (confirmed) and the
// anxiety-disorder-specific measures of Clark et al. 2018 Table 2 and later
// guidance without values (Confirmed false), in that order.
func DefaultThresholds() []Threshold {
	out := []Threshold{
		{Measure: "phq9", Caseness: 10, ReliableChange: 6, Direction: "down", Source: nhsDigital, Confirmed: true},
		{Measure: "gad7", Caseness: 8, ReliableChange: 4, Direction: "down", Source: nhsDigital, Confirmed: true},
	}
	for _, m := range []string{"spin", "pcl5", "ies_r", "oci_r", "pdss", "hai_short", "mi"} {
		out = append(out, Threshold{Measure: m, Direction: "down", Source: adsmNotConfirmed})
	}
	return out
}

// LoadThresholds reads a thresholds table for the configured ADSM (or
// other) values: CSV with '#' comments and the header
//
//	measure,caseness,reliable_change,direction,source[,confirmed]
//
// Every row must name a known measure, positive numbers, a direction of
// "down" or "up" and a non-empty source; confirmed is "true" or "false"
// (default false). An error names the line of the first bad row.
func LoadThresholds(r io.Reader) ([]Threshold, error) {
	rows, err := readTable(r, []string{"measure", "caseness", "reliable_change", "direction", "source"})
	if err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	var out []Threshold
	seen := map[string]int{}
	for _, row := range rows {
		f := row.fields
		bad := func(format string, a ...any) error {
			return fmt.Errorf("thresholds line %d: %s", row.line, fmt.Sprintf(format, a...))
		}
		if len(f) < 5 || len(f) > 6 {
			return nil, bad("%d fields, want 5 or 6", len(f))
		}
		t := Threshold{Measure: strings.TrimSpace(f[0]), Direction: strings.TrimSpace(f[3]), Source: strings.TrimSpace(f[4])}
		m := events.LookupMeasure(t.Measure)
		if m == nil || m.Items == 0 {
			return nil, bad("unknown measure %q", t.Measure)
		}
		if prev, dup := seen[t.Measure]; dup {
			return nil, bad("measure %s already given on line %d", t.Measure, prev)
		}
		if t.Caseness, err = parsePositive(f[1]); err != nil {
			return nil, bad("caseness %q: %v", f[1], err)
		}
		if t.ReliableChange, err = parsePositive(f[2]); err != nil {
			return nil, bad("reliable_change %q: %v", f[2], err)
		}
		if t.Direction != "down" && t.Direction != "up" {
			return nil, bad("direction %q, want down or up", t.Direction)
		}
		if t.Source == "" {
			return nil, bad("source is empty: every threshold needs its citation")
		}
		if len(f) == 6 {
			switch strings.TrimSpace(f[5]) {
			case "true":
				t.Confirmed = true
			case "false", "":
			default:
				return nil, bad("confirmed %q, want true or false", f[5])
			}
		}
		seen[t.Measure] = row.line
		out = append(out, t)
	}
	return out, nil
}

func parsePositive(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a number")
	}
	if v <= 0 {
		return 0, fmt.Errorf("must be positive")
	}
	return v, nil
}

// adsm is Clark et al. 2018 (Lancet 391:679-686) Table 2, "recommended
// anxiety measure" by problem descriptor, with PTSD updated to PCL-5 as in
// later NHS Talking Therapies guidance (the table itself lists IES-R).
var adsm = map[string]string{
	"social_anxiety": "spin",
	"ptsd":           "pcl5",
	"ocd":            "oci_r",
	"panic":          "pdss",
	"health_anxiety": "hai_short",
	"agoraphobia":    "mi",
}

// ADSMFor returns the anxiety measure for a problem descriptor: its
// anxiety-disorder-specific measure and true, or "gad7" and false when the
// problem has none (depression, GAD, mixed, unknown). For PTSD the IES-R
// (older guidance, and Clark et al. 2018 Table 2) may be what a service
// recorded; callers fall back to it, then to GAD-7, when PCL-5 is missing.
func ADSMFor(problem string) (measure string, ok bool) {
	if m, found := adsm[problem]; found {
		return m, true
	}
	return "gad7", false
}
