package server_test

import (
	"bytes"
	"context"
	"path/filepath"
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
			for batch := range 2 {
				if code, out := call(t, "POST", srv.url+"/v1/events", admin, "", referrals("save", 10, 10*batch)); code != 200 {
					t.Fatalf("push: %d %s", code, out)
				}
				want := float64(10 * (batch + 1))
				waitFor(t, 60*time.Second, "the batch in /api/metrics", func() bool {
					v, ok := metricValue(t, srv.url, admin)
					return ok && v == want
				})
			}
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
			log := report()
			if got := strings.Contains(log, using); got != (every == "1ms") {
				t.Fatalf("report kpi beside serve --save-every %s: %q in its log is %v, want %v; the log:\n%s", every, using, got, !got, log)
			}
		})
	}
}
