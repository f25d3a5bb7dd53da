package warehouse

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dumpRelations is every row of the relations evaluators read, and of the
// build's own tables, as sorted JSON lines: what a saved build must give
// back exactly.
func dumpRelations(t *testing.T, w *Warehouse) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rel := range []string{
		"referrals", "sessions", "scores", "episodes", "session_facts", "measure_thresholds",
		"episode_scores", "corrections", "duplicate_event_hashes", "duplicate_copies", "superseded_sessions",
		"adsm_problems", "cohort_finished_treatment", "cohort_finished_paired", "events",
	} {
		rows, err := w.DB().Query("SELECT to_json(r)::VARCHAR AS j FROM " + rel + " AS r ORDER BY j")
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		var lines []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, s)
		}
		rows.Close()
		out[rel] = strings.Join(lines, "\n")
	}
	return out
}

func counts(t *testing.T, w *Warehouse) Counts {
	t.Helper()
	c, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func savedBuilds(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "build-*.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A saved build gives back what a fresh build gives: every relation row
// for row, the counts, the talking-therapies result and the provenance,
// in one part and in several (episode_scores a table); a warehouse read
// from it is still sandboxed.
func TestSavedBuildMatchesFreshBuild(t *testing.T) {
	for _, parts := range []int{1, 3} {
		lake := fixtureLake(t)
		fresh := openFixture(t, Config{Lake: lake, Population: 200000, episodeParts: parts})
		if fresh.Saved() != "" {
			t.Fatalf("no SaveDir, yet Saved() = %q", fresh.Saved())
		}

		dir := t.TempDir()
		saving := openFixture(t, Config{Lake: lake, Population: 200000, episodeParts: parts, SaveDir: dir, Save: true})
		if got := savedBuilds(t, dir); len(got) != 1 || saving.Saved() != got[0] || !saving.reused {
			t.Fatalf("%d parts: saved %v, Saved() %q, reused %v; want one build, read back", parts, got, saving.Saved(), saving.reused)
		}
		reading := openFixture(t, Config{Lake: lake, Population: 200000, SaveDir: dir})
		if !reading.reused || reading.Saved() != saving.Saved() {
			t.Fatalf("%d parts: the second Open did not reuse the saved build (Saved() %q)", parts, reading.Saved())
		}

		want := dumpRelations(t, fresh)
		for name, w := range map[string]*Warehouse{"saving": saving, "reading": reading} {
			got := dumpRelations(t, w)
			for rel, rows := range want {
				if rows == "" && rel != "duplicate_copies" && rel != "superseded_sessions" {
					t.Errorf("the fixture's %s is empty: the comparison proves nothing", rel)
				}
				if got[rel] != rows {
					t.Errorf("%d parts, %s: %s differs from a fresh build's", parts, name, rel)
				}
			}
			if c, wc := counts(t, w), counts(t, fresh); c != wc {
				t.Errorf("%d parts, %s: counts %+v, want %+v", parts, name, c, wc)
			}
			if got, want := tt(t, w), tt(t, fresh); got != want {
				t.Errorf("%d parts, %s: talking-therapies result differs", parts, name)
			}
			p, fp := w.Provenance(), fresh.Provenance()
			if p.AsOf != fp.AsOf || p.Lake != fp.Lake || p.LakeFiles != fp.LakeFiles {
				t.Errorf("%d parts, %s: provenance %+v, want %+v", parts, name, p, fp)
			}
			if _, _, err := w.Query(context.Background(), "SELECT * FROM read_csv('/etc/passwd')"); err == nil {
				t.Errorf("%s: read /etc/passwd: the sandbox does not hold over a saved build", name)
			}
		}
	}
}

// The saved build is used only for the same lake files and settings: a
// new lake file, another as-of instant or time zone, or a configured
// threshold makes Open build; a file of the right name but another key,
// or one that is not a DuckDB database, is passed over.
func TestSavedBuildOnlyForItsLakeAndSettings(t *testing.T) {
	lake := fixtureLake(t)
	dir := t.TempDir()
	base := Config{Lake: lake, SaveDir: dir}
	saved := openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true}).Saved()

	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	for name, cfg := range map[string]Config{
		"as of":     with(func(c *Config) { c.AsOf = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }),
		"time zone": with(func(c *Config) { c.TimeZone = "America/New_York" }),
		"threshold": with(func(c *Config) {
			c.Evaluation.Thresholds = []Threshold{{Measure: "spin", Caseness: 19, ReliableChange: 10, Source: "test"}}
		}),
	} {
		if w := openFixture(t, cfg); w.reused {
			t.Errorf("%s: reused the saved build", name)
		}
	}
	if w := openFixture(t, base); !w.reused {
		t.Fatal("the same settings did not reuse the saved build")
	}

	// Another key under this key's name: passed over, and the build is right.
	fresh := tt(t, openFixture(t, Config{Lake: lake}))
	other := openFixture(t, Config{Lake: lake, SaveDir: t.TempDir(), Save: true, TimeZone: "America/New_York"}).Saved()
	copyFile(t, other, saved)
	w := openFixture(t, base)
	if w.reused {
		t.Error("reused a saved build whose key is another's")
	}
	if tt(t, w) != fresh {
		t.Error("after passing over a wrong saved build, the result differs from a fresh build's")
	}
	// Not a database at all.
	if err := os.WriteFile(saved, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w := openFixture(t, base); w.reused || tt(t, w) != fresh {
		t.Errorf("a corrupt saved build: reused %v, or the result differs", w.reused)
	}

	// A new lake file: built again, and it sees the new event.
	openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true})
	writeLake(t, lake, []byte(`{"event_id":"new-1","type":"referral.received","occurred_at":"2024-05-02T10:00:00Z","recorded_at":"2024-05-02T10:00:00Z","source":"test","service":"svc-north","person":"p_new","referral_id":"r-new","data":{"programme":"talking_therapies","referral_source":"self","problem":"depression"}}`+"\n"))
	w = openFixture(t, base)
	if w.reused {
		t.Error("a new lake file, yet the saved build was reused")
	}
	if n := queryString(t, w, "SELECT count(*)::VARCHAR FROM referrals WHERE referral_id = 'r-new'"); n != "1" {
		t.Errorf("the new referral: %s rows, want 1", n)
	}
}

