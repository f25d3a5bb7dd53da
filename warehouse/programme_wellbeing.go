package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/evalpipe/evalpipe/scales"
	"github.com/evalpipe/evalpipe/stats"
)

// Wellbeing and quality of life (METRICS.md): cohort, people with a baseline
// and a follow-up score on the measure among the referrals ended in the
// period. Per person and measure the earliest baseline and the latest
// follow_up (after that baseline) that can be scored are paired; a person
// with a scorable baseline and no such follow-up is lost to follow-up.

// wellbeingMeasure is one derived score: its metric id, the outcome measure
// it comes from, and how a row is scored (ok false: not scorable).
type wellbeingMeasure struct {
	id, title, measure string
	score              func(s scoreRow) (float64, bool)
}

// eq5dValueSet is the EQ-5D-5L value set of eq5d_index_change: the UK 3L
// crosswalk, as NICE's position statement asks (METRICS.md). Evaluation has
// no setting to choose England 5L; scales offers it.
const eq5dValueSet = scales.ValueSetUKCrosswalk

var wellbeingMeasures = []wellbeingMeasure{
	{"wemwbs_change", "WEMWBS", "wemwbs", func(s scoreRow) (float64, bool) {
		if len(s.items) > 0 {
			v, err := scales.WEMWBS(s.items)
			return v, err == nil
		}
		return s.total.Float64, s.total.Valid
	}},
	{"swemwbs_change", "SWEMWBS (metric score)", "swemwbs", func(s scoreRow) (float64, bool) {
		items := s.items
		if len(items) == 0 && s.total.Valid {
			items = swemwbsItems(s.total.Float64)
		}
		v, err := scales.SWEMWBSMetric(items)
		return v, err == nil
	}},
	{"eq5d_index_change", "EQ-5D-5L index (UK crosswalk)", "eq5d5l", func(s scoreRow) (float64, bool) {
		if len(s.items) != 5 {
			return 0, false
		}
		v, err := scales.EQ5DIndex([5]int(s.items), eq5dValueSet)
		return v, err == nil
	}},
	{"eq5d_vas_change", "EQ VAS", "eq5d5l", func(s scoreRow) (float64, bool) { return s.vas.Float64, s.vas.Valid }},
	{"ascot_change", "ASCOT SCT4 (unweighted)", "ascot_sct4", func(s scoreRow) (float64, bool) {
		if len(s.items) > 0 {
			v, err := scales.ASCOT(s.items, nil)
			return v, err == nil
		}
		return s.total.Float64, s.total.Valid
	}},
	{"pam_level_shift", "PAM level", "pam", func(s scoreRow) (float64, bool) {
		if s.level.Valid {
			return float64(s.level.Int64), true
		}
		if !s.total.Valid {
			return 0, false
		}
		l, err := scales.PAMLevel(s.total.Float64)
		return float64(l), err == nil
	}},
}

// swemwbsItems spreads a raw SWEMWBS total (7-35) over 7 items so that
// scales.SWEMWBSMetric converts it: the conversion depends on the sum only.
// A total out of range or not whole gives nil (not scorable).
func swemwbsItems(total float64) []int {
	if total != math.Trunc(total) || total < 7 || total > 35 {
		return nil
	}
	items := make([]int, 7)
	left := int(total) - 7
	for i := range items {
		items[i] = 1 + min(4, left)
		left -= items[i] - 1
	}
	return items
}

// scoreRow is one row of sql/programme/wellbeing_scores.sql.
type scoreRow struct {
	person, referral, programme, measure, timepoint string
	items                                           []int
	total, vas                                      sql.NullFloat64
	level                                           sql.NullInt64
	at                                              time.Time
	peer                                            bool
}

// pair is one person's baseline and follow-up on a measure; peer when any
// of the person's rows is on a peer co-delivered talking-therapies referral.
type pair struct {
	person       string
	base, follow float64
	paired, peer bool
	talking      bool // the person has a talking-therapies referral in the rows
}

