package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"Wilson n=0", err1(Wilson(0, 0, 0.95)), ErrEmpty},
		{"Wilson x>n", err1(Wilson(5, 4, 0.95)), ErrCounts},
		{"Wilson x<0", err1(Wilson(-1, 4, 0.95)), ErrCounts},
		{"Wilson level 0", err1(Wilson(1, 4, 0)), ErrLevel},
		{"Wilson level 1", err1(Wilson(1, 4, 1)), ErrLevel},
		{"Wilson level NaN", err1(Wilson(1, 4, math.NaN())), ErrLevel},
		{"Wilson level 95", err1(Wilson(1, 4, 95)), ErrLevel},
		{"Newcombe n2=0", err2(Newcombe(1, 4, 0, 0, 0.95)), ErrEmpty},
		{"Newcombe x1>n1", err2(Newcombe(5, 4, 0, 3, 0.95)), ErrCounts},
		{"Newcombe level", err2(Newcombe(1, 4, 0, 3, -0.95)), ErrLevel},
		{"PairedT empty", err1(PairedT(nil, nil, 0.95)), ErrEmpty},
		{"PairedT one pair", err1(PairedT([]float64{1}, []float64{2}, 0.95)), ErrTooFew},
		{"PairedT lengths", err1(PairedT([]float64{1, 2}, []float64{2}, 0.95)), ErrLength},
		{"PairedT level", err1(PairedT([]float64{1, 2}, []float64{2, 4}, 1.5)), ErrLevel},
		{"PairedT NaN", err1(PairedT([]float64{1, math.NaN()}, []float64{2, 4}, 0.95)), ErrNotFinite},
		{"PairedT constant", err1(PairedT([]float64{1, 2, 3}, []float64{2, 3, 4}, 0.95)), ErrNoVariance},
		{"Welch empty", err1(Welch(nil, []float64{1, 2}, 0.95)), ErrEmpty},
		{"Welch one", err1(Welch([]float64{1}, []float64{1, 2}, 0.95)), ErrTooFew},
		{"Welch Inf", err1(Welch([]float64{1, math.Inf(1)}, []float64{1, 2}, 0.95)), ErrNotFinite},
		{"Welch constant", err1(Welch([]float64{1, 1}, []float64{2, 2}, 0.95)), ErrNoVariance},
		{"Welch level", err1(Welch([]float64{1, 2}, []float64{2, 3}, 0)), ErrLevel},
		{"Bootstrap n=0", err1(BootstrapCI(0, func([]int) float64 { return 0 }, 100, 1, 0.95)), ErrEmpty},
		{"Bootstrap reps", err1(BootstrapCI(5, func([]int) float64 { return 0 }, 1, 1, 0.95)), ErrTooFew},
		{"Bootstrap level", err1(BootstrapCI(5, func([]int) float64 { return 0 }, 100, 1, 1)), ErrLevel},
		{"Bootstrap NaN", err1(BootstrapCI(5, func([]int) float64 { return math.NaN() }, 100, 1, 0.95)), ErrNotFinite},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
		}
	}
	if _, err := BootstrapCI(5, nil, 100, 1, 0.95); err == nil {
		t.Error("BootstrapCI(nil stat): no error")
	}
}

func err1[T any](_ T, err error) error         { return err }
func err2[T, U any](_ T, _ U, err error) error { return err }

// A constant shift still reports the point estimate, so a report can print it.
func TestPairedTNoVarianceKeepsEstimate(t *testing.T) {
	r, err := PairedT([]float64{1, 2, 3}, []float64{3, 4, 5}, 0.95)
	if !errors.Is(err, ErrNoVariance) {
		t.Fatalf("err = %v, want ErrNoVariance", err)
	}
	if r.N != 3 || r.MeanDiff != 2 || r.SD != 0 || r.CI != (Interval{2, 2}) {
		t.Errorf("got %+v, want N 3, MeanDiff 2, SD 0, CI [2,2]", r)
	}
}

// Zero cells: Wilson at 0 and n successes stays in [0,1] with an exact 0 or 1
// bound; Newcombe with zero cells stays in [-1,1].
func TestZeroCells(t *testing.T) {
	for _, n := range []int{1, 2, 5, 30, 1000} {
		lo, err := Wilson(0, n, 0.95)
		if err != nil || lo.Lo != 0 || lo.Hi <= 0 || lo.Hi > 1 {
			t.Errorf("Wilson(0, %d) = %v, %v; want [0, h] with 0 < h <= 1", n, lo, err)
		}
		hi, err := Wilson(n, n, 0.95)
		if err != nil || hi.Hi != 1 || hi.Lo >= 1 || hi.Lo < 0 {
			t.Errorf("Wilson(%d, %d) = %v, %v; want [l, 1] with 0 <= l < 1", n, n, hi, err)
		}
		for _, c := range [][4]int{{0, n, 0, n}, {n, n, 0, n}, {0, n, n, n}, {0, n, 1, n + 1}} {
			d, ci, err := Newcombe(c[0], c[1], c[2], c[3], 0.95)
			if err != nil || ci.Lo < -1 || ci.Hi > 1 || !ci.Contains(d) {
				t.Errorf("Newcombe(%v) = %v %v, %v", c, d, ci, err)
			}
		}
	}
}

