package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The programme metrics of METRICS.md (peer-coaching funnel, representation,
// wellbeing and quality of life, peer-worker impact, recovery consultation
// audit). Their queries live in sql/programme/; what needs Go (scale
// scoring, paired and Welch intervals, Newcombe differences) is done here
// over the rows those queries return. Each .sql file is headed by the
// definition it implements and the choices made where METRICS.md is silent.

//go:embed sql/programme/*.sql
var programmeFS embed.FS

// programmeQuery returns sql/programme/<name>.sql with the peer-referral
// subquery spliced in where it says {{peer_referrals}}.
func programmeQuery(name string) string {
	b, err := programmeFS.ReadFile("sql/programme/" + name + ".sql")
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build error
	}
	peer, err := programmeFS.ReadFile("sql/programme/peer_referrals.sql")
	if err != nil {
		panic(err)
	}
	return strings.ReplaceAll(string(b), "{{peer_referrals}}", "\n"+string(peer)+"\n")
}

// observationalNote is the peer_impact table's note (METRICS.md: "The
// report states that this is an observational comparison").
const observationalNote = "Observational comparison: groups were not randomised; differences may reflect who was offered peer support."

// Programme computes the programme metrics for the period, for one service
// or all (service ""): Metrics holds each metric's headline, Breakdowns the
// representation ratios, Tables the funnel, wellbeing changes, PAM
// transitions, peer-worker comparison and consultation audit. Dates are
// local dates in Config.TimeZone and only events recorded by Config.AsOf
// count, as for TalkingTherapies.
func (w *Warehouse) Programme(ctx context.Context, p Period, service string) (*Result, error) {
	res, err := w.newResult(p, service)
	if err != nil {
		return nil, err
	}
	from, to := day(p.From), day(p.To)
	for _, step := range []struct {
		name string
		run  func(context.Context, *Result, string, string, string) error
	}{
		{"funnel", w.funnel}, {"representation", w.representation}, {"wellbeing", w.wellbeing},
		{"peer_impact", w.peerImpact}, {"consultation_audit", w.consultationAudit},
	} {
		start := time.Now()
		if err := step.run(ctx, res, from, to, service); err != nil {
			return nil, err
		}
		w.queried(ctx, start, "warehouse query", "query", "programme "+step.name)
	}
	return res, nil
}

func (w *Warehouse) newResult(p Period, service string) (*Result, error) {
	if p.To.Before(p.From) {
		return nil, fmt.Errorf("warehouse: period %s ends before it starts", p)
	}
	res := &Result{
		Period: p, Service: service,
		Metrics:    map[string]Value{},
		Breakdowns: map[string]map[string]map[string]Value{},
		Provenance: w.Provenance(),
	}
	if service == "" {
		res.Service = "all"
	}
	return res, nil
}

// programmeRows runs sql/programme/<name>.sql with $from, $to, $service.
func (w *Warehouse) programmeRows(ctx context.Context, name, from, to, service string) (*sql.Rows, error) {
	rs, err := w.db.QueryContext(ctx, programmeQuery(name),
		sql.Named("from", from), sql.Named("to", to), sql.Named("service", service))
	if err != nil {
		return nil, fmt.Errorf("warehouse: %s: %w", name, err)
	}
	return rs, nil
}

// funnelStages are the funnel's rows, in order (sql/programme/funnel.sql).
var funnelStages = []string{"referred", "agreed", "allocated", "attended a visit", "onward plan"}

func (w *Warehouse) funnel(ctx context.Context, res *Result, from, to, service string) error {
	rs, err := w.programmeRows(ctx, "funnel", from, to, service)
	if err != nil {
		return err
	}
	defer rs.Close()
	n := make([]float64, len(funnelStages))
	if rs.Next() {
		if err := rs.Scan(&n[0], &n[1], &n[2], &n[3], &n[4]); err != nil {
			return fmt.Errorf("warehouse: funnel: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("warehouse: funnel: %w", err)
	}
	t := Table{Metric: "funnel", Title: "Peer-coaching funnel",
		Columns: []Column{{ID: "count", Title: "Referrals", Unit: "count"}, {ID: "share_of_referred", Title: "Share of referred", Unit: "proportion"}},
		Note:    "Referrals received in the period; a stage counts as reached when it or a later stage is recorded."}
	for i, stage := range funnelStages {
		t.Rows = append(t.Rows, Row{Label: stage, Cells: []Value{{Value: ptr(n[i])}, Proportion(n[i], n[0])}})
	}
	res.Tables = append(res.Tables, t)
	v := Proportion(n[len(n)-1], n[0])
	v.Note = joinNotes(v.Note, "referred → onward plan; every stage in the funnel table")
	res.Metrics["funnel"] = v
	return nil
}

// underRepresented is the ratio below which a group is flagged (METRICS.md).
const underRepresented = 0.8

func (w *Warehouse) representation(ctx context.Context, res *Result, from, to, service string) error {
	rs, err := w.programmeRows(ctx, "representation", from, to, service)
	if err != nil {
		return err
	}
	defer rs.Close()
	type count struct{ num, den float64 }
	counts := map[string]map[string]count{"ethnicity": {}, "age_band": {}}
	for rs.Next() {
		var dim, grp string
		var c count
		if err := rs.Scan(&dim, &grp, &c.num, &c.den); err != nil {
			return fmt.Errorf("warehouse: representation: %w", err)
		}
		counts[dim][grp] = c
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("warehouse: representation: %w", err)
	}
	shares := w.cfg.Evaluation.PopulationShares
	byDim := map[string]map[string]Value{}
	flagged, configured := 0, false
	for dim, groups := range counts {
		pop := shares[dim]
		total := 0.0
		for _, c := range groups {
			total = c.den
		}
		out := map[string]Value{}
		for g := range pop { // a configured group with no referrals has ratio 0
			if _, ok := groups[g]; !ok {
				groups[g] = count{0, total}
			}
		}
		for g, c := range groups {
			v := Value{Numerator: ptr(c.num), Denominator: ptr(c.den)}
			share, ok := pop[g]
			switch {
			case len(pop) == 0:
				v.Note = "no population shares configured for " + dim + ": set Evaluation.PopulationShares[\"" + dim + "\"] (population_shares)"
			case !ok || share <= 0:
				v.Note = "no population share configured for this group"
			case c.den <= 0:
				v.Note = "empty cohort"
			default:
				configured = true
				v.Value = ptr(c.num / c.den / share)
				lo, hi := Wilson(c.num, c.den)
				v.CI95 = &[2]float64{lo / share, hi / share}
				if *v.Value < underRepresented {
					v.Note = "under-represented"
					flagged++
				}
			}
			out[g] = v
		}
		byDim[dim] = out
	}
	res.Breakdowns["representation_ratio"] = byDim
	if !configured {
		res.Metrics["representation_ratio"] = Value{Note: "no population shares configured: set Evaluation.PopulationShares (population_shares) for ethnicity and age_band"}
		return nil
	}
	note := "number of groups under-represented (ratio < 0.8); a ratio per group in breakdowns"
	if src := w.cfg.Evaluation.PopulationSource; src != "" {
		note += "; population shares: " + src
	}
	res.Metrics["representation_ratio"] = Value{Value: ptr(float64(flagged)), Note: note}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
