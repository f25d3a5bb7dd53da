package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A fixed pseudonymisation key, so that the binary never generates one.
const binKey = "6576616c706970652d7365727665722d746573742d6b65792d33322d62797465"

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// TestMain removes the binary evalpipeBin built, 112 MiB in the temporary
// directory for every run of these tests otherwise.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// evalpipeBin builds cmd/evalpipe once per test binary, as e2e's TestMain
// does, and returns its path.
func evalpipeBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalpipe-server-test")
		if err != nil {
			binErr = err
			return
		}
		binDir = dir
		binPath = filepath.Join(dir, "evalpipe")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/evalpipe").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// process is `evalpipe serve` running as a child process.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	url            string
	exited         chan error
}

func startServe(t *testing.T, data string, extra ...string) *process {
	t.Helper()
	args := append([]string{"--data", data, "serve", "--listen", "127.0.0.1:0",
		"--inbox-every", "100ms", "--idle-flush", "300ms", "--refresh-every", "300ms",
		"--report-every", "@every 1h"}, extra...)
	p := &process{cmd: exec.Command(evalpipeBin(t), args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+binKey)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(60 * time.Second)
	for p.url == "" {
		if m := addr.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			break
		}
		select {
		case err := <-p.exited:
			t.Fatalf("serve exited: %v\n%s", err, p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", p.stderr.String())
		}
	}
	waitFor(t, 30*time.Second, "ready", func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

// terminate sends SIGTERM and wants exit status 0 within d.
func (p *process) terminate(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v (want exit status 0)\nstderr:\n%s", err, p.stderr.String())
		}
	case <-time.After(d):
		t.Fatalf("serve did not exit within %s of SIGTERM\nstderr:\n%s", d, p.stderr.String())
	}
	return time.Since(start)
}

// push posts an NDJSON body; err is a transport error (e.g. the server
// closed the connection while shutting down).
func push(url, token, body string) (int, string, error) {
	req, err := http.NewRequest("POST", url+"/v1/events", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// runBin runs the binary to completion and returns its stdout.
func runBin(t *testing.T, data string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, evalpipeBin(t), append([]string{"--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+binKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("evalpipe %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// SIGTERM to the real binary while a push and an inbox file are in
// flight: it exits 0 within the deadline, and after a restart (and the
// client's retry of a push that was refused or cut off) every event pushed
// or dropped is in the lake exactly once, and the file is in processed/.
func TestServeSIGTERM(t *testing.T) {
	data := t.TempDir()
	p := startServe(t, data)
	admin := adminToken(t, p.stdout.String())

	const pushed, dropped = 300, 20000
	// A first push, answered before the signal.
	code, out, err := push(p.url, admin, referrals("pusha", pushed, 0))
	if err != nil || code != 200 || strings.Count(out, `"ingested"`) != pushed {
		t.Fatalf("push A: %d %v %.300s", code, err, out)
	}
	// A large inbox file, being ingested when the signal comes.
	inbox := filepath.Join(data, "inbox")
	if err := os.WriteFile(filepath.Join(inbox, "big.ndjson"), []byte(referrals("inbox", dropped, 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inbox, "big.ndjson.done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond) // two inbox polls: the file is taken
	// A second push in flight as the signal is sent.
	bodyB := referrals("pushb", pushed, 0)
	type answer struct {
		code int
		out  string
		err  error
	}
	resB := make(chan answer, 1)
	go func() {
		c, o, err := push(p.url, admin, bodyB)
		resB <- answer{c, o, err}
	}()
	time.Sleep(10 * time.Millisecond)
	took := p.terminate(t, 45*time.Second)
	b := <-resB
	t.Logf("exited 0 %s after SIGTERM; push B in flight got %d %v; inbox file processed at exit: %v",
		took.Round(10*time.Millisecond), b.code, b.err, fileExists(filepath.Join(inbox, "processed", "big.ndjson")))
	if b.err == nil && b.code == 200 && strings.Count(b.out, `"ingested"`) != pushed {
		t.Errorf("push B answered 200 but not %d ingested lines: %.300s", pushed, b.out)
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") {
		t.Errorf("errors logged during the shutdown:\n%s", p.stderr.String())
	}

	// Restart; a client whose push was not answered 200 retries it.
	p2 := startServe(t, data)
	if b.err != nil || b.code != 200 {
		code, out, err := push(p2.url, admin, bodyB)
		if err != nil || code != 200 || strings.Count(out, `"ingested"`)+strings.Count(out, `"duplicate"`) != pushed {
			t.Fatalf("push B retried: %d %v %.300s", code, err, out)
		}
	}
	want := 2*pushed + dropped
	waitFor(t, 60*time.Second, fmt.Sprintf("%d events in the lake", want), func() bool {
		n, ok := queryCount(t, p2.url, admin, "SELECT count(DISTINCT event_id) FROM lake_events")
		return ok && n == want
	})
	waitFor(t, 20*time.Second, "the inbox file in processed/", func() bool {
		return fileExists(filepath.Join(inbox, "processed", "big.ndjson"))
	})
	if fileExists(filepath.Join(inbox, "big.ndjson")) || fileExists(filepath.Join(inbox, "big.ndjson.done")) {
		t.Error("the inbox file or its marker is still in the inbox")
	}
	p2.terminate(t, 45*time.Second)

	// Stopped: the lake, read by `evalpipe query`, holds each event once.
	got := runBin(t, data, "query", "--format", "csv",
		"SELECT split_part(event_id, '-', 1) AS source, count(*) AS n, count(DISTINCT event_id) AS distinct_ids FROM lake_events GROUP BY ALL ORDER BY 1")
	wantCSV := fmt.Sprintf("source,n,distinct_ids\ninbox,%d,%d\npusha,%d,%d\npushb,%d,%d\n", dropped, dropped, pushed, pushed, pushed, pushed)
	if got != wantCSV {
		t.Errorf("lake after SIGTERM and restart:\n%s\nwant:\n%s", got, wantCSV)
	}

	t.Run("export", func(t *testing.T) { testExport(t, data) })
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
