package lake

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

func outcomeRow(t *testing.T, id string, offset int64) any {
	t.Helper()
	line := `{"event_id":"` + id + `","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","recorded_at":"2024-05-01T10:00:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"gad7","timepoint":"baseline","total":9}}`
	ev, err := events.Decode([]byte(line), events.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := ev.Row(1, offset)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func TestWriterCommitAndOffsets(t *testing.T) {
	root := t.TempDir()
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	w, err := Create(root, events.Outcomes, day, "evalpipe.outcomes", 1, 10, Options{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(10); i < 15; i++ {
		if err := w.Write(outcomeRow(t, "o"+string(rune('a'+i)), i)); err != nil {
			t.Fatal(err)
		}
	}
	if files, _ := Files(root); len(files) != 0 {
		t.Fatalf("uncommitted file visible: %+v", files)
	}
	if err := w.Commit(14); err != nil {
		t.Fatal(err)
	}
	files, err := Files(root)
	if err != nil {
		t.Fatal(err)
	}
	want := FileInfo{Path: filepath.Join(root, "outcomes", "date=2024-05-01", "evalpipe.outcomes+1+0000000000000000010.parquet"), Topic: "evalpipe.outcomes", Partition: 1, StartOffset: 10, EndOffset: 14, Rows: 5}
	if st, err := os.Stat(want.Path); err == nil {
		want.Size = st.Size()
	}
	if len(files) != 1 || files[0] != want {
		t.Errorf("Files = %+v, want [%+v]", files, want)
	}
	next, _ := NextOffsets(root)
	if got := next["evalpipe.outcomes"][1]; got != 15 {
		t.Errorf("next offset = %d, want 15", got)
	}
}

func TestFailedCommitLeavesNothing(t *testing.T) {
	root := t.TempDir()
	boom := errors.New("disk full")
	w, err := Create(root, events.Outcomes, time.Now(), "t", 0, 0, Options{BeforeRename: func(string) error { return boom }})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(outcomeRow(t, "o1", 0))
	if err := w.Commit(0); !errors.Is(err, boom) {
		t.Fatalf("Commit = %v, want %v", err, boom)
	}
	entries, _ := filepath.Glob(filepath.Join(root, "outcomes", "*", "*"))
	if len(entries) != 0 {
		t.Errorf("files left after a failed commit: %v", entries)
	}
}

func TestCleanTemp(t *testing.T) {
	root := t.TempDir()
	w, err := Create(root, events.Outcomes, time.Now(), "t", 0, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(outcomeRow(t, "o1", 0)) // a crash: never committed, never aborted
	n, err := CleanTemp(root)
	if err != nil || n != 1 {
		t.Errorf("CleanTemp = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(w.tmp); !os.IsNotExist(err) {
		t.Errorf("temp file still there: %v", err)
	}
}

func TestParseFileName(t *testing.T) {
	topic, p, s, ok := ParseFileName(FileName("evalpipe.referrals", 2, 123))
	if !ok || topic != "evalpipe.referrals" || p != 2 || s != 123 {
		t.Errorf("ParseFileName round trip = %q %d %d %v", topic, p, s, ok)
	}
	for _, bad := range []string{"x.parquet", "a+b+c.parquet", ".t+0+1.parquet.tmp", "t+0+1.csv"} {
		if _, _, _, ok := ParseFileName(bad); ok {
			t.Errorf("ParseFileName(%q) ok, want not", bad)
		}
	}
}

// Fingerprint names the files by their place in the lake and their size:
// the same lake moved elsewhere, or listed in another order, keeps it; a
// file added, removed or of another size changes it.
func TestFingerprint(t *testing.T) {
	files := []FileInfo{
		{Path: "/a/lake/outcomes/date=2024-05-01/x.parquet", Size: 10},
		{Path: "/a/lake/sessions/date=2024-05-02/y.parquet", Size: 20},
	}
	fp := func(root string, fs ...FileInfo) string {
		t.Helper()
		s, err := Fingerprint(root, fs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := fp("/a/lake", files...)
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+64 {
		t.Fatalf("Fingerprint = %q, want sha256: and 64 hex digits", base)
	}
	moved := []FileInfo{{Path: "/b/sessions/date=2024-05-02/y.parquet", Size: 20}, {Path: "/b/outcomes/date=2024-05-01/x.parquet", Size: 10}}
	if got := fp("/b", moved...); got != base {
		t.Errorf("the same files under another root, in another order: %s, want %s", got, base)
	}
	grown := []FileInfo{files[0], {Path: files[1].Path, Size: 21}}
	for name, got := range map[string]string{
		"a file added":           fp("/a/lake", append(files, FileInfo{Path: "/a/lake/crisis/date=2024-05-03/z.parquet", Size: 5})...),
		"a file removed":         fp("/a/lake", files[0]),
		"a file of another size": fp("/a/lake", grown...),
		"no files":               fp("/a/lake"),
	} {
		if got == base {
			t.Errorf("%s: the fingerprint did not change", name)
		}
	}
}
