package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The crisis fixture, testdata/crisis/events.ndjson, worked out by hand.
// Times 12:00Z unless said; Europe/London. Period: 2024-01..2024-06 (H1).
// The data's span: first event 2023-06-01 (g), last 2024-12-10 (g).
//
// Crisis contacts (service crisis-a; g is crisis-b):
//
//	a  2023-08-15 ae · 2023-10-05 ae · 2023-11-01 line · 2023-12-10 ae · 2024-01-10 admission (10 bed days)
//	   2024-02-01 line · 2024-02-15 ae · 2024-05-05 ae (excellent) · 2024-06-01 line · 2024-09-01 ae
//	b  2023-11-20 admission (5) · 2024-01-01 ae · 2024-02-02 admission (7) · 2024-04-10 ae · 2024-05-01 sanctuary (good)
//	   2024-06-01 sanctuary (poor) · 2024-07-01 admission (4) · 2024-08-08 ae
//	c  2023-12-01 line · 2024-01-15 line · 2024-02-10 s136 · 2024-03-03 line (fair) · 2024-04-04 line · 2024-07-07 line
//	d  2024-03-01 ae · 2024-04-01 ae
//	g  2023-06-01 ae · 2024-03-31T23:30Z ae (good; 00:30 BST on 04-01: April) · 2024-12-10 ae
//
// Peer visits (index = first ATTENDED peer_visit by a peer worker/coach):
//
//	a  crisis,        attended 2024-03-01, 03-08     → index 2024-03-01
//	b  peer_coaching, DNA 2024-04-03, attended 04-10 → index 2024-04-10 (peer_coach)
//	c  crisis,        2024-05-20                     → index 2024-05-20
//	d  crisis,        2024-06-20 → after window ends 2024-12-19 > span end 12-10: EXCLUDED (incomplete)
//	e  crisis,        2024-02-05 → full windows, no crisis contact: not in the cohort
//	f  crisis,        2024-07-10 → index outside the period
//
// Windows of 6 months, before = [index−6m, index), after = [index, index+6m):
//
//	a  before [2023-09-01, 2024-03-01): ae 10-05 12-10 02-15 = 3, line 11-01 02-01 = 2, admission 1 (10 bd)
//	   (08-15 is before the window); after [03-01, 09-01): ae 05-05 = 1, line 06-01 = 1 (09-01 is out)
//	b  before [2023-10-10, 2024-04-10): admission 2 (5+7 = 12 bd), ae 01-01 = 1;
//	   after [04-10, 10-10): ae 04-10 (index day counts after) 08-08 = 2, sanctuary 2, admission 1 (4 bd)
//	c  before [2023-11-20, 2024-05-20): line 4, s136 1; after: line 07-07 = 1
//
//	kind        before after  change
//	ae               4     3   −1/4  = −0.25
//	admission        3     1   −2/3
//	team             0     0   (none)
//	line             6     2   −4/6
//	sanctuary        0     2   (no value: none before)
//	s136             1     0   −1
//	all             14     8   −6/14
//	bed days        22     4
//
// Savings, unit costs ae £200 per contact, admission £500 per bed day (line,
// sanctuary and s136 have none: listed in the note):
//
//	a  (3−1)×200 + (10−0)×500 = 400 + 5000 = 5400
//	b  (1−2)×200 + (12−4)×500 = −200 + 4000 = 3800
//	c  0
//	total 9200 (ae 200, admission 9000)
//
// Programme cost in H1 (182 days of 2024, a leap year of 366):
// crisis 2024 £36,600 × 182/366 = £18,200; peer coaching June £3,000 (all
// inside); talking therapies and 2023 crisis costs do not count. 21,200.
// Return per pound 9200 / 21200.
//
// Contacts in H1 by month (all services):
//
//	2024-01: ae 1 (b), admission 1 (a), line 1 (c)                 3
//	2024-02: ae 1 (a), admission 1 (b), line 1 (a), s136 1 (c)     4
//	2024-03: ae 1 (d), line 1 (c)                                  2
//	2024-04: ae 3 (b, d, g at 00:30 BST), line 1 (c)               4
//	2024-05: ae 1 (a), sanctuary 1 (b)                             2
//	2024-06: line 1 (a), sanctuary 1 (b)                           2
//	total 17: ae 7, admission 2, line 5, s136 1, sanctuary 2; per 1,000 of 50,000: 0.34
//
// Experience in H1: excellent, good, poor, fair, good (g) → 3/5 good or excellent.
//
// A&E series (first contact 2023-06, so 2023-06..2024-06, 13 months):
// 1 0 1 0 1 0 1 | 1 1 1 3 1 0 with launch 2024-01-15 → rebased at 2024-02
// (index 8): phase 1 = 1 0 1 0 1 0 1 1, mean 5/8, moving ranges 1 1 1 1 1 1 0
// (mean 6/7), UPL 5/8 + 2.66×6/7; phase 2 = 1 1 3 1 0, mean 6/5, moving
// ranges 0 2 2 1 (mean 5/4), UPL 6/5 + 2.66×5/4.
var crisisFixture = filepath.Join("testdata", "crisis", "events.ndjson")

