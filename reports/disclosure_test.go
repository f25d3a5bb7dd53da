package reports

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/evalpipe/evalpipe/warehouse"
)

// apply runs the nhs policy over one value of a metric with the given unit,
// as a headline metric, a breakdown cell and a series point, and checks the
// three agree.
func apply(t *testing.T, unit string, v warehouse.Value) warehouse.Value {
	t.Helper()
	cat := []warehouse.Metric{{ID: "m", Unit: unit}}
	if unit == "" {
		cat = nil
	}
	res := &warehouse.Result{
		Metrics:    map[string]warehouse.Value{"m": v},
		Breakdowns: map[string]map[string]map[string]warehouse.Value{"m": {"dim": {"g": v}}},
		Series:     map[string][]warehouse.SeriesPoint{"m": {{Month: "2024-04", Value: v}}},
	}
	out := NHSPolicy().Apply(res, cat)
	got := out.Metrics["m"]
	if cell := out.Breakdowns["m"]["dim"]["g"]; !reflect.DeepEqual(cell, got) {
		t.Errorf("breakdown cell = %s, want the same as the metric %s", show(cell), show(got))
	}
	if pt := out.Series["m"][0].Value; !reflect.DeepEqual(pt, got) {
		t.Errorf("series point = %s, want the same as the metric %s", show(pt), show(got))
	}
	return got
}

func show(v warehouse.Value) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNHSPolicyCounts(t *testing.T) {
	tests := []struct {
		in   float64
		want *float64 // nil: suppressed
	}{
		{0, nil}, {1, nil}, {2, nil}, {3, nil}, {4, nil}, {4.9, nil},
		{5, f(5)}, {6, f(5)}, {7, f(5)}, {8, f(10)}, {12, f(10)}, {13, f(15)},
		{1234, f(1235)}, {1232, f(1230)},
	}
	for _, tt := range tests {
		got := apply(t, "count", count(tt.in))
		if tt.want == nil {
			if !got.Suppressed || got.Value != nil {
				t.Errorf("count %v: got %s, want suppressed with no value", tt.in, show(got))
			}
			continue
		}
		if got.Suppressed || got.Value == nil || *got.Value != *tt.want {
			t.Errorf("count %v: got %s, want %v", tt.in, show(got), *tt.want)
		}
	}
}

func TestNHSPolicyRates(t *testing.T) {
	tests := []struct {
		name string
		unit string
		in   warehouse.Value
		want warehouse.Value
	}{
		{"denominator 4 suppressed", "proportion", rateCI(0.75, 3, 4, 0.3, 0.95), warehouse.Value{Suppressed: true}},
		{"numerator 4 suppressed", "proportion", rateCI(0.04, 4, 100, 0.01, 0.1), warehouse.Value{Suppressed: true}},
		{"numerator 0 suppressed", "proportion", rate(0, 0, 100), warehouse.Value{Suppressed: true}},
		{"5 of 5 shown", "proportion", rateCI(1, 5, 5, 0.57, 1), rateCI(1, 5, 5, 0.57, 1)},
		{"figures rounded, value and interval from unrounded", "proportion", rateCI(7.0/12, 7, 12, 0.32, 0.81), rateCI(7.0/12, 5, 10, 0.32, 0.81)},
		{"median days cohort 4 suppressed", "days", warehouse.Value{Value: f(30), Denominator: f(4)}, warehouse.Value{Suppressed: true}},
		{"median days cohort 13 shown", "days", warehouse.Value{Value: f(30), Denominator: f(13)}, warehouse.Value{Value: f(30), Denominator: f(15)}},
		{"mean cohort 8 shown", "mean", warehouse.Value{Value: f(6.5), Denominator: f(8)}, warehouse.Value{Value: f(6.5), Denominator: f(10)}},
		{"rate per 100k with small numerator", "rate_per_100k", rate(2.5, 4, 160000), warehouse.Value{Suppressed: true}},
		{"rate without a cohort size withheld", "mean", count(6.5), warehouse.Value{Suppressed: true, Note: "withheld: no cohort size to check against the disclosure threshold"}},
		{"note kept on suppression", "proportion", warehouse.Value{Value: f(1), Numerator: f(2), Denominator: f(2), Note: "GAD-7 fallback"}, warehouse.Value{Suppressed: true, Note: "GAD-7 fallback"}},
		{"already suppressed stays so", "proportion", warehouse.Value{Suppressed: true}, warehouse.Value{Suppressed: true}},
		{"empty cohort suppressed", "proportion", warehouse.Value{Value: nil, Numerator: f(0), Denominator: f(0)}, warehouse.Value{Suppressed: true}},
		{"unknown metric with a cohort: rate rule", "", rate(0.5, 3, 6), warehouse.Value{Suppressed: true}},
		{"unknown bare metric: count rule", "", count(8), count(10)},
		{"count with small denominator suppressed", "count", warehouse.Value{Value: f(6), Denominator: f(3)}, warehouse.Value{Suppressed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apply(t, tt.unit, tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %s, want %s", show(got), show(tt.want))
			}
		})
	}
}

