package server_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/cmd/evalpipe/cli"
)

// serve saves its warehouse build at most every --save-every, for its own
// next refresh and for the commands run beside it. Two batches of
// referrals arrive one after the other. Saving on every refresh, a report
// run beside serve then finds the build of the lake it reads and uses it
// as it is. Saving at most hourly, the build saved is still the one of
// the empty lake serve started on, and the report cannot use it.
func TestServeSavesItsBuild(t *testing.T) {
	const using = "using the saved build of this lake"
	for _, every := range []string{"1ms", "1h"} {
		t.Run("save-every "+every, func(t *testing.T) {
			data := t.TempDir()
			srv := serve(t, data, "--save-every", every)
			admin := adminToken(t, srv.stdout.String())
			pushed := pushTwoBatches(t, srv, admin, "save")
			// The refresh that showed the second batch has saved (or not)
			// before its snapshot was swapped in.
			report := func() string {
				var out, errb bytes.Buffer
				err := cli.Run(context.Background(), []string{"--data", data, "--config", filepath.Join(data, "evalpipe.yaml"),
					"report", "kpi", "--format", "json", "--out", "-"}, &out, &errb)
				if err != nil {
					t.Fatalf("report kpi beside serve: %v\n%s", err, errb.String())
				}
				return errb.String()
			}
			// /metrics: when the build was last saved, and how long the
			// refreshes took (one at start, at least one per batch).
			_, m := call(t, "GET", srv.url+"/metrics", "", "", "")
			savedAt, refreshes := promValue(t, m, "evalpipe_warehouse_saved_timestamp_seconds"), promValue(t, m, "evalpipe_warehouse_refresh_duration_seconds_count")
			if refreshes < 3 {
				t.Errorf("evalpipe_warehouse_refresh_duration_seconds_count = %v, want at least 3", refreshes)
			}
			if every == "1ms" && savedAt < float64(pushed[1].Unix()) {
				t.Errorf("saved at %v, before the second batch was pushed (%d): want a save after it", savedAt, pushed[1].Unix())
			}
			if every == "1h" && (savedAt == 0 || savedAt > float64(pushed[0].Unix())) {
				t.Errorf("saved at %v, want the start's save only, before the first batch was pushed (%d)", savedAt, pushed[0].Unix())
			}
			log := report()
			if got := strings.Contains(log, using); got != (every == "1ms") {
				t.Fatalf("report kpi beside serve --save-every %s: %q in its log is %v, want %v; the log:\n%s", every, using, got, !got, log)
			}
		})
	}
}

// promValue is the value of the series named (without labels) in a
// Prometheus text exposition.
func promValue(t *testing.T, exposition, name string) float64 {
	t.Helper()
	for _, l := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics:\n%s", name, exposition)
	return 0
}

// A save that fails (here DATA/warehouse is a file, so the directory cannot
// be made; a full disk fails the same way) is not tried again on every
// refresh: each try writes the whole build. It waits --save-every like a
// good save, the refreshes go on updating in memory, and /metrics counts
// the failures.
func TestServeSaveFailureWaits(t *testing.T) {
	for _, every := range []string{"1ms", "1h"} {
		t.Run("save-every "+every, func(t *testing.T) {
			data := t.TempDir()
			if err := os.WriteFile(filepath.Join(data, "warehouse"), []byte("not a directory\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			srv := serve(t, data, "--save-every", every)
			admin := adminToken(t, srv.stdout.String())
			pushTwoBatches(t, srv, admin, "savefail")
			_, m := call(t, "GET", srv.url+"/metrics", "", "", "")
			failures, refreshes := promValue(t, m, "evalpipe_warehouse_save_failures_total"), promValue(t, m, "evalpipe_warehouse_refresh_duration_seconds_count")
			if refreshes < 3 {
				t.Fatalf("evalpipe_warehouse_refresh_duration_seconds_count = %v, want at least 3", refreshes)
			}
			if saved := promValue(t, m, "evalpipe_warehouse_saved_timestamp_seconds"); saved != 0 {
				t.Errorf("evalpipe_warehouse_saved_timestamp_seconds = %v with no save possible, want 0", saved)
			}
			switch every {
			case "1h": // the start's try only
				if failures != 1 {
					t.Errorf("save failures = %v over %v refreshes with --save-every 1h, want 1 (the first refresh's)", failures, refreshes)
				}
			case "1ms": // every refresh tries
				if failures != refreshes {
					t.Errorf("save failures = %v over %v refreshes with --save-every 1ms, want one each", failures, refreshes)
				}
			}
		})
	}
}

// pushTwoBatches pushes ten referrals, waits until /api/metrics counts
// them, then ten more; it returns when each batch was pushed.
func pushTwoBatches(t *testing.T, srv *running, admin, prefix string) (pushed [2]time.Time) {
	t.Helper()
	for batch := range 2 {
		pushed[batch] = time.Now()
		if code, out := call(t, "POST", srv.url+"/v1/events", admin, "", referrals(prefix, 10, 10*batch)); code != 200 {
			t.Fatalf("push: %d %s", code, out)
		}
		want := float64(10 * (batch + 1))
		waitFor(t, 60*time.Second, "the batch in /api/metrics", func() bool {
			v, ok := metricValue(t, srv.url, admin)
			return ok && v == want
		})
	}
	return pushed
}
