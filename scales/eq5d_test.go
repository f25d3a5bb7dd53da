package scales

import (
	"strings"
	"testing"
)

func state(s string) [5]int {
	var l [5]int
	for i := range l {
		l[i] = int(s[i] - '0')
	}
	return l
}

// Expected index values from the tests of the R package eq5d (fragla/eq5d):
// tests/testthat/test-eq5d5l.R, "EQ-5D-5L England gives correct answer",
// and tests/testthat/test-eq5dcw.R, "EQ-5D-3L UK Crosswalk gives correct
// answer". They were computed by that package from its own data, not from
// the files here.
func TestEQ5DIndexAgainstRPackageTests(t *testing.T) {
	for _, tc := range []struct {
		vs, state string
		want      float64
	}{
		{ValueSetEngland5L, "23245", 0.247},
		{ValueSetEngland5L, "11111", 1},
		{ValueSetEngland5L, "11112", 0.922},
		{ValueSetEngland5L, "11121", 0.937},
		{ValueSetEngland5L, "11211", 0.950},
		{ValueSetEngland5L, "12111", 0.950},
		{ValueSetEngland5L, "21111", 0.942},
		{ValueSetEngland5L, "55555", -0.285},
		{ValueSetUKCrosswalk, "11111", 1},
		{ValueSetUKCrosswalk, "11221", 0.795},
		{ValueSetUKCrosswalk, "44441", 0.226},
		{ValueSetUKCrosswalk, "44525", 0.004},
		{ValueSetUKCrosswalk, "55555", -0.594},
	} {
		got, err := EQ5DIndex(state(tc.state), tc.vs)
		if err != nil || got != tc.want {
			t.Errorf("EQ5DIndex(%s, %s) = %v, %v; want %v", tc.state, tc.vs, got, err, tc.want)
		}
	}
}

// Further crosswalk rows read off the EuroQol crosswalk table (UK column,
// van Hout et al. 2012) as copied in fragla/eq5d data-raw/CW.csv, and the
// England values that follow from Devlin et al. 2018's decrements
// (1 - 0.058 - 0.080 - 0.162 - 0.335 = 0.365 for 23445, etc.).
func TestEQ5DIndexMoreRows(t *testing.T) {
	for _, tc := range []struct {
		vs, state string
		want      float64
	}{
		{ValueSetUKCrosswalk, "12345", 0.063},
		{ValueSetUKCrosswalk, "21111", 0.877},
		{ValueSetUKCrosswalk, "11122", 0.768},
		{ValueSetUKCrosswalk, "11112", 0.879},
		{ValueSetUKCrosswalk, "11255", -0.001},
		{ValueSetEngland5L, "12345", 1 - 0.050 - 0.063 - 0.276 - 0.289},
		{ValueSetEngland5L, "11122", 1 - 0.063 - 0.078},
	} {
		got, err := EQ5DIndex(state(tc.state), tc.vs)
		if err != nil || abs(got-tc.want) > 5e-10 {
			t.Errorf("EQ5DIndex(%s, %s) = %v, %v; want %v", tc.state, tc.vs, got, err, tc.want)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Structural checks on the whole crosswalk table that catch a mistyped row:
// every state is present (enforced by the parser), no worse state scores
// above a better one, and wherever one dimension is at level 5 the value is
// additive across the other dimensions to the table's rounding, as van Hout's
// expected-value construction on Dolan's additive-plus-N3 model implies.
func TestCrosswalkStructure(t *testing.T) {
	all := func(f func(l [5]int)) {
		for i := range 3125 {
			var l [5]int
			for d, x := 4, i; d >= 0; d, x = d-1, x/5 {
				l[d] = x%5 + 1
			}
			f(l)
		}
	}
	all(func(l [5]int) {
		v, _ := EQ5DIndex(l, ValueSetUKCrosswalk)
		for d := range 5 {
			if l[d] == 5 {
				continue
			}
			w := l
			w[d]++
			if wv, _ := EQ5DIndex(w, ValueSetUKCrosswalk); wv > v {
				t.Errorf("crosswalk %v = %v but worse %v = %v", l, v, w, wv)
			}
		}
	})
	all(func(l [5]int) {
		k := -1
		for d, v := range l {
			if v == 5 {
				k = d
				break
			}
		}
		if k < 0 {
			return
		}
		at := func(s [5]int) float64 { v, _ := EQ5DIndex(s, ValueSetUKCrosswalk); return v }
		for d := range 5 {
			if d == k || l[d] == 1 {
				continue
			}
			s1 := l
			s1[d] = 1
			x := [5]int{1, 1, 1, 1, 1}
			x[k], x[d] = 5, l[d]
			x1 := [5]int{1, 1, 1, 1, 1}
			x1[k] = 5
			if diff := (at(l) - at(s1)) - (at(x) - at(x1)); abs(diff) > 0.0015 {
				t.Errorf("crosswalk not additive at %v dim %d: off by %.4f", l, d, diff)
			}
		}
	})
}

func TestValueSets(t *testing.T) {
	vs := ValueSets()
	if len(vs) != 2 || vs[0] != DefaultValueSet {
		t.Errorf("ValueSets() = %v, want the default first", vs)
	}
	for _, name := range vs {
		if _, err := EQ5DIndex([5]int{3, 3, 3, 3, 3}, name); err != nil {
			t.Errorf("value set %s: %v", name, err)
		}
	}
}

func TestParseCrosswalkRejects(t *testing.T) {
	for _, tc := range []struct{ in, mention string }{
		{"state,index\n11111,1\n", "3124 states missing"},
		{"state,index\n11111,1\n11111,1\n", "line 3: state 11111 given twice"},
		{"state,index\n11161,1\n", "line 2: state \"11161\""},
		{"state,index\n11111,abc\n", "line 2: index \"abc\""},
		{"wrong,header\n", "header"},
	} {
		_, err := parseCrosswalk(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("parseCrosswalk(%q) err = %v; want mention of %q", tc.in, err, tc.mention)
		}
	}
}
