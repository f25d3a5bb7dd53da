package demo

import (
	"fmt"
	"strings"
	"time"
)

// Codebook is the version of the thematic codebook the evaluators code with.
const Codebook = "tt-peer-codebook-v1"

// themes are the codebook's codes, each with phrases people use for it: what
// was good, and what was not. Phrases are what a coder would code the theme
// from, so the generated coding is the truth the reports should find.
var themes = []struct {
	code          string
	good, bad     []string
	action        string
	weightPeerOut float64 // how often peer-coaching feedback raises it
}{
	{"waiting_time",
		[]string{"I was seen much quicker than I expected.", "The wait was short and someone rang to check on me while I waited."},
		[]string{"I waited nearly three months before my first session, which felt like forever.", "The wait between the assessment and starting therapy was far too long.", "Nobody told me how long the wait would be."},
		"Added evening assessment clinics and a monthly check-in call for everyone waiting more than four weeks.", 0.5},
	{"feeling_listened_to",
		[]string{"My therapist really listened and never rushed me.", "For the first time I felt properly heard.", "They took what I said seriously."},
		[]string{"Sometimes it felt like I was just ticking boxes on the questionnaires.", "I felt rushed at the end of every session."},
		"Clinicians now open each session with the client's own agenda before the questionnaires.", 1},
	{"flexibility",
		[]string{"Being able to have sessions by video in my lunch break made it possible.", "They moved my appointments around my shifts without any fuss."},
		[]string{"Appointments were only offered in working hours, so I had to take unpaid leave.", "I could not change the time of my group."},
		"Offered evening and Saturday appointments and let people switch between video and face to face.", 0.8},
	{"peer_understanding",
		[]string{"Talking to someone who had been through it themselves made all the difference.", "My coach understood without me having to explain.", "The peer worker in the group made it feel less like a classroom."},
		[]string{"I would have liked to meet someone who had lived through the same thing."},
		"Extended peer co-delivery to more groups and recruited two more peer coaches.", 3},
	{"practical_help",
		[]string{"Help with my benefits forms took a weight off.", "They helped me sort out my housing letter.", "The personal budget paid for a gym pass and it changed my week."},
		[]string{"I needed help with money worries and there was nothing on offer.", "Nobody could help with my housing problem, which is the root of it."},
		"Agreed a direct referral route to the council's welfare rights and housing advice teams.", 2.5},
	{"continuity",
		[]string{"Seeing the same person every week helped me build trust."},
		[]string{"I had three different therapists and had to start again each time.", "My sessions were cancelled twice when my therapist was off."},
		"Cover arrangements now keep people with one named clinician, and cancellations are rebooked within the week.", 0.7},
	{"access_barriers",
		[]string{"The self-referral form online was easy to fill in."},
		[]string{"The phone line was hard to get through on.", "I could not get into the building with my pushchair.", "There was no interpreter for my mum.", "The letters were all in English and full of jargon."},
		"Booked interpreters by default when a language need is recorded and rewrote the opt-in letter in plain English.", 1.2},
}

// Identifiers for quote redaction to find: fictional names, phone numbers
// from Ofcom's drama range, example.com addresses.
var (
	names       = []string{"Sarah", "Dr Okafor", "Priya", "Tom", "Mrs Kowalski", "Abdi", "Niamh"}
	identifiers = []string{
		"Please pass my thanks to %s.",
		"You can call me on 07700 900%03d if you want to hear more.",
		"Email me at %s@example.com and I will gladly help with the service.",
		"I first rang on %s and felt better by the end of the year.",
	}
	experiences = []string{"excellent", "good", "fair", "poor", "very_poor"}
)

