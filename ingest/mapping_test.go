package ingest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

// rowViaMaps is Mapping.row as it was before row wrote its JSON directly:
// envelope and data built as maps, then encoded (the cells' conversion,
// Mapping.values, is shared), except that envelope constants are converted
// too: as written, a constant schema went as the string "1" and every row
// was dead-lettered. TestRowAgrees and FuzzCSVRow hold row to it.
func (m *Mapping) rowViaMaps(cells []string, cols []int) (line []byte, idents []string, err error) {
	env := make(map[string]any, len(m.targets)+len(m.Constants))
	data := map[string]any{}
	for k, v := range m.Constants {
		if name, ok := strings.CutPrefix(k, "data."); ok {
			data[name] = m.convertConst(k, v)
		} else {
			env[k] = m.convertConst(k, v)
		}
	}
	for i, t := range m.targets {
		cell := cells[cols[i]]
		if t.ident && cell != "" {
			idents = append(idents, cell)
		}
	}
	vals, err := m.values(nil, cells, cols) // unchanged from then
	if err != nil {
		return nil, idents, err
	}
	for i, t := range m.targets {
		switch {
		case vals[i] == nil:
		case t.data:
			data[t.name] = vals[i]
		default:
			env[t.name] = vals[i]
		}
	}
	env["type"] = m.Type
	if id, ok := env["event_id"].(string); ok {
		env["event_id"] = m.EventIDPrefix + id
	}
	env["data"] = data
	return appendObjectViaMap(make([]byte, 0, 512), env), idents, nil
}

func appendObjectViaMap(b []byte, m map[string]any) []byte {
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = events.AppendJSONString(b, k)
		b = append(b, ':')
		if sub, ok := v.(map[string]any); ok {
			b = appendObjectViaMap(b, sub)
		} else {
			b, _ = appendRowValue(b, v)
		}
	}
	return append(b, '}')
}

// rowAgrees fails unless row and rowViaMaps give the same identifiers and
// error, and lines that Decode turns into the same event or error.
func rowAgrees(t *testing.T, p *processor, row string) {
	t.Helper()
	cells, err := splitCSV(row)
	if err != nil || len(cells) != p.ncols {
		return
	}
	line, idents, err := p.mapping.row(cells, p.cols)
	wantLine, wantIdents, wantErr := p.mapping.rowViaMaps(cells, p.cols)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(idents, wantIdents) {
		t.Fatalf("row(%q): idents %q, error %v; via maps %q, %v", row, idents, err, wantIdents, wantErr)
	}
	if err != nil {
		return
	}
	ev, err := events.Decode(line, p.opts)
	wantEv, wantErr := events.Decode(wantLine, p.opts)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || events.ReasonCode(err) != events.ReasonCode(wantErr) || !reflect.DeepEqual(ev, wantEv) {
		t.Fatalf("row(%q):\n%s\ndecodes to %+v, %v;\nvia maps\n%s\ndecodes to %+v, %v", row, line, ev, err, wantLine, wantEv, wantErr)
	}
}

// fuzzConstantsMapping has constants for fields its columns also fill, so
// that a column's value must win over the constant, and an empty cell
// must leave it.
const fuzzConstantsMapping = `
type: outcome.recorded
source: fuzz
event_id_prefix: "c-"
constants: {service: const-svc, referral_id: const-r, data.timepoint: baseline, data.weeks: "4", schema: "1"}
fields: {event_id: ID, referral_id: R, local_id: L, service: S, occurred_at: When, data.measure: M, data.timepoint: TP, data.items: Items, data.total: Total, data.weeks: Weeks}
`

func boundProcessor(tb testing.TB, mapping, header string) *processor {
	tb.Helper()
	m, err := ParseMapping("mapping.yaml", []byte(mapping))
	if err != nil {
		tb.Fatal(err)
	}
	p := fuzzProcessor(tb)
	p.mapping = m
	h, _ := splitCSV(header)
	if p.cols, err = m.bind(h); err != nil {
		tb.Fatal(err)
	}
	p.ncols = len(h)
	for i, t := range m.targets {
		if t.ident {
			p.idCols = append(p.idCols, p.cols[i])
		}
	}
	return p
}

