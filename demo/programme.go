package demo

import (
	"fmt"
	"math"
	"time"
)

// monthlyCosts are each programme's monthly costs by category at the
// default volume (8000 talking-therapies referrals a year); they scale with
// Referrals. Crisis costs start at the launch.
var monthlyCosts = []struct {
	programme, service, category string
	gbp                          float64
}{
	{"talking_therapies", serviceTT, "staff", 182000}, {"talking_therapies", serviceTT, "training", 6500},
	{"talking_therapies", serviceTT, "overheads", 24000}, {"talking_therapies", serviceTT, "other", 3000},
	{"peer_coaching", servicePeer, "staff", 21000}, {"peer_coaching", servicePeer, "training", 1800},
	{"peer_coaching", servicePeer, "overheads", 2600}, {"peer_coaching", servicePeer, "other", 4200},
	{"crisis", serviceCrisis, "staff", 48000}, {"crisis", serviceCrisis, "training", 2500},
	{"crisis", serviceCrisis, "overheads", 9000},
}

var involvement = []struct {
	activity, service string
	participants      [2]int
	hours             float64
	led               bool
}{
	{"advisory_group", serviceTT, [2]int{6, 12}, 2, false},
	{"peer_forum", servicePeer, [2]int{8, 20}, 1.5, true},
	{"co_design", servicePeer, [2]int{4, 8}, 3, true},
	{"recruitment_panel", serviceTT, [2]int{2, 3}, 4, false},
	{"training_delivery", serviceCrisis, [2]int{1, 3}, 6, true},
}

// programmeRecords generates finance's monthly costs, the recovery
// consultations and the quarterly involvement log.
func (g *gen) programmeRecords() {
	r := newRNG(g.cfg.Seed, streamProgramme)
	f := g.programme
	scale := float64(g.cfg.Referrals) / 8000
	for m := 0; m < g.cfg.Months; m++ {
		from := g.start.AddDate(0, m, 0)
		to := from.AddDate(0, 1, -1)
		posted := g.office(r, g.days(to, r.between(3, 9)))
		for i, c := range monthlyCosts {
			if c.programme == "crisis" && from.Before(g.launch) {
				continue
			}
			amount := math.Round(c.gbp*scale*(0.92+0.16*r.Float64())*100) / 100
			g.add(f, fmt.Sprintf("cost-%s-%02d", from.Format("2006-01"), i+1), "cost.recorded", g.at(to, 17, 0), posted, c.service, who{}, "",
				map[string]any{"programme": c.programme, "period_start": from.Format(time.DateOnly), "period_end": to.Format(time.DateOnly),
					"amount_gbp": amount, "category": c.category})
		}
	}
	for _, c := range clinicians {
		if c.consult == 0 {
			continue
		}
		at := g.consultationDate(c)
		g.add(f, "consult-"+c.id, "consultation.held", at, at.Add(time.Duration(r.between(1, 48))*time.Hour), serviceTT, who{}, "",
			map[string]any{"worker_id": c.id, "facilitator": "F01",
				"notes": "Reviewed recovered and not-recovered cases; agreed to use problem-specific measures and to review at session 4."})
	}
	q := 0
	for from := g.start; from.Before(g.end); from = from.AddDate(0, 3, 0) {
		q++
		for i, a := range involvement {
			at := g.office(r, g.days(from, r.between(10, 80)))
			people := r.between(a.participants[0], a.participants[1])
			g.add(f, fmt.Sprintf("inv-q%02d-%02d", q, i+1), "involvement.recorded", at, at.Add(time.Duration(r.between(1, 7))*24*time.Hour), a.service, who{}, "",
				map[string]any{"activity": a.activity, "participants": people,
					"hours": a.hours * float64(people), "led_by_service_users": a.led})
		}
	}
}
