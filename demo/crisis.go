package demo

import (
	"fmt"
	"math"
	"time"
)

// Crisis contact mixes before and after the crisis service launches: the
// sanctuary opens, and some A&E attendances and admissions move to it and to
// the crisis team.
var (
	crisisBefore = []weighted{{"ae_attendance", 35}, {"crisis_line_call", 30}, {"crisis_team_contact", 20},
		{"acute_admission", 10}, {"section_136", 5}}
	crisisAfter = []weighted{{"ae_attendance", 25}, {"crisis_line_call", 30}, {"crisis_team_contact", 20},
		{"sanctuary_visit", 15}, {"acute_admission", 7}, {"section_136", 3}}
	peerWorkers = []string{"P01", "P02", "P03", "P04"}
)

// crisisContacts generates the crisis-line log for a cohort of people in
// contact with crisis services: about one in twenty of the talking-therapies
// volume, a third of them also known to talking therapies (the same NHS
// number). After the launch, most of the cohort take up the crisis service's
// peer support; their contact rate roughly halves after the first peer
// contact (the index date of crisis_pre_post).
func (g *gen) crisisContacts() {
	r := newRNG(g.cfg.Seed, streamCrisis)
	n := max(5, g.cfg.Referrals/20)
	span := g.spanDays()
	launchDay := int(g.launch.Sub(g.start).Hours() / 24)
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("cr-%06d", i)
		var nhs string
		if len(g.tt) > 0 && r.chance(0.33) {
			nhs = g.tt[r.IntN(len(g.tt))].nhs
		} else {
			nhs = g.freshNHS(r)
		}
		pw := who{nhs: nhs}
		if r.chance(0.2) {
			pw.nhs = spaced(nhs)
		}
		rate := 0.25 + 1.2*r.Float64() // contacts a month before any peer support
		var index time.Time
		if r.chance(0.6) && span-launchDay > 30 {
			index = g.office(r, g.days(g.start, launchDay+r.IntN(span-launchDay-20)))
			g.crisisPeer(r, id, pw, index)
		}
		t := g.start
		k := 0
		for {
			now := rate
			switch {
			case !index.IsZero() && t.After(index):
				now *= 0.45
			case !t.Before(g.launch):
				now *= 0.9
			}
			gap := -math.Log(1-r.Float64()) / now * 30.4 * 24 // hours to the next contact
			t = t.Add(time.Duration(gap * float64(time.Hour)))
			if !t.Before(g.end) {
				break
			}
			k++
			mix := crisisBefore
			good := 0.2
			if !t.Before(g.launch) {
				mix, good = crisisAfter, 0.4
			}
			kind := r.pick(mix)
			data := map[string]any{"kind": kind}
			if kind == "acute_admission" {
				data["bed_days"] = r.between(2, 10) + int(-math.Log(1-r.Float64())*15)
			}
			if kind != "section_136" && r.chance(0.35) {
				data["experience"] = experienceFor(r, good)
			}
			g.add(g.crisis, fmt.Sprintf("%s-c%03d", id, k), "crisis.contact", t, t.Add(time.Duration(r.between(5, 48*60))*time.Minute),
				serviceCrisis, pw, id, data)
		}
	}
}

// crisisPeer records someone's referral to the crisis service's peer
// support and their peer contacts, the first of them at index.
func (g *gen) crisisPeer(r rng, id string, pw who, index time.Time) {
	ref := id + "-ps"
	rcv := g.days(index, -r.between(1, 6))
	g.add(g.crisis, ref+"-rcv", "referral.received", rcv, rcv.Add(time.Hour), serviceCrisis, pw, ref, map[string]any{
		"programme": "crisis", "referral_source": r.pick([]weighted{{"self", 30}, {"psychiatrist", 25}, {"gp", 20}, {"support_worker", 15}, {"other", 10}}),
	})
	worker := peerWorkers[r.IntN(len(peerWorkers))]
	t := index
	visits := r.between(2, 8)
	for v := 1; v <= visits; v++ {
		att := "attended"
		if v > 1 && r.chance(0.1) {
			att = "dna"
		}
		data := map[string]any{"session_id": fmt.Sprintf("%s-v%02d", ref, v), "kind": "peer_visit", "attendance": att,
			"worker_id": worker, "worker_role": "peer_worker", "setting": r.pick([]weighted{{"community", 50}, {"home", 30}, {"phone", 20}})}
		if att == "attended" {
			data["duration_min"] = r.between(30, 90)
		}
		g.add(g.crisis, fmt.Sprintf("%s-v%02d", ref, v), "session.recorded", t, t.Add(time.Duration(r.between(30, 24*60))*time.Minute),
			serviceCrisis, pw, ref, data)
		t = g.office(r, g.days(t, 7))
	}
	end := g.office(r, g.days(t, 3))
	if end.Before(g.end) {
		g.add(g.crisis, ref+"-end", "referral.ended", end, end.Add(2*time.Hour), serviceCrisis, pw, ref,
			map[string]any{"reason": "completed", "follow_up_offered": true})
	}
}
