package reports_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/warehouse"
)

func ExampleKPI() {
	v := func(x float64) *float64 { return &x }
	res := &warehouse.Result{
		Period: warehouse.Period{
			From: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC),
			To:   time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC),
		},
		Metrics: map[string]warehouse.Value{
			"referrals_received": {Value: v(9)},
			"recovery_rate":      {Value: v(0.6), Numerator: v(3), Denominator: v(5), CI95: &[2]float64{0.231, 0.882}},
		},
	}
	cat := []warehouse.Metric{
		{ID: "referrals_received", Version: 1, Title: "Referrals received", Unit: "count"},
		{ID: "recovery_rate", Version: 1, Title: "Recovery rate", Unit: "proportion", Standard: v(0.5)},
	}
	// Under the default "nhs" policy 9 referrals are published as 10 and
	// a recovery rate of 3 in 5 is suppressed.
	if err := reports.KPI(res, cat, reports.Options{Format: "csv"}, os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// metric_id,title,unit,value,numerator,denominator,ci95_low,ci95_high,suppressed,standard,version
	// recovery_rate,Recovery rate,proportion,,,,,,true,0.5,1
	// referrals_received,Referrals received,count,10,,,,,false,,1
}

func ExampleWriteKPIContext() {
	dir, _ := os.MkdirTemp("", "kpi")
	defer os.RemoveAll(dir)
	res := &warehouse.Result{Metrics: map[string]warehouse.Value{}}
	w, err := reports.WriteKPIContext(context.Background(), res, nil, "nhs", dir)
	if err != nil {
		fmt.Println(err)
	}
	// kpi.pdf is there too when Chromium is installed; without it
	// w.Warnings says so and names the package to install.
	for _, p := range w.Paths {
		if filepath.Ext(p) != ".pdf" {
			fmt.Println(filepath.Base(p))
		}
	}
	// Output:
	// kpi.html
	// kpi.md
	// kpi.json
	// kpi-metrics.csv
	// kpi-breakdowns.csv
}
