package demo

import (
	"fmt"
	"slices"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

// clinician is one talking-therapies clinician. rate is the recovery rate
// their finished referrals come out at (before complexity), so that the
// per-clinician breakdown and the consultation pack have real spread.
type clinician struct {
	id, role string
	step     int
	rate     float64
	consult  int // month of the span of their recovery consultation, 0 for none
}

// clinicians: six PWPs at step 2, six high-intensity therapists at step 3.
// The rates average 0.5, the national standard. Four have a recovery
// consultation in the middle of the span and do better afterwards.
var clinicians = []clinician{
	{"C01", "pwp", 2, 0.36, 5}, {"C02", "pwp", 2, 0.44, 0}, {"C03", "pwp", 2, 0.50, 6},
	{"C04", "pwp", 2, 0.52, 0}, {"C05", "pwp", 2, 0.58, 0}, {"C06", "pwp", 2, 0.64, 0},
	{"C07", "hi_therapist", 3, 0.35, 5}, {"C08", "hi_therapist", 3, 0.45, 0}, {"C09", "hi_therapist", 3, 0.48, 6},
	{"C10", "hi_therapist", 3, 0.53, 0}, {"C11", "hi_therapist", 3, 0.57, 0}, {"C12", "hi_therapist", 3, 0.65, 0},
}

// consultationBoost is the rise in a clinician's recovery probability for
// referrals finishing after their consultation.
const consultationBoost = 0.10

// gpPractices are the borough's practice codes (fictional, in the ODS shape).
var gpPractices = []string{"F83001", "F83002", "F83004", "F83005", "F83006", "F83008", "F83010", "F83011",
	"F83012", "F83013", "F83015", "F83017", "F83019", "F83020", "F83023"}

var (
	ttSources = []weighted{{"self", 60}, {"gp", 30}, {"nurse", 2}, {"psychiatrist", 2}, {"health_coach", 1.5},
		{"pharmacist", 1}, {"social_worker", 1.5}, {"other", 2}}
	genders     = []weighted{{"female", 63}, {"male", 34}, {"non_binary", 1.5}, {"not_stated", 1.5}}
	ethnicities = []weighted{{"white", 60}, {"black", 12}, {"asian", 10}, {"mixed", 8}, {"other", 6}, {"not_stated", 4}}
	ageBands    = []weighted{{"16-17", 2}, {"18-25", 18}, {"26-35", 27}, {"36-45", 20}, {"46-55", 15}, {"56-64", 10}, {"65-74", 6}, {"75+", 2}}
	problems    = []weighted{{"depression", 24}, {"mixed_anxiety_depression", 24}, {"gad", 20}, {"social_anxiety", 8},
		{"ptsd", 8}, {"panic", 6}, {"ocd", 5}, {"health_anxiety", 5}}
	// adsm is the anxiety-disorder-specific measure of a problem (Clark et al. 2018).
	adsm = map[string]string{"social_anxiety": "spin", "ptsd": "pcl5", "ocd": "oci_r", "panic": "pdss", "health_anxiety": "hai_short"}
	// CSV labels of the appointment export; the mapping file turns them back.
	settingLabel = map[string]string{"gp_surgery": "Face to face", "phone": "Telephone", "video": "Video", "home": "Home"}
	roleLabel    = map[string]string{"pwp": "PWP", "hi_therapist": "HIT"}
)

// ageRange is the ages of a band.
func ageRange(band string) (int, int) {
	switch band {
	case "16-17":
		return 16, 17
	case "18-25":
		return 18, 25
	case "26-35":
		return 26, 35
	case "36-45":
		return 36, 45
	case "46-55":
		return 46, 55
	case "56-64":
		return 56, 64
	case "65-74":
		return 65, 74
	}
	return 75, 90
}

// ttReferral is what later parts need to know of a talking-therapies referral.
type ttReferral struct {
	n           int
	id          string
	nhs         string
	received    time.Time
	ended       time.Time // zero while open
	reason      string
	treatments  int  // attended treatment sessions
	recovered   bool // at caseness and finished below it (as generated)
	peerGroup   bool
	clinicianID string
	lastPHQ     int // last scores drawn, for the follow-up
	lastGAD     int
}

// appt is one row of the appointments CSV.
type appt struct {
	id, pathway, nhs  string
	at                time.Time
	kind, attendance  string // CSV labels
	clinician, role   string // role: CSV label
	step, duration    int    // 0: blank
	peer, medium      string
	attended, treated bool
	bad               bool   // a deliberately malformed row
	badTime           string // when set, written instead of at
}

// person is someone known to the talking-therapies service.
type person struct {
	nhs string
	dob time.Time
}

// talkingTherapies generates the referrals, appointments and outcomes of the
// talking-therapies service.
func (g *gen) talkingTherapies() {
	r := newRNG(g.cfg.Seed, streamTalking)
	n := g.cfg.Referrals
	span := g.spanDays()
	received := make([]time.Time, n)
	for i := range received {
		day := g.days(g.start, r.IntN(span))
		received[i] = g.at(day, r.between(7, 21), r.IntN(60))
	}
	slices.SortFunc(received, func(a, b time.Time) int { return a.Compare(b) })
	people := make([]person, 0, n)
	retract := max(2, n/2500) // mis-entered PHQ-9s to retract and re-record
	for i, at := range received {
		var p person
		if len(people) > 20 && r.chance(0.04) { // re-referral of someone seen before
			p = people[r.IntN(len(people))]
		} else {
			p = person{nhs: g.freshNHS(r)}
			band := r.pick(ageBands)
			lo, hi := ageRange(band)
			p.dob = g.days(at.AddDate(-r.between(lo, hi), 0, 0), -r.between(1, 364))
			people = append(people, p)
		}
		if i%(n/retract+1) == n/(2*retract) {
			g.retractDue++
		}
		ref := g.ttReferral(r, i+1, at, p)
		g.tt = append(g.tt, ref)
	}
	// One person asks to be erased: a right-to-erasure request.
	for _, ref := range g.tt {
		if ref.reason == "declined" && !ref.ended.IsZero() {
			at := g.office(r, g.days(ref.ended, 20))
			g.add(g.referrals, "tt-erase-"+ref.id[3:], "person.erased", at, at.Add(2*time.Hour), serviceTT,
				who{nhs: ref.nhs}, "", map[string]any{"family": "referrals"})
			break
		}
	}
}

func (g *gen) freshNHS(r rng) string {
	for {
		nhs := r.nhsNumber()
		if !g.nhsIn[nhs] {
			g.nhsIn[nhs] = true
			return nhs
		}
	}
}

// ttReferral generates one referral's pathway: the statuses, the
// appointments, the scores and the ending.
func (g *gen) ttReferral(r rng, n int, at time.Time, p person) *ttReferral {
	ref := &ttReferral{n: n, id: fmt.Sprintf("tt-r%06d", n), nhs: p.nhs, received: at}
	shown := p.nhs
	if r.chance(0.3) {
		shown = spaced(p.nhs)
	}
	pw := who{nhs: shown}
	problem := r.pick(problems)
	complexity := "standard"
	if r.chance(0.25) {
		complexity = "complex"
	}
	data := map[string]any{
		"programme":           "talking_therapies",
		"referral_source":     r.pick(ttSources),
		"gp_practice":         gpPractices[r.IntN(len(gpPractices))],
		"gender":              r.pick(genders),
		"ethnicity":           r.pick(ethnicities),
		"long_term_condition": r.chance(0.22),
		"problem":             problem,
		"complexity":          complexity,
	}
	if e := g.add(g.referrals, ref.id+"-rcv", "referral.received", at, at.Add(time.Duration(r.between(2, 120))*time.Minute),
		serviceTT, pw, ref.id, data); e != nil {
		e.DateOfBirth = p.dob.Format(time.DateOnly)
	}
	status := func(suffix, s string, t time.Time, extra map[string]any) {
		d := map[string]any{"status": s}
		for k, v := range extra {
			d[k] = v
		}
		g.add(g.referrals, ref.id+"-st-"+suffix, "referral.status_changed", t, t.Add(time.Duration(r.between(1, 600))*time.Minute),
			serviceTT, pw, ref.id, d)
	}
	end := func(reason string, t time.Time, followUp bool) {
		if !t.Before(g.end) {
			return // still open when the export was taken
		}
		ref.ended, ref.reason = t, reason
		g.add(g.referrals, ref.id+"-end", "referral.ended", t, t.Add(time.Duration(r.between(10, 3*24*60))*time.Minute),
			serviceTT, pw, ref.id, map[string]any{"reason": reason, "follow_up_offered": followUp})
	}

	// ~8% never engage: 3% cannot be reached, 5% decline at first contact.
	switch u := r.Float64(); {
	case u < 0.03:
		end("declined", g.office(r, g.days(at, r.between(28, 35))), false)
		return ref
	case u < 0.08:
		t := g.office(r, g.days(at, r.between(1, 7)))
		status("contacted", "contacted", t, nil)
		status("declined", "declined", t.Add(10*time.Minute), nil)
		end("declined", t.Add(30*time.Minute), false)
		return ref
	}
	contact := g.office(r, g.days(at, r.between(1, 6)))
	status("contacted", "contacted", contact, nil)
	status("agreed", "agreed", contact.Add(15*time.Minute), nil)

	// Wait to first treatment: mostly 2-6 weeks, a tail to 18, a few beyond.
	var wait int
	switch u := r.Float64(); {
	case u < 0.80:
		wait = r.between(14, 42)
	case u < 0.975:
		wait = r.between(43, 126)
	default:
		wait = r.between(127, 190)
	}
	assessDay := g.days(at, r.between(5, min(12, wait-7)))
	k := 0 // appointment number within the referral
	nextID := func() string { k++; return fmt.Sprintf("A%06d%02d", n, k) }
	pwps, hits := clinicians[:6], clinicians[6:]
	assessor := pwps[r.IntN(len(pwps))]
	medium := func(step int) string {
		u := r.Float64()
		switch {
		case u < 0.01:
			return "home"
		case step == 3 && u < 0.45:
			return "gp_surgery"
		case step == 3 && u < 0.85, step != 3 && u < 0.35:
			return "video"
		case step != 3 && u < 0.50:
			return "gp_surgery"
		}
		return "phone"
	}
	var scored []appt // attended assessment and treatment sessions, in order
	book := func(kind string, t time.Time, c clinician, step int, peer string, attendance string) appt {
		a := appt{id: nextID(), pathway: ref.id, nhs: p.nhs, at: t, kind: kind, attendance: attendance,
			clinician: c.id, role: roleLabel[c.role], step: step, peer: peer, medium: settingLabel[medium(step)]}
		a.attended = attendance == "Attended"
		a.treated = a.attended && (kind == "Treatment" || kind == "Group")
		if a.attended {
			switch kind {
			case "Assessment":
				a.duration = r.between(45, 60)
			case "Group":
				a.duration, a.medium = r.between(90, 120), settingLabel["gp_surgery"]
			case "Treatment":
				if step == 3 {
					a.duration = r.between(50, 60)
				} else {
					a.duration = r.between(30, 45)
				}
			default:
				a.duration = r.between(20, 40)
			}
		}
		if t.Before(g.end) {
			g.appts = append(g.appts, a)
		}
		return a
	}
	attendance := func() string {
		switch u := r.Float64(); {
		case u < 0.065: // the trailing DNAs of drop-outs bring the rate to about 10%
			return "DNA"
		case u < 0.095:
			return "Cancelled by patient"
		case u < 0.115:
			return "Cancelled by provider"
		}
		return "Attended"
	}

	// Assessment, rebooked once after a DNA.
	t := g.office(r, assessDay)
	a := book("Assessment", t, assessor, 0, "", attendance())
	if !a.attended {
		t = g.office(r, g.days(t, 7))
		a = book("Assessment", t, assessor, 0, "", "Attended")
	}
	scored = append(scored, a)
	status("assessed", "assessed", t.Add(time.Hour), nil)
	if r.chance(0.03) { // needs secondary care
		end("referred_on", t.Add(2*time.Hour), false)
		return ref
	}
	status("waiting", "waiting", t.Add(70*time.Minute), nil)

	step := 2
	if r.chance(map[string]float64{"standard": 0.32, "complex": 0.65}[complexity]) {
		step = 3
	}
	var c clinician
	if step == 2 {
		c = pwps[r.IntN(len(pwps))]
	} else {
		c = hits[r.IntN(len(hits))]
	}
	ref.clinicianID = c.id
	group := step == 2 && r.chance(0.3)
	peer := "N"
	if group && r.chance(0.5) {
		peer, ref.peerGroup = "Y", true
	}
	first := g.days(at, wait)
	if !first.After(t) {
		first = g.days(t, 7)
	}
	status("allocated", "allocated", g.office(r, g.days(first, -r.between(3, 10))), map[string]any{"worker_id": c.id})

	planned := r.between(4, 8)
	if step == 3 {
		planned = r.between(8, 16)
	}
	if group {
		planned = r.between(5, 7)
	}
	dropP := 0.35
	if ref.peerGroup {
		dropP = 0.26
	}
	dropped := r.chance(dropP)
	target := planned
	if dropped {
		target = r.between(1, 3)
	}
	kind := "Treatment"
	if group {
		kind = "Group"
	}
	day := first
	for i := 0; ref.treatments < target && i < 60; i++ {
		if step == 3 && ref.treatments == planned/2 && r.chance(0.5) {
			book("Review", g.office(r, day), c, step, "", "Attended")
			day = g.days(day, 7)
		}
		a := book(kind, g.office(r, day), c, step, peer, attendance())
		if a.treated {
			ref.treatments++
			scored = append(scored, a)
		}
		day = g.days(day, 7+r.between(-1, 2))
	}
	last := scored[len(scored)-1].at
	if dropped { // stops coming: one or two DNAs, then discharged
		for j := 1 + r.IntN(4)/3; j > 0; j-- {
			book(kind, g.office(r, day), c, step, peer, "DNA")
			day = g.days(day, 7)
		}
	}

	// Outcomes: decided by the clinician's rate, then scores drawn to fit.
	rate := c.rate
	if c.consult > 0 && last.After(g.consultationDate(c)) {
		rate += consultationBoost
	}
	if complexity == "complex" {
		rate -= 0.12
	} else {
		rate += 0.04
	}
	if dropped {
		rate *= 0.45
	} else {
		rate = min(0.95, rate*1.18)
	}
	atCaseness := r.chance(0.9)
	ref.recovered = atCaseness && r.chance(rate)
	g.ttOutcomes(r, ref, pw, problem, scored, atCaseness, dropped)

	if dropped {
		end("dropped_out", g.office(r, g.days(last, r.between(21, 35))), r.chance(0.1))
		return ref
	}
	endAt := g.office(r, g.days(last, r.between(1, 10)))
	followUp := r.chance(0.85)
	end("completed", endAt, followUp)
	if followUp && r.chance(0.4) && !ref.ended.IsZero() {
		weeks := r.between(6, 10)
		fu := book("Follow-up", g.office(r, g.days(endAt, 7*weeks)), c, step, "", attendance())
		if fu.attended {
			p0, g0 := ref.lastPHQ, ref.lastGAD
			g.score(r, ref, pw, fu, "phq9", clip(p0+r.between(-2, 3), 0, 27), "follow_up", weeks, "")
			g.score(r, ref, pw, fu, "gad7", clip(g0+r.between(-2, 3), 0, 21), "follow_up", weeks, "")
		}
	}
	return ref
}

// consultationDate is when a clinician's recovery consultation is held.
func (g *gen) consultationDate(c clinician) time.Time {
	month := c.consult * g.cfg.Months / 12
	return g.at(g.weekday(g.days(g.start.AddDate(0, month, 0), 9+int(c.id[2]-'0'))), 14, 0)
}

// ttOutcomes draws a PHQ-9/GAD-7 trajectory that starts at or below caseness
// and ends recovered or not, as decided, and records it at each scored
// session; and the problem's specific anxiety measure for most of those
// with one.
func (g *gen) ttOutcomes(r rng, ref *ttReferral, pw who, problem string, scored []appt, atCaseness, dropped bool) {
	var p0, g0, p1, g1 int
	switch {
	case !atCaseness:
		p0, g0 = r.between(2, 9), r.between(1, 7)
	case problem == "depression":
		p0, g0 = r.normal(17, 4, 10, 27), r.normal(11, 4.5, 0, 21)
	case problem == "mixed_anxiety_depression":
		p0, g0 = r.normal(15, 4, 10, 27), r.normal(14, 3.5, 8, 21)
	default:
		p0, g0 = r.normal(12, 5, 0, 27), r.normal(14, 3.5, 8, 21)
	}
	switch {
	case !atCaseness:
		p1, g1 = clip(p0-r.between(-2, 4), 0, 12), clip(g0-r.between(-2, 4), 0, 10)
	case ref.recovered:
		p1, g1 = r.normal(5, 2.5, 0, 9), r.normal(4, 2, 0, 7)
	case r.chance(0.07): // reliable deterioration
		p1, g1 = clip(p0+r.between(6, 9), 10, 27), clip(g0+r.between(2, 5), 0, 21)
	case p0 >= 10 && (g0 < 8 || r.chance(0.5)):
		p1, g1 = max(10, p0-r.between(0, 7)), clip(g0-r.between(0, 7), 0, 21)
	default:
		p1, g1 = clip(p0-r.between(0, 7), 0, 27), max(8, g0-r.between(0, 6))
	}
	ref.lastPHQ, ref.lastGAD = p1, g1
	if r.chance(0.03) { // session questionnaires never entered: no paired scores
		scored = scored[:1]
	}
	measure, useADSM := adsm[problem]
	useADSM = useADSM && r.chance(0.75)
	nS := len(scored)
	misEntered := g.retractDue > 0 && nS >= 3 && scored[nS/2].at.Before(g.days(g.end, -7))
	if misEntered {
		g.retractDue--
	}
	for i, a := range scored {
		pv, gv := p0, g0
		timepoint := "session"
		switch {
		case i == 0:
			timepoint = "baseline"
		case i == nS-1:
			pv, gv = p1, g1
			if !dropped {
				timepoint = "discharge"
			}
		default:
			f := float64(i) / float64(nS-1)
			pv = clip(int(float64(p0)+float64(p1-p0)*f+1.6*r.NormFloat64()+0.5), 0, 27)
			gv = clip(int(float64(g0)+float64(g1-g0)*f+1.4*r.NormFloat64()+0.5), 0, 21)
		}
		if misEntered && i == nS/2 {
			// Entered against the wrong session's sheet, noticed, retracted, re-entered.
			bad := g.score(r, ref, pw, a, "phq9", clip(27-pv, 0, 27), timepoint, 0, "")
			if bad != nil {
				fix := bad.rec.Add(time.Duration(r.between(20, 72)) * time.Hour)
				g.add(g.outcomes, bad.EventID+"-retract", "event.retracted", fix, fix, serviceTT, pw, ref.id,
					map[string]any{"target_event_id": bad.EventID, "reason": "mis-entered: PHQ-9 items transcribed from another sheet", "family": "outcomes"})
				g.score(r, ref, pw, a, "phq9", pv, timepoint, 0, "-v2", fix.Add(5*time.Minute))
			}
		} else {
			g.score(r, ref, pw, a, "phq9", pv, timepoint, 0, "")
		}
		g.score(r, ref, pw, a, "gad7", gv, timepoint, 0, "")
		if useADSM {
			top := maxTotal(measure)
			frac := float64(gv) / 21 * (0.85 + 0.25*r.Float64())
			g.score(r, ref, pw, a, measure, clip(int(frac*float64(top)+0.5), 0, top), timepoint, 0, "")
		}
	}
}

// score records one outcome taken in appointment a. An optional recorded
// time overrides the usual entry a few minutes (sometimes days) later.
func (g *gen) score(r rng, ref *ttReferral, pw who, a appt, measure string, total int, timepoint string, weeks int, suffix string, recorded ...time.Time) *evt {
	m := events.LookupMeasure(measure)
	items := r.items(total, m.Items, m.ItemMin, m.ItemMax)
	data := map[string]any{
		"measure": measure, "timepoint": timepoint, "session_id": a.id,
		"items": items, "total": sum(items),
	}
	if weeks > 0 {
		data["weeks"] = weeks
	}
	rec := a.at.Add(time.Duration(r.between(2, 90)) * time.Minute)
	if r.chance(0.1) {
		rec = rec.Add(time.Duration(r.between(1, 3)) * 24 * time.Hour)
	}
	if len(recorded) > 0 {
		rec = recorded[0]
	}
	return g.add(g.outcomes, fmt.Sprintf("tt-r%06d-s%s-%s%s", ref.n, a.id[7:], measure, suffix), "outcome.recorded",
		a.at, rec, serviceTT, pw, ref.id, data)
}

// maxTotal is the highest total of a summed measure.
func maxTotal(measure string) int {
	m := events.LookupMeasure(measure)
	return m.Items * m.ItemMax
}
