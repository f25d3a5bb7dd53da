package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/demo"
)

func runCLI(t *testing.T, input string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"--data", t.TempDir()}, args...), strings.NewReader(input), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestScore(t *testing.T) {
	tests := []struct {
		args     []string
		want     string
		wantCode int
	}{
		// CLI.md's example; 11221 -> 0.795 under the van Hout UK crosswalk is
		// an expected value in the eq5d R package's tests (test-eq5dcw.R).
		{[]string{"score", "eq5d5l", "--value-set", "uk-crosswalk", "1", "1", "2", "2", "1"}, "0.795", 0},
		// Devlin et al. 2018 England value set: the worst state 55555 is -0.285.
		{[]string{"score", "eq5d5l", "--value-set", "england-5l", "5", "5", "5", "5", "5"}, "-0.285", 0},
		{[]string{"score", "phq9", "3", "3", "2", "2", "1", "1", "0", "0", "1"}, "13", 0},
		{[]string{"score", "gad7", "3", "3"}, "", 2},
		{[]string{"score", "phq9", "x", "1", "1", "1", "1", "1", "1", "1", "1"}, "", 2},
		{[]string{"score", "eq5d5l", "--value-set", "mars", "1", "1", "1", "1", "1"}, "", 2},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, "", tt.args...)
			if code != tt.wantCode || strings.TrimSpace(out) != tt.want {
				t.Errorf("got %q (exit %d, stderr %q), want %q (exit %d)", out, code, errOut, tt.want, tt.wantCode)
			}
		})
	}
}

func TestSPC(t *testing.T) {
	// Twelve points, the ninth far above the rest: mean 32/12; the eleven
	// moving ranges are 1,1,1,1,1,1,1,7,7,1,1 (sum 23), so UPL = 32/12 +
	// 2.66*23/11 = 8.228...; 9 is outside it.
	in := "1\n2\n3\n2\n1\n2\n3\n2\n9\n2\n3\n2\n"
	out, errOut, code := runCLI(t, in, "spc", "--improvement", "up", "--target", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var chart struct {
		Mean, UPL float64
		Points    []struct {
			Type string  `json:"type"`
			Rule *string `json:"rule"`
		} `json:"points"`
		Assurance *string `json:"assurance"`
	}
	if err := json.Unmarshal([]byte(out), &chart); err != nil {
		t.Fatal(err)
	}
	if want := 32.0 / 12; chart.Mean < want-1e-9 || chart.Mean > want+1e-9 {
		t.Errorf("mean = %v, want %v", chart.Mean, want)
	}
	if want := 32.0/12 + 2.66*23/11; chart.UPL < want-1e-9 || chart.UPL > want+1e-9 {
		t.Errorf("upl = %v, want %v", chart.UPL, want)
	}
	p := chart.Points[8]
	if p.Type != "special_cause_improvement" || p.Rule == nil || *p.Rule != "outside_limits" {
		t.Errorf("point 9 = %+v, want special_cause_improvement by outside_limits", p)
	}
	if _, _, code := runCLI(t, "1\nx\n", "spc"); code != 2 {
		t.Errorf("bad input line: exit %d, want 2", code)
	}
}

// A bad config names the setting and the fix.
func TestConfigErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"colour: blue\n", "colour"},
		{"time_zone: Mars/Olympus\n", "time_zone"},
		{"disclosure: some\n", "want nhs or none"},
		{"population: -5\n", "population"},
		{"kafka:\n  brokers: [kafka1]\n", "host:port"},
		{"kafka:\n  sasl_mechanism: kerberos\n", "sasl_mechanism"},
		{"evaluation:\n  unit_costs:\n    - {kind: ae_attendance, unit: contact, cost_gbp: 100}\n", "source and price_year"},
		{"evaluation:\n  population_shares:\n    ethnicity: {white: 1.5}\n", "population_shares.ethnicity.white"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			path := t.TempDir() + "/c.yaml"
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadConfig(%q) = %v, want an error naming %s and %q", tt.yaml, err, path, tt.want)
			}
		})
	}
	if c, err := LoadConfig(""); err != nil || c.TimeZone != "Europe/London" || c.Disclosure != "nhs" || c.Kafka.TopicPrefix != "evalpipe" {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

// The demo's settings file is a valid config whose synthetic figures reach
// the warehouse.
func TestDemoSettingsLoad(t *testing.T) {
	dir := t.TempDir()
	if _, _, code := runCLI(t, "", "demo-data", "--out", dir, "--referrals", "20"); code != 0 {
		t.Fatal("demo-data failed")
	}
	c, err := LoadConfig(filepath.Join(dir, demo.SettingsFile))
	if err != nil {
		t.Fatal(err)
	}
	ev := c.Evaluation
	if c.Population != 180000 || len(ev.UnitCosts) != 6 || ev.CrisisLaunch.IsZero() || ev.PopulationShares["ethnicity"]["white"] != 0.56 {
		t.Errorf("demo settings = %+v", c)
	}
	for _, u := range ev.UnitCosts {
		if !strings.Contains(u.Source, "SYNTHETIC") {
			t.Errorf("unit cost %s not labelled synthetic: %q", u.Kind, u.Source)
		}
	}
}
