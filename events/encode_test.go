package events

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// TestAppendJSONMatchesMarshal: the hand-written encoder writes exactly what
// json.Marshal writes, for the shapes it handles itself and for those it
// hands back (escapes, non-ASCII, invalid UTF-8, unknown fields, odd
// floats, nil lists and maps, other time zones).
func TestAppendJSONMatchesMarshal(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 30, 0, 123456000, time.UTC)
	base := Event{EventID: "e1", Type: "outcome.recorded", Schema: 1, OccurredAt: at, RecordedAt: at.Add(time.Hour), Source: "s", Service: "svc"}
	with := func(f func(*Event)) Event { e := base; f(&e); return e }
	cases := []Event{
		base,
		with(func(e *Event) { e.Person, e.ReferralID = "p0123", "R1" }),
		with(func(e *Event) { e.Data = map[string]any{} }),
		with(func(e *Event) {
			e.Data = map[string]any{
				"zeta": int64(-3), "alpha": "a<b>&c", "b": true, "c": false,
				"items": []int64{3, 2, 1}, "empty": []int64{}, "nilints": []int64(nil),
				"tags": []string{"x", "é", "\u2028"}, "notags": []string(nil),
				"f1": 1.5, "f2": 1e21, "f3": 1e-7, "f4": 0.000001, "f5": math.Copysign(0, -1), "f6": 123456789.125, "f7": 5e-324,
				"raw": json.RawMessage(`{ "k" : [1, "<"] }`), "ctl": "tab\there\nnew\x01", "bad": "\xff\xfe", "quote": `"\`,
				"Upper": "k", "_": "u",
			}
		}),
		// Twelve members and thirteen: either side of AppendJSON's
		// switch from insertion sort.
		with(func(e *Event) {
			e.Data = map[string]any{"z": 1.0, "_": "u", "Z": true, "a": "x", "é": "y", "ab": int64(2), "a_b": int64(3), "": "empty", "B": "b", "aa": "c", "~": "t", "0": "n"}
		}),
		with(func(e *Event) {
			e.Data = map[string]any{"z": 1.0, "_": "u", "Z": true, "a": "x", "é": "y", "ab": int64(2), "a_b": int64(3), "": "empty", "B": "b", "aa": "c", "~": "t", "0": "n", "a0": false}
		}),
		with(func(e *Event) { e.EventID = "é-\u2029"; e.Source = "a&b" }),
		with(func(e *Event) {
			loc := time.FixedZone("BST", 3600)
			e.OccurredAt = at.In(loc)
			e.RecordedAt = time.Date(2024, 5, 1, 9, 30, 0, 0, time.FixedZone("odd", 3601))
		}),
		with(func(e *Event) { e.OccurredAt = time.Time{} }),
	}
	for i, ev := range cases {
		want, werr := json.Marshal(ev)
		got, gerr := AppendJSON([]byte("prefix"), &ev)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("case %d: errors differ: AppendJSON %v, json.Marshal %v", i, gerr, werr)
			continue
		}
		if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("case %d:\nAppendJSON   %s\njson.Marshal prefix%s", i, got, want)
		}
	}
}

// TestAppendJSONDecodedEvents: every fast-path edge case and fixture line,
// decoded, encodes as json.Marshal encodes it.
func TestAppendJSONDecodedEvents(t *testing.T) {
	opt := fixedOpts(t)
	n := 0
	for _, l := range fastEdgeCases {
		ev, err := Decode([]byte(l), opt)
		if err != nil {
			continue
		}
		n++
		want, _ := json.Marshal(ev)
		got, err := AppendJSON(nil, &ev)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s:\nAppendJSON   %s (%v)\njson.Marshal %s", l, got, err, want)
		}
	}
	if n < 3 {
		t.Fatalf("only %d edge cases decode: the test checks too little", n)
	}
}

// BenchmarkEncode: AppendJSON against json.Marshal on one outcome event.
//
//	go test ./events -run '^$' -bench Encode
func BenchmarkEncode(b *testing.B) {
	line := []byte(`{"event_id":"tt-r000275-s01-gad7","type":"outcome.recorded","occurred_at":"2024-04-08T09:30:00+01:00","recorded_at":"2024-04-08T09:38:00+01:00","source":"iaptus-islington","service":"tt-islington","person":"p0123456789abcdef0123456789abcdef","referral_id":"tt-r000275","data":{"items":[3,2,3,3,2,3,3],"measure":"gad7","session_id":"A00027501","timepoint":"baseline","total":19}}`)
	ev, err := Decode(line, fixedOpts(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = AppendJSON(buf[:0], &ev)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(ev)
		}
	})
}

// TestAppendJSONTime: the hand-written time encoder writes what
// time.Time's MarshalJSON writes, across the years it handles and either
// side of them, with fractions of every length.
func TestAppendJSONTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{{}, time.Unix(0, 0).UTC(), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(2024, 3, 31, 1, 0, 0, 100, time.FixedZone("BST", 3600))}
	for range 20000 {
		ns := rng.Int64N(1e9)
		ns -= ns % []int64{1, 10, 1000, 1e6, 1e8, 1e9}[rng.IntN(6)]
		times = append(times, time.Unix(rng.Int64N(400000000000)-62167219200, ns).UTC())
	}
	for _, tm := range times {
		checkAppendJSONTime(t, tm)
	}
}

func checkAppendJSONTime(t *testing.T, tm time.Time) {
	t.Helper()
	want, werr := tm.MarshalJSON()
	got, gerr := appendJSONTime([]byte("x"), tm)
	if (werr != nil) != (gerr != nil) || (werr == nil && string(got) != "x"+string(want)) {
		t.Fatalf("%v: appendJSONTime %s (%v), MarshalJSON %s (%v)", tm, got[1:], gerr, want, werr)
	}
}

func FuzzAppendJSONTime(f *testing.F) {
	f.Add(int64(1714555800), int64(123456000))
	f.Add(int64(-62167219200), int64(0))
	f.Add(int64(253402300799), int64(999999999))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		checkAppendJSONTime(t, time.Unix(sec, nsec).UTC())
	})
}

// checkDecodeAppend: DecodeAppend gives Decode's event and error, and
// writes after dst exactly what json.Marshal writes of the event.
func checkDecodeAppend(t *testing.T, line []byte, opt DecodeOptions) {
	t.Helper()
	ev, err := Decode(line, opt)
	got, out, gerr := DecodeAppend([]byte("prefix"), line, opt)
	if (err == nil) != (gerr == nil) || (err != nil && (err.Error() != gerr.Error() || ReasonCode(err) != ReasonCode(gerr))) {
		t.Fatalf("%q: DecodeAppend error %v, Decode %v", line, gerr, err)
	}
	if err != nil {
		_, out2, err2 := DecodeAppendNoData([]byte("prefix"), line, opt)
		if string(out) != "prefix" || string(out2) != "prefix" || err2 == nil || err2.Error() != err.Error() || ReasonCode(err2) != ReasonCode(err) {
			t.Fatalf("%q: DecodeAppend wrote %q, DecodeAppendNoData %q (%v), with an error", line, out, out2, err2)
		}
		return
	}
	if !reflect.DeepEqual(got, ev) {
		t.Fatalf("%q:\nDecodeAppend %#v\nDecode       %#v", line, got, ev)
	}
	want, merr := json.Marshal(ev)
	if merr != nil || string(out) != "prefix"+string(want) {
		t.Fatalf("%q:\nDecodeAppend prefix%s\njson.Marshal prefix%s (%v)", line, out[6:], want, merr)
	}
	// DecodeAppendNoData: the same but for Data, which it may leave nil.
	lean, out2, err := DecodeAppendNoData([]byte("prefix"), line, opt)
	if err != nil || string(out2) != string(out) || lean.Family() != ev.Family() {
		t.Fatalf("%q:\nDecodeAppendNoData prefix%s (%v), family %s\nDecodeAppend       prefix%s, family %s", line, out2[6:], err, lean.Family(), out[6:], ev.Family())
	}
	if lean.Data == nil {
		lean.Data = ev.Data
	}
	if !reflect.DeepEqual(lean, ev) {
		t.Fatalf("%q:\nDecodeAppendNoData %#v\nDecode             %#v", line, lean, ev)
	}
}

// TestDecodeAppend: every edge case, random edits of them, and the
// fixture, on both decoding paths.
func TestDecodeAppend(t *testing.T) {
	opt := fixedOpts(t)
	lines := append([]string(nil), fastEdgeCases...)
	fixture, err := os.ReadFile(filepath.Join("..", "testdata", "fixture", "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	lines = append(lines, strings.Split(string(fixture), "\n")...)
	lines = append(lines,
		// Check fills total; unknown members; a date of birth's age band,
		// given and derived.
		`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1]}}`,
		`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","total":13.0,"zz":1,"A":"<&>"}}`,
		`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":"9434765919","date_of_birth":"1990-01-01","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","age_band":"18-25"}}`,
		`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00.1234567+01:00","recorded_at":"2024-05-01T09:30:00.000001Z","source":"s\u00e9","service":"v<","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","x":null}}`,
	)
	lines = append(lines, outcomeCheckCases...) // DecodeAppendNoData checks these without a map
	rng := rand.New(rand.NewPCG(3, 4))
	n := len(lines)
	for i := range n {
		for range 100 {
			lines = append(lines, string(mutated(rng, lines[i])))
		}
	}
	valid := 0
	for _, slow := range []bool{false, true} {
		slowOnly = slow
		for _, l := range lines {
			checkDecodeAppend(t, []byte(l), opt)
			if _, err := Decode([]byte(l), opt); err == nil {
				valid++
			}
		}
		slowOnly = false
	}
	t.Logf("%d lines, %d valid", 2*len(lines), valid)
	if valid < 100 {
		t.Fatalf("only %d lines decode: the test checks too little", valid)
	}
}

