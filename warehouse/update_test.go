package warehouse

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFiles writes NDJSON events as new lake files beside those the lake
// has, as a later transform run would: under Kafka partition part, so that
// no name is taken.
func addFiles(t *testing.T, lake string, part int, lines ...string) {
	t.Helper()
	scratch := t.TempDir()
	writeLake(t, scratch, []byte(strings.Join(lines, "\n")+"\n"))
	err := filepath.WalkDir(scratch, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(scratch, path)
		if err != nil {
			return err
		}
		rel = strings.Replace(rel, "+0+", "+"+string(rune('0'+part))+"+", 1)
		to := filepath.Join(lake, rel)
		if _, err := os.Stat(to); err == nil {
			t.Fatalf("%s is in the lake already", rel)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.Rename(path, to)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ev is one fixture-shaped event line.
func ev(id, typ, at, person, referral, data string) string {
	ref := ""
	if referral != "" {
		ref = `"referral_id":"` + referral + `",`
	}
	return `{"event_id":"` + id + `","type":"` + typ + `","occurred_at":"` + at + `","recorded_at":"` + at +
		`","source":"fixture-svc-north","service":"svc-north","person":"` + person + `",` + ref + `"data":` + data + `}`
}

// Each batch of new files, and what it exercises.
var updateBatches = [][]string{
	{
		// a new referral, treated, with paired scores
		ev("r90-rcv", "referral.received", "2024-07-01T09:00:00Z", "p_new", "r90", `{"programme":"talking_therapies","referral_source":"self","gp_practice":"G1","age_band":"26-35","gender":"female","ethnicity":"white","problem":"depression","complexity":"standard"}`),
		ev("r90-s1", "session.recorded", "2024-07-03T09:00:00Z", "p_new", "r90", `{"session_id":"r90-s1","kind":"treatment","attendance":"attended","worker_id":"c02","worker_role":"pwp","step":2}`),
		ev("r90-s2", "session.recorded", "2024-07-10T09:00:00Z", "p_new", "r90", `{"session_id":"r90-s2","kind":"treatment","attendance":"attended","worker_id":"c02","worker_role":"pwp","step":2}`),
		ev("r90-phq9-a", "outcome.recorded", "2024-07-03T09:00:00Z", "p_new", "r90", `{"measure":"phq9","timepoint":"session","total":16}`),
		ev("r90-gad7-a", "outcome.recorded", "2024-07-03T09:00:00Z", "p_new", "r90", `{"measure":"gad7","timepoint":"session","total":12}`),
		ev("r90-phq9-b", "outcome.recorded", "2024-07-10T09:00:00Z", "p_new", "r90", `{"measure":"phq9","timepoint":"session","total":5}`),
		ev("r90-gad7-b", "outcome.recorded", "2024-07-10T09:00:00Z", "p_new", "r90", `{"measure":"gad7","timepoint":"session","total":4}`),
		ev("r90-end", "referral.ended", "2024-07-11T09:00:00Z", "p_new", "r90", `{"reason":"completed"}`),
		// an old referral gets a later session and score
		ev("r01-s9", "session.recorded", "2024-07-02T09:00:00Z", "p_alice", "r01", `{"session_id":"r01-s9","kind":"treatment","attendance":"attended","worker_id":"c03","worker_role":"hi_therapist","step":3}`),
		ev("r01-phq9-late", "outcome.recorded", "2024-07-02T09:00:00Z", "p_alice", "r01", `{"measure":"phq9","timepoint":"session","total":3}`),
		// an old session recorded again: the update wins
		ev("r02-s1-v2", "session.recorded", "2024-03-14T09:00:00Z", "p_bob", "r02", `{"session_id":"r02-s1","kind":"treatment","attendance":"dna","worker_id":"c01","worker_role":"pwp","step":2}`),
		// an old score retracted, by a correction filed under another
		// referral id: the target's referral is touched, not only the
		// correction's
		ev("r04-retract", "event.retracted", "2024-07-05T09:00:00Z", "p_dan", "rx", `{"target_event_id":"r04-phq9-2024-05-27","reason":"keyed twice","family":"outcomes"}`),
		// an old person erased
		ev("p_erin-erased", "person.erased", "2024-07-06T09:00:00Z", "p_erin", "", `{}`),
		// an old event delivered again
		ev("r06-s1", "session.recorded", "2024-04-08T11:00:00Z", "p_fay", "r06", `{"session_id":"r06-s1","kind":"treatment","attendance":"attended","worker_id":"c01","worker_role":"pwp","step":2}`),
		// an old referral allocated
		ev("r07-alloc", "referral.status_changed", "2024-07-07T09:00:00Z", "p_gus", "r07", `{"status":"allocated","worker_id":"c04"}`),
	},
	{
		// the first batch's events retracted, delivered again and added to
		ev("r90-retract", "event.retracted", "2024-07-20T09:00:00Z", "p_new", "r90", `{"target_event_id":"r90-gad7-b","reason":"wrong person","family":"outcomes"}`),
		ev("r01-s9", "session.recorded", "2024-07-02T09:00:00Z", "p_alice", "r01", `{"session_id":"r01-s9","kind":"treatment","attendance":"attended","worker_id":"c03","worker_role":"hi_therapist","step":3}`),
		ev("r91-rcv", "referral.received", "2024-07-21T09:00:00Z", "p_new", "r91", `{"programme":"talking_therapies","referral_source":"gp","gp_practice":"G2","age_band":"26-35","gender":"female","ethnicity":"white","problem":"ptsd","complexity":"standard"}`),
		// an event of a person erased in the first batch: not seen
		ev("r05-s9", "session.recorded", "2024-07-22T09:00:00Z", "p_erin", "r05", `{"session_id":"r05-s9","kind":"treatment","attendance":"attended","worker_id":"c01","worker_role":"pwp","step":2}`),
	},
}

// An Open over a lake that has grown since its build was saved updates
// that build, and the updated warehouse is the one a whole build of the
// lake gives: every relation row for row, the counts and the result, with
// episodes in one part and in several, without saving (the new rows over
// the saved build) and saving (a new saved build, read back), batch after
// batch.
func TestUpdatedBuildMatchesFreshBuild(t *testing.T) {
	for _, parts := range []int{1, 3} {
		for _, save := range []bool{false, true} {
			lake := fixtureLake(t)
			dir := t.TempDir()
			first := openFixture(t, Config{Lake: lake, episodeParts: parts, SaveDir: dir, Save: true}).Saved()
			for i, batch := range updateBatches {
				addFiles(t, lake, i+1, batch...)
				var log strings.Builder
				w := openFixture(t, Config{Lake: lake, episodeParts: parts, SaveDir: dir, Save: save,
					Logger: slog.New(slog.NewTextHandler(&log, nil))})
				if w.updated == "" {
					t.Fatalf("parts %d, save %v, batch %d: not an update; log:\n%s", parts, save, i+1, log.String())
				}
				if save && (!w.reused || w.Saved() == first) {
					t.Fatalf("parts %d, batch %d: saving, yet no new build read back (Saved() %q)", parts, i+1, w.Saved())
				}
				if save && savedUpdates(t, w) != i+1 {
					t.Errorf("parts %d, batch %d: saved as %d updates, want %d (in a copy of the build updated)", parts, i+1, savedUpdates(t, w), i+1)
				}
				fresh := openFixture(t, Config{Lake: lake, episodeParts: parts})
				want, got := dumpRelations(t, fresh), dumpRelations(t, w)
				for rel := range want {
					if got[rel] != want[rel] {
						t.Errorf("parts %d, save %v, batch %d: %s differs from a whole build's:\nupdated:\n%s\nwhole:\n%s", parts, save, i+1, rel, got[rel], want[rel])
					}
				}
				if counts(t, w) != counts(t, fresh) || tt(t, w) != tt(t, fresh) {
					t.Errorf("parts %d, save %v, batch %d: counts or result differ from a whole build's", parts, save, i+1)
				}
				if w.Provenance().Lake != fresh.Provenance().Lake || !w.Provenance().AsOf.Equal(fresh.Provenance().AsOf) {
					t.Errorf("parts %d, save %v, batch %d: provenance %+v, want %+v", parts, save, i+1, w.Provenance(), fresh.Provenance())
				}
				if !strings.Contains(log.String(), "updating the saved build") {
					t.Errorf("log %q: want the update said", log.String())
				}
			}
		}
	}
}

// The batches change what the update must carry: a test that the update is
// right must see the whole build move.
func TestUpdateBatchesChangeTheWarehouse(t *testing.T) {
	lake := fixtureLake(t)
	before := dumpRelations(t, openFixture(t, Config{Lake: lake}))
	addFiles(t, lake, 1, updateBatches[0]...)
	after := dumpRelations(t, openFixture(t, Config{Lake: lake}))
	for _, rel := range []string{"referrals", "sessions", "episodes", "episode_scores", "corrections", "duplicate_event_hashes", "superseded_sessions"} {
		if before[rel] == after[rel] {
			t.Errorf("%s is the same after the first batch", rel)
		}
	}
}

// A saved build is updated only when every lake file it was built from is
// there, unchanged, and its settings are this Open's; else the warehouse
// is built whole.
func TestUpdateOnlyFromItsLake(t *testing.T) {
	lake := fixtureLake(t)
	dir := t.TempDir()
	openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true})
	addFiles(t, lake, 1, updateBatches[0]...)
	if w := openFixture(t, Config{Lake: lake, SaveDir: dir, TimeZone: "America/New_York"}); w.updated != "" {
		t.Error("updated a build saved with another time zone")
	}
	// A file of the saved build's lake removed.
	var gone string
	filepath.WalkDir(filepath.Join(lake, "sessions"), func(path string, d os.DirEntry, err error) error {
		if gone == "" && err == nil && !d.IsDir() && strings.Contains(path, "+0+") {
			gone = path
		}
		return nil
	})
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	w := openFixture(t, Config{Lake: lake, SaveDir: dir})
	if w.updated != "" {
		t.Errorf("updated a build of a lake file that has gone (%s)", gone)
	}
	if dumpRelations(t, w)["sessions"] != dumpRelations(t, openFixture(t, Config{Lake: lake}))["sessions"] {
		t.Error("sessions differ from a whole build's")
	}
}

// savedUpdates is how many updates the saved build a warehouse reads has
// had since it was written whole.
func savedUpdates(t *testing.T, w *Warehouse) int {
	t.Helper()
	var n int
	if err := w.DB().QueryRow("SELECT updates FROM " + savedAlias + ".main." + savedMeta).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Past maxSavedUpdates updates saved in copies, the next is written whole
// (which leaves out the rows the updates replaced), and is still right.
func TestSavedUpdatesWrittenWholeAfterMax(t *testing.T) {
	defer func(n int) { maxSavedUpdates = n }(maxSavedUpdates)
	maxSavedUpdates = 1
	lake := fixtureLake(t)
	dir := t.TempDir()
	openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true})
	for i, want := range []int{1, 0} {
		addFiles(t, lake, i+1, updateBatches[i]...)
		w := openFixture(t, Config{Lake: lake, SaveDir: dir, Save: true})
		if w.updated == "" || savedUpdates(t, w) != want {
			t.Fatalf("batch %d: updated %q, saved as %d updates; want an update saved as %d", i+1, w.updated, savedUpdates(t, w), want)
		}
		if got, whole := dumpRelations(t, w), dumpRelations(t, openFixture(t, Config{Lake: lake})); got["episodes"] != whole["episodes"] || got["sessions"] != whole["sessions"] {
			t.Errorf("batch %d: differs from a whole build", i+1)
		}
	}
}
