package warehouse

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The arithmetic local date agrees with DuckDB's own AT TIME ZONE (ICU) in
// zones with summer time either side of UTC, half-hour and 45-minute
// offsets, a 30-minute daylight shift, negative summer time (Dublin), a zone
// that dropped its summer time (Sao Paulo, 2019) and UTC: at every
// transition and a second, an hour and a day either side of it, at random
// instants, outside the covered range (ICU's own answer) and for NULL.
func TestLocalDateExprMatchesICU(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tz := range []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "Europe/Dublin", "America/Sao_Paulo", "UTC"} {
		t.Run(tz, func(t *testing.T) {
			loc, err := time.LoadLocation(tz)
			if err != nil {
				t.Fatal(err)
			}
			tr := zoneTransitions(loc)
			var us []string
			for _, b := range tr.bounds {
				for _, d := range []int64{-86400e6, -3600e6, -1e6, 0, 1e6, 3600e6, 86400e6} {
					us = append(us, fmt.Sprint(b+d))
				}
			}
			lo, hi := localDateFrom.UnixMicro(), localDateTo.UnixMicro()
			for range 3000 {
				us = append(us, fmt.Sprint(lo+rng.Int64N(hi-lo)))
			}
			us = append(us, fmt.Sprint(lo), fmt.Sprint(lo-1), fmt.Sprint(hi-1), fmt.Sprint(hi),
				fmt.Sprint(time.Date(1975, 7, 1, 23, 30, 0, 0, time.UTC).UnixMicro()),
				fmt.Sprint(time.Date(2080, 7, 1, 23, 30, 0, 0, time.UTC).UnixMicro()), "NULL")
			expr, err := localDateSQL("ts", tz)
			if err != nil {
				t.Fatal(err)
			}
			q := fmt.Sprintf(`WITH i AS (SELECT make_timestamp(u)::TIMESTAMPTZ AS ts FROM (SELECT unnest([%s]::BIGINT[]) AS u))
				SELECT count(*), count(*) FILTER (WHERE (%s) IS NOT DISTINCT FROM (ts AT TIME ZONE %s)::DATE),
				       any_value(ts) FILTER (WHERE (%[2]s) IS DISTINCT FROM (ts AT TIME ZONE %[3]s)::DATE)
				FROM i`, strings.Join(us, ","), expr, sqlString(tz))
			var n, same int
			var bad sql.NullTime
			if err := db.QueryRow(q).Scan(&n, &same, &bad); err != nil {
				t.Fatal(err)
			}
			if n != len(us) || same != n {
				t.Errorf("%d of %d instants agree with AT TIME ZONE; one that does not: %v", same, n, bad.Time)
			}
			if fixed := tz == "UTC" || tz == "Asia/Kolkata"; fixed != (len(tr.bounds) == 0) {
				t.Errorf("%d transitions found in %s since %d", len(tr.bounds), tz, localDateFrom.Year())
			}
		})
	}
}
