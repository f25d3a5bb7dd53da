package e2e

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hand-built fixture (testdata/fixture, worked by hand referral by
// referral in warehouse/fixture_test.go) through the whole pipeline: the
// real broker, the consumer group, Parquet files and DuckDB must give the
// hand-worked figures listed in testdata/fixture/README.md.
func TestFixtureThroughPipeline(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(data, "config.yaml")
	if err := os.WriteFile(cfg, []byte("population: 200000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixture, _ := filepath.Abs("../testdata/fixture/events.ndjson")
	evalpipe(t, data, "--config", cfg, "run", "--input", fixture, "--from", "2024-04", "--to", "2024-06")

	var s runSummary
	readJSON(t, filepath.Join(data, "run-summary.json"), &s)
	// 134 lines: 2 duplicate deliveries of an event_id, none bad.
	if got := s.Ingest; got.Read != 134 || got.Ingested != 132 || got.Duplicates != 2 || got.DeadLettered != 0 {
		t.Errorf("ingest read/ingested/duplicates/dead = %d/%d/%d/%d, want 134/132/2/0", got.Read, got.Ingested, got.Duplicates, got.DeadLettered)
	}
	// 132 distinct events; 2 corrections, 1 retracted and 8 erased leave 121.
	if got := queryInt(t, data, "SELECT count(*) FROM events"); got != 121 {
		t.Errorf("events after corrections = %d, want 121", got)
	}

	frac := func(n, d float64) float64 { return n / d }
	tests := []struct {
		name  string
		extra []string
		want  map[string]float64
	}{
		{"all services", nil, map[string]float64{
			"referrals_received": 6, "entered_treatment": 8, "finished_treatment": 10,
			"wait_6wk_pct": 0.8, "wait_18wk_pct": 0.9, "wait_median_days": 24.5,
			"first_contact_3wk_pct": frac(2, 3), "dna_rate": frac(2, 30), "cancellation_rate": frac(2, 32),
			"dropout_rate": frac(1, 11), "mean_treatment_sessions": 2.8, "follow_up_offered_pct": 0.7,
			"finished_paired": 9, "not_at_caseness": 1, "recovered": 5, "recovery_rate": 0.625,
			"reliable_improvement_rate": frac(4, 9), "reliable_deterioration_rate": frac(1, 9),
			"reliable_recovery_rate": 0.5, "no_paired_scores": 1, "access_rate_per_100k": 4,
		}},
		{"one service", []string{"--service", "svc-north"}, map[string]float64{
			"referrals_received": 4, "finished_treatment": 9, "recovery_rate": frac(4, 7), "reliable_improvement_rate": frac(3, 8),
		}},
		// Before the retraction (recorded 07-15) and r13's ending (recorded 07-12) were known.
		{"as of 9 July", []string{"--as-of", "2024-07-09"}, map[string]float64{
			"finished_treatment": 9, "recovered": 4, "recovery_rate": frac(4, 7),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--config", cfg, "report", "kpi", "--format", "json", "--disclosure", "none", "--out", "-", "--from", "2024-04", "--to", "2024-06"}, tt.extra...)
			var rep struct {
				Metrics map[string]struct {
					Value *float64 `json:"value"`
				} `json:"metrics"`
			}
			if err := json.Unmarshal([]byte(evalpipe(t, data, args...)), &rep); err != nil {
				t.Fatal(err)
			}
			for id, want := range tt.want {
				m, ok := rep.Metrics[id]
				if !ok || m.Value == nil {
					t.Errorf("%s: missing from the report", id)
					continue
				}
				// The JSON carries 4 decimals.
				if math.Abs(*m.Value-want) > 1e-4 {
					t.Errorf("%s = %v, want %v", id, *m.Value, want)
				}
			}
		})
	}

	// --format with --out FOLDER writes that one format there (it used to
	// write every format, ignoring --format), under the name it has among
	// the others.
	t.Run("one format into a folder", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			file string
		}{
			{[]string{"report", "kpi", "--format", "json"}, "kpi.json"},
			{[]string{"report", "kpi", "--format", "csv"}, "kpi-metrics.csv"},
			{[]string{"report", "interim", "--programme", "peer_coaching", "--format", "md"}, "interim.md"},
		} {
			dir := t.TempDir()
			args := append([]string{"--config", cfg}, c.args...)
			args = append(args, "--disclosure", "none", "--out", dir, "--from", "2024-04", "--to", "2024-06")
			out := evalpipe(t, data, args...)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if len(names) != 1 || names[0] != c.file {
				t.Errorf("%v: the folder holds %v, want only %s", c.args, names, c.file)
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, c.file)); err != nil || len(b) == 0 {
				t.Errorf("%v: %s is empty or unreadable: %v", c.args, c.file, err)
			}
			if want := filepath.Join(dir, c.file); !strings.Contains(out, want) {
				t.Errorf("%v: printed %q, want the path %s", c.args, out, want)
			}
		}
	})
}
