package stats

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The values in testdata/reference.txt come from base R 4.2.2 running
// testdata/reference.R (prop.test(correct = FALSE) for Wilson, Newcombe's
// method 10 assembled from R's Wilson limits, t.test(paired = TRUE),
// t.test(var.equal = FALSE), median, quantile(type = 7)). A reviewer
// re-runs the script and diffs; these tests compare within tol.
const tol = 1e-4

type reference struct {
	vals map[string]float64   // "kind\tcase\tfield" -> value
	data map[string][]float64 // "case\tfield" -> vector
	keys map[string][]string  // kind -> cases in file order
}

func loadReference(t *testing.T) reference {
	t.Helper()
	f, err := os.Open("testdata/reference.txt")
	if err != nil {
		t.Fatalf("open reference: %v", err)
	}
	defer f.Close()
	ref := reference{map[string]float64{}, map[string][]float64{}, map[string][]string{}}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 4 {
			t.Fatalf("reference.txt line %d: want 4 fields, got %q", line, sc.Text())
		}
		if p[0] == "data" {
			var xs []float64
			for _, s := range strings.Split(p[3], ",") {
				x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil {
					t.Fatalf("reference.txt line %d: %v", line, err)
				}
				xs = append(xs, x)
			}
			ref.data[p[1]+"\t"+p[2]] = xs
			continue
		}
		v, err := strconv.ParseFloat(p[3], 64)
		if err != nil {
			t.Fatalf("reference.txt line %d: %v", line, err)
		}
		key := p[0] + "\t" + p[1] + "\t" + p[2]
		if !contains(ref.keys[p[0]], p[1]) {
			ref.keys[p[0]] = append(ref.keys[p[0]], p[1])
		}
		ref.vals[key] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ref
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (r reference) get(t *testing.T, kind, c, field string) float64 {
	t.Helper()
	v, ok := r.vals[kind+"\t"+c+"\t"+field]
	if !ok {
		t.Fatalf("reference.txt has no %s %s %s", kind, c, field)
	}
	return v
}

func (r reference) vec(t *testing.T, c, field string) []float64 {
	t.Helper()
	v, ok := r.data[c+"\t"+field]
	if !ok {
		t.Fatalf("reference.txt has no data %s %s", c, field)
	}
	return v
}

func near(got, want float64) bool { return math.Abs(got-want) <= tol }

// parseCounts reads "x/n@level" or "x1/n1-x2/n2@level" case names.
func parseCounts(t *testing.T, c string) ([]int, float64) {
	t.Helper()
	body, lv, _ := strings.Cut(c, "@")
	level, err := strconv.ParseFloat(lv, 64)
	if err != nil {
		t.Fatalf("case %q: %v", c, err)
	}
	var ns []int
	for _, part := range strings.Split(body, "-") {
		x, n, _ := strings.Cut(part, "/")
		xi, err1 := strconv.Atoi(x)
		ni, err2 := strconv.Atoi(n)
		if err1 != nil || err2 != nil {
			t.Fatalf("case %q: bad counts", c)
		}
		ns = append(ns, xi, ni)
	}
	return ns, level
}

func TestWilsonMatchesR(t *testing.T) {
	ref := loadReference(t)
	if len(ref.keys["wilson"]) == 0 {
		t.Fatal("no wilson cases in reference.txt")
	}
	for _, c := range ref.keys["wilson"] {
		ns, level := parseCounts(t, c)
		got, err := Wilson(ns[0], ns[1], level)
		if err != nil {
			t.Errorf("Wilson(%s): %v", c, err)
			continue
		}
		want := Interval{ref.get(t, "wilson", c, "lo"), ref.get(t, "wilson", c, "hi")}
		if !near(got.Lo, want.Lo) || !near(got.Hi, want.Hi) {
			t.Errorf("Wilson(%s) = %v, R prop.test says %v", c, got, want)
		}
	}
}

func TestNewcombeMatchesR(t *testing.T) {
	ref := loadReference(t)
	if len(ref.keys["newcombe"]) == 0 {
		t.Fatal("no newcombe cases in reference.txt")
	}
	for _, c := range ref.keys["newcombe"] {
		ns, level := parseCounts(t, c)
		d, got, err := Newcombe(ns[0], ns[1], ns[2], ns[3], level)
		if err != nil {
			t.Errorf("Newcombe(%s): %v", c, err)
			continue
		}
		want := Interval{ref.get(t, "newcombe", c, "lo"), ref.get(t, "newcombe", c, "hi")}
		if wd := ref.get(t, "newcombe", c, "diff"); !near(d, wd) {
			t.Errorf("Newcombe(%s) diff = %v, want %v", c, d, wd)
		}
		if !near(got.Lo, want.Lo) || !near(got.Hi, want.Hi) {
			t.Errorf("Newcombe(%s) = %v, R says %v", c, got, want)
		}
	}
}

func TestPairedTMatchesR(t *testing.T) {
	ref := loadReference(t)
	for _, c := range []string{"sleep", "wemwbs", "two"} {
		got, err := PairedT(ref.vec(t, c, "before"), ref.vec(t, c, "after"), ref.get(t, "paired", c, "level"))
		if err != nil {
			t.Errorf("PairedT(%s): %v", c, err)
			continue
		}
		if want := int(ref.get(t, "paired", c, "n")); got.N != want {
			t.Errorf("PairedT(%s).N = %d, want %d", c, got.N, want)
		}
		for _, f := range []struct {
			name string
			got  float64
		}{{"mean", got.MeanDiff}, {"sd", got.SD}, {"lo", got.CI.Lo}, {"hi", got.CI.Hi}, {"dz", got.DZ}, {"t", got.T}, {"p", got.P}} {
			if want := ref.get(t, "paired", c, f.name); !near(f.got, want) {
				t.Errorf("PairedT(%s) %s = %.6f, R t.test(paired = TRUE) says %.6f", c, f.name, f.got, want)
			}
		}
	}
}

func TestWelchMatchesR(t *testing.T) {
	ref := loadReference(t)
	for _, c := range []string{"sleep", "unequal", "small"} {
		got, err := Welch(ref.vec(t, c, "a"), ref.vec(t, c, "b"), ref.get(t, "welch", c, "level"))
		if err != nil {
			t.Errorf("Welch(%s): %v", c, err)
			continue
		}
		for _, f := range []struct {
			name string
			got  float64
		}{{"diff", got.Diff}, {"lo", got.CI.Lo}, {"hi", got.CI.Hi}, {"df", got.DF}, {"t", got.T}, {"p", got.P}} {
			if want := ref.get(t, "welch", c, f.name); !near(f.got, want) {
				t.Errorf("Welch(%s) %s = %.6f, R t.test(var.equal = FALSE) says %.6f", c, f.name, f.got, want)
			}
		}
	}
}

func TestMedianAndQuantileMatchR(t *testing.T) {
	ref := loadReference(t)
	for _, c := range []string{"odd", "even", "one", "ties"} {
		xs := ref.vec(t, c, "xs")
		before := append([]float64(nil), xs...)
		if got, want := Median(xs), ref.get(t, "median", c, "value"); !near(got, want) {
			t.Errorf("Median(%v) = %v, R median says %v", xs, got, want)
		}
		for i := range xs {
			if xs[i] != before[i] {
				t.Fatalf("Median modified its input: %v, was %v", xs, before)
			}
		}
	}
	q := append([]float64(nil), ref.vec(t, "q7", "xs")...)
	sortFloats(q)
	for _, p := range []float64{0.025, 0.5, 0.975} {
		want := ref.get(t, "quantile7", "q7", strconv.FormatFloat(p, 'g', -1, 64))
		if got := quantile7(q, p); !near(got, want) {
			t.Errorf("quantile7(%v) = %v, R quantile(type = 7) says %v", p, got, want)
		}
	}
}
