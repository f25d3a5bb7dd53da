package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// NHS Digital's published national figures for June 2020 (Improving Access
// to Psychological Therapies (IAPT) monthly statistics, June 2020 final):
// 57,060 referrals finished a course of treatment, 3,200 of them not at
// caseness at first, 27,884 recovered (27,884 / (57,060 - 3,200) = 51.8%),
// and 39,417 reliably improved (39,417 / 57,060 = 69.1%).
//
// The events below are built to have exactly those counts, through score
// patterns whose classification follows from the published thresholds
// (PHQ-9 caseness >= 10, reliable change 6; GAD-7 >= 8, 4):
//
//	group                                    n       PHQ-9   GAD-7
//	not at caseness                          3,200   5 -> 4  5 -> 4
//	recovered, reliably improved            25,000  15 -> 5 12 -> 4
//	recovered, not reliably improved         2,884  11 -> 8  9 -> 6
//	not recovered, reliably improved        14,417  20 -> 12 15 -> 12
//	neither                                 11,559  15 -> 15 12 -> 12
//
// recovered = 25,000 + 2,884 = 27,884; reliably improved = 25,000 + 14,417
// = 39,417; total 57,060. The pipeline must reproduce the published rates.
func TestNationalFiguresJune2020(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 456,480 events through the pipeline")
	}
	groups := []struct {
		n                      int
		phq1, phq2, gad1, gad2 int
	}{
		{3200, 5, 4, 5, 4},
		{25000, 15, 5, 12, 4},
		{2884, 11, 8, 9, 6},
		{14417, 20, 12, 15, 12},
		{11559, 15, 15, 12, 12},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "national-june-2020.ndjson")
	writeNational(t, path, groups)

	data := t.TempDir()
	evalpipe(t, data, "run", "--input", path, "--from", "2020-06", "--to", "2020-06")
	var rep struct {
		Metrics map[string]struct {
			Value       float64 `json:"value"`
			Numerator   float64 `json:"numerator"`
			Denominator float64 `json:"denominator"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(evalpipe(t, data, "report", "kpi", "--format", "json", "--disclosure", "none", "--out", "-", "--from", "2020-06", "--to", "2020-06")), &rep); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id       string
		num, den float64
		pct      float64 // as published, one decimal
	}{
		{"recovery_rate", 27884, 57060 - 3200, 51.8},
		{"reliable_improvement_rate", 39417, 57060, 69.1},
	} {
		m := rep.Metrics[tt.id]
		if m.Numerator != tt.num || m.Denominator != tt.den || math.Round(m.Value*1000)/10 != tt.pct {
			t.Errorf("%s = %v (%v / %v), want %.1f%% (%v / %v)", tt.id, m.Value, m.Numerator, m.Denominator, tt.pct, tt.num, tt.den)
		}
	}
	for id, want := range map[string]float64{"finished_treatment": 57060, "finished_paired": 57060, "not_at_caseness": 3200, "recovered": 27884} {
		if got := rep.Metrics[id].Value; got != want {
			t.Errorf("%s = %v, want %v", id, got, want)
		}
	}
}

// writeNational writes, per referral: received in March, two attended
// treatment sessions with a PHQ-9 and a GAD-7 at each, ended in June 2020.
// Lines are shuffled (seeded): arrival order must not matter.
func writeNational(t *testing.T, path string, groups []struct{ n, phq1, phq2, gad1, gad2 int }) {
	t.Helper()
	var lines []string
	ev := func(id, typ, at, ref, person, data string) {
		lines = append(lines, fmt.Sprintf(`{"event_id":%q,"type":%q,"occurred_at":%q,"recorded_at":%q,"source":"national","service":"england","person":%q,"referral_id":%q,"data":%s}`, id, typ, at, at, person, ref, data))
	}
	k := 0
	for _, g := range groups {
		for i := 0; i < g.n; i++ {
			k++
			ref, p := fmt.Sprintf("r%06d", k), fmt.Sprintf("p%06d", k)
			day := 1 + k%28
			ev(ref+"-rec", "referral.received", fmt.Sprintf("2020-03-%02dT10:00:00Z", day), ref, p, `{"programme":"talking_therapies","referral_source":"self"}`)
			for s, month := range []int{4, 5} {
				at := fmt.Sprintf("2020-%02d-%02dT10:00:00+01:00", month, day)
				sid := fmt.Sprintf("%s-s%d", ref, s+1)
				ev(sid, "session.recorded", at, ref, p, fmt.Sprintf(`{"session_id":%q,"kind":"treatment","attendance":"attended","worker_id":"w1","worker_role":"hi_therapist"}`, sid))
				phq, gad := g.phq1, g.gad1
				if s == 1 {
					phq, gad = g.phq2, g.gad2
				}
				ev(sid+"-phq", "outcome.recorded", at, ref, p, fmt.Sprintf(`{"measure":"phq9","timepoint":"session","session_id":%q,"total":%d}`, sid, phq))
				ev(sid+"-gad", "outcome.recorded", at, ref, p, fmt.Sprintf(`{"measure":"gad7","timepoint":"session","session_id":%q,"total":%d}`, sid, gad))
			}
			ev(ref+"-end", "referral.ended", fmt.Sprintf("2020-06-%02dT16:00:00+01:00", day), ref, p, `{"reason":"completed"}`)
		}
	}
	rand.New(rand.NewPCG(2020, 6)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
