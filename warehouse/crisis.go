package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/stats"
)

// crisisKinds are the crisis.contact kinds of EVENTS.md, in its order: the
// columns of the contacts table and the rows of the pre/post table.
var crisisKinds = []string{"ae_attendance", "acute_admission", "crisis_team_contact", "crisis_line_call",
	"sanctuary_visit", "section_136", "other"}

// Defaults of the Evaluation settings the crisis section reads.
const (
	defaultCrisisWindowMonths = 6
	defaultBootstrapReps      = 2000
	defaultBootstrapSeed      = 1
)

// Crisis computes the crisis section of the catalogue (crisisMetrics) for
// the period, for one service or all (service ""):
//
//   - Metrics: crisis_contacts, crisis_contacts_per_1000, crisis_pre_post (n
//     people), crisis_savings_gbp (with a seeded bootstrap CI95),
//     return_per_pound, crisis_experience_good_pct.
//   - Breakdowns: crisis_contacts and crisis_contacts_per_1000 by "kind".
//   - Series: crisis_ae_attendances and crisis_acute_admissions, monthly.
//   - Tables (Table.Metric, Title): crisis_contacts (months × kinds);
//     crisis_pre_post (kinds × before, after, change); crisis_savings_gbp
//     "Unit costs used" (the unit_costs table: unit, cost, source, price
//     year, saving by kind); crisis_ae_attendances and
//     crisis_acute_admissions, the XmR chart of each series (value, mean,
//     lpl, upl, type, rule per month), rebased at Evaluation.CrisisLaunch.
//
// Dates are local dates in Config.TimeZone; events recorded after
// Config.AsOf are not seen. Definitions chosen where METRICS.md is silent
// (the index contact, the windows, the data's span, the programmes whose
// cost is the denominator) are at the head of each sql/crisis file.
func (w *Warehouse) Crisis(ctx context.Context, p Period, service string) (*Result, error) {
	res, err := w.newSectionResult(p, service, crisisMetrics)
	if err != nil {
		return nil, err
	}
	if err := w.crisisContacts(ctx, res, p, service); err != nil {
		return nil, err
	}
	cohort, err := w.crisisCohort(ctx, p, service)
	if err != nil {
		return nil, err
	}
	res.Metrics["crisis_pre_post"], res.Tables = cohort.prePost(res.Tables)
	var savings Value
	savings, res.Tables = cohort.savings(w.cfg.Evaluation, res.Tables)
	res.Metrics["crisis_savings_gbp"] = savings
	if res.Metrics["return_per_pound"], err = w.returnPerPound(ctx, p, service, savings); err != nil {
		return nil, err
	}
	if res.Metrics["crisis_experience_good_pct"], err = w.crisisExperience(ctx, p, service); err != nil {
		return nil, err
	}
	if err := w.crisisSeries(ctx, res, p, service); err != nil {
		return nil, err
	}
	return res, nil
}

// crisisContacts fills crisis_contacts (headline, by kind, table by month)
// and crisis_contacts_per_1000.
func (w *Warehouse) crisisContacts(ctx context.Context, res *Result, p Period, service string) error {
	counts := map[string]map[string]float64{} // month → kind → n
	byKind := map[string]float64{}
	total := 0.0
	err := w.sectionRows(ctx, crisisSQLFS, "sql/crisis/contacts.sql", nil, periodArgs(p, service), func(rs *sql.Rows) error {
		var month, kind string
		var n float64
		if err := rs.Scan(&month, &kind, &n); err != nil {
			return err
		}
		if counts[month] == nil {
			counts[month] = map[string]float64{}
		}
		counts[month][kind] += n
		byKind[kind] += n
		total += n
		return nil
	})
	if err != nil {
		return err
	}
	kinds := withExtra(crisisKinds, byKind)
	t := Table{Metric: "crisis_contacts", Title: "Crisis contacts by kind and month"}
	for _, k := range kinds {
		t.Columns = append(t.Columns, Column{ID: k, Title: k, Unit: "count"})
	}
	t.Columns = append(t.Columns, Column{ID: "total", Title: "all kinds", Unit: "count"})
	for _, m := range monthsOf(p.From, p.To) {
		key := m.Format("2006-01")
		r := Row{Label: key}
		sum := 0.0
		for _, k := range kinds {
			r.Cells = append(r.Cells, Value{Value: ptr(counts[key][k])})
			sum += counts[key][k]
		}
		t.Rows = append(t.Rows, Row{Label: key, Cells: append(r.Cells, Value{Value: ptr(sum)})})
	}
	res.Tables = append(res.Tables, t)
	res.Metrics["crisis_contacts"] = Value{Value: ptr(total)}
	kindCounts := map[string]Value{}
	for _, k := range kinds {
		kindCounts[k] = Value{Value: ptr(byKind[k])}
	}
	res.Breakdowns["crisis_contacts"] = map[string]map[string]Value{"kind": kindCounts}

	pop := float64(w.cfg.Population)
	rate := func(n float64) Value {
		if pop <= 0 {
			return Value{Note: "no population configured (Config.Population): no rate"}
		}
		return Value{Value: ptr(n / pop * 1000), Numerator: ptr(n), Denominator: ptr(pop)}
	}
	res.Metrics["crisis_contacts_per_1000"] = rate(total)
	rates := map[string]Value{}
	for _, k := range kinds {
		rates[k] = rate(byKind[k])
	}
	res.Breakdowns["crisis_contacts_per_1000"] = map[string]map[string]Value{"kind": rates}
	return nil
}

