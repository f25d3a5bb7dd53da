package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newInbox(t *testing.T) (*Inbox, string) {
	t.Helper()
	kc, brokers := startBroker(t)
	dir := filepath.Join(t.TempDir(), "inbox")
	for _, d := range []string{dir, filepath.Join(dir, "processed"), filepath.Join(dir, "failed")} {
		os.MkdirAll(d, 0o755)
	}
	return &Inbox{Dir: dir, Config: testConfig(t, kc, brokers)}, dir
}

// A file without a marker is taken only once two polls see it unchanged:
// one still being written is left alone.
func TestInboxWaitsForStableFile(t *testing.T) {
	in, dir := newInbox(t)
	ctx := context.Background()
	path := filepath.Join(dir, "a.ndjson")
	os.WriteFile(path, []byte(session("s1", "p1")+"\n"), 0o644)
	in.Poll(ctx)
	if !fileExists(path) {
		t.Fatal("taken at first sight, before it was known to be complete")
	}
	// Still growing: not taken.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(session("s2", "p2") + "\n")
	f.Close()
	os.Chtimes(path, time.Now(), time.Now().Add(time.Second))
	in.Poll(ctx)
	if !fileExists(path) {
		t.Fatal("taken while it was still growing")
	}
	var taken Summary
	in.OnFile = func(_ string, sum Summary, err error) {
		if err != nil {
			t.Errorf("file failed: %v", err)
		}
		taken = sum
	}
	in.Poll(ctx) // unchanged since the last poll: complete
	if fileExists(path) || !fileExists(filepath.Join(dir, "processed", "a.ndjson")) {
		t.Fatal("a stable file was not moved to processed/")
	}
	if taken.Ingested != 2 {
		t.Errorf("ingested %d lines, want both", taken.Ingested)
	}
}

// A NAME.done marker says the file is complete: taken at once, and the
// marker removed.
func TestInboxDoneMarker(t *testing.T) {
	in, dir := newInbox(t)
	path := filepath.Join(dir, "b.ndjson")
	os.WriteFile(path, []byte(session("s1", "p1")+"\n"), 0o644)
	os.WriteFile(path+".done", nil, 0o644)
	in.Poll(context.Background())
	if !fileExists(filepath.Join(dir, "processed", "b.ndjson")) {
		t.Fatal("a file with its .done marker was not taken at once")
	}
	if fileExists(path + ".done") {
		t.Error("the .done marker was left behind")
	}
}

// A file that cannot be ingested goes to failed/ with the reason beside it;
// the inbox goes on with the others.
func TestInboxFailedWithReason(t *testing.T) {
	in, dir := newInbox(t)
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte("a,b\n1,2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.csv.done"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "d.ndjson"), []byte(session("s1", "p1")+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "d.ndjson.done"), nil, 0o644)
	in.Poll(context.Background())
	if !fileExists(filepath.Join(dir, "failed", "c.csv")) {
		t.Fatal("the unmappable CSV is not in failed/")
	}
	reason, err := os.ReadFile(filepath.Join(dir, "failed", "c.csv.reason.txt"))
	if err != nil || !strings.Contains(string(reason), "mapping") {
		t.Errorf("reason file: %q %v, want it to say a mapping is missing", reason, err)
	}
	if !fileExists(filepath.Join(dir, "processed", "d.ndjson")) {
		t.Error("the good file after the bad one was not processed")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
