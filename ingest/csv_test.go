package ingest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

// realMapping is the mapping shipped for the demo's appointments export.
func realMapping(t *testing.T) string {
	t.Helper()
	path := filepath.Join("mappings", "iaptus-appointments.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s yet", path)
	}
	return path
}

const apptHeader = "AppointmentID,PathwayID,NHSNumber,ServiceCode,AppointmentDateTime,AppointmentType,AttendanceStatus,ClinicianCode,ClinicianRole,Step,DurationMinutes,PeerCoDelivered,ContactMedium,DateOfBirth"

func TestCSVThroughMapping(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	nhs1, nhs2 := nhsNumber(11), nhsNumber(12)
	dir := t.TempDir()
	rows := []string{
		"\ufeff" + apptHeader,
		"A1,P1," + spaced(nhs1) + ",svc,30/03/2024 23:30,Assessment,Attended,C1,PWP,2,45,N,Telephone,03/04/1980", // 2 GMT
		"A2,P1," + nhs1 + ",svc,31/03/2024 12:00,Treatment,DNA,C1,PWP,,,Y,\"Face to face\",03/04/1980",           // 3 BST
		"A3,P2," + nhs2 + ",svc,31/02/2024 12:00,Treatment,Attended,C2,HIT,3,50,N,Video,",                        // 4 no such date
		"A4,P2," + nhs2 + ",svc,01/04/2024 09:00,Treatment,Rescheduled,C2,HIT,3,50,N,Video,",                     // 5 unmapped value
		"A5,P2," + nhs2 + ",svc,01/04/2024 09:00,Treatment",                                                      // 6 wrong column count
		"A6,P2," + nhs2 + ",svc,31/03/2024 01:30,Treatment,Attended,C2,HIT,3,50,N,Video,",                        // 7 skipped by BST
		"A7,P2," + nhs2 + ",svc,\"01/04/2024\n09:00\",Treatment,Attended,C2,HIT,3,50,N,Video,",                   // 8-9 newline in quotes: bad date
		"",
		"A8,P2,,svc,02/04/2024 09:00,Treatment,Attended,C2,HIT,3,700,N,Video,", // 11 no person; duration out of range
		"A9,P2," + nhs2 + ",svc,02/04/2024 10:00,Review,Attended,C2,HIT,3,50,N,Home,",
	}
	mapping, err := os.ReadFile(realMapping(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "appts.csv"), strings.Join(rows, "\r\n")+"\r\n")
	// The shipped mapping, plus a date-of-birth column to prove it is redacted.
	m, err := ParseMapping("x", mapping)
	if err != nil {
		t.Fatalf("the shipped mapping does not load: %v", err)
	}
	m.Fields["date_of_birth"] = "DateOfBirth"
	writeMapping(t, filepath.Join(dir, "appts.mapping.yaml"), m, "02/01/2006")

	sum, err := Ingest(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, sum)
	if sum.Read != 9 || sum.Ingested != 3 || sum.DeadLettered != 6 {
		t.Errorf("got read/ingested/dead %d/%d/%d, want 9/3/6; by code %v", sum.Read, sum.Ingested, sum.DeadLettered, sum.ByCode)
	}
	all := readAll(t, kc, brokers)
	got := map[string]events.Event{}
	for _, msg := range all[kc.Topic(events.Sessions)] {
		ev, err := events.Decode(msg.Value, events.DecodeOptions{})
		if err != nil {
			t.Fatalf("produced session does not decode: %v", err)
		}
		got[ev.EventID] = ev
		if string(msg.Key) != cfg.Pseudonymiser.Person("nhs", nhs1) && string(msg.Key) != cfg.Pseudonymiser.Person("nhs", nhs2) {
			t.Errorf("%s: key %s is not a pseudonym of the input", ev.EventID, msg.Key)
		}
	}
	for id, want := range map[string]string{
		"iaptus-appt-A1": "2024-03-30T23:30:00Z", // GMT: +00:00
		"iaptus-appt-A2": "2024-03-31T11:00:00Z", // BST: 12:00+01:00
		"iaptus-appt-A9": "2024-04-02T09:00:00Z",
	} {
		ev, ok := got[id]
		if !ok {
			t.Errorf("%s not produced", id)
			continue
		}
		if s := ev.OccurredAt.Format(time.RFC3339); s != want {
			t.Errorf("%s occurred_at %s, want %s", id, s, want)
		}
	}
	a1, a2 := got["iaptus-appt-A1"], got["iaptus-appt-A2"]
	if a1.Data["kind"] != "assessment" || a1.Data["step"] != int64(2) || a1.Data["duration_min"] != int64(45) || a1.Data["co_delivered_by_peer"] != false || a1.Data["setting"] != "phone" {
		t.Errorf("A1 data %v: want kind assessment, step 2, duration 45, not co-delivered, phone", a1.Data)
	}
	if _, ok := a2.Data["step"]; ok || a2.Data["co_delivered_by_peer"] != true || a2.Data["setting"] != "gp_surgery" {
		t.Errorf("A2 data %v: want no step (empty cell), co-delivered, gp_surgery", a2.Data)
	}
	dls := deadLetters(t, all[kc.Topic(events.DeadLetter)])
	byLine := map[int64]events.DeadLetterMessage{}
	for _, dl := range dls {
		byLine[dl.Line] = dl
	}
	for line, want := range map[int64]string{4: "occurred_at", 5: "no entry for this value", 6: "has 6 columns, the header has 14", 7: "does not exist in Europe/London", 8: "occurred_at", 11: "person"} {
		dl, ok := byLine[line]
		if !ok {
			t.Errorf("line %d: no dead letter (have %v)", line, keys(byLine))
			continue
		}
		if !strings.Contains(dl.Reason, want) {
			t.Errorf("line %d: reason %q, want it to mention %q", line, dl.Reason, want)
		}
		if dl.Type != "session.recorded" || !strings.HasPrefix(dl.EventID, "iaptus-appt-A") {
			t.Errorf("line %d: type %q event id %q", line, dl.Type, dl.EventID)
		}
	}
	assertNoIdentifiers(t, all, nhs1, nhs2, spaced(nhs1), spaced(nhs2), "03/04/1980", "1980-04-03")
}

