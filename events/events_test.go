package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
	"github.com/parquet-go/parquet-go"
)

var testKey = bytes.Repeat([]byte{7}, 32)

func testOpts(t testing.TB) DecodeOptions {
	p, err := NewPseudonymiser(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return DecodeOptions{Pseudonymiser: p, Now: func() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }}
}

const okReferral = `{"event_id":"e1","type":"referral.received","occurred_at":"2024-05-01T09:30:00+01:00","source":"iaptus","service":"svc","nhs_number":"943 476 5919","date_of_birth":"1990-05-02","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","custom":{"a":1}}}`

func TestDecodeValid(t *testing.T) {
	ev, err := Decode([]byte(okReferral), testOpts(t))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got, want := ev.OccurredAt, time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("occurred_at = %v, want %v", got, want)
	}
	if !strings.HasPrefix(ev.Person, "p") || len(ev.Person) != 33 {
		t.Errorf("person = %q, want p + 32 hex digits", ev.Person)
	}
	if got, want := ev.Data["age_band"], "26-35"; got != want { // 33 years old, birthday tomorrow
		t.Errorf("age_band = %v, want %v", got, want)
	}
	if _, ok := ev.Data["custom"].(json.RawMessage); !ok {
		t.Errorf("unknown field custom not kept: %#v", ev.Data["custom"])
	}
	b, _ := json.Marshal(ev)
	for _, leak := range []string{"9434765919", "943 476 5919", "1990-05-02", "nhs_number", "date_of_birth"} {
		if bytes.Contains(b, []byte(leak)) {
			t.Errorf("canonical event contains %q: %s", leak, b)
		}
	}
	// Canonical events decode again without a pseudonymiser, to the same event.
	again, err := Decode(b, DecodeOptions{})
	if err != nil {
		t.Fatalf("re-decode canonical: %v", err)
	}
	if again.Person != ev.Person || !again.RecordedAt.Equal(ev.RecordedAt) || again.Data["age_band"] != "26-35" {
		t.Errorf("re-decoded = %+v, want %+v", again, ev)
	}
}

