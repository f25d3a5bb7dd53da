package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/evalpipe/evalpipe/warehouse"
	"github.com/robfig/cron/v3"
)

// Config is what `evalpipe serve` runs. The stage configurations come
// ready-made from the CLI (brokers resolved, pseudonymiser loaded).
type Config struct {
	// Data is the data directory. Required. The server keeps its tokens
	// and audit log in Data/server, reports in Data/reports.
	Data string
	// Listen is the HTTP address. Default 127.0.0.1:8080; port 0 picks one.
	Listen string
	// Inbox is the folder polled for exports. Default Data/inbox.
	Inbox string
	// InboxEvery is the inbox's poll interval. Default 2s.
	InboxEvery time.Duration
	// PollURL, when set, is an "events since cursor" API polled (see
	// ingest.Poller). Default none.
	PollURL string
	// PollEvery is the API's poll interval once caught up. Default 5s.
	PollEvery time.Duration
	// ReportSchedule is when the KPI report is written when Schedules is
	// empty: a cron expression (robfig/cron: "0 6 1 * *", "@every 1h",
	// "@monthly"). Default "0 6 1 * *", 06:00 on the first of each month.
	ReportSchedule string
	// Schedules are the reports written on schedule, in the warehouse's
	// time zone. Default: the KPI report on ReportSchedule.
	Schedules []Schedule
	// LagEvery is how often the transformer's consumer lag is sampled for
	// /metrics. Default 5s.
	LagEvery time.Duration
	// RefreshEvery is the wait between one check of the lake for new files
	// and the next, counted from the end of the check (and of the refresh
	// it started); when the lake's fingerprint changed the warehouse is
	// re-opened. Default 5s.
	RefreshEvery time.Duration
	// SaveEvery is how often, at most, a refresh saves its warehouse build
	// (Warehouse.Save, into Warehouse.SaveDir) for the refreshes and the
	// commands that follow. A refresh updates the last saved build for the
	// lake's new files (warehouse/update.go): were it never saved, each
	// refresh would redo everything since serve started, until past half
	// the referrals it built whole every time. Saving costs a copy of the
	// build's file (146 MiB at 10M events), so it is not done on every
	// refresh. Default 10m; a value no longer than RefreshEvery saves on
	// every refresh that has a new build.
	SaveEvery time.Duration
	// QueryTimeout bounds each /api/query request (and each /api/metrics
	// request, which is given at least a minute). Default 30s.
	QueryTimeout time.Duration
	// MemoryLimit is DuckDB's memory_limit, set by the server at open.
	// Default "1GB".
	MemoryLimit string
	// MaxQueryBytes bounds a /api/query body. Default 64 KiB.
	MaxQueryBytes int64
	// Disclosure is the policy of /api/metrics and the reports. Default nhs.
	Disclosure string
	// StaffNames are redacted from the quotes of scheduled reports. Default none.
	StaffNames []string

	// Ingest configures every source. Required.
	Ingest ingest.Config
	// Transform configures the continuous transformer (UntilCaughtUp is
	// forced false). Required.
	Transform transform.Config
	// Warehouse is the template for each snapshot. Lake is required. With
	// SaveDir and Save, a refresh saves its build at most every SaveEvery.
	Warehouse warehouse.Config

	// Logger receives the server's log. Default slog.Default().
	Logger *slog.Logger
	// Stdout receives the first admin token and the listening address.
	// Default io.Discard.
	Stdout io.Writer
}

// Validate applies the defaults above.
func (c *Config) Validate() error {
	if c.Data == "" {
		return errors.New("server: Data is required")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Inbox == "" {
		c.Inbox = filepath.Join(c.Data, "inbox")
	}
	if c.ReportSchedule == "" {
		c.ReportSchedule = "0 6 1 * *"
	}
	if _, err := cron.ParseStandard(c.ReportSchedule); err != nil {
		return fmt.Errorf("server: report schedule %q: %w (want a cron expression such as \"0 6 1 * *\" or \"@every 24h\")", c.ReportSchedule, err)
	}
	if len(c.Schedules) == 0 {
		c.Schedules = []Schedule{{Report: "kpi", Cron: c.ReportSchedule}}
	}
	for i := range c.Schedules {
		if err := c.Schedules[i].Validate(fmt.Sprintf("server: schedules[%d]", i)); err != nil {
			return err
		}
	}
	if c.Warehouse.TimeZone != "" {
		if _, err := time.LoadLocation(c.Warehouse.TimeZone); err != nil {
			return fmt.Errorf("server: time zone %q: %w", c.Warehouse.TimeZone, err)
		}
	}
	if c.LagEvery <= 0 {
		c.LagEvery = 5 * time.Second
	}
	if c.RefreshEvery <= 0 {
		c.RefreshEvery = 5 * time.Second
	}
	if c.SaveEvery <= 0 {
		c.SaveEvery = 10 * time.Minute
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = 30 * time.Second
	}
	if c.MemoryLimit == "" {
		c.MemoryLimit = "1GB"
	}
	if c.MaxQueryBytes <= 0 {
		c.MaxQueryBytes = 64 << 10
	}
	if c.Disclosure == "" {
		c.Disclosure = "nhs"
	}
	if c.Warehouse.Lake == "" {
		return errors.New("server: Warehouse.Lake is required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	c.Transform.UntilCaughtUp = false
	return nil
}

// location is the time zone of schedules and report periods: the
// warehouse's, else Europe/London as the warehouse defaults.
func (c *Config) location() *time.Location {
	tz := c.Warehouse.TimeZone
	if tz == "" {
		tz = "Europe/London"
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

func (c *Config) serverDir() string  { return filepath.Join(c.Data, "server") }
func (c *Config) reportsDir() string { return filepath.Join(c.Data, "reports") }

// TokensPath is where the token hashes live under a data directory.
func TokensPath(data string) string { return filepath.Join(data, "server", "tokens.json") }

// AuditPath is the audit log under a data directory.
func AuditPath(data string) string { return filepath.Join(data, "server", "audit.ndjson") }