// openSection writes an NDJSON fixture to a lake and opens a warehouse on it.
func openSectionLake(t testing.TB, path string, cfg Config) *Warehouse {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Lake = t.TempDir()
	writeLake(t, cfg.Lake, b)
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	}
	w, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func crisisConfig() Config {
	return Config{Population: 50000, Evaluation: Evaluation{
		UnitCosts: []UnitCost{
			{Kind: "ae_attendance", Unit: "contact", CostGBP: 200, Source: "fixture: illustrative A&E cost", PriceYear: "2023/24"},
			{Kind: "acute_admission", Unit: "bed_day", CostGBP: 500, Source: "fixture: illustrative bed day", PriceYear: "2023/24"},
		},
		CrisisLaunch:              time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
		CrisisExperienceBenchmark: &Benchmark{Value: 0.14, Source: "fixture benchmark"},
		BootstrapReps:             500,
	}}
}

func crisisH1() Period {
	p, err := ParsePeriod("2024-01", "2024-06")
	if err != nil {
		panic(err)
	}
	return p
}

func crisisTable(t *testing.T, res *Result, metric, titlePrefix string) Table {
	t.Helper()
	for _, tb := range res.Tables {
		if tb.Metric == metric && strings.HasPrefix(tb.Title, titlePrefix) {
			return tb
		}
	}
	t.Fatalf("no table %s %q", metric, titlePrefix)
	return Table{}
}

// cell is the value of a table cell by row label and column id.
func crisisCell(t *testing.T, tb Table, row, col string) Value {
	t.Helper()
	ci := -1
	for i, c := range tb.Columns {
		if c.ID == col {
			ci = i
		}
	}
	for _, r := range tb.Rows {
		if r.Label == row && ci >= 0 {
			return r.Cells[ci]
		}
	}
	t.Fatalf("table %s %q: no cell (%s, %s)", tb.Metric, tb.Title, row, col)
	return Value{}
}

