package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadYAML(t *testing.T, text string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return LoadConfig(p)
}

func TestConfigServe(t *testing.T) {
	c, err := loadYAML(t, `serve:
  listen: 0.0.0.0:9090
  inbox: /srv/inbox
  poll: {url: https://forms.example/api/events, every: 30s}
  idle_flush: 5s
  memory_limit: 2GB
  query_timeout: 45s
  schedules:
    - {report: kpi, cron: "0 6 1 * *", period: last_month}
    - {report: kpi, on: 2025-01-15, from: 2024-04, to: 2024-12}
`)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Serve
	if s.Listen != "0.0.0.0:9090" || s.Inbox != "/srv/inbox" || s.Poll.URL != "https://forms.example/api/events" ||
		s.Poll.Every != 30*time.Second || s.IdleFlush != 5*time.Second || s.MemoryLimit != "2GB" || s.QueryTimeout != 45*time.Second {
		t.Errorf("serve: %+v", s)
	}
	if len(s.Schedules) != 2 || s.Schedules[0].Period != "last_month" || s.Schedules[1].On != "2025-01-15" || s.Schedules[1].From != "2024-04" {
		t.Errorf("schedules: %+v", s.Schedules)
	}

	for _, tc := range []struct{ yaml, says string }{
		{"serve: {listen: 8080}", `serve.listen = "8080": want HOST:PORT`},
		{"serve: {poll: {url: ftp://x}}", `serve.poll.url = "ftp://x"`},
		{"serve: {poll: {every: 5s}}", "serve.poll.every is set without serve.poll.url"},
		{"serve: {memory_limit: lots}", `serve.memory_limit = "lots": want a size such as 512MB`},
		{"serve: {idle_flush: -1s}", "serve.idle_flush = -1s"},
		{"serve: {schedules: [{report: consultation, cron: '@monthly'}]}", `serve.schedules[0].report = "consultation": not a report that can be scheduled; available: crisis-savings, interim, kpi, peer-impact, you-said-we-did`},
		{"serve: {schedules: [{report: kpi}]}", "serve.schedules[0]: give cron"},
		{"serve: {schedules: [{report: kpi, cron: '@monthly'}, {report: kpi, on: 2025-02-30}]}", `serve.schedules[1].on = "2025-02-30"`},
		{"serve: {schedules: [{report: kpi, cron: '@monthly', period: last_week}]}", `serve.schedules[0].period = "last_week"`},
		{"serve: {listn: x}", "field listn not found"},
	} {
		_, err := loadYAML(t, tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", tc.yaml, err, tc.says)
		}
	}
}