// crisisPerson is one member of the pre/post cohort: contacts (and bed
// days) by kind in the window before and the window after the index date.
type crisisPerson struct {
	person              string
	index               time.Time
	fullWindow          bool
	before, after       map[string]float64
	bedBefore, bedAft   map[string]float64
	noBedDays           map[string]float64 // contacts in either window without bed_days
	beforeAll, afterAll float64
}

// crisisCohortData is what the pre/post query found for the period.
type crisisCohortData struct {
	window     int
	people     []*crisisPerson // in the cohort: full windows, some contact
	incomplete int             // index in the period but a window outside the data's span
	noContact  int             // full windows, no crisis contact in either
}

// crisisCohort runs sql/crisis/pre_post.sql.
func (w *Warehouse) crisisCohort(ctx context.Context, p Period, service string) (*crisisCohortData, error) {
	window := w.cfg.Evaluation.CrisisWindowMonths
	if window <= 0 {
		window = defaultCrisisWindowMonths
	}
	byPerson := map[string]*crisisPerson{}
	var order []string
	err := w.sectionRows(ctx, crisisSQLFS, "sql/crisis/pre_post.sql", nil,
		periodArgs(p, service, sql.Named("months", window)), func(rs *sql.Rows) error {
			var person string
			var index time.Time
			var full bool
			var kind sql.NullString
			var bn, an, bb, ab, nb float64
			if err := rs.Scan(&person, &index, &full, &kind, &bn, &an, &bb, &ab, &nb); err != nil {
				return err
			}
			c := byPerson[person]
			if c == nil {
				c = &crisisPerson{person: person, index: index, fullWindow: full,
					before: map[string]float64{}, after: map[string]float64{},
					bedBefore: map[string]float64{}, bedAft: map[string]float64{}, noBedDays: map[string]float64{}}
				byPerson[person] = c
				order = append(order, person)
			}
			if kind.Valid {
				c.before[kind.String] += bn
				c.after[kind.String] += an
				c.bedBefore[kind.String] += bb
				c.bedAft[kind.String] += ab
				c.noBedDays[kind.String] += nb
				c.beforeAll += bn
				c.afterAll += an
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	d := &crisisCohortData{window: window}
	sort.Strings(order) // a fixed order of people
	for _, id := range order {
		c := byPerson[id]
		switch {
		case !c.fullWindow:
			d.incomplete++
		case c.beforeAll+c.afterAll == 0:
			d.noContact++
		default:
			d.people = append(d.people, c)
		}
	}
	return d, nil
}

func (d *crisisCohortData) cohortNote() string {
	return fmt.Sprintf("index: first attended peer_visit by a peer worker or coach (crisis or peer-coaching referral); windows %d months before and after; %d excluded for a window outside the data's span, %d with no crisis contact in either window",
		d.window, d.incomplete, d.noContact)
}

// prePost is crisis_pre_post: the headline n people and the table of
// contacts by kind before and after.
func (d *crisisCohortData) prePost(tables []Table) (Value, []Table) {
	before, after, bedB, bedA := map[string]float64{}, map[string]float64{}, 0.0, 0.0
	for _, c := range d.people {
		for k, n := range c.before {
			before[k] += n
		}
		for k, n := range c.after {
			after[k] += n
		}
		bedB += c.bedBefore["acute_admission"]
		bedA += c.bedAft["acute_admission"]
	}
	t := Table{Metric: "crisis_pre_post", Title: "Crisis contacts before and after the first peer contact",
		Columns: []Column{{ID: "before", Title: fmt.Sprintf("%d months before", d.window), Unit: "count"},
			{ID: "after", Title: fmt.Sprintf("%d months after", d.window), Unit: "count"},
			{ID: "change", Title: "% change ((after − before) ÷ before)", Unit: "change"}},
		Note: d.cohortNote()}
	row := func(label string, b, a float64) Row {
		ch := Value{Numerator: ptr(a - b), Denominator: ptr(b)}
		if b > 0 {
			ch.Value = ptr((a - b) / b)
		} else {
			ch.Note = "no contacts before: no % change"
		}
		return Row{Label: label, Cells: []Value{{Value: ptr(b)}, {Value: ptr(a)}, ch}}
	}
	sumB, sumA := 0.0, 0.0
	for _, k := range withExtra(crisisKinds, before, after) {
		t.Rows = append(t.Rows, row(k, before[k], after[k]))
		sumB += before[k]
		sumA += after[k]
	}
	t.Rows = append(t.Rows, row("all", sumB, sumA), row("acute_admission_bed_days", bedB, bedA))
	n := float64(len(d.people))
	v := Value{Value: ptr(n), Note: d.cohortNote()}
	return v, append(tables, t)
}

// savings is crisis_savings_gbp, from Evaluation.UnitCosts only, with its
// percentile bootstrap interval over people, and the unit costs table.
func (d *crisisCohortData) savings(ev Evaluation, tables []Table) (Value, []Table) {
	costs, notes := crisisUnitCosts(ev.UnitCosts)
	t := Table{Metric: "crisis_savings_gbp", Title: "Unit costs used",
		Columns: []Column{{ID: "unit", Title: "unit", Unit: "text"}, {ID: "cost_gbp", Title: "cost per unit (£)", Unit: "gbp"},
			{ID: "source", Title: "source", Unit: "text"}, {ID: "price_year", Title: "price year", Unit: "text"},
			{ID: "saving_gbp", Title: "saving (£)", Unit: "gbp"}}}
	// Each person's saving: Σ over costed kinds of (before − after) × cost.
	per := make([]float64, len(d.people))
	byKind := map[string]float64{}
	uncosted := map[string]bool{}
	missingBedDays := 0.0
	for i, c := range d.people {
		for _, k := range withExtra(crisisKinds, c.before, c.after) {
			if c.before[k]+c.after[k] == 0 {
				continue
			}
			uc, ok := costs[k]
			if !ok {
				uncosted[k] = true
				continue
			}
			units := c.before[k] - c.after[k]
			if uc.Unit == "bed_day" {
				units = c.bedBefore[k] - c.bedAft[k]
				missingBedDays += c.noBedDays[k]
			}
			per[i] += units * uc.CostGBP
			byKind[k] += units * uc.CostGBP
		}
	}
	for _, k := range withExtra(crisisKinds, costsKinds(costs)) {
		uc, ok := costs[k]
		if !ok {
			continue
		}
		t.Rows = append(t.Rows, Row{Label: k, Cells: []Value{{Text: uc.Unit}, {Value: ptr(uc.CostGBP)},
			{Text: uc.Source}, {Text: uc.PriceYear}, {Value: ptr(byKind[k])}}})
	}
	if len(uncosted) > 0 {
		ks := make([]string, 0, len(uncosted))
		for k := range uncosted {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		notes = append(notes, "no unit cost configured for "+strings.Join(ks, ", ")+": contributes nothing")
	}
	if missingBedDays > 0 {
		notes = append(notes, fmt.Sprintf("%g admission(s) without bed_days count as 0 bed days", missingBedDays))
	}
	t.Note = strings.Join(notes, "; ")
	tables = append(tables, t)

	v := Value{Denominator: ptr(float64(len(d.people)))}
	switch {
	case len(costs) == 0:
		v.Note = joinNotes("no unit costs configured (Evaluation.UnitCosts): no saving", t.Note)
		return v, tables
	case len(d.people) == 0:
		v.Note = joinNotes("empty cohort", t.Note)
		return v, tables
	}
	total := 0.0
	for _, s := range per {
		total += s
	}
	v.Value = ptr(total)
	reps, seed := ev.BootstrapReps, ev.BootstrapSeed
	if reps <= 0 {
		reps = defaultBootstrapReps
	}
	if seed == 0 {
		seed = defaultBootstrapSeed
	}
	// Resampled in order of value, not of person: people are in pseudonym
	// order, which changes with the pseudonymisation key, and so did the
	// interval (the same events under two keys gave two intervals).
	savings := slices.Clone(per)
	slices.Sort(savings)
	ci, err := stats.BootstrapCI(len(savings), func(idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += savings[i]
		}
		return s
	}, reps, seed, 0.95)
	if err == nil {
		v.CI95 = &[2]float64{ci.Lo, ci.Hi}
	} else {
		notes = append(notes, "no interval: "+err.Error())
	}
	v.Note = joinNotes(fmt.Sprintf("percentile bootstrap over %d people, %d replicates, seed %d; unit costs: see the Unit costs used table",
		len(per), reps, seed), strings.Join(notes, "; "))
	return v, tables
}

// crisisUnitCosts indexes the configured unit costs by kind. The first
// entry of a kind wins; an entry with an unknown unit or a cost that is
// not a finite number is left out. Each is said in a note.
func crisisUnitCosts(ucs []UnitCost) (map[string]UnitCost, []string) {
	out := map[string]UnitCost{}
	var notes []string
	for _, uc := range ucs {
		switch {
		case uc.Unit != "contact" && uc.Unit != "bed_day":
			notes = append(notes, fmt.Sprintf("unit cost of %s ignored: unit %q is neither contact nor bed_day", uc.Kind, uc.Unit))
		case math.IsNaN(uc.CostGBP) || math.IsInf(uc.CostGBP, 0):
			notes = append(notes, fmt.Sprintf("unit cost of %s ignored: not a number", uc.Kind))
		case func() bool { _, dup := out[uc.Kind]; return dup }():
			notes = append(notes, fmt.Sprintf("second unit cost of %s ignored: the first configured is used", uc.Kind))
		default:
			out[uc.Kind] = uc
		}
	}
	return out, notes
}

func costsKinds(m map[string]UnitCost) map[string]float64 {
	out := map[string]float64{}
	for k := range m {
		out[k] = 1
	}
	return out
}

// returnPerPound is crisis_savings_gbp ÷ the programme cost of the period
// (sql/crisis/programme_cost.sql); its interval is the savings interval
// over the same cost.
func (w *Warehouse) returnPerPound(ctx context.Context, p Period, service string, savings Value) (Value, error) {
	var cost float64
	var n int64
	err := w.sectionRows(ctx, crisisSQLFS, "sql/crisis/programme_cost.sql", nil, periodArgs(p, service), func(rs *sql.Rows) error {
		return rs.Scan(&cost, &n)
	})
	if err != nil {
		return Value{}, err
	}
	v := Value{Denominator: ptr(cost), Numerator: savings.Value}
	const what = "programme cost: cost.recorded of programmes crisis and peer_coaching, pro-rated by days to the period"
	switch {
	case savings.Value == nil:
		v.Note = joinNotes("no saving", what)
	case cost <= 0:
		v.Note = joinNotes("no programme cost recorded for the period", what)
	default:
		v.Value = ptr(*savings.Value / cost)
		if savings.CI95 != nil {
			v.CI95 = &[2]float64{savings.CI95[0] / cost, savings.CI95[1] / cost}
		}
		v.Note = fmt.Sprintf("£ saved per £1 spent; %s (%d record(s)); interval: the savings interval over the cost", what, n)
	}
	return v, nil
}

// crisisExperience is crisis_experience_good_pct, against the configured benchmark.
func (w *Warehouse) crisisExperience(ctx context.Context, p Period, service string) (Value, error) {
	var num, den float64
	err := w.sectionRows(ctx, crisisSQLFS, "sql/crisis/experience.sql", nil, periodArgs(p, service), func(rs *sql.Rows) error {
		return rs.Scan(&num, &den)
	})
	if err != nil {
		return Value{}, err
	}
	v := Proportion(num, den)
	if b := w.cfg.Evaluation.CrisisExperienceBenchmark; b != nil && v.Value != nil {
		side := "above"
		if *v.Value < b.Value {
			side = "below"
		} else if *v.Value == b.Value {
			side = "equal to"
		}
		sig := "includes"
		if b.Value < v.CI95[0] || b.Value > v.CI95[1] {
			sig = "excludes"
		}
		v.Note = fmt.Sprintf("%.1f%% is %s the benchmark %.1f%% (%s); the 95%% interval %s it",
			*v.Value*100, side, b.Value*100, b.Source, sig)
	} else if b != nil {
		v.Note = joinNotes(v.Note, fmt.Sprintf("benchmark %.1f%% (%s)", b.Value*100, b.Source))
	}
	return v, nil
}

// monthsOf lists the first day of each month from the month of from to the
// month of to.
func monthsOf(from, to time.Time) []time.Time {
	var out []time.Time
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

// withExtra is known followed by any other key of the maps, sorted: the
// enumeration order first, then values outside it.
func withExtra(known []string, maps ...map[string]float64) []string {
	out := slices.Clone(known)
	var extra []string
	for _, m := range maps {
		for k := range m {
			if !slices.Contains(out, k) && !slices.Contains(extra, k) {
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}