func TestDecodeOutcomeTotal(t *testing.T) {
	line := `{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1]}}`
	ev, err := Decode([]byte(line), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.Data["total"], 13.0; got != want {
		t.Errorf("total = %v, want %v (sum of items)", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	base := func(mod string) string { return strings.Replace(okReferral, `"data":{`, mod+`"data":{`, 1) }
	outcome := func(data string) string {
		return `{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":` + data + `}`
	}
	tests := []struct {
		name, line, field, code string
	}{
		{"not json", `{"event_id":`, "", CodeInvalidJSON},
		{"array", `[1,2]`, "", CodeInvalidJSON},
		{"null", `null`, "event", CodeInvalidJSON},
		{"unknown type", strings.Replace(okReferral, "referral.received", "referral.teleported", 1), "type", CodeUnknownType},
		{"missing event_id", strings.Replace(okReferral, `"event_id":"e1",`, "", 1), "event_id", CodeMissing},
		{"long event_id", strings.Replace(okReferral, `"e1"`, `"`+strings.Repeat("x", 65)+`"`, 1), "event_id", CodeOutOfRange},
		{"bad time", strings.Replace(okReferral, "2024-05-01T09:30:00+01:00", "2024-05-01 09:30", 1), "occurred_at", CodeBadValue},
		{"no offset", strings.Replace(okReferral, "2024-05-01T09:30:00+01:00", "2024-05-01T09:30:00", 1), "occurred_at", CodeBadValue},
		{"bad nhs", strings.Replace(okReferral, "943 476 5919", "943 476 5918", 1), "nhs_number", CodeBadNHSNumber},
		{"short nhs", strings.Replace(okReferral, "943 476 5919", "943476", 1), "nhs_number", CodeBadNHSNumber},
		{"bad enum", strings.Replace(okReferral, `"gp"`, `"dentist"`, 1), "data.referral_source", CodeBadValue},
		{"missing required", strings.Replace(okReferral, `"programme":"talking_therapies",`, "", 1), "data.programme", CodeMissing},
		{"missing referral", strings.Replace(okReferral, `"referral_id":"r1",`, "", 1), "referral_id", CodeMissing},
		{"no person", strings.Replace(okReferral, `"nhs_number":"943 476 5919",`, "", 1), "person", CodeMissing},
		{"too young", strings.Replace(okReferral, "1990-05-02", "2015-01-01", 1), "date_of_birth", CodeOutOfRange},
		{"schema 2", base(`"schema":2,`), "schema", CodeOutOfRange},
		{"phq9 item range", outcome(`{"measure":"phq9","timepoint":"baseline","items":[4,3,2,2,1,1,0,0,1]}`), "data.items[0]", CodeBadValue},
		{"phq9 item count", outcome(`{"measure":"phq9","timepoint":"baseline","items":[3,3]}`), "data.items", CodeBadValue},
		{"total mismatch", outcome(`{"measure":"gad7","timepoint":"baseline","items":[1,1,1,1,1,1,1],"total":8}`), "data.total", CodeBadValue},
		{"total range", outcome(`{"measure":"gad7","timepoint":"baseline","total":22}`), "data.total", CodeBadValue},
		{"item not int", outcome(`{"measure":"gad7","timepoint":"baseline","items":[1,1,1,1,1,1,1.5]}`), "data.items[6]", CodeBadType},
		{"vas on phq9", outcome(`{"measure":"phq9","timepoint":"baseline","total":3,"vas":50}`), "data.vas", CodeBadValue},
		{"empty outcome", outcome(`{"measure":"phq9","timepoint":"baseline"}`), "data", CodeBadValue},
		{"string for int", outcome(`{"measure":"eq5d5l","timepoint":"baseline","vas":"50"}`), "data.vas", CodeBadType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.line), testOpts(t))
			if err == nil {
				t.Fatalf("Decode(%s) = nil error, want %s", tt.line, tt.code)
			}
			if got := ReasonCode(err); got != tt.code {
				t.Errorf("code = %q, want %q (err %v)", got, tt.code, err)
			}
			var fe *FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("err = %v, want field %q", err, tt.field)
			}
			if strings.Contains(err.Error(), "9434765918") || strings.Contains(err.Error(), "943 476 5918") {
				t.Errorf("error repeats the NHS number: %v", err)
			}
		})
	}
}

func TestIdentifiersRejectedPastIngest(t *testing.T) {
	_, err := Decode([]byte(okReferral), DecodeOptions{})
	if got := ReasonCode(err); got != CodeIdentifier {
		t.Errorf("decode with identifiers and no pseudonymiser: code %q (%v), want %q", got, err, CodeIdentifier)
	}
}

