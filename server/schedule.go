package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/reports"
	"github.com/robfig/cron/v3"
)

// Schedule is one report written on a schedule: on a cron expression, or
// once on a date. Its period is either From/To, or a Period relative to the
// run, or (neither) the 12 months ending with the month of the latest referral.
//
//	schedules:
//	  - {report: kpi, cron: "0 6 1 * *", period: last_month}
//	  - {report: kpi, on: 2025-01-15, from: 2024-04, to: 2024-12}
type Schedule struct {
	// Report names the report: one of Reports(). Required.
	Report string `yaml:"report"`
	// Cron is a cron expression (robfig/cron standard: "0 6 1 * *",
	// "@monthly", "@every 24h"), in the server's time zone.
	Cron string `yaml:"cron,omitempty"`
	// On is a date, YYYY-MM-DD, on which the report is written once, at At.
	// Exactly one of Cron and On is required.
	On string `yaml:"on,omitempty"`
	// At is the time of day of On, HH:MM. Default 06:00.
	At string `yaml:"at,omitempty"`
	// From and To are the months reported, YYYY-MM (both or neither).
	From string `yaml:"from,omitempty"`
	To   string `yaml:"to,omitempty"`
	// Period is relative to the day the report runs: last_month,
	// last_quarter (the last complete calendar quarter, which is a financial
	// quarter too) or financial_year_to_date (April of the financial year of
	// the last complete month, to that month). Not with From/To.
	Period string `yaml:"period,omitempty"`
	// Service restricts the report to one service id. Default all.
	Service string `yaml:"service,omitempty"`
}

// Relative periods of a Schedule.
const (
	PeriodLastMonth           = "last_month"
	PeriodLastQuarter         = "last_quarter"
	PeriodFinancialYearToDate = "financial_year_to_date"
)

// reportWriter writes one report for the months from..to (empty: the 12
// months ending with the month of the latest referral) into dir.
type reportWriter func(ctx context.Context, s *Server, snap *snapshot, from, to, service, dir string) ([]string, error)

// reportWriters are the reports a schedule may name: those that `evalpipe
// report` can produce. Add a report here when the CLI can write it.
var reportWriters = map[string]reportWriter{
	"kpi": func(ctx context.Context, s *Server, snap *snapshot, from, to, service, dir string) ([]string, error) {
		res, err := s.result(ctx, snap, from, to, service)
		if err != nil {
			return nil, err
		}
		return reports.WriteKPI(res, snap.w.Catalogue(), s.cfg.Disclosure, dir)
	},
	"interim":         evaluationWriter("interim"),
	"peer-impact":     evaluationWriter("peer-impact"),
	"crisis-savings":  evaluationWriter("crisis-savings"),
	"you-said-we-did": evaluationWriter("you-said-we-did"),
}

// evaluationWriter writes one of the evaluation reports, with its inputs
// gathered exactly as `evalpipe report NAME` gathers them. (Consultation
// packs are record-level and per clinician: not scheduled.)
func evaluationWriter(name string) reportWriter {
	return func(ctx context.Context, s *Server, snap *snapshot, from, to, service, dir string) ([]string, error) {
		res, err := s.result(ctx, snap, from, to, service) // resolves the default period as the KPI report does
		if err != nil {
			return nil, err
		}
		g := &reports.Gatherer{Warehouse: snap.w, Period: res.Period, Service: service, TalkingTherapies: res}
		in, err := g.Gather(ctx, name, "peer_coaching", "")
		if err != nil {
			return nil, err
		}
		in.StaffNames = s.cfg.StaffNames
		w, err := reports.WriteReport(ctx, name, in, snap.w.Catalogue(), s.cfg.Disclosure, dir, name)
		return w.Paths, err
	}
}