// wellbeingPairs reads sql/programme/wellbeing_scores.sql once and pairs
// every measure of wellbeingMeasures (pairer), in that order. The rows are
// paired as they are read rather than held: a national year's 785,000 rows
// held as scoreRows were 250-320 MB of live Go heap, read twice by the
// interim report (GODEBUG=gctrace=1).
//
// The last result is kept: the interim report runs the wellbeing step and
// then peer_impact over the same period, and the second read of the
// national year's scores took about 6 s. A warehouse is one snapshot of
// the lake, so a kept result never goes stale; keeping one bounds what a
// server asked for many periods holds. Callers share the slices and must
// not change them.
func (w *Warehouse) wellbeingPairs(ctx context.Context, from, to, service string) ([][]pair, error) {
	key := from + "\x00" + to + "\x00" + service
	w.pairs.mu.Lock()
	kept, keptKey := w.pairs.out, w.pairs.key
	w.pairs.mu.Unlock()
	if kept != nil && keptKey == key {
		return kept, nil
	}
	ps := make([]*pairer, len(wellbeingMeasures))
	for i, m := range wellbeingMeasures {
		ps[i] = newPairer(m)
	}
	err := w.wellbeingRows(ctx, from, to, service, func(r *scoreRow) {
		for _, p := range ps {
			p.add(r)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([][]pair, len(ps))
	for i, p := range ps {
		out[i] = p.pairs()
	}
	w.pairs.mu.Lock()
	w.pairs.key, w.pairs.out = key, out
	w.pairs.reads++
	w.pairs.mu.Unlock()
	return out, nil
}

// pairsMemo is wellbeingPairs's last result, for one (from, to, service).
type pairsMemo struct {
	mu    sync.Mutex
	key   string
	out   [][]pair // by wellbeingMeasures index
	reads int      // wellbeing_scores.sql reads, for the tests
}

// wellbeingRows calls each with every row of wellbeing_scores.sql, in its
// order (the row is reused: each must not keep it).
func (w *Warehouse) wellbeingRows(ctx context.Context, from, to, service string, each func(*scoreRow)) error {
	rs, err := w.programmeRows(ctx, "wellbeing_scores", from, to, service)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var s scoreRow
		var items sql.NullString
		var eventID string
		if err := rs.Scan(&s.person, &s.referral, &s.programme, &s.measure, &s.timepoint, &items,
			&s.total, &s.vas, &s.level, &s.at, &eventID, &s.peer); err != nil {
			return fmt.Errorf("warehouse: wellbeing scores: %w", err)
		}
		if items.Valid && items.String != "null" {
			if err := json.Unmarshal([]byte(items.String), &s.items); err != nil {
				return fmt.Errorf("warehouse: wellbeing scores: items of %s: %w", eventID, err)
			}
		}
		each(&s)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("warehouse: wellbeing scores: %w", err)
	}
	return nil
}

// pairer scores measure m for each person, fed the rows one at a time:
// they come ordered by person, measure, time, so the first scorable
// baseline is the earliest and the last scorable follow-up the latest.
type pairer struct {
	m     wellbeingMeasure
	by    map[string]*pairAcc
	order []string
}

type pairAcc struct {
	pair
	hasBase bool
	baseAt  time.Time
	follows []timedScore
}

type timedScore struct {
	at time.Time
	v  float64
}

func newPairer(m wellbeingMeasure) *pairer {
	return &pairer{m: m, by: map[string]*pairAcc{}}
}

func (p *pairer) add(r *scoreRow) {
	if r.measure != p.m.measure {
		return
	}
	a := p.by[r.person]
	if a == nil {
		a = &pairAcc{pair: pair{person: r.person}}
		p.by[r.person] = a
		p.order = append(p.order, r.person)
	}
	a.peer = a.peer || r.peer
	a.talking = a.talking || r.programme == "talking_therapies"
	v, ok := p.m.score(*r)
	if !ok {
		return
	}
	switch r.timepoint {
	case "baseline":
		if !a.hasBase {
			a.hasBase, a.base, a.baseAt = true, v, r.at
		}
	case "follow_up":
		a.follows = append(a.follows, timedScore{r.at, v})
	}
}

func (p *pairer) pairs() []pair {
	var out []pair
	for _, person := range p.order {
		a := p.by[person]
		if !a.hasBase {
			continue
		}
		for i := len(a.follows) - 1; i >= 0; i-- {
			if a.follows[i].at.After(a.baseAt) {
				a.follow, a.paired = a.follows[i].v, true
				break
			}
		}
		out = append(out, a.pair)
	}
	return out
}

// changes splits pairs into the paired before/after scores and the number
// lost to follow-up.
func changes(ps []pair) (before, after []float64, lost int) {
	for _, p := range ps {
		if !p.paired {
			lost++
			continue
		}
		before = append(before, p.base)
		after = append(after, p.follow)
	}
	return before, after, lost
}

// meanChange is a paired mean change as a Value: mean follow-up − baseline,
// the paired t 95% interval, n paired in Numerator and n with a baseline in
// Denominator. d_z is returned for the table (NaN when undefined).
func meanChange(before, after []float64, lost int) (Value, float64) {
	n := float64(len(before))
	v := Value{Numerator: ptr(n), Denominator: ptr(n + float64(lost))}
	if len(before) == 0 {
		v.Note = "empty cohort"
		return v, math.NaN()
	}
	r, err := stats.PairedT(before, after, 0.95)
	switch {
	case len(before) == 1:
		v.Value = ptr(after[0] - before[0])
		v.Note = "one pair: no interval"
		return v, math.NaN()
	case errors.Is(err, stats.ErrNoVariance):
		v.Value = ptr(r.MeanDiff)
		v.Note = "every change is the same: no interval"
		return v, math.NaN()
	case err != nil:
		v.Note = err.Error()
		return v, math.NaN()
	}
	v.Value = ptr(r.MeanDiff)
	v.CI95 = &[2]float64{r.CI.Lo, r.CI.Hi}
	v.Note = fmt.Sprintf("paired t; d_z %.3f", r.DZ)
	return v, r.DZ
}

// meanOf is the mean of xs as a Value with n in Denominator.
func meanOf(xs []float64) Value {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return meanOfSum(s, float64(len(xs)))
}

// meanOfSum is meanOf for values given as their sum and number.
func meanOfSum(sum, n float64) Value {
	v := Value{Denominator: ptr(n)}
	if n == 0 {
		v.Note = "empty cohort"
		return v
	}
	v.Value = ptr(sum / n)
	return v
}

// meaningfulChange is the WEMWBS change METRICS.md counts as meaningful
// (about 2.77 × SEM, Maheswaran et al. 2012).
const meaningfulChange = 3

func (w *Warehouse) wellbeing(ctx context.Context, res *Result, from, to, service string) error {
	paired, err := w.wellbeingPairs(ctx, from, to, service)
	if err != nil {
		return err
	}
	t := Table{Metric: "wellbeing_change", Title: "Wellbeing and quality of life: change from baseline to follow-up",
		Columns: []Column{
			{ID: "n_baseline", Title: "With a baseline", Unit: "count"},
			{ID: "n_paired", Title: "Paired", Unit: "count"},
			{ID: "n_lost", Title: "Lost to follow-up", Unit: "count"},
			{ID: "baseline_mean", Title: "Baseline mean (paired)", Unit: "mean"},
			{ID: "follow_up_mean", Title: "Follow-up mean (paired)", Unit: "mean"},
			{ID: "mean_change", Title: "Mean change (paired t 95% CI)", Unit: "mean"},
			{ID: "d_z", Title: "Cohen's d_z", Unit: "effect_size"},
		},
		Note: "Referrals ended in the period; per person the earliest baseline and the latest follow-up after it. EQ-5D index: UK 3L crosswalk value set; ASCOT unweighted."}
	for i, m := range wellbeingMeasures {
		ps := paired[i]
		if m.id == "pam_level_shift" {
			pt, up := pamTable(ps)
			res.Tables = append(res.Tables, pt)
			res.Metrics[m.id] = up
			continue
		}
		before, after, lost := changes(ps)
		v, dz := meanChange(before, after, lost)
		res.Metrics[m.id] = v
		dzCell := Value{}
		if !math.IsNaN(dz) {
			dzCell.Value = ptr(dz)
		}
		n := float64(len(before))
		t.Rows = append(t.Rows, Row{Label: m.title, Cells: []Value{
			{Value: ptr(n + float64(lost))}, {Value: ptr(n)}, {Value: ptr(float64(lost))},
			meanOf(before), meanOf(after), v, dzCell,
		}})
		if m.id == "wemwbs_change" {
			k := 0.0
			for i := range before {
				if after[i]-before[i] >= meaningfulChange {
					k++
				}
			}
			res.Metrics["wemwbs_meaningful_improvement_pct"] = Proportion(k, n)
		}
	}
	res.Tables = append(res.Tables, t)
	return nil
}

// pamTable is the 4×4 transition table of PAM levels, baseline (rows) by
// follow-up (columns), counting paired people; its headline is the share
// moving up at least one level.
func pamTable(ps []pair) (Table, Value) {
	var m [4][4]float64
	up, n := 0.0, 0.0
	for _, p := range ps {
		if !p.paired {
			continue
		}
		b, f := int(p.base), int(p.follow)
		if b < 1 || b > 4 || f < 1 || f > 4 {
			continue
		}
		m[b-1][f-1]++
		n++
		if f > b {
			up++
		}
	}
	t := Table{Metric: "pam_level_shift", Title: "PAM level at baseline (rows) and follow-up (columns)",
		Note: fmt.Sprintf("%.0f paired; %.0f moved up at least one level", n, up)}
	for l := 1; l <= 4; l++ {
		t.Columns = append(t.Columns, Column{ID: fmt.Sprintf("follow_up_level_%d", l), Title: fmt.Sprintf("Follow-up level %d", l), Unit: "count"})
	}
	for b := range 4 {
		r := Row{Label: fmt.Sprintf("baseline level %d", b+1)}
		for f := range 4 {
			r.Cells = append(r.Cells, Value{Value: ptr(m[b][f])})
		}
		t.Rows = append(t.Rows, r)
	}
	v := Proportion(up, n)
	v.Note = joinNotes(v.Note, "share moving up at least one PAM level; transitions in the pam_level_shift table")
	return t, v
}
