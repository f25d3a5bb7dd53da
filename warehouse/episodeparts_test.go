package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
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
	for _, parts := range []int{2, 3, 7} {
		w := openFixture(t, Config{Population: 200000, episodeParts: parts})
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