// TestRowAgrees: row writes what rowViaMaps wrote, as far as Decode can
// tell, on hand-picked rows and on random edits of them.
func TestRowAgrees(t *testing.T) {
	cases := []struct {
		p    *processor
		rows []string
	}{
		{boundProcessor(t, fuzzSessionMapping, "ID,R,NHS,DOB,S,When,Kind,Att,W,Role,Step,Dur,Peer"), []string{
			`1,r1,943 476 5919,03/02/1990,svc,31/03/2024 12:00,A,attended,w,pwp,2,45,Y`,
			`2,r1,9434765919,,svc,31/03/2024 01:30,X,attended,w,pwp,two,,maybe`,
			`3,r1,9434765919,,svc,31/03/2024 11:30,T,attended,w,pwp,,,N`,
			`,r1,9434765919,,,31/03/2024 11:30,T,attended,w<&>"é,pwp,3.0,1e1,true`,
		}},
		{boundProcessor(t, fuzzConstantsMapping, "ID,R,L,S,When,M,TP,Items,Total,Weeks"), []string{
			`1,r1,L1,svc,2024-05-01T09:00:00Z,phq9,discharge,1;2;3;0;1;2;3;0;1,,`,
			`2,,L1,,2024-05-01 09:00:00,gad7,,[1,2,3,0,1,2,3],,`,
			`3,r3,,svc,2024-05-01 09:00:00,other,follow_up,,7.5,12`,
			`4,r3,L4,svc,2024-05-01 09:00:00,eq5d5l,,1|2|3|4|5,0.5,x`,
		}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = ",;|\"[]0123456789.eE-: xTAN/"
	for _, c := range cases {
		for _, row := range c.rows {
			rowAgrees(t, c.p, row)
			for range 300 {
				b := []byte(row)
				for range 1 + rng.IntN(3) {
					i := rng.IntN(len(b))
					switch rng.IntN(3) {
					case 0:
						b = append(b[:i:i], b[i+1:]...)
					case 1:
						b = append(b[:i+1:i+1], b[i:]...)
					default:
						b[i] = alphabet[rng.IntN(len(alphabet))]
					}
					if len(b) == 0 {
						break
					}
				}
				rowAgrees(t, c.p, string(b))
			}
		}
	}
}

// TestNearZoneChange: nearZoneChange is true for every wall-clock time that
// does not exist (which Go moves), in zones with summer time, a half-hour
// shift, midnight transitions and a skipped day, so that dateTime's check
// for such times never skips one.
func TestNearZoneChange(t *testing.T) {
	moved, near, n := 0, 0, 0
	for _, zone := range []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "America/Sao_Paulo", "Asia/Tehran"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
			step := 15 * time.Minute
			if layout == "2006-01-02" {
				step = 24 * time.Hour
			}
			for _, year := range []int{2011, 2018, 2024} {
				for w := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); w.Year() == year; w = w.Add(step) {
					cell := w.Format(layout)
					ts, err := time.ParseInLocation(layout, cell, loc)
					if err != nil {
						t.Fatal(err)
					}
					n++
					if nearZoneChange(ts) {
						near++
					}
					if ts.Format(layout) != cell {
						moved++
						if !nearZoneChange(ts) {
							t.Fatalf("%s %q: moved to %v, but nearZoneChange is false", zone, cell, ts)
						}
					}
				}
			}
		}
	}
	t.Logf("%d wall-clock times, %d moved, %d near a change", n, moved, near)
	if moved < 20 {
		t.Fatalf("only %d moved times: the test checks too little", moved)
	}
	if near > n/10 {
		t.Errorf("%d of %d times near a change: the check is hardly ever skipped", near, n)
	}
}

// TestEnvelopeConstants: a constant schema is written as a number, and a
// constant time in the mapping's format is converted like its column would
// be, so rows that rely on them are ingested, not dead-lettered.
func TestEnvelopeConstants(t *testing.T) {
	const mapping = `
type: referral.received
source: const
time_zone: Europe/London
time_format: "02/01/2006 15:04"
constants: {schema: "1", service: svc, recorded_at: "01/06/2024 10:00", data.programme: talking_therapies}
fields: {event_id: ID, referral_id: R, local_id: L, occurred_at: When, data.referral_source: Src}
`
	p := boundProcessor(t, mapping, "ID,R,L,When,Src")
	for _, c := range []struct {
		row, schema string
		wantErr     string
	}{
		{"1,r1,L1,01/06/2024 09:00,gp", "1", ""},
		{"1,r1,L1,01/06/2024 09:00,gp", "2", "schema"},
		{"1,r1,L1,01/06/2024 09:00,gp", "one", "schema"},
	} {
		p.mapping.Constants["schema"] = c.schema
		cells, err := splitCSV(c.row)
		if err != nil {
			t.Fatal(err)
		}
		line, _, err := p.mapping.row(cells, p.cols)
		if err != nil {
			t.Fatalf("schema %q: row: %v", c.schema, err)
		}
		ev, err := events.Decode(line, p.opts)
		if c.wantErr != "" {
			var fe *events.FieldError
			if !errors.As(err, &fe) || fe.Field != c.wantErr {
				t.Errorf("schema %q: %s decodes with error %v, want one naming %s", c.schema, line, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("schema %q: %s does not decode: %v", c.schema, line, err)
		}
		want := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC) // 10:00 BST
		if ev.Schema != 1 || !ev.RecordedAt.Equal(want) {
			t.Errorf("schema %q: got schema %d, recorded_at %v; want 1, %v", c.schema, ev.Schema, ev.RecordedAt, want)
		}
	}
}
