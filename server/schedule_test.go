package server

import (
	"strings"
	"testing"
	"time"
)

func TestScheduleMonths(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/London")
	at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, loc); return t }
	for _, tc := range []struct {
		sc       Schedule
		now      string
		from, to string
	}{
		{Schedule{Period: PeriodLastMonth}, "2025-01-01 06:00", "2024-12", "2024-12"},
		{Schedule{Period: PeriodLastMonth}, "2025-03-15 06:00", "2025-02", "2025-02"},
		{Schedule{Period: PeriodLastQuarter}, "2025-04-01 06:00", "2025-01", "2025-03"},
		{Schedule{Period: PeriodLastQuarter}, "2025-02-10 06:00", "2024-10", "2024-12"},
		{Schedule{Period: PeriodLastQuarter}, "2025-12-31 23:00", "2025-07", "2025-09"},
		{Schedule{Period: PeriodFinancialYearToDate}, "2025-01-01 06:00", "2024-04", "2024-12"},
		{Schedule{Period: PeriodFinancialYearToDate}, "2025-04-01 06:00", "2024-04", "2025-03"},
		{Schedule{Period: PeriodFinancialYearToDate}, "2025-05-01 06:00", "2025-04", "2025-04"},
		{Schedule{From: "2024-04", To: "2024-12"}, "2025-05-01 06:00", "2024-04", "2024-12"},
		{Schedule{}, "2025-05-01 06:00", "", ""},
	} {
		from, to := tc.sc.Months(at(tc.now), loc)
		if from != tc.from || to != tc.to {
			t.Errorf("%+v at %s: %s..%s, want %s..%s", tc.sc, tc.now, from, to, tc.from, tc.to)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, tc := range []struct {
		sc   Schedule
		says string // "" = valid
	}{
		{Schedule{Report: "kpi", Cron: "0 6 1 * *", Period: "last_month"}, ""},
		{Schedule{Report: "kpi", On: "2025-01-15", At: "07:30", From: "2024-04", To: "2024-12"}, ""},
		{Schedule{Report: "interim-nope", Cron: "@monthly"}, `x.report = "interim-nope": not a report that can be scheduled; available: crisis-savings, interim, kpi, peer-impact, you-said-we-did`},
		{Schedule{Report: "interim", On: "2025-01-15", From: "2024-04", To: "2024-12"}, ""},
		{Schedule{Cron: "@monthly"}, "x.report is required"},
		{Schedule{Report: "kpi"}, "give cron"},
		{Schedule{Report: "kpi", Cron: "@monthly", On: "2025-01-15"}, "not both"},
		{Schedule{Report: "kpi", Cron: "61 * * * *"}, `x.cron = "61 * * * *"`},
		{Schedule{Report: "kpi", On: "15/01/2025"}, `x.on = "15/01/2025": want a date YYYY-MM-DD`},
		{Schedule{Report: "kpi", On: "2025-01-15", At: "7am"}, `x.at = "7am"`},
		{Schedule{Report: "kpi", Cron: "@monthly", From: "2024-04"}, "both from and to"},
		{Schedule{Report: "kpi", Cron: "@monthly", From: "2024-13", To: "2024-12"}, `x.from = "2024-13"`},
		{Schedule{Report: "kpi", Cron: "@monthly", Period: "last_year"}, `x.period = "last_year": want last_month, last_quarter or financial_year_to_date`},
		{Schedule{Report: "kpi", Cron: "@monthly", Period: "last_month", From: "2024-01", To: "2024-02"}, "period or from/to"},
	} {
		err := tc.sc.Validate("x")
		switch {
		case tc.says == "" && err != nil:
			t.Errorf("%+v: %v, want valid", tc.sc, err)
		case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
			t.Errorf("%+v: %v, want an error saying %q", tc.sc, err, tc.says)
		}
	}
}

// A one-off schedule fires once, at its date and time in the server's zone.
func TestScheduleOnce(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/London")
	cs, err := Schedule{Report: "kpi", On: "2025-07-15"}.cronSchedule(loc)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 7, 15, 6, 0, 0, 0, loc)
	if got := cs.Next(want.Add(-time.Hour)); !got.Equal(want) {
		t.Errorf("next %s, want %s", got, want)
	}
	if got := cs.Next(want); !got.IsZero() {
		t.Errorf("after its time: next %s, want never", got)
	}
}