func writeMapping(t *testing.T, path string, m *Mapping, dateFormat string) {
	t.Helper()
	type out struct {
		Name          string                       `json:"name"`
		Type          string                       `json:"type"`
		Source        string                       `json:"source,omitempty"`
		EventIDPrefix string                       `json:"event_id_prefix"`
		TimeZone      string                       `json:"time_zone"`
		TimeFormat    string                       `json:"time_format"`
		DateFormat    string                       `json:"date_format"`
		Fields        map[string]string            `json:"fields"`
		Values        map[string]map[string]string `json:"values"`
	}
	// YAML is a superset of JSON.
	b, err := json.Marshal(out{m.Name, m.Type, m.Source, m.EventIDPrefix, m.TimeZone, m.TimeFormat, dateFormat, m.Fields, m.Values})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(b))
}

func keys[V any](m map[int64]V) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMappingRowOffsets(t *testing.T) {
	m, err := ParseMapping("t.yaml", []byte(`
type: session.recorded
source: s
time_format: "02/01/2006 15:04"
fields: {event_id: ID, referral_id: ID, person: ID, service: ID, occurred_at: When, data.session_id: ID, data.kind: K, data.attendance: K, data.worker_id: ID, data.worker_role: K}
`))
	if err != nil {
		t.Fatal(err)
	}
	cols, err := m.bind([]string{"ID", "When", "K"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ in, want string }{
		{"30/03/2024 23:30", "2024-03-30T23:30:00Z"},
		{"31/03/2024 12:00", "2024-03-31T12:00:00+01:00"},
		{"27/10/2024 00:30", "2024-10-27T00:30:00+01:00"},
		{"28/10/2024 09:00", "2024-10-28T09:00:00Z"},
		{"2024-06-01T10:00:00+02:00", "2024-06-01T10:00:00+02:00"}, // RFC 3339 passes as it is
	} {
		line, _, err := m.row([]string{"x", tt.in, "k"}, cols)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		var obj struct {
			OccurredAt string `json:"occurred_at"`
		}
		json.Unmarshal(line, &obj)
		if obj.OccurredAt != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, obj.OccurredAt, tt.want)
		}
	}
}