func FuzzDecodeAppend(f *testing.F) {
	for _, l := range fastEdgeCases {
		f.Add([]byte(l))
	}
	for _, l := range outcomeCheckCases {
		f.Add([]byte(l))
	}
	opt := fixedOpts(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		checkDecodeAppend(t, line, opt)
	})
}

// TestDecodeAppendUsesValues: the common shapes are written from the
// decoded values, not by the map's way (which would pass the tests above
// as well, only slower). (A type with a Check goes the map's way, but
// for DecodeAppendNoData on outcome.recorded, whose check reads the
// values.)
func TestDecodeAppendUsesValues(t *testing.T) {
	opt := fixedOpts(t)
	for _, l := range []string{
		`{"event_id":"e1","type":"referral.received","occurred_at":"2024-05-01T09:30:00+01:00","source":"iaptus","service":"svc","nhs_number":"943 476 5919","date_of_birth":"1990-05-02","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
		`{"event_id":"e","type":"session.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"session_id":"s","kind":"group","attendance":"attended","worker_id":"w","worker_role":"pwp","step":3,"duration_min":60,"co_delivered_by_peer":false}}`} {
		var vals dataValues
		if _, err := decode([]byte(l), opt, &vals); err != nil || !vals.usable() {
			t.Errorf("%s: values usable %v (%v)", l, vals.usable(), err)
		}
		if ev, _, err := DecodeAppendNoData(nil, []byte(l), opt); err != nil || ev.Data != nil {
			t.Errorf("%s: DecodeAppendNoData built Data (%v)", l, err)
		}
	}
	for _, l := range outcomeCheckCases {
		ev, _, err := DecodeAppendNoData(nil, []byte(l), opt)
		if err == nil && ev.Data != nil && !strings.Contains(l, `"zz"`) { // an unknown member needs the map
			t.Errorf("%s: DecodeAppendNoData built Data for an outcome", l)
		}
	}
}

// outcomeCheckCases reach every verdict of checkOutcome: items counted
// and ranged, vas and level for their measures only, a total checked
// against the items and the range or filled from them (sum and mean),
// and an outcome with nothing to score.
var outcomeCheckCases = func() []string {
	var out []string
	for _, data := range []string{
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1]`,
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1],"total":13`,
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1],"total":13.0000001`,
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1],"total":12`,
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0]`,
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,4]`,
		`"measure":"phq9","timepoint":"baseline","items":[]`,
		`"measure":"phq9","timepoint":"baseline","total":28`,
		`"measure":"phq9","timepoint":"baseline","total":27,"session_id":"s1","weeks":3`,
		`"measure":"phq9","timepoint":"baseline"`,
		`"measure":"phq9","timepoint":"baseline","items":null,"total":null`,
		`"measure":"phq9","timepoint":"baseline","total":5,"vas":50`,
		`"measure":"gad7","timepoint":"baseline","total":5,"level":2`,
		`"measure":"eq5d5l","timepoint":"baseline","vas":50`,
		`"measure":"eq5d5l","timepoint":"baseline","items":[1,2,3,4,5],"vas":50,"total":0.5`,
		`"measure":"eq5d5l","timepoint":"baseline","vas":null`,
		`"measure":"pam","timepoint":"baseline","level":3`,
		`"measure":"pam","timepoint":"baseline","items":[1,2,3,4,1,2,3,4,1,2,3,4,1]`,
		`"measure":"mi","timepoint":"baseline","items":[1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2]`,
		`"measure":"mi","timepoint":"baseline","total":5.5`,
		`"measure":"mi","timepoint":"baseline","total":2.5`,
		`"measure":"other","timepoint":"follow_up"`,
		`"measure":"other","timepoint":"follow_up","items":[9,-1,100],"total":-3`,
		`"measure":"phq9","timepoint":"baseline","total":5,"zz":1`,
		`"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1],"measure":"gad7"`,
	} {
		out = append(out, `{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{`+data+`}}`)
	}
	return out
}()

