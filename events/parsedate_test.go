package events

import (
	"fmt"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// TestParsePlainDate: parsePlainDate reads every plain date as time.Parse
// does, and formats it back to itself, across months, month ends and leap
// years; anything else it leaves to time.Parse.
func TestParsePlainDate(t *testing.T) {
	n := 0
	for _, y := range []int{0, 1, 4, 100, 400, 1899, 1900, 1999, 2000, 2023, 2024, 2100, 2200, 2400, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				if checkParsePlainDate(t, fmt.Sprintf("%04d-%02d-%02d", y, m, d)) {
					n++
				}
			}
		}
	}
	for _, s := range []string{"", "2024-1-01", "2024-01-1", "2024/01/01", "+024-01-01", "2024-01-01 ", "２024-01-01", "2024-0a-01", "-024-01-01"} {
		checkParsePlainDate(t, s)
	}
	if n < 15*12*28 {
		t.Fatalf("only %d plain dates read", n)
	}
}

// checkParsePlainDate fails when parsePlainDate disagrees with time.Parse
// on s, or declines a date time.Parse reads from s's plain form; it
// reports whether it read s.
func checkParsePlainDate(t *testing.T, s string) bool {
	t.Helper()
	d, ok := parsePlainDate(s)
	want, err := time.Parse(time.DateOnly, s)
	switch {
	case ok && (err != nil || !d.Equal(want) || d.Location() != want.Location() || d.Format(time.DateOnly) != s):
		t.Fatalf("parsePlainDate(%q) = %v, time.Parse %v %v", s, d, want, err)
	case !ok && err == nil && want.Format(time.DateOnly) == s:
		t.Fatalf("parsePlainDate(%q) declines a plain date", s)
	}
	return ok
}

func FuzzParsePlainDate(f *testing.F) {
	f.Add("2024-02-29")
	f.Add("2023-02-29")
	f.Fuzz(func(t *testing.T, s string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		checkParsePlainDate(t, s)
	})
}