// Properties over a seeded sweep: every Wilson interval contains p̂ and lies
// in [0,1]; every Newcombe interval contains p1-p2 and lies in [-1,1]; a
// higher level never gives a narrower interval.
func TestIntervalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		n1, n2 := 1+rng.IntN(500), 1+rng.IntN(500)
		if i%4 == 0 { // small denominators are where intervals misbehave
			n1, n2 = 1+rng.IntN(6), 1+rng.IntN(6)
		}
		x1, x2 := rng.IntN(n1+1), rng.IntN(n2+1)
		level := 0.5 + 0.499*rng.Float64()
		w, err := Wilson(x1, n1, level)
		p := float64(x1) / float64(n1)
		if err != nil || !(w.Lo >= 0 && w.Hi <= 1 && w.Contains(p)) {
			t.Fatalf("Wilson(%d, %d, %v) = %v, %v: want within [0,1] containing %v", x1, n1, level, w, err, p)
		}
		wider, _ := Wilson(x1, n1, math.Min(level+0.0005, 0.9999))
		if wider.Lo > w.Lo+1e-12 || wider.Hi < w.Hi-1e-12 {
			t.Fatalf("Wilson(%d, %d): level %v gives %v, narrower than %v", x1, n1, level+0.0005, wider, w)
		}
		d, ci, err := Newcombe(x1, n1, x2, n2, level)
		if err != nil || !(ci.Lo >= -1 && ci.Hi <= 1 && ci.Contains(d)) {
			t.Fatalf("Newcombe(%d/%d, %d/%d, %v) = %v %v, %v: want within [-1,1] containing the difference", x1, n1, x2, n2, level, d, ci, err)
		}
	}
}

func TestBootstrapDeterministicAndSensible(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	xs := make([]float64, 200)
	for i := range xs {
		xs[i] = 10 + 2*rng.NormFloat64()
	}
	mean := func(idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += xs[i]
		}
		return s / float64(len(idx))
	}
	a, err := BootstrapCI(len(xs), mean, 2000, 42, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BootstrapCI(len(xs), mean, 2000, 42, 0.95)
	if a != b {
		t.Errorf("same seed, different intervals: %v vs %v", a, b)
	}
	c, _ := BootstrapCI(len(xs), mean, 2000, 43, 0.95)
	if a == c {
		t.Errorf("different seeds gave identical intervals %v", a)
	}
	// The percentile interval for a mean of 200 roughly normal values should
	// be close to the t interval (independent check: t.test-style formula).
	m := mean(seq(len(xs)))
	half := 1.97 * 2 / math.Sqrt(200) // ~ t quantile × σ/√n
	if math.Abs(a.Lo-(m-half)) > 0.1 || math.Abs(a.Hi-(m+half)) > 0.1 || !a.Contains(m) {
		t.Errorf("bootstrap %v, mean %v: want about [%v, %v]", a, m, m-half, m+half)
	}
	// A constant statistic gives a degenerate interval, not an error.
	k, err := BootstrapCI(3, func([]int) float64 { return 5 }, 50, 1, 0.9)
	if err != nil || k != (Interval{5, 5}) {
		t.Errorf("constant statistic: %v, %v", k, err)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestMedianEmpty(t *testing.T) {
	if m := Median(nil); !math.IsNaN(m) {
		t.Errorf("Median(nil) = %v, want NaN", m)
	}
}

func ExampleWilson() {
	ci, err := Wilson(81, 263, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f to %.4f\n", ci.Lo, ci.Hi)
	// Output: 0.2553 to 0.3662
}

func ExampleNewcombe() {
	d, ci, err := Newcombe(56, 70, 48, 80, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f (%.4f to %.4f)\n", d, ci.Lo, ci.Hi)
	// Output: 0.2000 (0.0524 to 0.3339)
}

func ExamplePairedT() {
	before := []float64{38, 41, 35, 44, 50, 29, 40, 37, 45, 33, 42, 39}
	after := []float64{45, 44, 41, 43, 55, 38, 47, 36, 52, 40, 44, 46}
	r, err := PairedT(before, after, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("n %d, change %.2f (%.2f to %.2f), d_z %.2f\n", r.N, r.MeanDiff, r.CI.Lo, r.CI.Hi, r.DZ)
	// Output: n 12, change 4.83 (2.72 to 6.95), d_z 1.45
}
