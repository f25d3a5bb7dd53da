package spc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// Rule helpers against the expectations of NHSRplotthedots'
// tests/testthat/test-ptd_calculate_point_type.R (R vectors of 0/1/-1;
// ours are booleans, and the trend's sign is recovered separately).
func TestRuleHelpersMatchReferenceTests(t *testing.T) {
	b := func(xs ...int) []bool {
		out := make([]bool, len(xs))
		for i, x := range xs {
			out[i] = x != 0
		}
		return out
	}
	rep := func(v, n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	seq := func(from, to float64) []float64 {
		var s []float64
		if from <= to {
			for x := from; x <= to; x++ {
				s = append(s, x)
			}
		} else {
			for x := from; x >= to; x-- {
				s = append(s, x)
			}
		}
		return s
	}
	cat := func(parts ...[]float64) []float64 { return slices.Concat(parts...) }
	// ptd_seven_point_one_side_mean
	for _, c := range []struct {
		in   []int
		want []bool
	}{
		{nil, b()},
		{rep(1, 6), b(0, 0, 0, 0, 0, 0)},
		{append(rep(1, 6), -1), b(0, 0, 0, 0, 0, 0, 0)},
		{append(rep(1, 8), -1), b(0, 0, 0, 0, 0, 0, 1, 1, 0)},
		{append(rep(-1, 8), 1), b(0, 0, 0, 0, 0, 0, 1, 1, 0)},
		{append(append([]int{-1}, rep(1, 8)...), -1), b(0, 0, 0, 0, 0, 0, 0, 1, 1, 0)},
	} {
		if got := endsRun(c.in); !slices.Equal(got, c.want) {
			t.Errorf("endsRun(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	// ptd_seven_point_trend
	for _, c := range []struct {
		in   []float64
		want []bool
	}{
		{nil, b()},
		{seq(1, 6), b(0, 0, 0, 0, 0, 0)},
		{cat(seq(1, 3), seq(3, 6)), b(0, 0, 0, 0, 0, 0, 0)},
		{seq(1, 7), b(0, 0, 0, 0, 0, 0, 1)},
		{cat([]float64{2}, seq(1, 7), []float64{3}), b(0, 0, 0, 0, 0, 0, 0, 1, 0)},
		{seq(7, 1), b(0, 0, 0, 0, 0, 0, 1)},
		{cat([]float64{2}, seq(7, 1), []float64{3}), b(0, 0, 0, 0, 0, 0, 0, 1, 0)},
	} {
		if got := endsTrend(c.in); !slices.Equal(got, c.want) {
			t.Errorf("endsTrend(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	// ptd_two_in_three + ptd_part_of_two_in_three, all points on one side
	// (the reference tests call ptd_two_in_three without rtm; with every
	// point above the mean the same-side condition always holds).
	for _, c := range []struct {
		in, want []bool
	}{
		{b(), b()},
		{b(0, 0, 0), b(0, 0, 0)},
		{b(1, 0, 1), b(1, 0, 1)},
		{b(0, 1, 1), b(0, 1, 1)},
		{b(1, 1, 0), b(1, 1, 0)},
		{b(0, 0, 1, 0, 1, 0, 0), b(0, 0, 1, 0, 1, 0, 0)},
		{b(0, 0, 1, 1, 0, 0, 0), b(0, 0, 1, 1, 0, 0, 0)},
		{b(1, 0, 0, 1), b(0, 0, 0, 0)},
		{b(1, 0, 0, 1, 1), b(0, 0, 0, 1, 1)},
	} {
		if got := twoOfThree(c.in, rep(1, len(c.in))); !slices.Equal(got, c.want) {
			t.Errorf("twoOfThree(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	// partOfSeven spreads each end back over its 7 points.
	if got, want := partOfSeven(b(0, 0, 0, 0, 0, 0, 0, 1, 1, 0)), b(0, 1, 1, 1, 1, 1, 1, 1, 1, 0); !slices.Equal(got, want) {
		t.Errorf("partOfSeven = %v, want %v", got, want)
	}
}

// Hand-checkable series, one rule each, worked on paper.
func TestHandSeries(t *testing.T) {
	rule := func(p Point) string {
		if p.Rule == nil {
			return ""
		}
		return *p.Rule
	}
	// 12 alternating points 10, 12: mean 11, every moving range 2, limits
	// 11 ± 5.32 = 5.68..16.32; a 13th point of 20 is outside (20 > 16.32...
	// after it the mean is 11.69 and mean MR 2.5: UPL 18.34, still below 20).
	alt := []float64{10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 20}
	c, err := XmR(alt, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mean := (6*10.0 + 6*12 + 20) / 13
	amr := (11*2.0 + 8) / 12
	if math.Abs(c.Mean-mean) > 1e-12 || math.Abs(c.UPL-(mean+2.66*amr)) > 1e-12 || math.Abs(c.LPL-(mean-2.66*amr)) > 1e-12 {
		t.Errorf("limits %v %v %v, want %v ± 2.66×%v", c.LPL, c.Mean, c.UPL, mean, amr)
	}
	if rule(c.Points[12]) != RuleOutsideLimits || c.Points[12].Type != SpecialCauseImprovement || c.Variation != "improvement_high" {
		t.Errorf("point 20: %s %q, variation %s; want outside_limits improvement, improvement_high", c.Points[12].Type, rule(c.Points[12]), c.Variation)
	}
	for i := 0; i < 12; i++ {
		if c.Points[i].Type != CommonCause || c.Points[i].Rule != nil {
			t.Errorf("point %d: %s, want common cause with null rule", i, c.Points[i].Type)
		}
	}
	// The same with improvement down: concern, and the icon concern_high.
	c, _ = XmR(alt, Options{Improvement: "down"})
	if c.Points[12].Type != SpecialCauseConcern || c.Variation != "concern_high" {
		t.Errorf("down: %s %s, want special_cause_concern concern_high", c.Points[12].Type, c.Variation)
	}

	// Run: seven 11s after alternating 12/10 ending on a 10; the trailing
	// 8s pull the mean to 10.6, so exactly the seven 11s are above it.
	run := []float64{12, 10, 12, 10, 12, 10, 11, 11, 11, 11, 11, 11, 11, 8, 8}
	c, _ = XmR(run, Options{})
	for i := range run {
		if want := i >= 6 && i <= 12; (rule(c.Points[i]) == RuleRun) != want {
			t.Errorf("run point %d: rule %q, want run %v", i, rule(c.Points[i]), want)
		}
	}
	for i := 6; i <= 12; i++ {
		if rule(c.Points[i]) != RuleRun || c.Points[i].Type != SpecialCauseImprovement {
			t.Errorf("run point %d: %s %q, want run improvement", i, c.Points[i].Type, rule(c.Points[i]))
		}
	}
	// Six of them is not a run (mean 10.29; the 10 before them is below).
	c, _ = XmR([]float64{12, 10, 12, 10, 12, 10, 11, 11, 11, 11, 11, 11, 8, 8, 8}, Options{})
	for i, p := range c.Points {
		if rule(p) == RuleRun {
			t.Errorf("six 11s: point %d flagged as run", i)
		}
	}

	// Trend: 1..7 then back to the middle; seven rising points, a tie breaks.
	tr := []float64{4, 3, 5, 1, 2, 3, 4, 5, 6, 7, 4, 3, 4}
	c, _ = XmR(tr, Options{Improvement: "down"})
	for i := 3; i <= 9; i++ {
		if rule(c.Points[i]) != RuleTrend || c.Points[i].Type != SpecialCauseConcern {
			t.Errorf("trend point %d: %s %q, want trend concern (rising, improvement down)", i, c.Points[i].Type, rule(c.Points[i]))
		}
	}
	tie := slices.Clone(tr)
	tie[6] = tie[5] // 1 2 3 3 5 6 7: no longer 7 strictly rising
	c, _ = XmR(tie, Options{})
	for i, p := range c.Points {
		if rule(p) == RuleTrend {
			t.Errorf("tie: point %d flagged as trend", i)
		}
	}

	// Two of three: 12 points alternating 10/11 (mean ~10.5, MR 1), then
	// 13.9, 11.5, 13.9: both 13.9 are between 2/3 of the way to the UPL and
	// the UPL, all three above the mean; 11.5 is not close and not flagged.
	two := []float64{10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 13.9, 11.5, 13.9, 11, 10}
	c, _ = XmR(two, Options{})
	for i, p := range c.Points {
		want := ""
		if i == 11 || i == 13 {
			want = RuleTwoOfThree
		}
		if rule(p) != want {
			t.Errorf("two of three: point %d rule %q, want %q (nupl %.3f, upl %.3f)", i, rule(p), want, p.Mean+(p.UPL-p.Mean)*2/3, p.UPL)
		}
	}

	// Neutral improvement: special_cause_neutral and a neither_* icon.
	c, _ = XmR(alt, Options{Improvement: "neutral"})
	if c.Points[12].Type != SpecialCauseNeutral || c.Variation != "neither_high" || c.Assurance != nil {
		t.Errorf("neutral: %s %s %v", c.Points[12].Type, c.Variation, c.Assurance)
	}
}

// Rebasing: a level shift of +10 after 12 points. Without rebasing the
// chart is full of special cause; rebased, each phase has its own mean.
func TestRebase(t *testing.T) {
	y := []float64{20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21, 30, 31, 29, 32, 30, 28, 31, 30, 29, 31, 30, 32}
	c, err := XmR(y, Options{RebaseAt: []int{12}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Points[0].Mean != 20.5 || c.Points[12].Mean != 30.25 || c.Mean != 30.25 {
		t.Errorf("phase means %v, %v (chart %v), want 20.5, 30.25", c.Points[0].Mean, c.Points[12].Mean, c.Mean)
	}
	for i, p := range c.Points {
		if p.Type != CommonCause {
			t.Errorf("rebased point %d: %s", i, p.Type)
		}
	}
	if c.Warning != "" {
		t.Errorf("two phases of 12: unexpected warning %q", c.Warning)
	}
	// Duplicate and zero rebase indices change nothing.
	d, _ := XmR(y, Options{RebaseAt: []int{12, 0, 12}})
	if d.Mean != c.Mean || d.Points[0].Mean != c.Points[0].Mean {
		t.Errorf("RebaseAt {12, 0, 12} differs from {12}")
	}
}

// Screening: one moving range far above the others is dropped.
func TestScreenOutliers(t *testing.T) {
	y := []float64{10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40, 11}
	plain, _ := XmR(y, Options{})
	screened, _ := XmR(y, Options{ScreenOutliers: true})
	// 13 moving ranges: eleven of 1 and two of 29 (into and out of 40); the
	// mean is 69/13 = 5.31, and 29 >= 3.267 × 5.31 = 17.3 is dropped: the
	// screened mean moving range is 1.
	mean := (6*10.0 + 7*11 + 40) / 14
	if math.Abs(screened.UPL-(mean+2.66)) > 1e-12 || math.Abs(plain.UPL-(mean+2.66*69/13)) > 1e-12 {
		t.Errorf("upl screened %v plain %v, want %v and %v", screened.UPL, plain.UPL, mean+2.66, mean+2.66*69/13)
	}
}

// Assurance is read against the last phase's limits (13.97 to 27.03 for
// the first phase, 26.0 to 34.5 for the second below).
func TestAssurance(t *testing.T) {
	y := []float64{20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21}
	for _, c := range []struct {
		improvement string
		target      float64
		want        string
	}{
		{"up", 10, ConsistentPass},   // every point above the target
		{"up", 40, ConsistentFail},   // every point below
		{"up", 20, Inconsistent},     // hit and miss
		{"down", 40, ConsistentPass}, // UPL < target: always under it
		{"down", 10, ConsistentFail}, // LPL > target: always over it
		{"down", 25, Inconsistent},
		{"", 10, ConsistentPass}, // default improvement is up
	} {
		target := c.target
		ch, err := XmR(y, Options{Improvement: c.improvement, Target: &target})
		if err != nil {
			t.Fatal(err)
		}
		if ch.Assurance == nil || *ch.Assurance != c.want {
			t.Errorf("improvement %q target %v (limits %.2f..%.2f): assurance %v, want %s", c.improvement, c.target, ch.LPL, ch.UPL, ch.Assurance, c.want)
		}
	}
	ch, _ := XmR(y, Options{})
	if ch.Assurance != nil {
		t.Errorf("no target: assurance %v, want nil", *ch.Assurance)
	}
}

func TestErrors(t *testing.T) {
	five := 5.0
	nan := math.NaN()
	for _, c := range []struct {
		name string
		y    []float64
		opt  Options
		want error
	}{
		{"empty", nil, Options{}, ErrTooFew},
		{"one", []float64{1}, Options{}, ErrTooFew},
		{"NaN value", []float64{1, math.NaN(), 3}, Options{}, ErrNotFinite},
		{"Inf value", []float64{1, math.Inf(-1), 3}, Options{}, ErrNotFinite},
		{"improvement", []float64{1, 2, 3}, Options{Improvement: "increase"}, ErrBadOptions},
		{"NaN target", []float64{1, 2, 3}, Options{Target: &nan}, ErrNotFinite},
		{"rebase out of range", []float64{1, 2, 3}, Options{RebaseAt: []int{3}}, ErrBadOptions},
		{"negative rebase", []float64{1, 2, 3}, Options{RebaseAt: []int{-1}}, ErrBadOptions},
		{"one-point phase", []float64{1, 2, 3}, Options{RebaseAt: []int{2}}, ErrTooFew},
		{"overflow", []float64{1e308, -1e308, 1e308}, Options{}, ErrNotFinite},
		{"fix 1", []float64{1, 2, 3}, Options{FixAfterN: 1}, ErrBadOptions},
		{"fix negative", []float64{1, 2, 3}, Options{FixAfterN: -2, Target: &five}, ErrBadOptions},
	} {
		if _, err := XmR(c.y, c.opt); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

// The JSON is CLI.md's `spc` shape: mean, lpl, upl, points of value, type,
// rule (null for common cause), variation, assurance (null without target);
// per-point limits stay out, and warning appears only when set.
func TestJSONShape(t *testing.T) {
	y := []float64{10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 20}
	c, _ := XmR(y, Options{})
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(mapsKeys(m)); !slices.Equal(got, []string{"assurance", "lpl", "mean", "points", "upl", "variation"}) {
		t.Errorf("keys %v", got)
	}
	if m["assurance"] != nil {
		t.Errorf("assurance %v, want null", m["assurance"])
	}
	pts := m["points"].([]any)
	p0 := pts[0].(map[string]any)
	if got := slices.Sorted(mapsKeys(p0)); !slices.Equal(got, []string{"rule", "type", "value"}) || p0["rule"] != nil || p0["type"] != "common_cause" {
		t.Errorf("point 0 %v", p0)
	}
	if p := pts[12].(map[string]any); p["rule"] != "outside_limits" || p["type"] != "special_cause_improvement" {
		t.Errorf("point 12 %v", p)
	}
	short, _ := XmR([]float64{1, 2, 3}, Options{})
	b, _ = json.Marshal(short)
	if !json.Valid(b) || !contains(string(b), `"warning":"fewer than 12 points`) {
		t.Errorf("short series JSON %s: want a warning", b)
	}
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

// FuzzXmR: any finite series and options never panic, never produce NaN,
// keep lpl <= mean <= upl, give each special-cause point a rule and each
// common-cause point none.
func FuzzXmR(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, uint8(0), uint8(0), true, int8(0))
	f.Add([]byte{5, 5, 5, 5, 5}, uint8(1), uint8(2), true, int8(3))
	f.Add([]byte{0, 255, 0, 255, 0, 255, 9, 9, 9, 9, 9, 9, 9, 9}, uint8(2), uint8(5), false, int8(-4))
	f.Fuzz(func(t *testing.T, raw []byte, imp, rebase uint8, screen bool, fix int8) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		y := make([]float64, len(raw))
		for i, b := range raw {
			y[i] = float64(int(b)-128) / 7
		}
		opt := Options{Improvement: []string{"up", "down", "neutral", ""}[imp%4], ScreenOutliers: screen, FixAfterN: int(fix)}
		if len(y) > 0 && rebase > 0 {
			opt.RebaseAt = []int{int(rebase) % len(y)}
		}
		target := float64(fix)
		if fix%3 == 0 {
			opt.Target = &target
		}
		c, err := XmR(y, opt)
		if err != nil {
			return // invalid input is reported, which is all we ask here
		}
		for _, v := range []float64{c.Mean, c.LPL, c.UPL} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite limit in %+v", c)
			}
		}
		for i, p := range c.Points {
			if !(p.LPL <= p.Mean && p.Mean <= p.UPL) {
				t.Fatalf("point %d: limits out of order %v <= %v <= %v", i, p.LPL, p.Mean, p.UPL)
			}
			if (p.Type == CommonCause) != (p.Rule == nil) {
				t.Fatalf("point %d: type %s with rule %v", i, p.Type, p.Rule)
			}
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	})
}

func ExampleXmR() {
	dna := []float64{0.12, 0.11, 0.13, 0.12, 0.14, 0.12, 0.11, 0.13, 0.12, 0.13, 0.12, 0.11, 0.25}
	target := 0.10
	c, err := XmR(dna, Options{Improvement: "down", Target: &target})
	if err != nil {
		panic(err)
	}
	last := c.Points[len(c.Points)-1]
	fmt.Printf("mean %.3f, limits %.3f to %.3f\n", c.Mean, c.LPL, c.UPL)
	fmt.Println(last.Type, *last.Rule, c.Variation, *c.Assurance)
	// Output:
	// mean 0.132, limits 0.067 to 0.196
	// special_cause_concern outside_limits concern_high inconsistent
}
