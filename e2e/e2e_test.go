// Package e2e drives the evalpipe binary as a user would: through the real
// embedded Kafka-protocol broker, the consumer group, Parquet files on disk
// and DuckDB. Nothing is mocked.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var bin string

// A fixed key, so that two data directories give the same pseudonyms and
// their reports can be compared.
const testKey = "6576616c706970652d6532652d746573742d6b65792d33322d62797465732121"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "evalpipe-e2e")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "evalpipe")
	build := exec.Command("go", "build", "-o", bin, "../cmd/evalpipe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building evalpipe:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// evalpipe runs the binary with args and returns its stdout; it fails the
// test on a non-zero exit.
func evalpipe(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, errOut, err := evalpipeErr(t, data, args...)
	if err != nil {
		t.Fatalf("evalpipe %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func evalpipeErr(t *testing.T, data string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+testKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// kpiNumbers is the part of a KPI report that must not change when the same
// events are seen again: the metrics and their breakdowns.
func kpiNumbers(t *testing.T, data string, extra ...string) map[string]any {
	t.Helper()
	args := append([]string{"report", "kpi", "--format", "json", "--disclosure", "none", "--out", "-"}, extra...)
	var rep map[string]any
	if err := json.Unmarshal([]byte(evalpipe(t, data, args...)), &rep); err != nil {
		t.Fatalf("report kpi json: %v", err)
	}
	return map[string]any{"metrics": rep["metrics"], "breakdowns": rep["breakdowns"], "period": rep["period"]}
}
