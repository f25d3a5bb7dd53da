package demo

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Kinds of malformed NDJSON line, in the order they are dealt out.
const (
	badTruncated = iota
	badUnknownType
	badEnum
	badItemRange
	badCheckDigit
	badNoOccurredAt
	badKinds
)

// badEnums says, per type, how to break one enumeration field.
var badEnums = map[string][2]string{
	"referral.received":       {"referral_source", "walk_in"},
	"referral.status_changed": {"status", "on_hold"},
	"referral.ended":          {"reason", "lost"},
	"session.recorded":        {"attendance", "late"},
	"outcome.recorded":        {"timepoint", "week_3"},
	"feedback.received":       {"channel", "twitter"},
	"crisis.contact":          {"kind", "police_call"},
	"cost.recorded":           {"category", "catering"},
	"involvement.recorded":    {"activity", "tea_party"},
}

// splitBad divides the bad lines between the NDJSON files and the CSV.
func splitBad(n int) (ndjson, csvRows int) {
	switch {
	case n < 3:
		return n, 0
	case n < 10:
		return n - 1, 1
	}
	return n - 2, 2
}

// faults mixes malformed lines into the NDJSON files, each a broken copy of
// a real line of the file placed at a random position, and returns how many.
func (g *gen) faults(files []*outFile, lines [][][]byte) (int, error) {
	nb, _ := splitBad(g.cfg.BadLines)
	r := newRNG(g.cfg.Seed, streamFaults+100)
	withNHS := []int{0, 1, 4} // referrals, outcomes, crisis
	for i := 0; i < nb; i++ {
		kind := i % badKinds
		fi := (i/badKinds + kind) % len(files)
		switch kind {
		case badItemRange:
			fi = 1
		case badCheckDigit:
			fi = withNHS[(i/badKinds)%len(withNHS)]
		}
		fits := func(e *evt) bool {
			switch kind {
			case badItemRange:
				return e.Type == "outcome.recorded" && e.Data["measure"] == "phq9"
			case badCheckDigit:
				return e.NHSNumber != ""
			case badEnum:
				_, ok := badEnums[e.Type]
				return ok
			}
			return true
		}
		// The chosen file first; in a tiny data set it may have no line that
		// fits, so then the next file that has one.
		var tmpl *evt
		for k := 0; k < len(files) && tmpl == nil; k++ {
			f := files[(fi+k)%len(files)]
			for j, start := 0, r.IntN(len(f.evts)+1); j < len(f.evts); j++ {
				if e := f.evts[(start+j)%len(f.evts)]; fits(e) {
					tmpl, fi = e, (fi+k)%len(files)
					break
				}
			}
		}
		if tmpl == nil {
			return 0, fmt.Errorf("demo: no line to break for bad line %d: too few referrals for that many bad lines", i+1)
		}
		e := *tmpl
		e.EventID = fmt.Sprintf("%s-bad%03d", tmpl.EventID, i+1)
		e.Data = maps.Clone(tmpl.Data)
		switch kind {
		case badUnknownType:
			e.Type = []string{"referral.reopened", "session.rescheduled", "outcome.amended", "feedback.deleted"}[i/badKinds%4]
		case badEnum:
			fix := badEnums[e.Type]
			e.Data[fix[0]] = fix[1]
		case badItemRange:
			items := slices.Clone(e.Data["items"].([]int))
			items[2] = 4
			e.Data["items"] = items
			delete(e.Data, "total")
		case badCheckDigit:
			nhs := []byte(e.NHSNumber)
			last := len(nhs) - 1
			nhs[last] = '0' + (nhs[last]-'0'+byte(1+r.IntN(9)))%10
			e.NHSNumber = string(nhs)
		case badNoOccurredAt:
			e.OccurredAt = ""
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return 0, err
		}
		if kind == badTruncated {
			b = b[:len(b)/2]
		}
		lines[fi] = slices.Insert(lines[fi], r.IntN(len(lines[fi])+1), b)
	}
	return nb, nil
}

// csvFaults mixes one or two bad rows into the appointments export: an
// attendance status the mapping does not know, and a date that does not
// exist. It returns how many.
func (g *gen) csvFaults() int {
	_, nb := splitBad(g.cfg.BadLines)
	r := newRNG(g.cfg.Seed, streamFaults+200)
	for i := 0; i < nb && len(g.appts) > 0; i++ {
		a := g.appts[r.IntN(len(g.appts))]
		a.id += "R" // a rebooking, exported with the fault
		a.bad = true
		if i == 0 {
			a.attendance = "Rescheduled"
		} else {
			a.badTime = "31/02/" + a.at.In(g.loc).Format("2006 15:04")
		}
		g.appts = slices.Insert(g.appts, r.IntN(len(g.appts)+1), a)
	}
	return nb
}

// renderAppts writes the appointments export, header first, rows in time
// order as the export query sorts them, counting the good rows.
func (g *gen) renderAppts(count map[string]int) [][]byte {
	slices.SortStableFunc(g.appts, func(a, b appt) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	bad := g.csvFaults()
	out := make([][]byte, 0, len(g.appts)+1)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	row := func(fields []string) {
		buf.Reset()
		_ = w.Write(fields) // writes to a bytes.Buffer cannot fail
		w.Flush()
		out = append(out, bytes.TrimSuffix(slices.Clone(buf.Bytes()), []byte("\n")))
	}
	row([]string{"AppointmentID", "PathwayID", "NHSNumber", "ServiceCode", "AppointmentDateTime", "AppointmentType",
		"AttendanceStatus", "ClinicianCode", "ClinicianRole", "Step", "DurationMinutes", "PeerCoDelivered", "ContactMedium"})
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, a := range g.appts {
		when := a.at.In(g.loc).Format("02/01/2006 15:04")
		if a.badTime != "" {
			when = a.badTime
		}
		row([]string{a.id, a.pathway, a.nhs, serviceTT, when, a.kind, a.attendance, a.clinician, a.role,
			num(a.step), num(a.duration), a.peer, a.medium})
	}
	count["session.recorded"] += len(g.appts) - bad
	return out
}
