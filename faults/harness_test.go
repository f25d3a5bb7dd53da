//go:build faults

// Package faults kills, starves and poisons a real evalpipe pipeline and
// checks that the warehouse still counts every event exactly once. Like
// ../e2e it builds the binary in TestMain and drives it as subprocesses,
// against `evalpipe broker` servers on loopback; faults are injected with
// kill -9, SIGTERM, kcat and the failpoints of internal/failpoint
// (EVALPIPE_FAILPOINT).
//
// The tests need kcat and take a few minutes, so they sit behind the build
// tag "faults": run them with `make faults`. EVALPIPE_FAULT_SEED changes the
// seed of the random kill delays (default 1; the seed is logged).
package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

var (
	bin string
	// small and large are demo exports written once: small (150 referrals,
	// about 4,600 events) for the transform faults, large for killing ingest
	// part-way through a file of more than one checkpoint batch.
	small, large string
)

// A fixed key, so that every data directory gives the same pseudonyms and
// KPI reports can be compared with a clean run's.
const testKey = "6576616c706970652d6661756c742d746573742d6b65792d33322d6279746573"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "evalpipe-faults")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "evalpipe")
		build := exec.Command("go", "build", "-o", bin, "../cmd/evalpipe")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "faults: building evalpipe:", err)
			return 1
		}
		small, large = filepath.Join(dir, "small"), filepath.Join(dir, "large")
		for path, n := range map[string]string{small: "150", large: "700"} {
			if out, err := exec.Command(bin, "--data", dir, "demo-data", "--out", path, "--referrals", n).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "faults: demo-data: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

func seed(t *testing.T) *rand.Rand {
	s := uint64(1)
	if v := os.Getenv("EVALPIPE_FAULT_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("EVALPIPE_FAULT_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (EVALPIPE_FAULT_SEED)", s)
	return rand.New(rand.NewPCG(s, uint64(len(t.Name()))))
}

// command is an evalpipe invocation on one data directory.
func command(ctx context.Context, data string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--data", data}, args...)...)
	cmd.Env = append(append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+testKey), env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// evalpipe runs the binary to completion and returns its stdout, failing
// the test on a non-zero exit.
func evalpipe(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, errOut, err := evalpipeErr(t, data, nil, args...)
	if err != nil {
		t.Fatalf("evalpipe %s: %v\nstdout:\n%s\nstderr:\n%.4000s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func evalpipeErr(t *testing.T, data string, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := command(ctx, data, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// proc is a background evalpipe process whose stderr is kept.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

// Stderr is what the process wrote to stderr so far.
func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func start(t *testing.T, data string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: command(context.Background(), data, env, args...), done: make(chan struct{})}
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// exited reports whether the process ended within d, and its error.
func (p *proc) exited(d time.Duration) (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(d):
		return false, nil
	}
}

// killed reports whether err is the exit of a process killed by SIGKILL.
func killed(err error) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// brokerServer is `evalpipe broker` on a free loopback port.
type brokerServer struct {
	*proc
	data, addr string
}

func startBroker(t *testing.T, data string) *brokerServer {
	t.Helper()
	addrFile := filepath.Join(data, "broker", "ADDR")
	os.Remove(addrFile) // a kill -9 leaves it behind
	p := start(t, data, nil, "broker", "--listen", "127.0.0.1:0")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return &brokerServer{proc: p, data: data, addr: strings.TrimSpace(string(b))}
		}
		if ok, err := p.exited(0); ok {
			t.Fatalf("broker exited: %v\n%s", err, p.Stderr())
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not write %s within 30s", addrFile)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the broker with sig (SIGTERM: a clean shutdown; SIGKILL: a
// crash) and waits for it.
func (b *brokerServer) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	b.cmd.Process.Signal(sig)
	if ok, _ := b.exited(30 * time.Second); !ok {
		t.Fatalf("broker did not stop on %v within 30s", sig)
	}
}

var ingestedRE = regexp.MustCompile(`(?m)^ingested\s+(\d+)\s*$`)

// ingest runs `evalpipe ingest` and returns the count it ingested.
func ingest(t *testing.T, data string, input string) int64 {
	t.Helper()
	return ingestedOf(t, evalpipe(t, data, "ingest", input))
}

func ingestedOf(t *testing.T, out string) int64 {
	t.Helper()
	m := ingestedRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no 'ingested N' line in ingest output:\n%s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// queryInts runs one SQL query that returns a single row of integers.
func queryInts(t *testing.T, data, sql string) []int64 {
	t.Helper()
	out := strings.TrimSpace(evalpipe(t, data, "query", "--format", "csv", sql))
	lines := strings.Split(out, "\n")
	if len(lines) != 2 {
		t.Fatalf("query %q: want a header and one row, got:\n%s", sql, out)
	}
	var row []int64
	for _, f := range strings.Split(lines[1], ",") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("query %q: %v in %q", sql, err, lines[1])
		}
		row = append(row, n)
	}
	return row
}

// kpi is the part of the KPI report that must not change when the same
// events are seen again: the metrics, their breakdowns and the period.
func kpi(t *testing.T, data string) map[string]any {
	t.Helper()
	var rep map[string]any
	out := evalpipe(t, data, "report", "kpi", "--format", "json", "--disclosure", "none", "--out", "-")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report kpi json: %v", err)
	}
	return map[string]any{"metrics": rep["metrics"], "breakdowns": rep["breakdowns"], "period": rep["period"]}
}

// reference is a clean run of an input: what it ingests and its KPIs.
type reference struct {
	ingested int64
	kpi      map[string]any
}

var (
	refMu sync.Mutex
	refs  = map[string]*reference{}
)

// clean returns the reference of input, computing it once: ingest and
// transform --until-caught-up with nothing going wrong.
func clean(t *testing.T, input string) *reference {
	t.Helper()
	refMu.Lock()
	defer refMu.Unlock()
	if r := refs[input]; r != nil {
		return r
	}
	data := t.TempDir()
	r := &reference{ingested: ingest(t, data, input)}
	evalpipe(t, data, "transform", "--until-caught-up")
	r.kpi = kpi(t, data)
	refs[input] = r
	return r
}

// checkExactlyOnce is the invariant every fault test ends with: the lake
// holds each ingested event in exactly one row, the warehouse sees each
// once, no temporary file is left, and the KPIs are a clean run's.
func checkExactlyOnce(t *testing.T, data string, ref *reference) {
	t.Helper()
	got := queryInts(t, data, "SELECT (SELECT count(*) FROM lake_events), (SELECT count(DISTINCT event_id) FROM lake_events), (SELECT count(*) FROM visible_events)")
	rows, distinct, visible := got[0], got[1], got[2]
	if rows != ref.ingested || distinct != ref.ingested {
		t.Errorf("lake rows %d, distinct event_ids %d; want both = ingested %d", rows, distinct, ref.ingested)
	}
	if visible != distinct {
		t.Errorf("warehouse events %d != distinct lake events %d", visible, distinct)
	}
	if tmp := tempFiles(t, data); len(tmp) > 0 {
		t.Errorf("temporary files left in the lake after recovery: %v", tmp)
	}
	if k := kpi(t, data); !reflect.DeepEqual(k, ref.kpi) {
		t.Errorf("KPIs differ from a clean run's\ngot  %.2000v\nwant %.2000v", k, ref.kpi)
	}
}

// tempFiles lists the lake's temporary files (".<name>.parquet.tmp").
func tempFiles(t *testing.T, data string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(data, "lake", "*", "date=*", ".*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lakeFiles counts the committed lake files.
func lakeFiles(data string) int {
	m, _ := filepath.Glob(filepath.Join(data, "lake", "*", "date=*", "*.parquet"))
	return len(m)
}

// resetTransform forgets everything transform did on data: the lake and
// the consumer group's offsets, so that the next run starts from offset 0.
func resetTransform(t *testing.T, b *brokerServer) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(b.data, "lake")); err != nil {
		t.Fatal(err)
	}
	c := &kafka.Client{Addr: kafka.TCP(b.addr), Timeout: 10 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.DeleteGroups(context.Background(), &kafka.DeleteGroupsRequest{GroupIDs: []string{"evalpipe-transform"}})
		if err == nil {
			err = resp.Errors["evalpipe-transform"]
		}
		if err == nil || err == kafka.GroupIdNotFound {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delete consumer group: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// committedOffsets are the consumer group's committed offsets.
func committedOffsets(t *testing.T, addr string, topics []string) map[string]map[int]int64 {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	req := &kafka.OffsetFetchRequest{GroupID: "evalpipe-transform", Topics: map[string][]int{}}
	for _, tp := range topics {
		req.Topics[tp] = []int{0, 1, 2}
	}
	resp, err := c.OffsetFetch(context.Background(), req)
	if err != nil {
		t.Fatalf("offset fetch: %v", err)
	}
	out := map[string]map[int]int64{}
	for tp, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				t.Fatalf("offset fetch %s/%d: %v", tp, p.Partition, p.Error)
			}
			if out[tp] == nil {
				out[tp] = map[int]int64{}
			}
			out[tp][p.Partition] = p.CommittedOffset
		}
	}
	return out
}

// waitFor polls cond every 50ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