func crisisNear(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func crisisWant(t *testing.T, what string, v Value, want float64) {
	t.Helper()
	if v.Value == nil {
		t.Errorf("%s = nil (note %q), want %g", what, v.Note, want)
		return
	}
	if !crisisNear(*v.Value, want) {
		t.Errorf("%s = %g, want %g", what, *v.Value, want)
	}
}

func TestCrisisFixture(t *testing.T) {
	w := openSectionLake(t, crisisFixture, crisisConfig())
	res, err := w.Crisis(context.Background(), crisisH1(), "")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("contacts", func(t *testing.T) {
		crisisWant(t, "crisis_contacts", res.Metrics["crisis_contacts"], 17)
		crisisWant(t, "crisis_contacts_per_1000", res.Metrics["crisis_contacts_per_1000"], 0.34)
		for k, want := range map[string]float64{"ae_attendance": 7, "acute_admission": 2, "crisis_line_call": 5,
			"section_136": 1, "sanctuary_visit": 2, "crisis_team_contact": 0} {
			crisisWant(t, "contacts "+k, res.Breakdowns["crisis_contacts"]["kind"][k], want)
		}
		crisisWant(t, "per 1000 ae", res.Breakdowns["crisis_contacts_per_1000"]["kind"]["ae_attendance"], 7.0/50)
		tb := crisisTable(t, res, "crisis_contacts", "")
		if len(tb.Rows) != 6 {
			t.Fatalf("contacts table has %d rows, want the 6 months", len(tb.Rows))
		}
		for _, c := range []struct {
			month, kind string
			want        float64
		}{
			{"2024-01", "total", 3}, {"2024-02", "total", 4}, {"2024-03", "total", 2}, {"2024-04", "total", 4},
			{"2024-05", "total", 2}, {"2024-06", "total", 2}, {"2024-04", "ae_attendance", 3}, {"2024-03", "ae_attendance", 1},
			{"2024-02", "section_136", 1}, {"2024-06", "sanctuary_visit", 1},
		} {
			crisisWant(t, "table "+c.month+" "+c.kind, crisisCell(t, tb, c.month, c.kind), c.want)
		}
	})

	t.Run("pre_post", func(t *testing.T) {
		v := res.Metrics["crisis_pre_post"]
		crisisWant(t, "crisis_pre_post n people", v, 3)
		if !strings.Contains(v.Note, "1 excluded for a window outside the data's span, 1 with no crisis contact") {
			t.Errorf("note %q: want the exclusions (d incomplete, e no contact)", v.Note)
		}
		tb := crisisTable(t, res, "crisis_pre_post", "")
		for _, c := range []struct {
			kind          string
			before, after float64
			change        float64
		}{
			{"ae_attendance", 4, 3, -0.25}, {"acute_admission", 3, 1, -2.0 / 3}, {"crisis_line_call", 6, 2, -4.0 / 6},
			{"section_136", 1, 0, -1}, {"all", 14, 8, -6.0 / 14}, {"acute_admission_bed_days", 22, 4, -18.0 / 22},
		} {
			crisisWant(t, c.kind+" before", crisisCell(t, tb, c.kind, "before"), c.before)
			crisisWant(t, c.kind+" after", crisisCell(t, tb, c.kind, "after"), c.after)
			crisisWant(t, c.kind+" change", crisisCell(t, tb, c.kind, "change"), c.change)
		}
		if ch := crisisCell(t, tb, "sanctuary_visit", "change"); ch.Value != nil {
			t.Errorf("sanctuary change = %g, want none (0 before)", *ch.Value)
		}
		crisisWant(t, "sanctuary after", crisisCell(t, tb, "sanctuary_visit", "after"), 2)
	})

	t.Run("savings", func(t *testing.T) {
		v := res.Metrics["crisis_savings_gbp"]
		crisisWant(t, "crisis_savings_gbp", v, 9200)
		if v.CI95 == nil || !(v.CI95[0] <= 9200 && 9200 <= v.CI95[1]) {
			t.Errorf("CI95 = %v, want an interval containing 9200", v.CI95)
		}
		if !strings.Contains(v.Note, "no unit cost configured for crisis_line_call, sanctuary_visit, section_136") {
			t.Errorf("note %q: want the kinds without a cost", v.Note)
		}
		tb := crisisTable(t, res, "crisis_savings_gbp", "Unit costs used")
		if len(tb.Rows) != 2 {
			t.Fatalf("unit costs table has %d rows, want 2", len(tb.Rows))
		}
		if got := crisisCell(t, tb, "acute_admission", "unit").Text; got != "bed_day" {
			t.Errorf("admission unit %q, want bed_day", got)
		}
		if got := crisisCell(t, tb, "ae_attendance", "source").Text; got != "fixture: illustrative A&E cost" {
			t.Errorf("source %q", got)
		}
		if got := crisisCell(t, tb, "ae_attendance", "price_year").Text; got != "2023/24" {
			t.Errorf("price year %q", got)
		}
		crisisWant(t, "ae saving", crisisCell(t, tb, "ae_attendance", "saving_gbp"), 200)
		crisisWant(t, "admission saving", crisisCell(t, tb, "acute_admission", "saving_gbp"), 9000)

		// Deterministic: a second warehouse over the same events, the same interval.
		w2 := openSectionLake(t, crisisFixture, crisisConfig())
		res2, err := w2.Crisis(context.Background(), crisisH1(), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := res2.Metrics["crisis_savings_gbp"].CI95; got == nil || *got != *v.CI95 {
			t.Errorf("second run CI95 = %v, want %v", got, v.CI95)
		}
	})

	t.Run("return_per_pound", func(t *testing.T) {
		v := res.Metrics["return_per_pound"]
		crisisWant(t, "return_per_pound", v, 9200.0/21200)
		if v.Denominator == nil || !crisisNear(*v.Denominator, 21200) {
			t.Errorf("programme cost = %v, want 21200 (18200 pro-rated crisis + 3000 peer coaching)", v.Denominator)
		}
	})

	t.Run("experience", func(t *testing.T) {
		v := res.Metrics["crisis_experience_good_pct"]
		crisisWant(t, "crisis_experience_good_pct", v, 0.6)
		if !strings.Contains(v.Note, "above the benchmark 14.0% (fixture benchmark); the 95% interval excludes it") {
			t.Errorf("note %q", v.Note)
		}
	})

	t.Run("area series", func(t *testing.T) {
		ae := []float64{1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 3, 1, 0} // 2023-06 .. 2024-06
		s := res.Series["crisis_ae_attendances"]
		if len(s) != len(ae) || s[0].Month != "2023-06" || s[len(s)-1].Month != "2024-06" {
			t.Fatalf("A&E series = %+v, want 13 months 2023-06..2024-06", s)
		}
		for i, want := range ae {
			crisisWant(t, "A&E "+s[i].Month, s[i].Value, want)
		}
		adm := res.Series["crisis_acute_admissions"]
		for i, want := range []float64{0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0} {
			crisisWant(t, "admissions "+adm[i].Month, adm[i].Value, want)
		}
		tb := crisisTable(t, res, "crisis_ae_attendances", "")
		if !strings.Contains(tb.Note, "rebased at 2024-02") {
			t.Errorf("note %q: want rebased at 2024-02 (first month on or after 2024-01-15)", tb.Note)
		}
		// Phase 1, 2023-06..2024-01: 1 0 1 0 1 0 1 1, mean 5/8; moving
		// ranges 1 1 1 1 1 1 0, mean 6/7; UPL = 5/8 + 2.66 × 6/7.
		crisisWant(t, "phase 1 mean", crisisCell(t, tb, "2023-06", "mean"), 5.0/8)
		crisisWant(t, "phase 1 upl", crisisCell(t, tb, "2023-06", "upl"), 5.0/8+2.66*6/7)
		// Phase 2, 2024-02..2024-06: 1 1 3 1 0, mean 6/5; moving ranges
		// 0 2 2 1, mean 5/4; UPL = 1.2 + 2.66 × 1.25.
		crisisWant(t, "phase 2 mean", crisisCell(t, tb, "2024-02", "mean"), 1.2)
		crisisWant(t, "phase 2 upl", crisisCell(t, tb, "2024-06", "upl"), 1.2+2.66*1.25)
		if got := crisisCell(t, tb, "2024-04", "type").Text; got == "" {
			t.Errorf("2024-04 point type empty")
		}
	})
}

// TestCrisisServiceAndSettings: the service filter, no population, no
// unit costs, and the window setting.
func TestCrisisServiceAndSettings(t *testing.T) {
	w := openSectionLake(t, crisisFixture, Config{})
	res, err := w.Crisis(context.Background(), crisisH1(), "crisis-a")
	if err != nil {
		t.Fatal(err)
	}
	crisisWant(t, "crisis-a contacts", res.Metrics["crisis_contacts"], 16) // g's April contact is crisis-b
	if v := res.Metrics["crisis_contacts_per_1000"]; v.Value != nil || !strings.Contains(v.Note, "no population") {
		t.Errorf("per 1000 without population = %+v, want a note", v)
	}
	if v := res.Metrics["crisis_savings_gbp"]; v.Value != nil || !strings.Contains(v.Note, "no unit costs configured") {
		t.Errorf("savings without unit costs = %+v, want a note", v)
	}
	if v := res.Metrics["return_per_pound"]; v.Value != nil {
		t.Errorf("return per pound without saving = %g, want none", *v.Value)
	}
	crisisWant(t, "pre_post n", res.Metrics["crisis_pre_post"], 3)
	if tb := crisisTable(t, res, "crisis_ae_attendances", ""); !strings.Contains(tb.Note, "no launch date") {
		t.Errorf("chart note %q, want no launch date", tb.Note)
	}

	// With 3-month windows d (index 2024-06-20, after window to 09-19) is
	// complete too: a before [2023-12-01, 03-01): ae 12-10 02-15, line 02-01,
	// admission; d before [03-20, 06-20): ae 04-01 → n 4 (e has no contact).
	cfg := Config{Evaluation: Evaluation{CrisisWindowMonths: 3}}
	w3 := openSectionLake(t, crisisFixture, cfg)
	res3, err := w3.Crisis(context.Background(), crisisH1(), "")
	if err != nil {
		t.Fatal(err)
	}
	crisisWant(t, "pre_post n (3 months)", res3.Metrics["crisis_pre_post"], 4)
}

// TestCrisisJSON: the whole Result marshals (no NaN, no Inf).
func TestCrisisJSON(t *testing.T) {
	w := openSectionLake(t, crisisFixture, crisisConfig())
	res, err := w.Crisis(context.Background(), crisisH1(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
}

// TestCrisisSavingsIntervalKeyFree: the bootstrap interval of
// crisis_savings_gbp is the same whatever the order of the people (which is
// their pseudonyms' order, so another pseudonymisation key changes it).
// Forty people with savings of different sizes; the fixture's few people
// give an interval ([0, 16200]) that no order changes.
func TestCrisisSavingsIntervalKeyFree(t *testing.T) {
	var people []*crisisPerson
	for i := range 40 {
		people = append(people, &crisisPerson{person: fmt.Sprintf("p%02d", i),
			before: map[string]float64{"ae_attendance": float64(i%7 + i)}, after: map[string]float64{"ae_attendance": float64(i % 3)}})
	}
	ev := crisisConfig().Evaluation
	ci := func(ps []*crisisPerson) [2]float64 {
		v, _ := (&crisisCohortData{window: 3, people: ps}).savings(ev, nil)
		if v.CI95 == nil {
			t.Fatalf("no interval (note %q)", v.Note)
		}
		return *v.CI95
	}
	forward := ci(people)
	other := slices.Clone(people)
	slices.Reverse(other)
	reversed := ci(other)
	if forward != reversed {
		t.Errorf("CI95 %v for the people in one order, %v in the opposite", forward, reversed)
	}
}