// Saving replaces the build saved before; a save cut off long ago leaves a
// temporary file that the next save removes, and one in progress is left.
func TestSaveReplacesOldBuilds(t *testing.T) {
	lake := fixtureLake(t)
	dir := t.TempDir()
	first := openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true}).Saved()
	abandoned := filepath.Join(dir, "build-0123456789abcdef.duckdb.tmp-999999")
	inProgress := filepath.Join(dir, "build-fedcba9876543210.duckdb.tmp-999998")
	for _, f := range []string{abandoned, inProgress} {
		if err := os.WriteFile(f, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(abandoned, old, old); err != nil {
		t.Fatal(err)
	}
	second := openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true, TimeZone: "Europe/Paris"}).Saved()
	if got := savedBuilds(t, dir); len(got) != 1 || got[0] != second || second == first {
		t.Errorf("saved builds %v, want only the second, %s", got, second)
	}
	if _, err := os.Stat(abandoned); !os.IsNotExist(err) {
		t.Errorf("the abandoned temporary file is still there: %v", err)
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Errorf("a save in progress lost its file: %v", err)
	}
}

// fixtureLake writes the fixture to a new lake and returns its root.
func fixtureLake(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	lake := t.TempDir()
	writeLake(t, lake, b)
	return lake
}

// A build that cannot be saved (here SaveDir is a file) is still a
// warehouse: Open goes on with its tables and says why nothing was saved.
func TestSaveFailureKeepsTheBuild(t *testing.T) {
	lake := fixtureLake(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	w := openFixture(t, Config{Lake: lake, SaveDir: notDir, Save: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if w.Saved() != "" || w.reused {
		t.Errorf("Saved() %q, reused %v: want nothing saved", w.Saved(), w.reused)
	}
	if !strings.Contains(log.String(), "could not save the build") || !strings.Contains(log.String(), "warehouse.save: false") {
		t.Errorf("log %q: want the reason and what to do", log.String())
	}
	if got, want := tt(t, w), tt(t, openFixture(t, Config{Lake: lake})); got != want {
		t.Error("the result differs from a build without saving")
	}
}

// A build removed between its save and its read-back (another process's
// save, for other settings, removes builds not its own) leaves a
// warehouse built again in memory, with a warning, not a failed Open.
func TestSavedBuildRemovedBeforeReadBack(t *testing.T) {
	lake := fixtureLake(t)
	var log strings.Builder
	w := openFixture(t, Config{Lake: lake, SaveDir: t.TempDir(), Save: true,
		Logger:    slog.New(slog.NewTextHandler(&log, nil)),
		savedHook: func(path string) { os.Remove(path) }})
	if w.Saved() != "" || w.reused {
		t.Errorf("Saved() %q, reused %v: want the tables built again", w.Saved(), w.reused)
	}
	if !strings.Contains(log.String(), "replaced by another process") {
		t.Errorf("log %q: want a warning", log.String())
	}
	if got, want := tt(t, w), tt(t, openFixture(t, Config{Lake: lake})); got != want {
		t.Error("the result differs from a build without saving")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
