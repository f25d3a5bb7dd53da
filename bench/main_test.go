package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/demo"
)

// TestDistinctIDs: two demo services from different seeds share their
// identifiers until distinctIDs prefixes one; then no event id, referral
// id or appointment repeats between them, and every line is still there.
func TestDistinctIDs(t *testing.T) {
	ctx := context.Background()
	a, b := t.TempDir(), t.TempDir()
	if _, err := demo.Generate(ctx, demo.Config{Referrals: 300, Seed: 1}, a); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, demo.Config{Referrals: 300, Seed: 2}, b); err != nil {
		t.Fatal(err)
	}
	idsA, _ := ids(t, a)
	before, nB := ids(t, b)
	if shared := overlap(idsA, before); shared == 0 {
		t.Fatal("the two services share no identifier before the rewrite: the test proves nothing")
	}
	if err := distinctIDs(b, "p1"); err != nil {
		t.Fatal(err)
	}
	after, n := ids(t, b)
	if n != nB {
		t.Fatalf("rewrite changed the line count: %d -> %d", nB, n)
	}
	if shared := overlap(idsA, after); shared != 0 {
		t.Errorf("%d identifiers still shared after the rewrite", shared)
	}
	if len(after) != len(before) {
		t.Errorf("rewrite merged or split identifiers: %d -> %d distinct", len(before), len(after))
	}
}

// ids collects event_id and referral_id of every NDJSON line and the first
// two columns (AppointmentID, PathwayID) of every CSV row, with the count
// of lines.
func ids(t *testing.T, dir string) (map[string]bool, int) {
	t.Helper()
	out, n := map[string]bool{}, 0
	for _, path := range inputFiles(dir) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			n++
			line := sc.Text()
			if strings.HasSuffix(path, ".csv") {
				cols := strings.Split(line, ",")
				if len(cols) > 1 && cols[0] != "AppointmentID" {
					out[cols[0]], out[cols[1]] = true, true
				}
				continue
			}
			var ev struct {
				EventID    string `json:"event_id"`
				ReferralID string `json:"referral_id"`
			}
			if json.Unmarshal([]byte(line), &ev) == nil {
				out["e:"+ev.EventID] = true
				if ev.ReferralID != "" {
					out[ev.ReferralID] = true
				}
			}
		}
		f.Close()
	}
	return out, n
}

func overlap(a, b map[string]bool) int {
	n := 0
	for k := range b {
		if a[k] {
			n++
		}
	}
	return n
}

// An -e2e-only run has no reference timings: its summary must still be
// JSON (an Inf rate once left bench/results-year.json empty).
func TestE2EOnlySummaryMarshals(t *testing.T) {
	var r runResult
	r.Events, r.Rows = 1000, 1000
	r.Ingest.Seconds, r.Transform.Seconds, r.Report.Seconds = 2, 4, 1
	s := summarise([]runResult{r})
	if s.IngestEventsPerS != 500 || s.TransformRowsPerS != 250 || s.KcatEventsPerS != 0 || s.DuckRowsPerS != 0 {
		t.Errorf("rates %+v", s)
	}
	if _, err := json.Marshal(map[string]any{"runs": []runResult{r}, "median": s}); err != nil {
		t.Fatal(err)
	}
}
