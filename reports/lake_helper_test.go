package reports

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/lake/laketest"
	"github.com/evalpipe/evalpipe/warehouse"
)

// writeLake writes NDJSON events to a lake under root (see laketest).
func writeLake(t testing.TB, root string, ndjson []byte) { laketest.WriteNDJSON(t, root, ndjson) }

// evalConfig is the evaluation settings of the test warehouses.
func evalConfig(launch time.Time) warehouse.Evaluation {
	return warehouse.Evaluation{
		PopulationShares: map[string]map[string]float64{
			"age_band": {"18-24": 0.15, "25-34": 0.2, "35-44": 0.18, "45-54": 0.17, "55-64": 0.15, "65+": 0.15},
		},
		PopulationSource: "test: illustrative shares",
		UnitCosts: []warehouse.UnitCost{
			{Kind: "ae_attendance", Unit: "contact", CostGBP: 300, Source: "test: illustrative", PriceYear: "2023/24"},
			{Kind: "acute_admission", Unit: "bed_day", CostGBP: 450, Source: "test: illustrative", PriceYear: "2023/24"},
			{Kind: "crisis_team_contact", Unit: "contact", CostGBP: 250, Source: "test: illustrative", PriceYear: "2023/24"},
		},
		CrisisLaunch:              launch,
		CrisisExperienceBenchmark: &warehouse.Benchmark{Value: 0.14, Source: "test: illustrative benchmark"},
	}
}

