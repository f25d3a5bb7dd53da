package demo

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"
)

// kpis are the figures of METRICS.md that the demo data are shaped to
// produce, computed here from the generated events by a small independent
// implementation (not the warehouse's), so that the data and the metric
// definitions can be checked against each other.
type kpis struct {
	finished, finishedPaired, notAtCaseness, recovered int
	noPaired                                           int
	wait6wk, wait18wk                                  float64
	dropout, dropoutPeer, dna, cancellation            float64
	byClinician                                        map[string][2]int // recovered, denominator
}

func (k kpis) recoveryRate() float64 {
	return float64(k.recovered) / float64(k.finishedPaired-k.notAtCaseness)
}

type score struct {
	at    time.Time
	total float64
}

// computeKPIs follows METRICS.md: treatment sessions are attended
// treatment or group sessions; finished means ended with at least two;
// paired scores are two or more on different dates, the last on or before
// the end date; retracted events do not count.
func computeKPIs(t *testing.T, d decoded) kpis {
	loc, _ := time.LoadLocation("Europe/London")
	date := func(tm time.Time) string { return tm.In(loc).Format(time.DateOnly) }
	retracted := map[string]bool{}
	for _, ev := range d.events {
		if ev.Type == "event.retracted" {
			retracted[ev.Data["target_event_id"].(string)] = true
		}
	}
	type ref struct {
		received, ended time.Time
		reason          string
		treatments      int
		firstTreatment  time.Time
		worker          string
		peer            bool
		phq, gad        []score
	}
	refs := map[string]*ref{}
	get := func(id string) *ref {
		if refs[id] == nil {
			refs[id] = &ref{}
		}
		return refs[id]
	}
	for _, ev := range d.events {
		if retracted[ev.EventID] || ev.Source != sourceIaptus {
			continue
		}
		r := get(ev.ReferralID)
		switch ev.Type {
		case "referral.received":
			r.received = ev.OccurredAt
		case "referral.ended":
			r.ended, r.reason = ev.OccurredAt, ev.Data["reason"].(string)
		case "outcome.recorded":
			s := score{ev.OccurredAt, ev.Data["total"].(float64)}
			switch ev.Data["measure"] {
			case "phq9":
				r.phq = append(r.phq, s)
			case "gad7":
				r.gad = append(r.gad, s)
			}
		}
	}
	var attended, dna, cancelled, all int
	for _, a := range d.appts {
		r := get(a.pathway)
		all++
		switch a.attendance {
		case "attended":
			attended++
		case "dna":
			dna++
		default:
			cancelled++
		}
		if a.attendance == "attended" && (a.kind == "treatment" || a.kind == "group") {
			r.treatments++
			if r.firstTreatment.IsZero() || a.at.Before(r.firstTreatment) {
				r.firstTreatment = a.at
			}
			r.worker = a.worker
			r.peer = r.peer || a.peer == "Y"
		}
	}
	// paired returns the first and last scores, or ok false.
	paired := func(ss []score, end time.Time) (first, last float64, ok bool) {
		var in []score
		for _, s := range ss {
			if date(s.at) <= date(end) {
				in = append(in, s)
			}
		}
		if len(in) < 2 {
			return 0, 0, false
		}
		sort.Slice(in, func(i, j int) bool { return in[i].at.Before(in[j].at) })
		if date(in[0].at) == date(in[len(in)-1].at) {
			return 0, 0, false
		}
		return in[0].total, in[len(in)-1].total, true
	}
	k := kpis{byClinician: map[string][2]int{}}
	var within6, within18, started, dropped, startedPeer, droppedPeer int
	for _, r := range refs {
		if r.ended.IsZero() || r.treatments == 0 {
			continue
		}
		started++
		if r.reason == "dropped_out" {
			dropped++
		}
		if r.peer {
			startedPeer++
			if r.reason == "dropped_out" {
				droppedPeer++
			}
		}
		if r.treatments < 2 {
			continue
		}
		k.finished++
		recvDay, _ := time.ParseInLocation(time.DateOnly, date(r.received), loc)
		firstDay, _ := time.ParseInLocation(time.DateOnly, date(r.firstTreatment), loc)
		wait := int(math.Round(firstDay.Sub(recvDay).Hours() / 24))
		if wait <= 42 {
			within6++
		}
		if wait <= 126 {
			within18++
		}
		p0, p1, okP := paired(r.phq, r.ended)
		g0, g1, okG := paired(r.gad, r.ended)
		if !okP || !okG {
			k.noPaired++
			continue
		}
		k.finishedPaired++
		if p0 < 10 && g0 < 8 {
			k.notAtCaseness++
			continue
		}
		c := k.byClinician[r.worker]
		c[1]++
		if p1 < 10 && g1 < 8 {
			k.recovered++
			c[0]++
		}
		k.byClinician[r.worker] = c
	}
	k.wait6wk = float64(within6) / float64(k.finished)
	k.wait18wk = float64(within18) / float64(k.finished)
	k.dropout = float64(dropped) / float64(started)
	k.dropoutPeer = float64(droppedPeer) / float64(startedPeer)
	k.dna = float64(dna) / float64(attended+dna)
	k.cancellation = float64(cancelled) / float64(all)
	return k
}

func TestKPIs(t *testing.T) {
	dir, _ := generate(t, Config{BadLines: 40})
	k := computeKPIs(t, load(t, dir))
	t.Logf("finished %d, paired %d, not at caseness %d, recovered %d, no paired %d", k.finished, k.finishedPaired, k.notAtCaseness, k.recovered, k.noPaired)
	t.Logf("recovery %.3f, wait ≤6wk %.3f, ≤18wk %.3f, dropout %.3f (peer co-delivered %.3f), DNA %.3f, cancellations %.3f",
		k.recoveryRate(), k.wait6wk, k.wait18wk, k.dropout, k.dropoutPeer, k.dna, k.cancellation)
	lo, hi := 1.0, 0.0
	for _, c := range k.byClinician {
		rate := float64(c[0]) / float64(c[1])
		lo, hi = math.Min(lo, rate), math.Max(hi, rate)
	}
	t.Logf("clinician recovery rates %.3f-%.3f over %d clinicians", lo, hi, len(k.byClinician))
	tests := []struct {
		name        string
		got, lo, hi float64
	}{
		{"recovery_rate", k.recoveryRate(), 0.45, 0.55},
		{"wait_6wk_pct", k.wait6wk, 0.75, 0.90},
		{"wait_18wk_pct", k.wait18wk, 0.95, 0.995},
		{"dropout_rate", k.dropout, 0.28, 0.40},
		{"dropout_rate, peer co-delivered", k.dropoutPeer, 0.15, k.dropout},
		{"dna_rate", k.dna, 0.08, 0.15},
		{"cancellation_rate", k.cancellation, 0.03, 0.08},
		{"lowest clinician recovery rate", lo, 0.25, 0.42},
		{"highest clinician recovery rate", hi, 0.58, 0.75},
		{"no_paired_scores share", float64(k.noPaired) / float64(k.finished), 0.005, 0.06},
		{"not_at_caseness share", float64(k.notAtCaseness) / float64(k.finishedPaired), 0.05, 0.15},
	}
	for _, tt := range tests {
		if tt.got < tt.lo || tt.got > tt.hi {
			t.Errorf("%s = %.3f, want %.2f-%.2f", tt.name, tt.got, tt.lo, tt.hi)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{800, 8000} {
		b.Run(fmt.Sprint("referrals=", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(b.Context(), Config{Referrals: n}, b.TempDir()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