func TestValidNHSNumber(t *testing.T) {
	// 943 476 5919 is the NHS Data Dictionary's worked example: weights 10..2
	// give 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299, 299 mod 11 = 2, 11-2 = 9.
	for _, tt := range []struct {
		in   string
		want bool
	}{{"9434765919", true}, {"9434765910", false}, {"4010232137", true}, {"0000000000", true}, {"1234567890", false}, {"12345", false}} {
		if got := ValidNHSNumber(tt.in); got != tt.want {
			t.Errorf("ValidNHSNumber(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPseudonymStable(t *testing.T) {
	p, _ := NewPseudonymiser(testKey)
	q, _ := NewPseudonymiser(bytes.Repeat([]byte{8}, 32))
	if p.Person("nhs", "9434765919") != p.Person("nhs", "9434765919") {
		t.Error("pseudonym not stable")
	}
	if p.Person("nhs", "9434765919") == q.Person("nhs", "9434765919") {
		t.Error("pseudonym does not depend on the key")
	}
	if p.Person("local:a", "1") == p.Person("local:b", "1") {
		t.Error("local ids not scoped by source")
	}
	if _, err := NewPseudonymiser([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

// TestPseudonymValues pins pseudonyms to HMAC-SHA256(key, scope 0x00 id),
// computed independently (Python's hmac): a change here would split every
// person's history in two.
func TestPseudonymValues(t *testing.T) {
	p, _ := NewPseudonymiser(testKey)
	for _, c := range []struct{ line, want string }{
		{`{"event_id":"e","type":"person.erased","occurred_at":"2024-05-01T09:30:00Z","source":"iaptus","service":"v","nhs_number":"943-476 5919","data":{}}`, "p6d3cf1b252025e7f3f1edabda704cd69"},
		{`{"event_id":"e","type":"person.erased","occurred_at":"2024-05-01T09:30:00Z","source":"iaptus","service":"v","local_id":"L-17","data":{}}`, "p4a9be8d1d3e06a1e7ec78d56902a1cb3"},
	} {
		ev, err := Decode([]byte(c.line), DecodeOptions{Pseudonymiser: p})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Person != c.want {
			t.Errorf("Decode(%s).Person = %s, want %s", c.line, ev.Person, c.want)
		}
	}
	if got, want := p.Person("nhs", "9434765919"), "p6d3cf1b252025e7f3f1edabda704cd69"; got != want {
		t.Errorf("Person = %s, want %s", got, want)
	}
}

// Every field of every type has a lake column in its family, of a Go type
// that its kind converts to: the spec and the row types cannot drift apart.
func TestSpecMatchesColumns(t *testing.T) {
	want := map[Kind][]reflect.Type{
		KindString: {reflect.TypeFor[*string]()}, KindEnum: {reflect.TypeFor[*string]()},
		KindBool: {reflect.TypeFor[*bool]()}, KindInt: {reflect.TypeFor[*int32]()},
		KindNumber: {reflect.TypeFor[*float64]()}, KindDate: {reflect.TypeFor[*int32]()},
		KindIntList: {reflect.TypeFor[[]int32]()}, KindStringList: {reflect.TypeFor[[]string]()},
	}
	for _, spec := range Types {
		fams := []Family{spec.Family}
		if spec.IsCorrection() {
			fams = Families
		}
		for _, fam := range fams {
			rt, _ := RowType(fam)
			for _, f := range spec.Fields {
				idx, ok := columnIndex[fam][f.Name]
				if !ok {
					if f.Name == "target_event_id" {
						continue // an envelope column
					}
					t.Errorf("%s.%s: no column in %s rows", spec.Name, f.Name, fam)
					continue
				}
				got := rt.FieldByIndex(idx).Type
				if !slicesContains(want[f.Kind], got) {
					t.Errorf("%s.%s: column type %s does not hold kind %s", spec.Name, f.Name, got, f.Kind)
				}
			}
		}
	}
}

func slicesContains(ts []reflect.Type, t reflect.Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func TestRowParquetRoundTrip(t *testing.T) {
	line := `{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1],"x":"y"}}`
	ev, err := Decode([]byte(line), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := ev.Row(2, 42)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[OutcomeRow](&buf)
	if _, err := w.Write([]OutcomeRow{*row.(*OutcomeRow)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := parquet.Read[OutcomeRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || *got[0].Total != 13 || len(got[0].Items) != 9 || got[0].KafkaOffset != 42 || *got[0].Extra != `{"x":"y"}` || got[0].EventID != "o1" {
		t.Errorf("round trip = %+v", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(okReferral))
	f.Add([]byte(`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1]}}`))
	f.Add([]byte(`{"event_id":"x","type":"cost.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"programme":"crisis","period_start":"2024-04-01","period_end":"2024-06-30","amount_gbp":1e5,"category":"staff"}}`))
	f.Add([]byte(`{}`))
	opts := testOpts(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		ev, err := Decode(line, opts)
		if err != nil {
			return
		}
		// A valid event must convert to a row and survive canonical re-encoding.
		if _, err := ev.Row(0, 0); err != nil {
			t.Fatalf("valid event has no row: %v", err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if fast, err := AppendJSON(nil, &ev); err != nil || !bytes.Equal(fast, b) {
			t.Fatalf("AppendJSON of %s:\n%s (%v)\njson.Marshal:\n%s", line, fast, err, b)
		}
		if _, err := Decode(b, DecodeOptions{}); err != nil {
			t.Fatalf("canonical form of %s does not decode: %v", line, err)
		}
	})
}
