package events

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// timestampCases are RFC 3339 timestamps and near misses: every offset
// form, fractions of every length, leap days and seconds, month ends,
// the year range's edges (in local time, either side of UTC's), and
// forms time.Parse reads but parseTimestamp leaves to it.
var timestampCases = []string{
	"2024-05-01T09:30:00Z", "2024-05-01T09:30:00+01:00", "2024-05-01T09:30:00-01:00", "2024-05-01T09:30:00+00:00",
	"2024-05-01T09:30:00-00:00", "2024-05-01T09:30:00+23:59", "2024-05-01T09:30:00-23:59", "2024-05-01T09:30:00+24:00",
	"2024-05-01T09:30:00+01:60", "2024-05-01T09:30:00+05:30", "2024-05-01T09:30:00-09:45", "2024-05-01T09:30:00+0100",
	"2024-05-01T09:30:00+01", "2024-05-01T09:30:00 +01:00", "2024-05-01T09:30:00+1:00", "2024-05-01T09:30:00+01:0a",
	"2024-05-01T09:30:00z", "2024-05-01t09:30:00Z", "2024-05-01 09:30:00Z", "2024-05-01T09:30:00", "2024-05-01T09:30:00ZZ",
	"2024-05-01T09:30:00.Z", "2024-05-01T09:30:00,5Z", "2024-05-01T09:30:00.5", "2024-05-01T09:30:00.-5Z",
	"2024-05-01T09:30:00.1Z", "2024-05-01T09:30:00.12Z", "2024-05-01T09:30:00.123Z", "2024-05-01T09:30:00.1234Z",
	"2024-05-01T09:30:00.12345Z", "2024-05-01T09:30:00.123456Z", "2024-05-01T09:30:00.1234567Z",
	"2024-05-01T09:30:00.12345678Z", "2024-05-01T09:30:00.123456789Z", "2024-05-01T09:30:00.1234567891Z",
	"2024-05-01T09:30:00.123456789123456789Z", "2024-05-01T09:30:00.000000Z", "2024-05-01T09:30:00.999999999+01:00",
	"2024-05-01T09:30:00.000001-05:00", "2024-05-01T09:30:00.0000009Z", "2024-05-01T09:30:00.9999999-00:30",
	"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2000-02-29T12:00:00Z", "1900-02-29T12:00:00Z", "2100-02-28T12:00:00Z",
	"2100-02-29T12:00:00Z", "2024-04-31T00:00:00Z", "2024-12-31T23:59:59Z", "2024-12-31T23:59:60Z", "2016-12-31T23:59:60Z",
	"2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-00-01T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-00T00:00:00Z",
	"2024-01-32T00:00:00Z", "1900-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1899-12-31T23:30:00-01:00",
	"1900-01-01T00:30:00+01:00", "2200-12-31T23:59:59.999999999Z", "2200-12-31T23:30:00-01:00", "2201-01-01T00:00:00Z",
	"2201-01-01T00:30:00+01:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
	"1969-12-31T23:59:59.999999Z", "2024-03-31T01:00:00+00:00", "2024-10-27T01:30:00+01:00",
	"+2024-05-01T09:30:00Z", "２024-05-01T09:30:00Z", "2024-5-01T09:30:00Z", "2024-05-01T9:30:00Z", "2024/05/01T09:30:00Z",
	"2024-05-01T09:30:00Z ", " 2024-05-01T09:30:00Z", "2024-05-01T09:30:00+01:00x", "", "2024-05-01", "2024-05-01T09:30Z",
	"2024-05-01T09:30:0aZ", "2024-05-01T09:30:00\x00", "2024-05-01T09:30:00.12345678901234567890+01:00",
}

// TestParseTimestamp: where parseTimestamp answers it answers exactly as
// the general path (time.Parse, the year range, UTC, microseconds), and
// it answers for the common forms, which it is for.
func TestParseTimestamp(t *testing.T) {
	read := 0
	for _, s := range timestampCases {
		if checkParseTimestamp(t, s) {
			read++
		}
	}
	// Every day of six years, at times and offsets of every shape.
	for _, y := range []int{1900, 2000, 2023, 2024, 2100, 2200} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			for _, tail := range []string{"T00:00:00Z", "T23:59:59.5+14:00", "T12:34:56.789-11:30", "T00:00:00.000001-00:00"} {
				s := d.Format(time.DateOnly) + tail
				if !checkParseTimestamp(t, s) {
					t.Fatalf("parseTimestamp(%q) declines a plain timestamp", s)
				}
				read++
			}
		}
	}
	for _, s := range []string{"2024-05-01T09:30:00Z", "2024-05-01T09:30:00+01:00", "2024-05-01T09:30:00.123456Z",
		"2024-05-01T09:30:00.1-23:59", "2024-05-01T09:30:00.123456789+01:00", "1900-01-01T00:00:00Z", "2200-12-31T23:59:59Z"} {
		if _, ok := parseTimestamp([]byte(s)); !ok {
			t.Errorf("parseTimestamp(%q) declines a plain timestamp", s)
		}
	}
	t.Logf("%d timestamps read", read)
}

// slowTimestamp is envelope.timestamp's general path for s.
func slowTimestamp(s string) (time.Time, bool) {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || tm.Year() < 1900 || tm.Year() > 2200 {
		return time.Time{}, false
	}
	return tm.UTC().Truncate(time.Microsecond), true
}

// checkParseTimestamp fails when parseTimestamp reads s otherwise than
// the general path, or reads what the general path rejects; it reports
// whether it read s.
func checkParseTimestamp(t *testing.T, s string) bool {
	t.Helper()
	got, ok := parseTimestamp([]byte(s))
	want, wok := slowTimestamp(s)
	if ok && (!wok || !reflect.DeepEqual(got, want) || got.Location() != time.UTC) {
		t.Fatalf("parseTimestamp(%q) = %v, general path %v (%v)", s, got, want, wok)
	}
	return ok
}

// TestTimestampFastPathAgrees: whole events whose timestamps take or miss
// the fast path decode, and fail, exactly as with the fast path off, and
// DecodeAppend writes what json.Marshal writes.
func TestTimestampFastPathAgrees(t *testing.T) {
	opt := fixedOpts(t)
	n := 0
	for _, s := range timestampCases {
		q := fmt.Sprintf("%q", s)
		for _, l := range []string{
			`{"event_id":"e","type":"referral.status_changed","occurred_at":` + q + `,"source":"s","service":"v","person":"p","referral_id":"r","data":{"status":"agreed"}}`,
			`{"event_id":"e","type":"referral.status_changed","occurred_at":"2024-05-01T09:30:00Z","recorded_at":` + q + `,"source":"s","service":"v","person":"p","referral_id":"r","data":{"status":"agreed"}}`,
			// Escaped: the same text, which the fast path leaves alone.
			`{"event_id":"e","type":"referral.status_changed","occurred_at":` + strings.Replace(q, "T", `\u0054`, 1) + `,"source":"s","service":"v","person":"p","referral_id":"r","data":{"status":"agreed"}}`,
		} {
			decodeBoth(t, []byte(l), opt)
			checkDecodeAppend(t, []byte(l), opt)
			n++
		}
	}
	t.Logf("%d lines agree", n)
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range timestampCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		checkParseTimestamp(t, s)
	})
}