func TestMappingValidation(t *testing.T) {
	base := "type: session.recorded\nsource: s\nfields: {event_id: A, occurred_at: B, service: C}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown type", "type: session.held\nfields: {event_id: A}\n", []string{"type", `"session.held" is not an event type`, "session.recorded"}},
		{"no type", "fields: {event_id: A}\n", []string{"type: required"}},
		{"unknown data field", strings.Replace(base, "service: C", "service: C, data.room: R", 1), []string{"fields.data.room", `no field "room"`, "data.kind"}},
		{"unknown envelope key", strings.Replace(base, "service: C", "service: C, patient: P", 1), []string{"fields.patient", `unknown key "patient"`}},
		{"values for unmapped field", base + "values: {data.kind: {A: assessment}}\n", []string{"values.data.kind", "not mapped in fields", "add it to fields"}},
		{"values outside enum", strings.Replace(base, "service: C", "service: C, data.kind: K", 1) + "values: {data.kind: {A: appraisal}}\n", []string{"values.data.kind.A", `"appraisal" is not a value of data.kind`, "assessment"}},
		{"bool values", strings.Replace(base, "service: C", "service: C, data.co_delivered_by_peer: P", 1) + "values: {data.co_delivered_by_peer: {Y: yes}}\n", []string{"values.data.co_delivered_by_peer.Y", "map to true or false"}},
		{"unknown top-level key", base + "timezone: UTC\n", []string{"field timezone not found"}},
		{"bad zone", base + "time_zone: London\n", []string{"time_zone", "Europe/London"}},
		{"no event id", "type: session.recorded\nsource: s\nfields: {occurred_at: B, service: C}\n", []string{"fields.event_id", "required"}},
		{"no service", "type: session.recorded\nsource: s\nfields: {event_id: A, occurred_at: B}\n", []string{"fields.service", "constants"}},
		{"empty column", strings.Replace(base, "service: C", "service: ''", 1), []string{"fields.service", "names no column"}},
		{"identifier constant", base + "constants: {nhs_number: '9434765919'}\n", []string{"constants.nhs_number", "cannot be a constant"}},
		{"not yaml", "type: [\n", []string{"my.mapping.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMapping("my.mapping.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("got no error")
			}
			if !strings.Contains(err.Error(), "my.mapping.yaml") {
				t.Errorf("error %q does not name the mapping file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMappingErrorStopsTheRun(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.csv"), "A,B\n1,2\n")
	writeFile(t, filepath.Join(dir, "a.mapping.yaml"), "type: session.recorded\nsource: s\nfields: {event_id: A, occurred_at: B, service: C}\n")
	_, err := Ingest(context.Background(), cfg, dir)
	if err == nil || !strings.Contains(err.Error(), "no column C") {
		t.Errorf("got %v, want an error naming the missing column C", err)
	}
	cfg.Mapping = filepath.Join(dir, "a.mapping.yaml")
	writeFile(t, filepath.Join(dir, "b", "b.csv"), "A,B\n1,2\n")
	if _, err := Ingest(context.Background(), cfg, filepath.Join(dir, "b")); err == nil || !strings.Contains(err.Error(), "no column C") {
		t.Errorf("default mapping: got %v, want it used (and to fail on column C)", err)
	}
}

func TestSplitCSV(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"a,b,c", []string{"a", "b", "c"}, false},
		{" a , b ", []string{"a", "b"}, false},
		{`"a,b","c""d",`, []string{"a,b", `c"d`, ""}, false},
		{"\"multi\nline\",x", []string{"multi\nline", "x"}, false},
		{`ab"c,d`, []string{`ab"c`, "d"}, false},
		{`"open`, nil, true},
		{`"a"b,c`, nil, true},
		{"", []string{""}, false},
	}
	for _, tt := range tests {
		got, err := splitCSV(tt.in)
		if (err != nil) != tt.err || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitCSV(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestIsJSONNumber: the hand-written grammar agrees with encoding/json on
// numbers, near-numbers and junk.
func TestIsJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "12", "-12", "1.5", "1.", ".5", "01", "-", "1e5", "1E+5", "1e-05", "1e", "1e+", "0.0e0", "1.5.2", "+1", " 1", "1 ", "0x10", "Infinity", "NaN", "", "-a", "9999999999999999999999", "1_000", "１"} {
		var n json.Number
		want := s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && json.Unmarshal([]byte(s), &n) == nil
		if got := isJSONNumber(s); got != want {
			t.Errorf("isJSONNumber(%q) = %v, encoding/json says %v", s, got, want)
		}
	}
}