// Reports lists the report names a schedule may use.
func Reports() []string {
	out := make([]string, 0, len(reportWriters))
	for k := range reportWriters {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Validate checks a schedule; field is how the caller names it in errors
// (e.g. "serve.schedules[1]"). Each error names the field and the fix.
func (sc *Schedule) Validate(field string) error {
	if _, ok := reportWriters[sc.Report]; !ok {
		if sc.Report == "" {
			return fmt.Errorf("%s.report is required: one of %s", field, strings.Join(Reports(), ", "))
		}
		return fmt.Errorf("%s.report = %q: not a report that can be scheduled; available: %s", field, sc.Report, strings.Join(Reports(), ", "))
	}
	switch {
	case sc.Cron == "" && sc.On == "":
		return fmt.Errorf("%s: give cron (e.g. \"0 6 1 * *\" for 06:00 on the 1st of each month) or on (a date, YYYY-MM-DD)", field)
	case sc.Cron != "" && sc.On != "":
		return fmt.Errorf("%s: give cron or on, not both", field)
	case sc.Cron != "":
		if _, err := cron.ParseStandard(sc.Cron); err != nil {
			return fmt.Errorf("%s.cron = %q: %v; want a cron expression such as \"0 6 1 * *\", \"@monthly\" or \"@every 24h\"", field, sc.Cron, err)
		}
		if sc.At != "" {
			return fmt.Errorf("%s.at goes with on, not cron; put the time in the cron expression", field)
		}
	default:
		if _, err := time.Parse(time.DateOnly, sc.On); err != nil {
			return fmt.Errorf("%s.on = %q: want a date YYYY-MM-DD, e.g. 2025-01-15", field, sc.On)
		}
		if sc.At != "" {
			if _, err := time.Parse("15:04", sc.At); err != nil {
				return fmt.Errorf("%s.at = %q: want a time of day HH:MM, e.g. 06:00", field, sc.At)
			}
		}
	}
	for name, v := range map[string]string{"from": sc.From, "to": sc.To} {
		if _, err := time.Parse("2006-01", v); v != "" && err != nil {
			return fmt.Errorf("%s.%s = %q: want a month YYYY-MM, e.g. 2024-04", field, name, v)
		}
	}
	if (sc.From == "") != (sc.To == "") {
		return fmt.Errorf("%s: give both from and to (YYYY-MM), or neither", field)
	}
	if sc.From != "" && sc.From > sc.To {
		return fmt.Errorf("%s: from %s is after to %s", field, sc.From, sc.To)
	}
	switch sc.Period {
	case "", PeriodLastMonth, PeriodLastQuarter, PeriodFinancialYearToDate:
	default:
		return fmt.Errorf("%s.period = %q: want %s, %s or %s (or from and to)", field, sc.Period, PeriodLastMonth, PeriodLastQuarter, PeriodFinancialYearToDate)
	}
	if sc.Period != "" && sc.From != "" {
		return fmt.Errorf("%s: give period or from/to, not both", field)
	}
	return nil
}

// String describes the schedule for logs.
func (sc Schedule) String() string {
	when := sc.Cron
	if sc.On != "" {
		when = "on " + sc.On + " " + sc.at()
	}
	period := sc.Period
	switch {
	case sc.From != "":
		period = sc.From + ".." + sc.To
	case period == "":
		period = "12 months to the latest data"
	}
	return fmt.Sprintf("%s (%s; %s)", sc.Report, when, period)
}

func (sc Schedule) at() string {
	if sc.At == "" {
		return "06:00"
	}
	return sc.At
}

// cronSchedule is when sc runs, in loc.
func (sc Schedule) cronSchedule(loc *time.Location) (cron.Schedule, error) {
	if sc.Cron != "" {
		return cron.ParseStandard("CRON_TZ=" + loc.String() + " " + sc.Cron)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", sc.On+" "+sc.at(), loc)
	if err != nil {
		return nil, err
	}
	return once(t), nil
}

// once is a cron.Schedule that fires at one instant (never once it has
// passed: cron treats a zero Next as "not again").
type once time.Time

func (o once) Next(t time.Time) time.Time {
	if at := time.Time(o); t.Before(at) {
		return at
	}
	return time.Time{}
}

// Months resolves the schedule's period for a run at now (in loc): from
// and to as YYYY-MM, or both empty for the default.
func (sc Schedule) Months(now time.Time, loc *time.Location) (from, to string) {
	if sc.From != "" {
		return sc.From, sc.To
	}
	now = now.In(loc)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	last := thisMonth.AddDate(0, -1, 0) // the last complete month
	switch sc.Period {
	case PeriodLastMonth:
		return last.Format("2006-01"), last.Format("2006-01")
	case PeriodLastQuarter:
		// The quarter before the one now is in: Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec.
		qStart := time.Date(now.Year(), now.Month()-(now.Month()-1)%3, 1, 0, 0, 0, 0, loc)
		f := qStart.AddDate(0, -3, 0)
		return f.Format("2006-01"), qStart.AddDate(0, -1, 0).Format("2006-01")
	case PeriodFinancialYearToDate:
		y := last.Year()
		if last.Month() < time.April {
			y--
		}
		return fmt.Sprintf("%04d-04", y), last.Format("2006-01")
	}
	return "", ""
}

// scheduledReport writes sc's report into DATA/reports/<UTC timestamp>/,
// under the server's disclosure policy, and logs and counts the run.
func (s *Server) scheduledReport(ctx context.Context, sc Schedule) {
	s.reportMu.Lock() // a slow run is not overlapped by the next tick
	defer s.reportMu.Unlock()
	files, err := s.WriteScheduled(ctx, sc, time.Now())
	if err != nil {
		s.m.reportRuns.WithLabelValues("error").Inc()
		s.log.Error("scheduled report failed", "schedule", sc.String(), "err", err)
		return
	}
	s.m.reportRuns.WithLabelValues("ok").Inc()
	s.log.Info("scheduled report written", "schedule", sc.String(), "files", files)
}

// WriteScheduled writes sc's report now, as its schedule does.
func (s *Server) WriteScheduled(ctx context.Context, sc Schedule, now time.Time) ([]string, error) {
	write, ok := reportWriters[sc.Report]
	if !ok {
		return nil, fmt.Errorf("report %q: unknown; available: %s", sc.Report, strings.Join(Reports(), ", "))
	}
	snap, release := s.snaps.acquire()
	defer release()
	if snap == nil {
		return nil, errors.New("report: the warehouse is not open yet")
	}
	from, to := sc.Months(now, s.cfg.location())
	dir := filepath.Join(s.cfg.reportsDir(), now.UTC().Format("20060102T150405Z"))
	if len(s.cfg.Schedules) > 1 {
		dir += "-" + sc.Report
	}
	files, err := write(ctx, s, snap, from, to, sc.Service, dir)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", sc.Report, err)
	}
	return files, nil
}

// WriteReport writes the KPI report for the 12 months ending with the
// month of the latest referral, as the default schedule does.
func (s *Server) WriteReport(ctx context.Context, now time.Time) ([]string, error) {
	return s.WriteScheduled(ctx, Schedule{Report: "kpi", Cron: s.cfg.ReportSchedule}, now)
}

// startSchedules starts a cron runner with every schedule.
func (s *Server) startSchedules(ctx context.Context) (*cron.Cron, error) {
	loc := s.cfg.location()
	c := cron.New(cron.WithLocation(loc))
	now := time.Now()
	for i, sc := range s.cfg.Schedules {
		cs, err := sc.cronSchedule(loc)
		if err != nil {
			return nil, fmt.Errorf("server: schedules[%d]: %w", i, err)
		}
		if cs.Next(now).IsZero() {
			s.log.Warn("scheduled report: its date has passed; it will not run", "schedule", sc.String())
			continue
		}
		c.Schedule(cs, cron.FuncJob(func() { s.scheduledReport(ctx, sc) }))
		s.log.Info("report scheduled", "schedule", sc.String(), "next", cs.Next(now).Format(time.RFC3339))
	}
	c.Start()
	return c, nil
}
