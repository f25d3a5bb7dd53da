package events

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
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
		checkAppendJSONTime(t, time.Unix(sec, nsec).UTC())
	})
}
