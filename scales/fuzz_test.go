package scales

import (
	"math"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// FuzzEQ5DIndex: any levels and value-set name give a value in [-1, 1] or
// an error, never a panic.
func FuzzEQ5DIndex(f *testing.F) {
	f.Add(1, 1, 1, 1, 1, "uk-crosswalk")
	f.Add(5, 5, 5, 5, 5, "england-5l")
	f.Add(0, 6, -1, 3, 9, "")
	f.Fuzz(func(t *testing.T, a, b, c, d, e int, vs string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		v, err := EQ5DIndex([5]int{a, b, c, d, e}, vs)
		if err == nil && (math.IsNaN(v) || v < -1 || v > 1) {
			t.Fatalf("EQ5DIndex = %v", v)
		}
	})
}

// FuzzScore: any measure name, value set and item bytes give a finite
// value or an error, never a panic; SWEMWBS stays within 7-35.
func FuzzScore(f *testing.F) {
	f.Add("swemwbs", "", []byte{1, 2, 3, 4, 5, 1, 2})
	f.Add("eq5d5l", "england-5l", []byte{1, 2, 3, 4, 5})
	f.Add("eq5d5l", "", []byte{1, 2})
	f.Add("wemwbs", "", []byte{})
	f.Fuzz(func(t *testing.T, measure, vs string, raw []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		items := make([]int, len(raw))
		for i, b := range raw {
			items[i] = int(int8(b))
		}
		v, err := Score(measure, vs, items)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("Score = %v", v)
		}
		if measure == "swemwbs" && err == nil && (v < 7 || v > 35) {
			t.Fatalf("SWEMWBS metric %v outside 7-35", v)
		}
	})
}

// FuzzLoadThresholds: arbitrary input is parsed or rejected, never a panic.
func FuzzLoadThresholds(f *testing.F) {
	f.Add("measure,caseness,reliable_change,direction,source\nspin,19,10,down,x\n")
	f.Add("measure,caseness\n\"")
	f.Fuzz(func(t *testing.T, in string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		_, _ = LoadThresholds(strings.NewReader(in))
	})
}
