package scales

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// WEMWBS totals range 14-70 (Tennant et al. 2007, Health Qual Life Outcomes 5:63).
func TestWEMWBSRange(t *testing.T) {
	for _, tc := range []struct {
		items []int
		want  float64
	}{
		{repeat(1, 14), 14},
		{repeat(5, 14), 70},
		{[]int{1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4}, 40},
	} {
		got, err := WEMWBS(tc.items)
		if err != nil || got != tc.want {
			t.Errorf("WEMWBS(%v) = %v, %v; want %v", tc.items, got, err, tc.want)
		}
	}
}

// Rows of the Warwick Medical School SWEMWBS raw-to-metric conversion table
// (warwick.ac.uk/fac/sci/med/research/platform/wemwbs/using/howto), typed
// here from the published table independently of data/swemwbs_conversion.csv.
func TestSWEMWBSWarwickTable(t *testing.T) {
	for _, tc := range []struct {
		raw  int
		want float64
	}{
		{7, 7.00}, {8, 9.51}, {9, 11.25}, {14, 15.32}, {20, 18.59},
		{21, 19.25}, {23, 20.73}, {28, 25.03}, {33, 30.70}, {34, 32.55}, {35, 35.00},
	} {
		items := repeat(1, 7)
		for extra := tc.raw - 7; extra > 0; {
			for i := range items {
				if extra > 0 && items[i] < 5 {
					items[i]++
					extra--
				}
			}
		}
		got, err := SWEMWBSMetric(items)
		if err != nil || got != tc.want {
			t.Errorf("SWEMWBSMetric(raw %d %v) = %v, %v; want %v", tc.raw, items, got, err, tc.want)
		}
	}
}

func TestSWEMWBSMonotone(t *testing.T) {
	prev := 0.0
	for raw := 7; raw <= 35; raw++ {
		if swemwbsMetric[raw] <= prev {
			t.Errorf("metric(%d) = %v, not above metric(%d) = %v", raw, swemwbsMetric[raw], raw-1, prev)
		}
		prev = swemwbsMetric[raw]
	}
}

func TestItemErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       func() (float64, error)
		target  error
		mention string
	}{
		{"wemwbs short", func() (float64, error) { return WEMWBS(repeat(3, 13)) }, ErrItemCount, "14 items, got 13"},
		{"wemwbs item 0", func() (float64, error) { return WEMWBS(append(repeat(3, 13), 0)) }, ErrItemRange, "item 14 is 0, allowed 1-5"},
		{"swemwbs item 6", func() (float64, error) { return SWEMWBSMetric([]int{1, 6, 1, 1, 1, 1, 1}) }, ErrItemRange, "item 2 is 6, allowed 1-5"},
		{"ascot item 4", func() (float64, error) { return ASCOT([]int{0, 0, 4, 0, 0, 0, 0, 0}, nil) }, ErrItemRange, "item 3 is 4, allowed 0-3"},
		{"ascot count", func() (float64, error) { return ASCOT(nil, nil) }, ErrItemCount, "8 items, got 0"},
		{"eq5d level", func() (float64, error) { return EQ5DIndex([5]int{1, 1, 9, 1, 1}, ValueSetEngland5L) }, ErrItemRange, "item 3 (UA) is 9, allowed 1-5"},
		{"eq5d value set", func() (float64, error) { return EQ5DIndex([5]int{1, 1, 1, 1, 1}, "narnia") }, ErrUnknownValueSet, `"narnia"`},
		{"score unknown", func() (float64, error) { return Score("nope", "", []int{1}) }, ErrUnknownMeasure, `"nope"`},
		{"score pam", func() (float64, error) { return Score("pam", "", repeat(1, 13)) }, ErrNotScorable, "PAM-13"},
		{"score eq5d count", func() (float64, error) { return Score("eq5d5l", "", []int{1, 1}) }, ErrItemCount, "5 items, got 2"},
		{"pam score", func() (float64, error) { l, err := PAMLevel(101); return float64(l), err }, ErrItemRange, "allowed 0-100"},
	} {
		_, err := tc.f()
		if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: err = %v; want %v mentioning %q", tc.name, err, tc.target, tc.mention)
		}
	}
}

func TestASCOT(t *testing.T) {
	if got, _ := ASCOT(repeat(3, 8), nil); got != 24 {
		t.Errorf("ASCOT max = %v, want 24", got)
	}
	if got, _ := ASCOT(repeat(0, 8), nil); got != 0 {
		t.Errorf("ASCOT min = %v, want 0", got)
	}
	w := &ASCOTWeights{Multiplier: 0.5, Constant: -1, Source: "test weights"}
	for d := range w.Domain {
		w.Domain[d] = [4]float64{0, 1, 2, 3}
	}
	if got, err := ASCOT(repeat(2, 8), w); err != nil || got != 7 {
		t.Errorf("weighted ASCOT = %v, %v; want -1 + 0.5*16 = 7", got, err)
	}
	if _, err := ASCOT(repeat(2, 8), &ASCOTWeights{Multiplier: 1}); err == nil {
		t.Error("weights without a source accepted")
	}
}

// Band edges as published in METRICS.md (Hibbard et al. PAM levels):
// <=47.0 -> 1, 47.1-55.1 -> 2, 55.2-67.0 -> 3, >=67.1 -> 4.
func TestPAMLevelEdges(t *testing.T) {
	for _, tc := range []struct {
		score float64
		want  int
	}{
		{0, 1}, {47.0, 1}, {47.1, 2}, {55.1, 2}, {55.2, 3}, {67.0, 3}, {67.1, 4}, {100, 4},
	} {
		got, err := PAMLevel(tc.score)
		if err != nil || got != tc.want {
			t.Errorf("PAMLevel(%v) = %v, %v; want %v", tc.score, got, err, tc.want)
		}
	}
	if _, err := PAMLevel(math.NaN()); err == nil {
		t.Error("PAMLevel(NaN) accepted")
	}
}

func TestScoreDispatch(t *testing.T) {
	for _, tc := range []struct {
		measure, vs string
		items       []int
		want        float64
	}{
		{"phq9", "", repeat(3, 9), 27},
		{"gad7", "", repeat(1, 7), 7},
		{"wemwbs", "", repeat(5, 14), 70},
		{"swemwbs", "", repeat(1, 7), 7},
		{"ascot_sct4", "", repeat(1, 8), 8},
		{"eq5d5l", "", []int{5, 5, 5, 5, 5}, -0.594},
		{"eq5d5l", "england-5l", []int{5, 5, 5, 5, 5}, -0.285},
		{"mi", "", repeat(2, 27), 2},
	} {
		got, err := Score(tc.measure, tc.vs, tc.items)
		if err != nil || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Score(%s, %q) = %v, %v; want %v", tc.measure, tc.vs, got, err, tc.want)
		}
	}
}
