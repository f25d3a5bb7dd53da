package warehouse

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// parseProfile sums each operator type's time over the plan, leaving out
// the profiler's own node, and keeps the query's figures. The plan is a
// hand-made one in DuckDB's JSON profile format.
func TestParseProfile(t *testing.T) {
	plan := `{"latency": 2.5, "cpu_time": 4.0, "children": [
	  {"operator_name": "EXPLAIN_ANALYZE", "operator_timing": 0.001, "children": [
	    {"operator_name": "HASH_JOIN", "operator_timing": 1.25, "children": [
	      {"operator_name": "READ_PARQUET", "operator_timing": 0.5, "children": []},
	      {"operator_name": "HASH_JOIN", "operator_timing": 0.25, "children": [
	        {"operator_name": "READ_PARQUET", "operator_timing": 2.0, "children": []}]}]}]}]}`
	sp, err := parseProfile("episodes", plan)
	if err != nil {
		t.Fatal(err)
	}
	if sp.object != "episodes" || sp.latency != 2.5 || sp.cpu != 4.0 {
		t.Errorf("statement figures = %+v", sp)
	}
	want := map[string]float64{"HASH_JOIN": 1.5, "READ_PARQUET": 2.5}
	if len(sp.ops) != len(want) {
		t.Errorf("operators = %v, want %v", sp.ops, want)
	}
	for op, s := range want {
		if sp.ops[op] != s {
			t.Errorf("%s = %v s, want %v", op, sp.ops[op], s)
		}
	}
	if _, err := parseProfile("x", "not json"); err == nil {
		t.Error("a profile that is not JSON parsed")
	}
}

// A build under the profiler makes the same tables as one without it, in
// parts too (INSERT INTO), and the file names every statement that made a
// table and the operators they spent their time in. A saved build reused
// profiles nothing, and says so.
func TestProfileFile(t *testing.T) {
	plain := openFixture(t, Config{Population: 200000})
	wantRows, wantRes := episodeRows(t, plain), tt(t, plain)

	dir := t.TempDir()
	path := filepath.Join(dir, "build.txt")
	saves := filepath.Join(dir, "saved")
	w := openFixture(t, Config{Population: 200000, episodeParts: 2, ProfileFile: path, SaveDir: saves, Save: true})
	got := episodeRows(t, w)
	if strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("profiled build: episodes differ from the plain build's")
	}
	if res := tt(t, w); res != wantRes {
		t.Errorf("profiled build: the talking-therapies result differs from the plain build's")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	line := func(object string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^` + object + ` +[0-9.]+ +[0-9.]+ +[0-9]+  [A-Z_]+ [0-9.]+`)
	}
	for _, object := range []string{"duplicate_event_hashes", "corrections", "referrals", "superseded_sessions", "sessions"} {
		if n := len(line(object).FindAllString(text, -1)); n != 1 {
			t.Errorf("%d lines for %s, want 1:\n%s", n, object, text)
		}
	}
	if n := len(line("episodes").FindAllString(text, -1)); n != 2 {
		t.Errorf("%d lines for episodes in 2 parts, want 2:\n%s", n, text)
	}
	for _, op := range []string{"READ_PARQUET", "HASH_GROUP_BY", "HASH_JOIN"} {
		if !regexp.MustCompile(`(?m)^` + op + ` +[0-9.]+ +[0-9.]+%$`).MatchString(text) {
			t.Errorf("no %s in the operator table:\n%s", op, text)
		}
	}
	if !strings.Contains(text, "lake "+w.cfg.Lake+"\n") {
		t.Errorf("the profile does not name its lake:\n%s", text)
	}

	// A profile that cannot be written is not worth the command: Open
	// still opens the warehouse.
	openFixture(t, Config{Lake: w.cfg.Lake, ProfileFile: filepath.Join(dir, "no-such-folder", "build.txt"),
		Now: func() time.Time { return time.Date(2024, 8, 1, 12, 0, 0, 0, time.UTC) }})

	// The same lake and settings again: the saved build is used.
	again := filepath.Join(dir, "again.txt")
	openFixture(t, Config{Lake: w.cfg.Lake, Population: 200000, episodeParts: 2, ProfileFile: again, SaveDir: saves,
		Now: func() time.Time { return time.Date(2024, 8, 1, 12, 0, 0, 0, time.UTC) }})
	b, err = os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "No statement was profiled: Open used a saved build") {
		t.Errorf("a reused build's profile:\n%s", b)
	}
}
