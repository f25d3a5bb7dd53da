package ingest

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

func fuzzProcessor(t testing.TB) *processor {
	p, err := events.NewPseudonymiser(testKey)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }
	return &processor{
		kafkaTopic: func(f events.Family) string { return "t." + string(f) },
		opts:       events.DecodeOptions{Pseudonymiser: p, Now: now},
		now:        now,
		origin:     "fuzz",
	}
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// nhsNumbersIn lists the valid NHS numbers written in s, plainly or grouped.
func nhsNumbersIn(s string) []string {
	var out []string
	for _, m := range nhsShaped.FindAllString(s, -1) {
		d := strings.NewReplacer(" ", "", "-", "").Replace(m)
		if events.ValidNHSNumber(d) {
			out = append(out, d)
		}
	}
	return out
}

// checkDeadLetter asserts that a dead letter carries no NHS number (nor
// date of birth) that its input held.
func checkDeadLetter(t *testing.T, input []byte, o outcome, extra ...string) {
	t.Helper()
	if o.verdict != deadLettered {
		return
	}
	var dl events.DeadLetterMessage
	if err := json.Unmarshal(o.msg.Value, &dl); err != nil {
		t.Fatalf("dead letter is not JSON: %v", err)
	}
	if dl.Code == "" || dl.Reason == "" {
		t.Errorf("dead letter without code or reason: %+v", dl)
	}
	secrets := append(nhsNumbersIn(string(input)), extra...)
	if raw, _, _, _, ok := redactJSONLine(input); ok {
		secrets = append(secrets, nhsNumbersIn(raw)...) // escaped digits, decoded
	}
	var obj map[string]any
	if json.Unmarshal(input, &obj) == nil {
		if s, ok := obj["nhs_number"].(string); ok {
			if d, err := events.NormaliseNHSNumber(s); err == nil {
				secrets = append(secrets, d)
			}
		}
		if s, ok := obj["date_of_birth"].(string); ok && dateOnly.MatchString(s) {
			secrets = append(secrets, s)
		}
	}
	for _, field := range []string{dl.EventID, dl.Type, dl.Reason, dl.Raw} {
		for _, found := range nhsNumbersIn(field) {
			t.Errorf("dead letter field %q holds NHS number %s", field, found)
		}
		for _, s := range secrets {
			for _, form := range []string{s, groupedNHS(s, " "), groupedNHS(s, "-")} {
				if form != "" && strings.Contains(field, form) {
					t.Errorf("dead letter field %q holds input identifier %q", field, form)
				}
			}
		}
	}
}

func groupedNHS(d, sep string) string {
	if len(d) != 10 {
		return ""
	}
	return d[:3] + sep + d[3:6] + sep + d[6:]
}

// FuzzNDJSONLine: decoding and redacting a line never panics, and a dead
// letter never carries an NHS number or date of birth from its input.
func FuzzNDJSONLine(f *testing.F) {
	f.Add([]byte(referral("e1", "943 476 5919", "1990-02-03")))
	f.Add([]byte(`{"event_id":"9434765919","type":"x","nhs_number":"9434765919"}`))
	f.Add([]byte(`not json 943-476-5919 born 03/02/1990`))
	f.Add([]byte(session("s1", "p1")))
	p := fuzzProcessor(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		o := p.ndjson(record{line: 1, data: line, tooLong: len(line) > MaxLineBytes})
		checkDeadLetter(t, line, o)
		if o.verdict == ingested {
			// What travels on must pass the transform's decoding, which
			// admits no direct identifier.
			if _, err := events.Decode(o.msg.Value, events.DecodeOptions{}); err != nil {
				t.Errorf("ingested %s does not decode again: %v", o.msg.Value, err)
			}
		}
	})
}

const fuzzSessionMapping = `
type: session.recorded
source: fuzz
event_id_prefix: "f-"
time_format: "02/01/2006 15:04"
date_format: "02/01/2006"
fields: {event_id: ID, referral_id: R, nhs_number: NHS, date_of_birth: DOB, service: S, occurred_at: When, data.session_id: ID, data.kind: Kind, data.attendance: Att, data.worker_id: W, data.worker_role: Role, data.step: Step, data.duration_min: Dur, data.co_delivered_by_peer: Peer}
values:
  data.kind: {A: assessment, T: treatment}
  data.co_delivered_by_peer: {Y: true, N: false}
`

const fuzzOutcomeMapping = `
type: outcome.recorded
source: fuzz
fields: {event_id: ID, referral_id: R, local_id: L, service: S, occurred_at: When, recorded_at: Rec, data.measure: M, data.timepoint: TP, data.items: Items, data.total: Total, data.vas: VAS}
`

// FuzzCSVRow: converting a CSV row through a mapping never panics, always
// gives JSON, and a dead letter never carries the row's identifiers.
func FuzzCSVRow(f *testing.F) {
	f.Add(false, `1,r1,943 476 5919,03/02/1990,svc,31/03/2024 12:00,A,attended,w,pwp,2,45,Y`)
	f.Add(false, `2,r1,9434765919,,svc,31/03/2024 01:30,X,attended,w,pwp,two,,maybe`)
	f.Add(false, `"3,",r1,"94347""65919",1990-02-03,svc,"01/04/2024`+"\n"+`09:00",T`)
	f.Add(true, `1,r1,L1,svc,2024-05-01T09:00:00Z,,phq9,baseline,1;2;3;0;1;2;3;0;1,,`)
	f.Add(true, `1,r1,L1,svc,2024-05-01 09:00:00,2024-13-01,eq5d5l,discharge,[1,2,3,4,5],0.5,101`)
	ps := boundProcessor(f, fuzzSessionMapping, "ID,R,NHS,DOB,S,When,Kind,Att,W,Role,Step,Dur,Peer")
	po := boundProcessor(f, fuzzOutcomeMapping, "ID,R,L,S,When,Rec,M,TP,Items,Total,VAS")
	pc := boundProcessor(f, fuzzConstantsMapping, "ID,R,L,S,When,M,TP,Items,Total,Weeks")
	f.Fuzz(func(t *testing.T, useOutcome bool, row string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		p := ps
		if useOutcome {
			p = po
		}
		if cells, err := splitCSV(row); err == nil && len(cells) == p.ncols {
			line, _, err := p.mapping.row(cells, p.cols)
			if err == nil && !json.Valid(line) {
				t.Fatalf("row %q gave invalid JSON %s", row, line)
			}
		}
		rowAgrees(t, p, row)
		rowAgrees(t, pc, row)
		o := p.csvRow(record{line: 2, data: []byte(row)})
		var extra []string
		if cells, err := splitCSV(row); err == nil {
			for _, c := range p.idCols {
				if c < len(cells) && len(cells[c]) >= 5 {
					extra = append(extra, cells[c])
				}
			}
		}
		checkDeadLetter(t, []byte(row), o, extra...)
	})
}
