package demo

import (
	"fmt"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

// pcReferral is what later parts need to know of a peer-coaching referral.
type pcReferral struct {
	id       string
	ended    time.Time
	reason   string
	followUp bool
}

var (
	pcSources = []weighted{{"navigator", 25}, {"social_worker", 18}, {"nurse", 14}, {"gp", 14}, {"self", 10},
		{"health_coach", 6}, {"support_worker", 6}, {"psychiatrist", 4}, {"pharmacist", 1}, {"psychologist", 2}}
	onwardPlans = []weighted{{"personal health budget agreed", 70}, {"referred to employment support", 15}, {"joined a community walking group", 15}}
	coaches     = []string{"K01", "K02", "K03", "K04", "K05", "K06"}
)

// peerCoaching generates the peer-coaching programme: about a tenth of the
// talking-therapies volume, people known by the app's own local id.
func (g *gen) peerCoaching() {
	r := newRNG(g.cfg.Seed, streamPeer)
	n := max(10, g.cfg.Referrals/10)
	span := g.spanDays()
	for i := 1; i <= n; i++ {
		// Referrals spread evenly over the span, in order of their ids.
		day := g.days(g.start, (i-1)*span/n+r.IntN(max(1, span/n)))
		g.pc = append(g.pc, g.pcReferral(r, i, g.office(r, day)))
	}
}

func (g *gen) pcReferral(r rng, n int, at time.Time) *pcReferral {
	ref := &pcReferral{id: fmt.Sprintf("pc-r%05d", n)}
	pw := who{local: fmt.Sprintf("PCA-%06d", 100000+n*7)}
	f := g.peer
	add := func(suffix, typ string, t time.Time, lag time.Duration, data map[string]any) *evt {
		return g.add(f, ref.id+"-"+suffix, typ, t, t.Add(lag), servicePeer, pw, ref.id, data)
	}
	add("rcv", "referral.received", at, time.Duration(r.between(5, 240))*time.Minute, map[string]any{
		"programme":           "peer_coaching",
		"referral_source":     r.pick(pcSources),
		"gp_practice":         gpPractices[r.IntN(len(gpPractices))],
		"age_band":            r.pick(ageBands[1:]),
		"gender":              r.pick(genders),
		"ethnicity":           r.pick(ethnicities),
		"long_term_condition": r.chance(0.55),
	})
	status := func(s string, t time.Time, extra map[string]any) {
		d := map[string]any{"status": s}
		for k, v := range extra {
			d[k] = v
		}
		add("st-"+s, "referral.status_changed", t, time.Duration(r.between(1, 24*60))*time.Minute, d)
	}
	end := func(reason string, t time.Time, followUp bool) {
		if t.Before(g.end) {
			ref.ended, ref.reason = t, reason
			add("end", "referral.ended", t, time.Duration(r.between(30, 2*24*60))*time.Minute,
				map[string]any{"reason": reason, "follow_up_offered": followUp})
		}
	}
	if r.chance(0.05) { // never reached
		end("declined", g.office(r, g.days(at, 45)), false)
		return ref
	}
	// First contact: about three in four within the three-week standard.
	delay := r.between(2, 21)
	if r.chance(0.25) {
		delay = r.between(22, 45)
	}
	contact := g.office(r, g.days(at, delay))
	status("contacted", contact, nil)
	coach := coaches[r.IntN(len(coaches))]
	session := 0
	visit := func(kind string, t time.Time, attendance string) (string, bool) {
		session++
		id := fmt.Sprintf("%s-v%02d", ref.id, session)
		data := map[string]any{"session_id": id, "kind": kind, "attendance": attendance, "worker_id": coach, "worker_role": "peer_coach"}
		if kind == "phone_contact" {
			data["worker_id"], data["worker_role"], data["setting"] = "N0"+fmt.Sprint(1+r.IntN(3)), "navigator", "phone"
		} else {
			data["setting"] = r.pick([]weighted{{"home", 45}, {"community", 40}, {"phone", 15}})
			data["intervention"] = "coaching"
		}
		if attendance == "attended" {
			data["duration_min"] = r.between(30, 120)
		}
		return id, add(fmt.Sprintf("v%02d", session), "session.recorded", t, time.Duration(r.between(30, 36*60))*time.Minute, data) != nil
	}
	visit("phone_contact", contact.Add(-5*time.Minute), "attended")
	if r.chance(0.15) {
		status("declined", contact.Add(20*time.Minute), nil)
		end("declined", contact.Add(40*time.Minute), false)
		return ref
	}
	agreed := g.office(r, g.days(contact, r.between(2, 10)))
	status("agreed", agreed, nil)
	day := g.days(agreed, r.between(3, 14))
	status("allocated", g.office(r, day), map[string]any{"worker_id": coach})

	planned := r.between(6, 12)
	lost := r.chance(0.25) // lost to follow-up: stops after a few visits
	if lost {
		planned = r.between(2, 5)
	}
	attended, weeks := 0, 0
	var firstVisit, lastVisit time.Time
	var baseline map[string]int
	for i := 0; attended < planned && i < 30; i++ {
		day = g.days(day, 7*r.between(1, 2))
		t := g.office(r, day)
		att := r.pick([]weighted{{"attended", 88}, {"dna", 8}, {"cancelled_by_patient", 2.5}, {"cancelled_by_service", 1.5}})
		id, _ := visit("peer_visit", t, att)
		if att != "attended" {
			continue
		}
		attended++
		if attended == 1 {
			firstVisit = t
			baseline = g.wellbeing(r, ref, pw, id, t, "baseline", 0, nil)
		}
		if attended == 3 && r.chance(0.4) {
			status("onward_plan", t.Add(2*time.Hour), map[string]any{"detail": r.pick(onwardPlans)})
		}
		lastVisit = t
	}
	if lost {
		end("dropped_out", g.office(r, g.days(lastVisit, 28)), false)
		return ref
	}
	weeks = int(lastVisit.Sub(firstVisit).Hours() / (24 * 7))
	fu := g.office(r, g.days(lastVisit, 7))
	id, _ := visit("peer_visit", fu, "attended")
	if fu.Before(g.end) {
		g.wellbeing(r, ref, pw, id, fu, "follow_up", weeks+1, baseline)
		ref.followUp = true
	}
	end("completed", g.office(r, g.days(fu, r.between(1, 7))), true)
	return ref
}

// wellbeing records the peer-coaching measures; at follow-up they move from
// baseline by a modest average improvement, as the programme hopes.
func (g *gen) wellbeing(r rng, ref *pcReferral, pw who, session string, t time.Time, timepoint string, weeks int, base map[string]int) map[string]int {
	scores := map[string]int{}
	move := func(name string, b, gain, sd float64, lo, hi int) int {
		if base == nil {
			scores[name] = r.normal(b, sd, lo, hi)
		} else {
			scores[name] = r.normal(float64(base[name])+gain, sd*0.8, lo, hi)
		}
		return scores[name]
	}
	rec := func(measure string, data map[string]any) {
		data["measure"], data["timepoint"], data["session_id"] = measure, timepoint, session
		if weeks > 0 {
			data["weeks"] = weeks
		}
		lag := time.Duration(r.between(10, 48*60)) * time.Minute
		g.add(g.peer, fmt.Sprintf("%s-%s-%s", ref.id, timepoint, measure), "outcome.recorded", t, t.Add(lag), servicePeer, pw, ref.id, data)
	}
	itemsOf := func(measure string, total int) []int {
		m := events.LookupMeasure(measure)
		return r.items(total, m.Items, m.ItemMin, m.ItemMax)
	}
	rec("wemwbs", map[string]any{"items": itemsOf("wemwbs", move("wemwbs", 40, 5, 8, 14, 70))})
	rec("swemwbs", map[string]any{"items": itemsOf("swemwbs", move("swemwbs", 19, 2.5, 4, 7, 35))})
	eq := make([]int, 5)
	for i := range eq {
		if base == nil {
			eq[i] = r.normal(2.6, 1, 1, 5)
		} else {
			step := 0 // EQ-5D levels: 1 is no problems, so improvement is a step down
			if u := r.Float64(); u < 0.35 {
				step = -1
			} else if u > 0.9 {
				step = 1
			}
			eq[i] = clip(base[fmt.Sprint("eq", i)]+step, 1, 5)
		}
		scores[fmt.Sprint("eq", i)] = eq[i]
	}
	rec("eq5d5l", map[string]any{"items": eq, "vas": move("vas", 55, 8, 18, 0, 100)})
	rec("ascot_sct4", map[string]any{"items": itemsOf("ascot_sct4", move("ascot", 14, 2, 4, 0, 24))})
	rec("pam", map[string]any{"level": move("pam", 2.1, 0.4, 0.9, 1, 4)})
	return scores
}
