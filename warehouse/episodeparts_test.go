package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Built in several parts, episodes holds the same rows as in one query,
// and the KPI results are identical.
func TestEpisodePartsMatchOneQuery(t *testing.T) {
	one := openFixture(t, Config{Population: 200000})
	wantRows := episodeRows(t, one)
	wantRes := tt(t, one)
	if n := len(wantRows); n < 10 {
		t.Fatalf("the fixture has %d episodes: too few to split", n)
	}
	// one part reads the scores through a view, parts through a table
	scoresKind := func(w *Warehouse) string {
		var kind string
		if err := w.DB().QueryRow("SELECT table_type FROM information_schema.tables WHERE table_name = 'episode_scores'").Scan(&kind); err != nil {
			t.Fatal(err)
		}
		return kind
	}
	if k := scoresKind(one); k != "VIEW" {
		t.Errorf("one part: episode_scores is a %s, want a VIEW", k)
	}
	for _, parts := range []int{2, 3, 7} {
		w := openFixture(t, Config{Population: 200000, episodeParts: parts})
		if k := scoresKind(w); k != "BASE TABLE" {
			t.Errorf("%d parts: episode_scores is a %s, want a BASE TABLE", parts, k)
		}
		got := episodeRows(t, w)
		if len(got) != len(wantRows) {
			t.Fatalf("%d parts: %d episodes, want %d", parts, len(got), len(wantRows))
		}
		for i := range got {
			if got[i] != wantRows[i] {
				t.Fatalf("%d parts: episode %d differs:\n got %s\nwant %s", parts, i, got[i], wantRows[i])
			}
		}
		if res := tt(t, w); res != wantRes {
			t.Errorf("%d parts: the talking-therapies result differs from the one-part build", parts)
		}
		// the parts really split the referrals
		var nonEmpty int
		q := fmt.Sprintf("SELECT count(DISTINCT hash(referral_id) %% %d) FROM episodes", parts)
		if err := w.DB().QueryRow(q).Scan(&nonEmpty); err != nil {
			t.Fatal(err)
		}
		if nonEmpty < 2 {
			t.Errorf("%d parts: only %d held referrals", parts, nonEmpty)
		}
	}
}

func episodeRows(t *testing.T, w *Warehouse) []string {
	t.Helper()
	rows, err := w.DB().Query("SELECT to_json(e)::VARCHAR FROM episodes AS e ORDER BY referral_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tt(t *testing.T, w *Warehouse) string {
	t.Helper()
	res, err := w.TalkingTherapies(context.Background(), q1(), "")
	if err != nil {
		t.Fatal(err)
	}
	res.Provenance = Provenance{}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"512MB": 512e6, "3GB": 3e9, "2GiB": 2 << 30, "1.5 GB": 1.5e9, "100KiB": 100 << 10, "7B": 7} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "5", "-1GB", "1 PB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): no error", bad)
		}
	}
}

// When a part of episodes runs out of memory, the table is built again in
// twice as many parts, with the same rows and KPIs as one query. The
// failure is DuckDB's own error text, injected for builds in fewer than
// four parts (a real one needs a lake of millions of events).
func TestEpisodesRetryInMorePartsOnOutOfMemory(t *testing.T) {
	one := openFixture(t, Config{Population: 200000})
	wantRows, wantRes := episodeRows(t, one), tt(t, one)

	lake := t.TempDir()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	writeLake(t, lake, b)
	var logs strings.Builder
	var tried []int
	partsOf := regexp.MustCompile(`hash\(referral_id\) % (\d+) = 0`)
	cfg := Config{Population: 200000, Lake: lake, episodeParts: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		buildHook: func(q string) error {
			if !strings.Contains(q, "CREATE OR REPLACE TABLE episodes") {
				return nil
			}
			n := 1
			if m := partsOf.FindStringSubmatch(q); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
			tried = append(tried, n)
			if n < 4 {
				return errors.New("Out of Memory Error: could not allocate block of size 256.0 KiB (366.3 MiB/366.2 MiB used)")
			}
			return nil
		}}
	w := openFixture(t, cfg)
	if fmt.Sprint(tried) != "[1 2 4]" {
		t.Errorf("episodes were tried in parts %v, want [1 2 4]", tried)
	}
	if got := episodeRows(t, w); fmt.Sprint(got) != fmt.Sprint(wantRows) {
		t.Errorf("after the retries episodes differ from the one-query build: %d rows, want %d", len(got), len(wantRows))
	}
	if tt(t, w) != wantRes {
		t.Error("after the retries the talking-therapies result differs from the one-query build")
	}
	// begun as a view for one part, the scores became a table for the parts
	var kind string
	if err := w.DB().QueryRow("SELECT table_type FROM information_schema.tables WHERE table_name = 'episode_scores'").Scan(&kind); err != nil || kind != "BASE TABLE" {
		t.Errorf("after the retries episode_scores is a %q (%v), want a BASE TABLE", kind, err)
	}
	if n := strings.Count(logs.String(), "building them again in more parts"); n != 2 {
		t.Errorf("logged %d retries, want 2:\n%s", n, logs.String())
	}

	// Any other error is not retried.
	cfg.buildHook = func(q string) error {
		if strings.Contains(q, "CREATE OR REPLACE TABLE episodes") {
			return errors.New("IO Error: disk full")
		}
		return nil
	}
	if _, err := Open(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("a non-memory error in episodes: got %v, want it returned", err)
	}
}