func TestPoliciesDoNotMutateInput(t *testing.T) {
	for _, name := range []string{"nhs", "none"} {
		t.Run(name, func(t *testing.T) {
			res := testResult()
			before, _ := json.Marshal(res)
			p, err := PolicyByName(name)
			if err != nil {
				t.Fatal(err)
			}
			out := p.Apply(res, testCatalogue())
			after, _ := json.Marshal(res)
			if string(before) != string(after) {
				t.Errorf("Apply changed its input:\nbefore %s\nafter  %s", before, after)
			}
			// The output shares no pointer or map with the input.
			*out.Metrics["recovery_rate"].Value = -1
			out.Breakdowns["recovery_rate"]["worker_id"]["c02"] = warehouse.Value{}
			out.Series["recovery_rate"][0].Month = "changed"
			out.Provenance.Metrics["recovery_rate"] = 99
			if again, _ := json.Marshal(res); string(again) != string(before) {
				t.Errorf("writing to Apply's output changed its input")
			}
		})
	}
}

func TestNonePolicyLeavesFiguresAlone(t *testing.T) {
	res := testResult()
	got := nonePolicy{}.Apply(res, testCatalogue())
	if !reflect.DeepEqual(got, res) {
		t.Errorf("none policy changed the result")
	}
}

func TestNHSPolicyOnFixture(t *testing.T) {
	out := NHSPolicy().Apply(testResult(), testCatalogue())
	tests := []struct {
		metric, dim, group string
		suppressed         bool
		num, den           float64
	}{
		{"recovery_rate", "worker_id", "c01", true, 0, 0},
		// c01 (1/2) alone would be headline − c02 − c03: c02, the next
		// smallest, goes with it (complementary suppression).
		{"recovery_rate", "worker_id", "c02", true, 0, 0},
		{"recovery_rate", "worker_id", "c03", false, 15, 35},
		{"recovery_rate", "gp_practice", "Y00042", true, 0, 0},
		{"recovery_rate", "gp_practice", "P81001", true, 0, 0},
		{"referral_source_share", "referral_source", "other", true, 0, 0},
		{"referral_source_share", "referral_source", "self", false, 740, 1235},
	}
	for _, tt := range tests {
		got := out.Breakdowns[tt.metric][tt.dim][tt.group]
		if got.Suppressed != tt.suppressed {
			t.Errorf("%s/%s/%s suppressed = %v, want %v", tt.metric, tt.dim, tt.group, got.Suppressed, tt.suppressed)
			continue
		}
		if !tt.suppressed && (*got.Numerator != tt.num || *got.Denominator != tt.den) {
			t.Errorf("%s/%s/%s = %s, want %v/%v", tt.metric, tt.dim, tt.group, show(got), tt.num, tt.den)
		}
	}
	if !out.Series["recovery_rate"][2].Suppressed || !out.Series["referrals_received"][1].Suppressed {
		t.Errorf("small series points not suppressed: %+v", out.Series)
	}
	if out.Service != "north-tt" || out.Provenance.Lake != "sha256:9f2c1e" {
		t.Errorf("policy changed the result's identity: %q %q", out.Service, out.Provenance.Lake)
	}
}

func TestPolicyByName(t *testing.T) {
	tests := []struct {
		name, want string
		err        bool
	}{
		{"", "nhs", false}, {"nhs", "nhs", false}, {"none", "none", false},
		{"NHS", "", true}, {"sdc", "", true},
	}
	for _, tt := range tests {
		p, err := PolicyByName(tt.name)
		if tt.err {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("PolicyByName(%q) error = %v, want ErrUsage", tt.name, err)
			}
			continue
		}
		if err != nil || p.Name() != tt.want {
			t.Errorf("PolicyByName(%q) = %v, %v; want %s", tt.name, p, err, tt.want)
		}
	}
}
