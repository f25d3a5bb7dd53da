package warehouse

import (
	"encoding/json"
	"fmt"
	"time"
)

// ParsePeriod turns whole months YYYY-MM, both inclusive, into a Period:
// ParsePeriod("2024-04", "2025-03") is the financial year 2024/25. An empty
// to means the single month from.
func ParsePeriod(from, to string) (Period, error) {
	if to == "" {
		to = from
	}
	f, err := parseMonth("from", from)
	if err != nil {
		return Period{}, err
	}
	t, err := parseMonth("to", to)
	if err != nil {
		return Period{}, err
	}
	if t.Before(f) {
		return Period{}, fmt.Errorf("period: to %s is before from %s; write the earlier month first, e.g. --from 2024-04 --to 2025-03", to, from)
	}
	return Period{From: f, To: t.AddDate(0, 1, -1)}, nil
}

func parseMonth(name, s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return time.Time{}, fmt.Errorf("period: %s %q: want a month YYYY-MM, e.g. 2024-04", name, s)
	}
	return t, nil
}

// FinancialYear is the April-March year starting in April of year.
func FinancialYear(year int) Period {
	return Period{From: time.Date(year, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(year+1, 3, 31, 0, 0, 0, 0, time.UTC)}
}

// String is "2024-04-01..2025-03-31".
func (p Period) String() string {
	return p.From.Format(time.DateOnly) + ".." + p.To.Format(time.DateOnly)
}

// MarshalJSON writes the dates as YYYY-MM-DD, as CLI.md shows.
func (p Period) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly)})
}

// UnmarshalJSON reads dates YYYY-MM-DD (or RFC 3339 timestamps).
func (p *Period) UnmarshalJSON(b []byte) error {
	var m struct{ From, To string }
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var err error
	if p.From, err = parseDay(m.From); err != nil {
		return err
	}
	p.To, err = parseDay(m.To)
	return err
}

func parseDay(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("period: date %q: want YYYY-MM-DD", s)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

// day is a period end as the SQL parameter YYYY-MM-DD.
func day(t time.Time) string { return t.Format(time.DateOnly) }
