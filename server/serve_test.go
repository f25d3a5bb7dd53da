package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/cmd/evalpipe/cli"
)

// syncBuffer is a bytes.Buffer safe for the server's writes and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is one `evalpipe serve` started through the CLI.
type running struct {
	url    string
	stdout *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// serve starts `evalpipe serve` on data with fast settings and waits for
// /readyz.
func serve(t *testing.T, data string, extra ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	stderr := &syncBuffer{}
	// The report schedule and a query timeout come from the config file;
	// the --query-timeout flag overrides the file's. So do the evaluation
	// settings (here one ADSM threshold), which the served warehouse must
	// read as the report commands do.
	config := filepath.Join(data, "evalpipe.yaml")
	if err := os.WriteFile(config, []byte(`serve:
  query_timeout: 1m
  schedules:
    - {report: kpi, cron: "@every 2s", from: 2024-01, to: 2024-01}
    - {report: you-said-we-did, cron: "@every 3s", from: 2024-01, to: 2024-01}
evaluation:
  thresholds:
    - {measure: pdss, caseness: 8, reliable_change: 5, source: "serve test"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data", data, "--config", config, "serve", "--listen", "127.0.0.1:0",
		"--inbox-every", "200ms", "--poll-every", "300ms",
		"--idle-flush", "300ms", "--refresh-every", "300ms", "--query-timeout", "2s"}, extra...)
	go func() { r.done <- cli.Run(ctx, args, r.stdout, stderr) }()
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(60 * time.Second)
	for r.url == "" {
		if m := addr.FindStringSubmatch(r.stdout.String()); m != nil {
			r.url = m[1]
			break
		}
		select {
		case err := <-r.done:
			t.Fatalf("serve exited: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
	}
	waitFor(t, 30*time.Second, "ready", func() bool {
		resp, err := http.Get(r.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
		r.done <- nil // a second stop returns at once
	case <-time.After(60 * time.Second):
		t.Errorf("serve did not stop within 60s of cancellation")
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// call makes a request and returns the status and body.
func call(t *testing.T, method, url, token, accept, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// referrals returns n referral.received events from source, in January 2024.
func referrals(source string, n, from int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, `{"event_id":"%s-%03d","type":"referral.received","occurred_at":"2024-01-%02dT09:00:00Z","recorded_at":"2024-01-%02dT10:00:00Z","source":"%s","service":"svc-north","person":"p_%s_%d","referral_id":"%s-r%03d","data":{"programme":"talking_therapies","referral_source":"gp","problem":"depression"}}`+"\n",
			source, i, 1+i%28, 1+i%28, source, source, i, source, i)
	}
	return b.String()
}

func adminToken(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(ep_[0-9a-f]+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve did not print an admin token:\n%s", out)
	}
	return m[1]
}

func newToken(t *testing.T, data, role, name string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := cli.Run(context.Background(), []string{"--data", data, "token", "add", "--role", role, "--name", name}, &out, &errb); err != nil {
		t.Fatalf("token add: %v: %s", err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

func metricValue(t *testing.T, url, token string) (float64, bool) {
	code, body := call(t, "GET", url+"/api/metrics/referrals_received?from=2024-01&to=2024-01", token, "", "")
	if code != 200 {
		return 0, false
	}
	var m struct {
		Value struct {
			Value *float64 `json:"value"`
		} `json:"value"`
	}
	if json.Unmarshal([]byte(body), &m) != nil || m.Value.Value == nil {
		return 0, false
	}
	return *m.Value.Value, true
}

func queryCount(t *testing.T, url, token, sql string) (int, bool) {
	code, body := call(t, "POST", url+"/api/query", token, "application/json", sql)
	if code != 200 {
		return 0, false
	}
	var res struct {
		Rows [][]any `json:"rows"`
	}
	if json.Unmarshal([]byte(body), &res) != nil || len(res.Rows) != 1 {
		return 0, false
	}
	n, _ := res.Rows[0][0].(float64)
	return int(n), true
}

// The whole server: three sources reach /api/metrics, reports appear on
// schedule, roles and the sandbox hold, Arrow round-trips, and a
// cancellation in the middle loses nothing.
func TestServe(t *testing.T) {
	data := t.TempDir()
	// The polled API: one page of 10 events, then nothing.
	var polls sync.Mutex
	cursors := []string{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Lock()
		cursors = append(cursors, r.URL.Query().Get("cursor"))
		polls.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("cursor") == "" {
			var evs []json.RawMessage
			for _, l := range strings.Split(strings.TrimSpace(referrals("api", 10, 0)), "\n") {
				evs = append(evs, json.RawMessage(l))
			}
			json.NewEncoder(w).Encode(map[string]any{"events": evs, "next_cursor": "page-2"})
			return
		}
		w.Write([]byte(`{"events":[],"next_cursor":"page-2"}`))
	}))
	defer api.Close()

	srv := serve(t, data, "--poll-url", api.URL)
	admin := adminToken(t, srv.stdout.String())
	if b, _ := os.ReadFile(filepath.Join(data, "server", "tokens.json")); strings.Contains(string(b), admin) {
		t.Fatal("tokens.json holds the token itself, want only its hash")
	}
	if st, err := os.Stat(filepath.Join(data, "server", "tokens.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("tokens.json mode: %v %v, want 0600", st, err)
	}

	// Push: per-line answers, idempotent by event_id.
	body := referrals("push", 10, 0) + "{\"event_id\":\"bad-1\",\"type\":\"referral.received\"}\n"
	code, out := call(t, "POST", srv.url+"/v1/events", admin, "", body)
	var answers []struct {
		Line           int
		Status, Reason string
	}
	if code != 200 || json.Unmarshal([]byte(out), &answers) != nil || len(answers) != 11 {
		t.Fatalf("push: %d %s", code, out)
	}
	for i, a := range answers[:10] {
		if a.Status != "ingested" || a.Line != i+1 {
			t.Errorf("push line %d: %+v, want ingested", i+1, a)
		}
	}
	if a := answers[10]; a.Status != "dead_lettered" || a.Reason == "" {
		t.Errorf("bad line: %+v, want dead_lettered with a reason", a)
	}
	code, out = call(t, "POST", srv.url+"/v1/events", admin, "", referrals("push", 10, 0))
	if code != 200 || strings.Count(out, `"duplicate"`) != 10 {
		t.Errorf("the same push again: %d %s, want 10 duplicates", code, out)
	}

	// Inbox: a complete file is taken and moved to processed/.
	inbox := filepath.Join(data, "inbox")
	os.MkdirAll(inbox, 0o755)
	if err := os.WriteFile(filepath.Join(inbox, "export.ndjson"), []byte(referrals("inbox", 10, 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inbox, "export.ndjson.done"), nil, 0o644)
	os.WriteFile(filepath.Join(inbox, "broken.csv"), []byte("a,b\n1,2\n"), 0o644)

	// All three sources in /api/metrics within the bound.
	start := time.Now()
	waitFor(t, 60*time.Second, "30 referrals in /api/metrics", func() bool {
		v, ok := metricValue(t, srv.url, admin)
		return ok && v == 30
	})
	t.Logf("30 referrals from push, inbox and API visible in /api/metrics after %s", time.Since(start).Round(100*time.Millisecond))
	if _, err := os.Stat(filepath.Join(inbox, "processed", "export.ndjson")); err != nil {
		t.Errorf("inbox file not in processed/: %v", err)
	}
	waitFor(t, 10*time.Second, "broken.csv in failed/ with a reason", func() bool {
		b, err := os.ReadFile(filepath.Join(inbox, "failed", "broken.csv.reason.txt"))
		return err == nil && strings.Contains(string(b), "mapping")
	})

	// A scheduled report: its files, and the run counted once every format
	// (the PDF, rendered by Chromium, comes last) is written.
	waitFor(t, 30*time.Second, "a scheduled KPI report", func() bool {
		m, _ := filepath.Glob(filepath.Join(data, "reports", "*", "kpi.html"))
		return len(m) > 0
	})
	waitFor(t, 60*time.Second, "a scheduled evaluation report", func() bool {
		m, _ := filepath.Glob(filepath.Join(data, "reports", "*", "you-said-we-did.json"))
		return len(m) > 0
	})
	waitFor(t, 60*time.Second, "a completed scheduled report run", func() bool {
		_, body := call(t, "GET", srv.url+"/metrics", "", "", "")
		return strings.Contains(body, `evalpipe_report_runs_total{outcome="ok"}`)
	})

	evaluator := newToken(t, data, "evaluator", "alice")
	commissioner := newToken(t, data, "commissioner", "icb")

	t.Run("roles", func(t *testing.T) {
		sql := "SELECT person, referral_id FROM referrals"
		for _, tc := range []struct {
			name, method, path, token, body string
			want                            int
		}{
			{"no token", "POST", "/api/query", "", sql, 401},
			{"wrong token", "POST", "/api/query", "ep_0000", sql, 401},
			{"no token, metrics", "GET", "/api/metrics/referrals_received", "", "", 401},
			{"commissioner SQL", "POST", "/api/query", commissioner, sql, 403},
			{"commissioner push", "POST", "/v1/events", commissioner, referrals("x", 1, 0), 403},
			{"evaluator push", "POST", "/v1/events", evaluator, referrals("x", 1, 0), 403},
			{"commissioner metrics", "GET", "/api/metrics/referrals_received?from=2024-01&to=2024-01", commissioner, "", 200},
			{"commissioner reports", "GET", "/reports/", commissioner, "", 200},
			{"evaluator SQL", "POST", "/api/query", evaluator, sql, 200},
		} {
			code, body := call(t, tc.method, srv.url+tc.path, tc.token, "application/json", tc.body)
			if code != tc.want {
				t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.want, body)
			}
			if code >= 400 && (strings.Contains(body, "p_push") || strings.Contains(body, "rows")) {
				t.Errorf("%s: refused, yet the body has data: %s", tc.name, body)
			}
			if tc.name == "evaluator SQL" && strings.Count(body, "push-r0") != 10 {
				t.Errorf("evaluator SQL: want the 10 pushed referrals, got %s", body)
			}
		}
		b, _ := os.ReadFile(filepath.Join(data, "server", "audit.ndjson"))
		if !strings.Contains(string(b), `"who":"alice"`) || !strings.Contains(string(b), `"sql":"SELECT person, referral_id FROM referrals"`) {
			t.Errorf("audit log lacks alice's query:\n%s", b)
		}
	})

	t.Run("sandbox", func(t *testing.T) {
		for _, tc := range []struct {
			name, token, sql string
			want             int
			says             string
		}{
			{"read_csv evaluator", evaluator, "SELECT * FROM read_csv('/etc/passwd')", 400, "not available to evaluators"},
			{"read_csv admin", admin, "SELECT * FROM read_csv('/etc/passwd')", 400, "sandbox"},
			{"read_text admin", admin, "SELECT * FROM read_text('/etc/passwd')", 400, "sandbox"},
			{"raw events evaluator", evaluator, "SELECT text FROM events", 400, "not available to evaluators"},
			{"raw events through a CTE of their name", evaluator, "WITH events AS (SELECT * FROM main.events) SELECT text FROM events", 400, "not available to evaluators"},
			{"raw events through a CTE that names itself", evaluator, "WITH events AS (SELECT * FROM events) SELECT text FROM events", 400, "not available to evaluators"},
			{"raw events through a CTE shadowing an allowed name", evaluator, "WITH referrals AS (SELECT * FROM memory.main.events) SELECT text FROM referrals", 400, "not available to evaluators"},
			{"saved build's tables", evaluator, "SELECT * FROM saved_build.main.corrections", 400, "not available to evaluators"},
			{"summarize events", evaluator, "SUMMARIZE events", 400, "statements are not allowed"},
			{"summarize events in a subquery", evaluator, "SELECT * FROM (SUMMARIZE events)", 400, "not available"},
			{"summarize a query of events", evaluator, "SUMMARIZE SELECT text FROM events", 400, "statements are not allowed"},
			{"describe events", evaluator, "DESCRIBE events", 400, "statements are not allowed"},
			{"from-first events", evaluator, "FROM events SELECT text", 400, "statements are not allowed"},
			{"pivot events", evaluator, "PIVOT events ON type USING first(text)", 400, "statements are not allowed"},
			{"lake file evaluator", evaluator, "SELECT * FROM 'lake/feedback/x.parquet'", 400, "not available to evaluators"},
			{"copy", admin, "COPY (SELECT 1) TO '/tmp/evalpipe-x.csv'", 400, "COPY statements are not allowed"},
			{"attach", admin, "ATTACH '/tmp/x.db'", 400, "ATTACH statements are not allowed"},
			{"install", admin, "INSTALL httpfs", 400, "INSTALL statements are not allowed"},
			{"load", admin, "LOAD httpfs", 400, "LOAD statements are not allowed"},
			{"set", admin, "SET enable_external_access = true", 400, "SET statements are not allowed"},
			{"pragma", admin, "PRAGMA version", 400, "not allowed"},
			{"two statements", admin, "SELECT 1; SELECT 2", 400, "more than one statement"},
			{"too long", evaluator, "SELECT count(*) FROM range(1e12::BIGINT)", 408, "longer than the 2s limit"},
		} {
			code, body := call(t, "POST", srv.url+"/api/query", tc.token, "", tc.sql)
			if code != tc.want || !strings.Contains(body, tc.says) {
				t.Errorf("%s: %d %s; want %d saying %q", tc.name, code, body, tc.want, tc.says)
			}
			// The server keeps serving.
			if n, ok := queryCount(t, srv.url, evaluator, "SELECT count(*) FROM referrals"); !ok || n != 30 {
				t.Errorf("after %s: count(*) = %d, %v; want 30", tc.name, n, ok)
			}
		}
		if _, err := os.Stat("/tmp/evalpipe-x.csv"); err == nil {
			t.Error("COPY wrote a file")
		}
		// WITH still works for evaluators, under a new name or an allowed one.
		for _, q := range []string{
			"WITH r AS (SELECT * FROM referrals) SELECT count(*) FROM r",
			"WITH referrals AS (SELECT * FROM main.referrals) SELECT count(*) FROM referrals",
		} {
			if n, ok := queryCount(t, srv.url, evaluator, q); !ok || n != 30 {
				t.Errorf("%s: %d, %v; want 30", q, n, ok)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		code2, body2 := call(t, "POST", srv.url+"/api/query", evaluator, "text/csv", "SELECT split_part(referral_id, '-', 1) AS source, count(*) AS n FROM referrals GROUP BY ALL ORDER BY 1")
		if code2 != 200 || body2 != "source,n\napi,10\ninbox,10\npush,10\n" {
			t.Errorf("CSV: %d %q", code2, body2)
		}
	})

	// The configured threshold is in the served warehouse: before, serve
	// opened it without the evaluation settings, so every served recovery
	// figure fell back to GAD-7.
	t.Run("evaluation settings", func(t *testing.T) {
		code, body := call(t, "POST", srv.url+"/api/query", evaluator, "text/csv", "SELECT measure, source FROM measure_thresholds ORDER BY measure")
		if code != 200 || body != "measure,source\ngad7,\"NHS Digital, NHS Talking Therapies technical output specification\"\npdss,serve test\nphq9,\"NHS Digital, NHS Talking Therapies technical output specification\"\n" {
			t.Errorf("measure_thresholds: %d %q, want PHQ-9, GAD-7 and the configured PDSS", code, body)
		}
	})

	t.Run("arrow", func(t *testing.T) { testArrow(t, srv.url, evaluator, admin) })

	t.Run("prometheus", func(t *testing.T) {
		// Consumer lag, sampled every 5s, is 0 once the transformer has
		// committed everything (it was > 0 while events were pushed, or at
		// least was measured).
		waitFor(t, 15*time.Second, "consumer lag 0", func() bool {
			_, body := call(t, "GET", srv.url+"/metrics", "", "", "")
			return strings.Contains(body, "\nevalpipe_transform_consumer_lag 0\n")
		})
		// The pushed bad line reaches the lake's dead letters, and the
		// gauge at the refresh after.
		waitFor(t, 30*time.Second, "evalpipe_lake_dead_letters 1", func() bool {
			_, body := call(t, "GET", srv.url+"/metrics", "", "", "")
			return strings.Contains(body, "\nevalpipe_lake_dead_letters 1\n")
		})
		_, body := call(t, "GET", srv.url+"/metrics", "", "", "")
		for _, want := range []string{
			`evalpipe_ingest_lines_total{outcome="ingested",source="push"} 10`,
			`evalpipe_ingest_lines_total{outcome="duplicate",source="push"} 10`,
			`evalpipe_ingest_lines_total{outcome="dead_lettered",source="push"} 1`,
			`evalpipe_ingest_lines_total{outcome="ingested",source="inbox"} 10`,
			`evalpipe_ingest_lines_total{outcome="ingested",source="api"} 10`,
			`evalpipe_report_runs_total{outcome="ok"}`,
			`evalpipe_queries_total{status="408"} 1`,
			`evalpipe_lake_rows 30`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Run("readme curl", func(t *testing.T) { testReadme(t, srv.url, admin) })

	// Cancel in the middle: push, drop a file, cancel at once; after a
	// restart every event is in the lake once.
	code, out = call(t, "POST", srv.url+"/v1/events", admin, "", referrals("late", 7, 0))
	if code != 200 || strings.Count(out, `"ingested"`) != 7 {
		t.Fatalf("late push: %d %s", code, out)
	}
	os.WriteFile(filepath.Join(inbox, "late.ndjson"), []byte(referrals("lateinbox", 5, 0)), 0o644)
	os.WriteFile(filepath.Join(inbox, "late.ndjson.done"), nil, 0o644)
	time.Sleep(300 * time.Millisecond)
	srv.stop(t)
	srv2 := serve(t, data, "--poll-url", api.URL)
	want := 30 + 7 + 5 + 3 // the README's push adds 3
	waitFor(t, 60*time.Second, fmt.Sprintf("%d events in the lake after the restart", want), func() bool {
		n, ok := queryCount(t, srv2.url, admin, "SELECT count(DISTINCT event_id) FROM lake_events")
		return ok && n == want
	})
	if n, _ := queryCount(t, srv2.url, admin, "SELECT count(*) - count(DISTINCT event_id) FROM lake_events"); n != 0 {
		t.Errorf("%d events twice in the lake", n)
	}
}
