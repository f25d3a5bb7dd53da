package demo

import (
	"fmt"
	"time"
)

// Config says what service to generate. Zero values take the defaults, so
// Config{} is the standard demo data set.
type Config struct {
	// Referrals is the number of talking-therapies referrals over the whole
	// span; the other programmes scale with it. Default 8000.
	Referrals int
	// Seed selects the random streams; the same Config gives the same bytes.
	// Default 1 (so 0 cannot be chosen as a seed).
	Seed int64
	// Start is the first day of the span, taken as a date in Europe/London.
	// Default 2024-04-01, the start of a financial year.
	Start time.Time
	// Months is the length of the span. Default 12. The crisis service
	// launches at Start + Months/2.
	Months int
	// BadLines is the number of malformed lines mixed into the output
	// (truncated JSON, unknown type, bad enumeration value, PHQ-9 item out of
	// range, NHS number with a wrong check digit, missing occurred_at, and
	// one or two CSV rows with an unknown attendance status). Default 0.
	BadLines int
}

// Limits of Config, chosen to keep identifiers fixed-width and runs short.
const (
	MaxReferrals = 999_999
	MaxMonths    = 120
)

// Validate applies the defaults for zero values and checks the rest.
func (c *Config) Validate() error {
	if c.Referrals == 0 {
		c.Referrals = 8000
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Months == 0 {
		c.Months = 12
	}
	switch {
	case c.Referrals < 0 || c.Referrals > MaxReferrals:
		return fmt.Errorf("demo: Referrals is %d: want 1-%d (0 for the default 8000)", c.Referrals, MaxReferrals)
	case c.Months < 0 || c.Months > MaxMonths:
		return fmt.Errorf("demo: Months is %d: want 1-%d (0 for the default 12)", c.Months, MaxMonths)
	case c.Start.Year() < 2000 || c.Start.Year() > 2100:
		return fmt.Errorf("demo: Start is %s: want a date between 2000 and 2100", c.Start.Format(time.DateOnly))
	case c.BadLines < 0:
		return fmt.Errorf("demo: BadLines is %d: want 0 or more", c.BadLines)
	case c.BadLines > c.Referrals:
		return fmt.Errorf("demo: BadLines is %d: want at most Referrals (%d), so that bad lines stay a minority", c.BadLines, c.Referrals)
	}
	return nil
}

// Summary says what Generate wrote.
type Summary struct {
	// Files are the paths written, in a fixed order.
	Files []string
	// Events counts the distinct valid events by type, including the
	// session.recorded events that the CSV rows map to; duplicate deliveries
	// and bad lines are not counted.
	Events map[string]int
	// BadLines is the number of malformed lines and CSV rows written: ingest
	// should dead-letter exactly this many.
	BadLines int
	// Duplicates is the number of lines delivered a second time: ingest
	// should report exactly this many duplicates.
	Duplicates int
	// Settings is the evalpipe config written beside the exports (SettingsFile):
	// synthetic population shares, unit costs and crisis launch, labelled so.
	Settings string
}
