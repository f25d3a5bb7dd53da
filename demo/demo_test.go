package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

// generated runs Generate once per config for the whole test binary: the
// default data set takes a second or so and several tests read it.
var generated sync.Map // Config -> *genResult

type genResult struct {
	once sync.Once
	dir  string
	sum  Summary
	err  error
}

func generate(t testing.TB, cfg Config) (string, Summary) {
	t.Helper()
	v, _ := generated.LoadOrStore(cfg, &genResult{})
	res := v.(*genResult)
	res.once.Do(func() {
		dir, err := os.MkdirTemp("", "demo-test-")
		if err != nil {
			res.err = err
			return
		}
		res.dir = dir
		res.sum, res.err = Generate(context.Background(), cfg, dir)
	})
	if res.err != nil {
		t.Fatalf("Generate(%+v): %v", cfg, res.err)
	}
	return res.dir, res.sum
}

func TestMain(m *testing.M) {
	code := m.Run()
	generated.Range(func(_, v any) bool {
		if dir := v.(*genResult).dir; dir != "" {
			os.RemoveAll(dir)
		}
		return true
	})
	os.Exit(code)
}

var testKey = bytes.Repeat([]byte{7}, 32)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; empty for none
		want    Config
	}{
		{"defaults", Config{}, "", Config{Referrals: 8000, Seed: 1, Start: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), Months: 12}},
		{"kept", Config{Referrals: 50, Seed: 9, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Months: 3, BadLines: 4}, "",
			Config{Referrals: 50, Seed: 9, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Months: 3, BadLines: 4}},
		{"negative referrals", Config{Referrals: -1}, "Referrals is -1", Config{}},
		{"too many months", Config{Months: 121}, "Months is 121", Config{}},
		{"negative bad lines", Config{BadLines: -2}, "BadLines is -2", Config{}},
		{"bad lines beyond referrals", Config{Referrals: 10, BadLines: 11}, "at most Referrals", Config{}},
		{"ancient start", Config{Start: time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)}, "Start is 1800-01-01", Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			case tt.wantErr == "" && cfg != tt.want:
				t.Errorf("after Validate() config = %+v, want %+v", cfg, tt.want)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Referrals: 400, Seed: 7, BadLines: 12}
	a, _ := generate(t, cfg)
	b := t.TempDir()
	if _, err := Generate(context.Background(), cfg, b); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	cfg.Seed = 8
	if _, err := Generate(context.Background(), cfg, other); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fileReferrals, fileAppts, fileMapping, fileOutcomes, filePeer, fileFeedback, fileCrisis, fileProgramme} {
		got, want := readFile(t, filepath.Join(b, name)), readFile(t, filepath.Join(a, name))
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs between two runs with the same config (%d vs %d bytes)", name, len(got), len(want))
		}
		if name != fileMapping && bytes.Equal(readFile(t, filepath.Join(other, name)), want) {
			t.Errorf("%s is the same for seeds 7 and 8, want different data", name)
		}
	}
}

func TestMappingCopies(t *testing.T) {
	got := readFile(t, filepath.Join("..", "ingest", "mappings", "iaptus-appointments.yaml"))
	if want := AppointmentsMapping; !bytes.Equal(got, want) {
		t.Errorf("ingest/mappings/iaptus-appointments.yaml differs from demo/iaptus-appointments.mapping.yaml: copy the demo one over it")
	}
}

// TestLinesValid decodes every line as ingest would: exactly the bad lines
// fail; the CSV's values are all in the mapping but for the bad rows; every
// event type appears; and Summary.Events counts what was written.
func TestLinesValid(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		allTypes bool // big enough for every event type to appear
	}{
		{"default with bad lines", Config{BadLines: 40}, true},
		{"small, few bad lines", Config{Referrals: 200, BadLines: 2}, true},
		{"tiny, one month", Config{Referrals: 1, Months: 1, BadLines: 1}, false},
		{"tiny, all kinds of bad line", Config{Referrals: 20, Months: 2, BadLines: 20}, false},
		{"small, no bad lines", Config{Referrals: 200, Seed: 3, Start: time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC), Months: 5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, sum := generate(t, tt.cfg)
			d := load(t, dir)
			wantNDJSON, wantCSV := splitBad(tt.cfg.BadLines)
			if got := len(d.failures); got != wantNDJSON {
				t.Errorf("NDJSON lines failing to decode = %d, want %d", got, wantNDJSON)
				for i, f := range d.failures[:min(10, len(d.failures))] {
					t.Logf("failure %d: %s", i, f)
				}
			}
			if got := d.badRows; got != wantCSV {
				t.Errorf("bad CSV rows = %d, want %d", got, wantCSV)
			}
			if got, want := sum.BadLines, tt.cfg.BadLines; got != want {
				t.Errorf("Summary.BadLines = %d, want %d", got, want)
			}
			if got, want := d.duplicates, sum.Duplicates; got != want {
				t.Errorf("duplicate deliveries = %d, Summary.Duplicates = %d", got, want)
			}
			for _, spec := range events.Types {
				if tt.allTypes && d.count[spec.Name] == 0 {
					t.Errorf("no %s event, want at least one", spec.Name)
				}
				if got, want := sum.Events[spec.Name], d.count[spec.Name]; got != want {
					t.Errorf("Summary.Events[%s] = %d, decoded %d", spec.Name, got, want)
				}
			}
			if len(sum.Files) != 8 {
				t.Errorf("Summary.Files = %v, want 8 files", sum.Files)
			}
		})
	}
}