// inputsFor computes every section's result over w for period p.
func inputsFor(t testing.TB, w *warehouse.Warehouse, p warehouse.Period) Inputs {
	t.Helper()
	ctx := context.Background()
	var in Inputs
	var err error
	if in.Programme, err = w.Programme(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if in.TalkingTherapies, err = w.TalkingTherapies(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if in.Qualitative, err = w.Qualitative(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if in.Crisis, err = w.Crisis(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	// The first clinician with a pack: one the audit names, else one with
	// a recovery rate.
	var workers []string
	for _, tb := range in.Programme.Tables {
		if tb.Metric == "consultation_audit" {
			for _, r := range tb.Rows {
				workers = append(workers, r.Label)
			}
		}
	}
	workers = append(workers, sortedKeys(in.TalkingTherapies.Breakdowns["recovery_rate"]["worker_id"])...)
	worker := "c01"
	for _, wk := range workers {
		pk, err := w.ConsultationPack(ctx, p, wk)
		if err != nil {
			t.Fatal(err)
		}
		if len(pk.Tables) > 0 {
			worker = wk
			break
		}
	}
	if in.Pack, err = w.ConsultationPack(ctx, p, worker); err != nil {
		t.Fatal(err)
	}
	in.Worker = worker
	return in
}

var (
	demoOnce   sync.Once
	demoInputs Inputs
	demoCat    []warehouse.Metric
	demoErr    string
)

// demoService is a small realistic service from demo.Generate (300
// referrals over two years, the crisis service launched half way),
// reported for its second year. Built once per test binary.
func demoService(t *testing.T) (Inputs, []warehouse.Metric) {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalpipe-reports-demo-")
		if err != nil {
			demoErr = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		start := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
		if _, err := demo.Generate(context.Background(), demo.Config{Referrals: 300, Months: 24, Start: start}, filepath.Join(dir, "in")); err != nil {
			demoErr = err.Error()
			return
		}
		ps, _ := events.NewPseudonymiser(bytes.Repeat([]byte("k"), events.MinKeyBytes))
		var lines bytes.Buffer
		files, _ := filepath.Glob(filepath.Join(dir, "in", "*.ndjson"))
		sort.Strings(files)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			sc := bufio.NewScanner(bytes.NewReader(b))
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				ev, err := events.Decode(sc.Bytes(), events.DecodeOptions{Pseudonymiser: ps})
				if err != nil {
					demoErr = f + ": " + err.Error()
					return
				}
				out, _ := json.Marshal(ev)
				lines.Write(append(out, '\n'))
			}
		}
		// The talking-therapies sessions, with their clinicians, come as
		// the CSV export: map it as ingest does, or no clinician has a pack.
		csvLines, err := demoAppointments(filepath.Join(dir, "in"), ps)
		if err != nil {
			demoErr = err.Error()
			return
		}
		lines.Write(csvLines)
		root := filepath.Join(dir, "lake")
		tb := &onceTB{TB: t}
		writeLake(tb, root, lines.Bytes())
		cfg := warehouse.Config{Lake: root, Population: 200000, Version: "test",
			Evaluation: evalConfig(start.AddDate(1, 0, 0)),
			Now:        func() time.Time { return time.Date(2025, 4, 2, 9, 0, 0, 0, time.UTC) }}
		w, err := warehouse.Open(context.Background(), cfg)
		if err != nil {
			demoErr = err.Error()
			return
		}
		defer w.Close()
		p, _ := warehouse.ParsePeriod("2024-04", "2025-03")
		demoInputs = inputsFor(tb, w, p)
		demoCat = w.Catalogue()
	})
	if demoErr != "" {
		t.Fatal(demoErr)
	}
	return demoInputs, demoCat
}

// onceTB turns Fatal inside sync.Once into a panic with the message.
type onceTB struct{ testing.TB }

func (onceTB) Helper() {}

// smallService is the warehouse's programme fixture: a handful of people
// (warehouse/programme_test.go works it out by hand), for disclosure.
func smallService(t *testing.T) (Inputs, []warehouse.Metric) {
	t.Helper()
	w, p := smallWarehouse(t)
	return inputsFor(t, w, p), w.Catalogue()
}

// smallWarehouse is smallService's warehouse and period.
func smallWarehouse(t *testing.T) (*warehouse.Warehouse, warehouse.Period) {
	t.Helper()
	root := t.TempDir()
	var all []byte
	for _, f := range []string{"programme", "qualitative", "crisis"} {
		b, err := os.ReadFile(filepath.Join("..", "warehouse", "testdata", f, "events.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		all = append(append(all, b...), '\n')
	}
	writeLake(t, root, all)
	cfg := warehouse.Config{Lake: root, Version: "test", Population: 1000,
		Evaluation: evalConfig(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		Now:        func() time.Time { return time.Date(2024, 8, 1, 12, 0, 0, 0, time.UTC) }}
	w, err := warehouse.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	p, _ := warehouse.ParsePeriod("2024-04", "2024-06")
	return w, p
}

// demoAppointments turns the demo's appointments CSV export into decoded
// session.recorded events (NDJSON), as ingest does through the shipped
// mapping: value maps, wall-clock times in the mapping's zone, numbers and
// booleans typed; the few bad rows the demo mixes in are left out. Each
// row is recorded when it occurred, so the as-of date is fixed.
func demoAppointments(dir string, ps *events.Pseudonymiser) ([]byte, error) {
	m, err := ingest.ParseMapping("demo", demo.AppointmentsMapping)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, "iaptus-appointments.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out bytes.Buffer
	for _, r := range recs[1:] {
		env, data := map[string]any{"type": m.Type, "source": m.Source}, map[string]any{}
		ok := true
		for key, h := range m.Fields {
			cell := r[col[h]]
			if cell == "" {
				continue
			}
			if vs, has := m.Values[key]; has {
				if cell, ok = vs[cell]; !ok {
					break
				}
			}
			var v any = cell
			if n, err := strconv.ParseFloat(cell, 64); err == nil && strings.HasPrefix(key, "data.") && key != "data.session_id" {
				v = n
			} else if cell == "true" || cell == "false" {
				v = cell == "true"
			}
			if key == "occurred_at" {
				ts, err := time.ParseInLocation(m.TimeFormat, cell, loc)
				if err != nil {
					ok = false
					break
				}
				v = ts.Format(time.RFC3339)
				env["recorded_at"] = v // as exported the same day: a fixed as-of, not the test's clock
			}
			if name, isData := strings.CutPrefix(key, "data."); isData {
				data[name] = v
			} else {
				env[key] = v
			}
		}
		if !ok {
			continue
		}
		env["event_id"] = m.EventIDPrefix + env["event_id"].(string)
		env["data"] = data
		line, _ := json.Marshal(env)
		ev, err := events.Decode(line, events.DecodeOptions{Pseudonymiser: ps})
		if err != nil {
			continue // one of the demo's deliberately bad rows
		}
		b, _ := json.Marshal(ev)
		out.Write(append(b, '\n'))
	}
	return out.Bytes(), nil
}
