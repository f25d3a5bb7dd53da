package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runSummary mirrors the parts of DATA/run-summary.json the tests read.
type runSummary struct {
	Ingest struct {
		Read, Ingested, DeadLettered, Duplicates int64
		ByCode                                   map[string]int64
	} `json:"ingest"`
	Warehouse map[string]any `json:"warehouse"`
	Reports   []string       `json:"reports"`
}

// The whole pipeline on generated data: every line is accounted for, and
// every ingested event reaches the lake once and the warehouse once.
func TestRunReconciles(t *testing.T) {
	data := t.TempDir()
	input := filepath.Join(data, "input")
	evalpipe(t, data, "demo-data", "--out", input, "--referrals", "300", "--bad-lines", "9")
	out := evalpipe(t, data, "run", "--input", input)
	if !strings.Contains(out, "kpi.html") {
		t.Errorf("run output does not say where the report is:\n%s", out)
	}
	var s runSummary
	readJSON(t, filepath.Join(data, "run-summary.json"), &s)
	in := s.Ingest
	if in.Read != in.Ingested+in.DeadLettered+in.Duplicates {
		t.Errorf("lines read %d != ingested %d + dead-lettered %d + duplicates %d", in.Read, in.Ingested, in.DeadLettered, in.Duplicates)
	}
	if in.DeadLettered < 9 {
		t.Errorf("dead-lettered %d, want at least the 9 bad lines", in.DeadLettered)
	}
	if in.Duplicates < 1 {
		t.Errorf("duplicates %d, want the demo's duplicate delivery counted", in.Duplicates)
	}
	// ingested = distinct lake rows = warehouse events.
	lakeRows := queryInt(t, data, "SELECT count(*) FROM lake_events")
	distinct := queryInt(t, data, "SELECT count(DISTINCT event_id) FROM lake_events")
	events := queryInt(t, data, "SELECT count(*) FROM visible_events")
	if lakeRows != in.Ingested || distinct != in.Ingested {
		t.Errorf("lake rows %d, distinct event_ids %d; want both = ingested %d", lakeRows, distinct, in.Ingested)
	}
	if events != distinct {
		t.Errorf("warehouse events %d != distinct lake events %d", events, distinct)
	}
	dead := queryInt(t, data, "SELECT count(*) FROM dead_letters")
	if dead != in.DeadLettered {
		t.Errorf("dead letters in the lake %d != dead-lettered at ingest %d", dead, in.DeadLettered)
	}
	for _, f := range s.Reports {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("report %s missing or empty: %v", f, err)
		}
	}
}

// Ingesting the same files again, or killing transform mid-way and running it
// again, changes no number.
func TestReplayChangesNoNumber(t *testing.T) {
	input := filepath.Join(t.TempDir(), "input")
	evalpipe(t, t.TempDir(), "demo-data", "--out", input, "--referrals", "400")

	// Reference: one clean run.
	clean := t.TempDir()
	evalpipe(t, clean, "run", "--input", input)
	want := kpiNumbers(t, clean)

	// The same input through a broker server, with transform killed -9.
	data := t.TempDir()
	stopBroker := startBroker(t, data)
	defer stopBroker()
	evalpipe(t, data, "ingest", input)
	second := evalpipe(t, data, "ingest", input)
	if !regexp.MustCompile(`(?m)^ingested\s+0$`).MatchString(second) {
		t.Errorf("second ingest of the same files ingested something:\n%s", second)
	}
	killTransformMidway(t, data)
	evalpipe(t, data, "transform", "--until-caught-up")
	got := kpiNumbers(t, data)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("KPIs after re-ingest and a killed transform differ from a clean run\ngot  %v\nwant %v", got, want)
	}
	if lake, distinct := queryInt(t, data, "SELECT count(*) FROM lake_events"), queryInt(t, data, "SELECT count(DISTINCT event_id) FROM lake_events"); lake != distinct {
		t.Errorf("lake holds %d rows for %d distinct events after the kill: not exactly once", lake, distinct)
	}
}

// startBroker runs `evalpipe broker` as a server on a free port and waits
// until other commands can find it.
func startBroker(t *testing.T, data string) func() {
	t.Helper()
	cmd := exec.Command(bin, "--data", data, "broker", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+testKey)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := filepath.Join(data, "broker", "ADDR")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("broker did not write %s within 30s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	}
}

// killTransformMidway starts a continuous transform and kills it with
// SIGKILL as soon as it has committed its first lake file.
func killTransformMidway(t *testing.T, data string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--data", data, "transform", "--max-file-rows", "500")
	cmd.Env = append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+testKey)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for {
		files, _ := filepath.Glob(filepath.Join(data, "lake", "*", "date=*", "*.parquet"))
		if len(files) > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("transform wrote no lake file within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func queryInt(t *testing.T, data, sql string) int64 {
	t.Helper()
	out := strings.TrimSpace(evalpipe(t, data, "query", "--format", "csv", sql))
	lines := strings.Split(out, "\n")
	var n int64
	if len(lines) != 2 {
		t.Fatalf("query %q: want a header and one row, got:\n%s", sql, out)
	}
	if _, err := fmt.Sscan(lines[1], &n); err != nil {
		t.Fatalf("query %q: %v in %q", sql, err, lines[1])
	}
	return n
}

// Usage errors exit 2 and say what to do; --help exits 0.
func TestUsage(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{[]string{"--help"}, 0, "run"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"run", "--nope"}, 2, "nope"},
		{[]string{"report", "kpi", "--from", "2024-13"}, 2, "2024-13"},
		{[]string{"demo-data"}, 2, "--out"},
		{[]string{"query"}, 2, "SQL"},
		{[]string{"--config", "/does/not/exist.yaml", "run"}, 1, "EVALPIPE_CONFIG"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, err := evalpipeErr(t, data, tt.args...)
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
}