func TestScale(t *testing.T) {
	_, small := generate(t, Config{Referrals: 200, BadLines: 2})
	_, full := generate(t, Config{BadLines: 40})
	for _, typ := range []string{"referral.received", "session.recorded", "outcome.recorded", "feedback.received", "crisis.contact"} {
		ratio := float64(full.Events[typ]) / float64(small.Events[typ])
		if ratio < 40*0.7 || ratio > 40*1.3 {
			t.Errorf("%s: %d at 8000 referrals, %d at 200: ratio %.1f, want about 40", typ, full.Events[typ], small.Events[typ], ratio)
		}
	}
}

// decoded is a generated data set as ingest would see it, after
// de-duplication by event_id.
type decoded struct {
	events     []events.Event
	count      map[string]int // distinct events by type, CSV sessions included
	failures   []string
	duplicates int
	badRows    int
	appts      []apptRow
}

type apptRow struct {
	id, pathway, kind, attendance, worker, peer string
	at                                          time.Time
}

func load(t *testing.T, dir string) decoded {
	t.Helper()
	p, err := events.NewPseudonymiser(testKey)
	if err != nil {
		t.Fatal(err)
	}
	d := decoded{count: map[string]int{}}
	seen := map[string]string{}
	for _, name := range []string{fileReferrals, fileOutcomes, filePeer, fileFeedback, fileCrisis, fileProgramme} {
		sc := bufio.NewScanner(bytes.NewReader(readFile(t, filepath.Join(dir, name))))
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			ev, err := events.Decode(sc.Bytes(), events.DecodeOptions{Pseudonymiser: p})
			if err != nil {
				d.failures = append(d.failures, name+": "+err.Error())
				continue
			}
			if prev, ok := seen[ev.EventID]; ok {
				if prev != sc.Text() {
					t.Errorf("%s line %d: event_id %s reused for a different event", name, line, ev.EventID)
				}
				d.duplicates++
				continue
			}
			seen[ev.EventID] = sc.Text()
			d.events = append(d.events, ev)
			d.count[ev.Type]++
		}
	}
	values := mappingValues(t)
	loc, _ := time.LoadLocation("Europe/London")
	rows, err := csv.NewReader(bytes.NewReader(readFile(t, filepath.Join(dir, fileAppts)))).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", fileAppts, err)
	}
	for i, row := range rows[1:] {
		at, err := time.ParseInLocation("02/01/2006 15:04", row[4], loc)
		ok := err == nil && events.ValidNHSNumber(row[2])
		for col, field := range map[int]string{5: "data.kind", 6: "data.attendance", 8: "data.worker_role", 11: "data.co_delivered_by_peer", 12: "data.setting"} {
			if _, known := values[field][row[col]]; row[col] != "" && !known {
				ok = false
			}
		}
		if !ok {
			d.badRows++
			continue
		}
		if _, dup := seen["iaptus-appt-"+row[0]]; dup {
			t.Errorf("CSV row %d: AppointmentID %s repeated", i+2, row[0])
		}
		seen["iaptus-appt-"+row[0]] = ""
		d.count["session.recorded"]++
		d.appts = append(d.appts, apptRow{id: row[0], pathway: row[1], kind: values["data.kind"][row[5]],
			attendance: values["data.attendance"][row[6]], worker: row[7], peer: row[11], at: at})
	}
	return d
}

// mappingValues reads the value lists of the mapping file: just enough YAML
// for its one-line flow maps.
func mappingValues(t *testing.T) map[string]map[string]string {
	out := map[string]map[string]string{}
	in := false
	for _, line := range strings.Split(string(AppointmentsMapping), "\n") {
		if line == "values:" {
			in = true
			continue
		}
		if !in || !strings.HasPrefix(line, "  ") {
			continue
		}
		field, rest, _ := strings.Cut(strings.TrimSpace(line), ": {")
		m := map[string]string{}
		for _, pair := range strings.Split(strings.TrimSuffix(rest, "}"), ", ") {
			k, v, _ := strings.Cut(pair, ": ")
			m[k] = v
		}
		out[field] = m
	}
	if len(out) != 5 {
		t.Fatalf("mapping values: parsed %d fields, want 5", len(out))
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