// feedbackAndActions generates feedback from completers (PEQ), phone surveys
// of people who dropped out, peer-coaching clients, carers and staff; the
// evaluators' coding of each text; and the actions taken on the top themes.
func (g *gen) feedbackAndActions() {
	r := newRNG(g.cfg.Seed, streamFeedback)
	n := 0
	count := make([]int, len(themes))
	byTheme := make([][]coded, len(themes))
	fb := func(at time.Time, respondent, channel, service string, p who, referral string, goodness float64, peerish bool) {
		n++
		id := fmt.Sprintf("fb-%06d", n)
		data := map[string]any{"feedback_id": id, "respondent": respondent, "channel": channel}
		exp := experienceFor(r, goodness)
		staff := respondent == "staff" || respondent == "peer_worker"
		if !staff { // staff talk about the service, they do not rate their experience of it
			data["experience"] = exp
		}
		positive := exp == "excellent" || exp == "good"
		var codes []int
		if r.chance(0.75) || staff {
			text, used := feedbackText(r, positive, peerish)
			if staff {
				text = "What clients tell us: " + text
			}
			data["text"] = text
			codes = used
			data["consent_to_quote"] = r.chance(0.45)
		}
		lag := time.Duration(r.between(1, 120)) * time.Minute
		if channel != "peq" && channel != "website" {
			lag = time.Duration(r.between(1, 72)) * time.Hour // typed up after the call or interview
		}
		e := g.add(g.feedback, id, "feedback.received", at, at.Add(lag), service, p, referral, data)
		if e == nil || len(codes) == 0 {
			return
		}
		list := make([]string, len(codes))
		for i, c := range codes {
			list[i] = themes[c].code
			count[c]++
			byTheme[c] = append(byTheme[c], coded{id, e.rec})
		}
		coded := e.rec.Add(time.Duration(r.between(3, 30)) * 24 * time.Hour)
		g.add(g.feedback, id+"-coded", "feedback.coded", coded, coded.Add(time.Duration(r.between(1, 60))*time.Minute), service, who{}, referral,
			map[string]any{"feedback_id": id, "codes": list, "coder": r.oneOf("evaluator-01", "evaluator-02"), "codebook": Codebook})
	}
	// Completers are asked for a PEQ, people who dropped out get a call.
	for _, ref := range g.tt {
		if ref.ended.IsZero() {
			continue
		}
		at := g.at(g.days(ref.ended, r.between(2, 21)), r.between(8, 22), r.IntN(60))
		switch {
		case ref.reason == "completed" && r.chance(0.35):
			goodness := 0.7
			if ref.recovered {
				goodness = 0.88
			}
			if ref.peerGroup {
				goodness += 0.05
			}
			fb(at, "service_user", "peq", serviceTT, who{nhs: ref.nhs}, ref.id, goodness, ref.peerGroup)
		case ref.reason == "dropped_out" && r.chance(0.2):
			fb(g.office(r, at), "non_completer", "phone_survey", serviceTT, who{nhs: ref.nhs}, ref.id, 0.4, false)
		case r.chance(0.015):
			fb(at, "carer", "website", serviceTT, who{}, "", 0.6, false)
		}
	}
	for _, ref := range g.pc {
		if ref.reason == "completed" && r.chance(0.4) {
			at := g.office(r, g.days(ref.ended, r.between(3, 20)))
			fb(at, "service_user", r.oneOf("interview", "website"), servicePeer, who{}, ref.id, 0.85, true)
		}
	}
	for q := g.start; q.Before(g.end); q = q.AddDate(0, 3, 0) {
		for i := max(1, r.between(3, 6)*g.cfg.Referrals/8000); i > 0; i-- {
			at := g.office(r, g.days(q, r.between(20, 80)))
			respondent, service := "staff", serviceTT
			if r.chance(0.3) {
				respondent, service = "peer_worker", servicePeer
			}
			fb(at, respondent, r.oneOf("interview", "advisory_group"), service, who{}, "", 0.6, respondent == "peer_worker")
		}
	}
	g.actions(r, count, byTheme)
}

// actions answers the most raised themes, "you said, we did", two thirds of
// the way through the span.
func (g *gen) actions(r rng, count []int, byTheme [][]coded) {
	order := make([]int, len(themes))
	for i := range order {
		order[i] = i
	}
	// Stable selection sort by count: deterministic, and ties keep codebook order.
	for i := range order {
		best := i
		for j := i + 1; j < len(order); j++ {
			if count[order[j]] > count[order[best]] {
				best = j
			}
		}
		order[i], order[best] = order[best], order[i]
	}
	at := g.office(r, g.start.AddDate(0, g.cfg.Months*2/3, 10))
	for k, c := range order[:min(4, len(order))] {
		if count[c] == 0 {
			continue
		}
		t := g.days(at, 7*k)
		var ids []string
		for _, f := range byTheme[c] {
			if f.at.Before(t) && len(ids) < 5 {
				ids = append(ids, f.id)
			}
		}
		g.add(g.feedback, fmt.Sprintf("act-%02d", k+1), "action.taken", t, t.Add(3*time.Hour), serviceTT, who{}, "",
			map[string]any{"action_id": fmt.Sprintf("act-%02d", k+1), "summary": themes[c].action, "codes": []string{themes[c].code}, "feedback_ids": ids})
	}
}

// coded is a piece of feedback coded with a theme, and when it was received.
type coded struct {
	id string
	at time.Time
}

// experienceFor draws a rating: goodness is the chance of good or excellent.
func experienceFor(r rng, goodness float64) string {
	u := r.Float64()
	switch {
	case u < goodness*0.45:
		return experiences[0]
	case u < goodness:
		return experiences[1]
	case u < goodness+(1-goodness)*0.5:
		return experiences[2]
	case u < goodness+(1-goodness)*0.85:
		return experiences[3]
	}
	return experiences[4]
}

// feedbackText writes one to three theme phrases, sometimes with an
// identifier for quote redaction to remove, and returns the themes used.
func feedbackText(r rng, positive, peerish bool) (string, []int) {
	var parts []string
	var used []int
	for k := r.between(1, 3); k > 0; k-- {
		w := make([]float64, len(themes))
		for i, t := range themes {
			w[i] = 1
			if peerish {
				w[i] = t.weightPeerOut
			}
		}
		c := r.index(w)
		if contains(used, c) {
			continue
		}
		used = append(used, c)
		phrases := themes[c].bad
		if positive && r.chance(0.8) || !positive && r.chance(0.2) {
			phrases = themes[c].good
		}
		parts = append(parts, phrases[r.IntN(len(phrases))])
	}
	if r.chance(0.3) {
		switch i := r.IntN(len(identifiers)); i {
		case 0:
			parts = append(parts, fmt.Sprintf(identifiers[i], names[r.IntN(len(names))]))
		case 1:
			parts = append(parts, fmt.Sprintf(identifiers[i], r.IntN(1000)))
		case 2:
			parts = append(parts, fmt.Sprintf(identifiers[i], strings.ToLower(r.oneOf("jo.bloggs", "a.patel", "sam.o", "kwame.m"))))
		default:
			parts = append(parts, fmt.Sprintf(identifiers[i], r.oneOf("12 March 2024", "3/10/2024", "1st of August")))
		}
	}
	return strings.Join(parts, " "), used
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