// BenchmarkDecodeAppend: DecodeAppend against Decode then AppendJSON, on
// a source referral (pseudonymised, age band derived) and a canonical
// outcome line.
//
//	go test ./events -run '^$' -bench DecodeAppend
func BenchmarkDecodeAppend(b *testing.B) {
	opt := fixedOpts(b)
	referral := []byte(`{"event_id":"e1","type":"referral.received","occurred_at":"2024-05-01T09:30:00+01:00","source":"iaptus","service":"svc","nhs_number":"943 476 5919","date_of_birth":"1990-05-02","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`)
	outcome := []byte(`{"event_id":"iaptus-islington:out-0000123","type":"outcome.recorded","schema":1,"occurred_at":"2024-05-01T09:30:00Z","recorded_at":"2024-05-01T10:00:00.123456Z","source":"iaptus-islington","service":"tt-islington","person":"p_3f9a0c6f1e2d4b5a8c7d","referral_id":"R0001234","data":{"items":[3,3,2,2,1,1,0,0,1],"measure":"phq9","session_id":"S000123","timepoint":"session","total":13}}`)
	for _, c := range []struct {
		name string
		line []byte
	}{{"referral", referral}, {"outcome", outcome}} {
		b.Run(c.name+"/Decode+AppendJSON", func(b *testing.B) {
			var buf []byte
			for b.Loop() {
				ev, err := Decode(c.line, opt)
				if err != nil {
					b.Fatal(err)
				}
				buf, _ = AppendJSON(buf[:0], &ev)
			}
		})
		b.Run(c.name+"/DecodeAppend", func(b *testing.B) {
			var buf []byte
			for b.Loop() {
				var err error
				if _, buf, err = DecodeAppend(buf[:0], c.line, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
