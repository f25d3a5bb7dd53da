package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/stats"
)

// Peer-worker impact (METRICS.md): talking-therapies referrals with a peer
// co-delivered treatment or group session (sql/programme/peer_referrals.sql)
// against the rest, on the talking-therapies definitions of dropout_rate,
// dna_rate and recovery_rate (their own SQL, grouped by the peer flag),
// wemwbs_change (the wellbeing pairs of talking-therapies referrals) and the
// good-or-excellent share of feedback experience linked by referral or
// person. Observational: nothing here adjusts for who was offered peer
// support.

// peerGroup is the {{group}} expression that splits a talking-therapies
// metric's cohort by the peer flag.
func peerGroup() string {
	return "CASE WHEN referral_id IN (" + programmeQuery("peer_referrals") + ") THEN 'peer' ELSE 'non_peer' END"
}

// metricGroupedBy runs a catalogue metric's SQL with an arbitrary group
// expression: group → (num, den).
func (w *Warehouse) metricGroupedBy(ctx context.Context, id, group, from, to, service string) (map[string]row, error) {
	q := strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(w.metrics[id]), ";"), "{{group}}", group)
	defer w.queried(ctx, time.Now(), "warehouse metric", "metric", id, "grouped_by", "peer")
	rs, err := w.db.QueryContext(ctx, q, sql.Named("from", from), sql.Named("to", to), sql.Named("service", service))
	if err != nil {
		return nil, fmt.Errorf("warehouse: metric %s: %w", id, err)
	}
	defer rs.Close()
	out := map[string]row{}
	for rs.Next() {
		var g string
		var num, den sql.NullFloat64
		if err := rs.Scan(&g, &num, &den); err != nil {
			return nil, fmt.Errorf("warehouse: metric %s: %w", id, err)
		}
		out[g] = row{num: num.Float64, den: den.Float64, hasNum: num.Valid}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: metric %s: %w", id, err)
	}
	return out, nil
}

// comparisonColumns are the columns of a two-group comparison table. The
// unit column says each row's unit (proportion or mean change), since the
// rows mix them.
var comparisonColumns = []Column{
	{ID: "unit", Title: "Unit", Unit: "text"},
	{ID: "peer", Title: "Peer co-delivered", Unit: "per_row"},
	{ID: "non_peer", Title: "Not peer co-delivered", Unit: "per_row"},
	{ID: "difference", Title: "Difference (peer − non-peer, 95% CI)", Unit: "per_row"},
}

// proportionRow compares two proportions: Wilson intervals for each, the
// Newcombe hybrid score interval for the difference a − b.
func proportionRow(label string, a, b row) Row {
	return Row{Label: label, Cells: []Value{{Text: "proportion"}, Proportion(a.num, a.den), Proportion(b.num, b.den), newcombe(a, b)}}
}

func newcombe(a, b row) Value {
	if a.den <= 0 || b.den <= 0 {
		return Value{Note: "a group is empty: no difference"}
	}
	d, ci, err := stats.Newcombe(int(a.num), int(a.den), int(b.num), int(b.den), 0.95)
	if err != nil {
		return Value{Note: err.Error()}
	}
	return Value{Value: ptr(d), CI95: &[2]float64{ci.Lo, ci.Hi}, Note: "Newcombe hybrid score interval"}
}

// welchRow compares the mean changes of two groups of paired scores: each
// with its paired t interval (n paired in Denominator), the difference of
// means with the Welch interval.
func welchRow(label string, a, b []pair) Row {
	cell := func(ps []pair) (Value, []float64) {
		before, after, _ := changes(ps)
		v, _ := meanChange(before, after, 0)
		v.Numerator = nil
		d := make([]float64, len(before))
		for i := range d {
			d[i] = after[i] - before[i]
		}
		return v, d
	}
	va, da := cell(a)
	vb, db := cell(b)
	diff := Value{}
	r, err := stats.Welch(da, db, 0.95)
	switch {
	case err == nil:
		diff = Value{Value: ptr(r.Diff), CI95: &[2]float64{r.CI.Lo, r.CI.Hi}, Note: fmt.Sprintf("Welch interval, df %.2f", r.DF)}
	case errors.Is(err, stats.ErrNoVariance):
		diff = Value{Value: ptr(r.Diff), Note: "no variance in either group: no interval"}
	default:
		diff.Note = "fewer than 2 paired in a group: no difference"
	}
	return Row{Label: label, Cells: []Value{{Text: "mean_change"}, va, vb, diff}}
}

func (w *Warehouse) peerImpact(ctx context.Context, res *Result, from, to, service string) error {
	t := Table{Metric: "peer_impact", Title: "Peer-worker impact (talking therapies)", Columns: comparisonColumns, Note: observationalNote}
	group := peerGroup()
	for _, id := range []string{"dropout_rate", "dna_rate", "recovery_rate"} {
		g, err := w.metricGroupedBy(ctx, id, group, from, to, service)
		if err != nil {
			return err
		}
		t.Rows = append(t.Rows, proportionRow(id, g["peer"], g["non_peer"]))
	}

	paired, err := w.wellbeingPairs(ctx, from, to, service)
	if err != nil {
		return err
	}
	var peer, rest []pair
	for _, p := range paired[0] { // wemwbs, wellbeingMeasures[0]
		switch {
		case !p.talking:
		case p.peer:
			peer = append(peer, p)
		default:
			rest = append(rest, p)
		}
	}
	t.Rows = append(t.Rows, welchRow("wemwbs_change", peer, rest))

	exp, err := w.experienceByPeer(ctx, from, to, service)
	if err != nil {
		return err
	}
	if exp["peer"].den+exp["non_peer"].den == 0 {
		note := Value{Note: "no feedback with an experience rating links to a talking-therapies referral (by referral or person): omitted"}
		t.Rows = append(t.Rows, Row{Label: "experience_good_pct", Cells: []Value{{Text: "proportion"}, note, note, note}})
	} else {
		t.Rows = append(t.Rows, proportionRow("experience_good_pct", exp["peer"], exp["non_peer"]))
	}
	res.Tables = append(res.Tables, t)
	res.Metrics["peer_impact"] = Value{Note: observationalNote + " See the peer_impact table."}
	return nil
}

// experienceByPeer counts good-or-excellent feedback ("peer", "non_peer").
func (w *Warehouse) experienceByPeer(ctx context.Context, from, to, service string) (map[string]row, error) {
	rs, err := w.programmeRows(ctx, "experience", from, to, service)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]row{}
	for rs.Next() {
		var peer bool
		var r row
		if err := rs.Scan(&peer, &r.num, &r.den); err != nil {
			return nil, fmt.Errorf("warehouse: experience: %w", err)
		}
		r.hasNum = true
		if peer {
			out["peer"] = r
		} else {
			out["non_peer"] = r
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: experience: %w", err)
	}
	return out, nil
}
