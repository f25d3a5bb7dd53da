package warehouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/events"
)

// TestCrisisQualitativeDemo is a sanity run on the demo data (800 referrals
// over 24 months, so that the crisis launch at month 12 leaves people with
// full 6-month windows): the NDJSON feeds are decoded with a pseudonymiser,
// as ingest does, and written to a lake by the test helper.
func TestCrisisQualitativeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("demo sanity run")
	}
	dir := t.TempDir()
	start := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	if _, err := demo.Generate(context.Background(), demo.Config{Referrals: 800, Months: 24, Start: start}, dir); err != nil {
		t.Fatal(err)
	}
	ps, err := events.NewPseudonymiser(bytes.Repeat([]byte("k"), events.MinKeyBytes))
	if err != nil {
		t.Fatal(err)
	}
	var lines bytes.Buffer
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			ev, err := events.Decode(sc.Bytes(), events.DecodeOptions{Pseudonymiser: ps})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			lines.Write(append(out, '\n'))
		}
	}
	root := t.TempDir()
	writeLake(t, root, lines.Bytes())
	cfg := Config{Lake: root, Population: 200000, Evaluation: Evaluation{
		UnitCosts: []UnitCost{
			{Kind: "ae_attendance", Unit: "contact", CostGBP: 300, Source: "test: illustrative", PriceYear: "2023/24"},
			{Kind: "acute_admission", Unit: "bed_day", CostGBP: 450, Source: "test: illustrative", PriceYear: "2023/24"},
			{Kind: "crisis_team_contact", Unit: "contact", CostGBP: 250, Source: "test: illustrative", PriceYear: "2023/24"},
		},
		CrisisLaunch: start.AddDate(1, 0, 0),
	}}
	w, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p, _ := ParsePeriod("2023-04", "2025-03")
	res, err := w.Crisis(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	n := res.Metrics["crisis_pre_post"]
	if n.Value == nil || *n.Value < 3 {
		t.Fatalf("demo cohort %+v, want a few people", n)
	}
	all := crisisTable(t, res, "crisis_pre_post", "")
	before, after := crisisCell(t, all, "all", "before"), crisisCell(t, all, "all", "after")
	if !(*after.Value < *before.Value) {
		t.Errorf("demo contacts after %g, before %g: want fewer after the first peer contact", *after.Value, *before.Value)
	}
	s := res.Metrics["crisis_savings_gbp"]
	if s.Value == nil || math.IsNaN(*s.Value) || math.IsInf(*s.Value, 0) || s.CI95 == nil {
		t.Errorf("demo savings %+v, want a finite value with an interval", s)
	}
	if r := res.Metrics["return_per_pound"]; r.Value == nil || math.IsNaN(*r.Value) || math.IsInf(*r.Value, 0) {
		t.Errorf("demo return per pound %+v, want a finite value", r)
	}
	q, err := w.Qualitative(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Result{res, q} {
		for id, v := range r.Metrics {
			checkUnitProportion(t, id, v)
		}
		for id, dims := range r.Breakdowns {
			for _, groups := range dims {
				for g, v := range groups {
					checkUnitProportion(t, id+"/"+g, v)
				}
			}
		}
		for _, tb := range r.Tables {
			for ci, c := range tb.Columns {
				if c.Unit != "proportion" {
					continue
				}
				for _, row := range tb.Rows {
					checkUnitProportion(t, tb.Metric+"/"+row.Label+"/"+c.ID, row.Cells[ci])
				}
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Error(err)
		}
	}
	t.Logf("demo: cohort %g, contacts before %g after %g, savings £%.0f [%.0f, %.0f], return %.2f, feedback %g, coded %g",
		*n.Value, *before.Value, *after.Value, *s.Value, s.CI95[0], s.CI95[1], *res.Metrics["return_per_pound"].Value,
		*q.Metrics["feedback_volume"].Value, *q.Metrics["theme_frequency"].Value)
}

// checkUnitProportion: a proportion (a Value with a Wilson interval) lies in [0, 1].
func checkUnitProportion(t *testing.T, what string, v Value) {
	t.Helper()
	if v.CI95 == nil || v.Value == nil || v.Denominator == nil || v.Numerator == nil {
		return
	}
	if what == "crisis_savings_gbp" || what == "return_per_pound" {
		return
	}
	if *v.Value < 0 || *v.Value > 1 || v.CI95[0] < 0 || v.CI95[1] > 1 {
		t.Errorf("%s = %g %v, want a proportion in [0, 1]", what, *v.Value, v.CI95)
	}
}
