package events

import (
	"bufio"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// decodeBoth decodes line with the fast path and with encoding/json alone,
// failing unless event and error agree exactly.
func decodeBoth(t *testing.T, line []byte, opt DecodeOptions) {
	t.Helper()
	fast, ferr := Decode(line, opt)
	slowOnly = true
	slow, serr := Decode(line, opt)
	slowOnly = false
	if (ferr == nil) != (serr == nil) || (ferr != nil && (ferr.Error() != serr.Error() || ReasonCode(ferr) != ReasonCode(serr))) {
		t.Fatalf("Decode(%q):\nfast error %v\nslow error %v", line, ferr, serr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("Decode(%q):\nfast %#v\nslow %#v", line, fast, slow)
	}
}

func fixedOpts(tb testing.TB) DecodeOptions {
	o := testOpts(tb)
	o.Now = func() time.Time { return time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC) }
	return o
}

// TestFastPathAgrees: the fast path gives what encoding/json gives, on the
// fuzz corpus, on hand-picked edge cases, and on every line of the demo
// fixtures in the repository.
func TestFastPathAgrees(t *testing.T) {
	opt := fixedOpts(t)
	var lines [][]byte
	files, _ := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			if s, ok := strings.CutPrefix(l, "[]byte("); ok {
				if v, err := strconv.Unquote(strings.TrimSuffix(s, ")")); err == nil {
					lines = append(lines, []byte(v))
				}
			}
		}
	}
	for _, l := range fastEdgeCases {
		lines = append(lines, []byte(l))
	}
	for _, pat := range []string{"../testdata/*.ndjson", "../testdata/*/*.ndjson", "../warehouse/testdata/*.ndjson"} {
		ms, _ := filepath.Glob(pat)
		for _, m := range ms {
			f, err := os.Open(m)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines = append(lines, append([]byte(nil), sc.Bytes()...))
			}
			f.Close()
		}
	}
	for _, l := range lines {
		decodeBoth(t, l, opt)
		decodeBoth(t, l, DecodeOptions{Now: opt.Now})
	}
	t.Logf("%d lines agree", len(lines))
}

var fastEdgeCases = []string{
	okReferral,
	` ` + okReferral + " \n",
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3 , 3,2,2,1,1,0,0,1.0], "zz": {"a":[1,{"b":null}]}}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,1.5]}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,null]}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":[3,3,2,2,1,1,0,0,"1"]}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","timepoint":"baseline","items":{}}}`,
	`{"event_id":"o1","type":"outcome.recorded","schema": 1 ,"occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"gad7","timepoint":"baseline","total":1e400}}`,
	`{"event_id":"o1","type":"outcome.recorded","schema": "1" ,"occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{}}`,
	`{"event_id":"o1","type":"outcome.recorded","schema": 2.0 ,"occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{}}`,
	`{"event_id":"o1","type":"outcome.recorded","schema": true ,"occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{}}`,
	`{"event_id":"e\u00e9","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s\tx","service":"sv\u0063","person":"p\ud800","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","gp_practice":"caf\u00e9"}}`,
	// An escape after non-ASCII text: the fast path once stopped looking for
	// escapes at the first non-ASCII byte and kept "é\\n" verbatim.
	`{"event_id":"é\u00e9","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","gp_practice":"é\n","zz":["é\t"]}}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"feedback_id":"f","codes":["é","é\"b"],"coder":"c","codebook":"k"}}`,
	"{\"event_id\":\"e\xff\",\"type\":\"referral.received\",\"occurred_at\":\"2024-05-01T09:30:00Z\",\"source\":\"s\",\"service\":\"v\",\"person\":\"p\",\"referral_id\":\"r1\",\"data\":{\"programme\":\"talking_therapies\",\"referral_source\":\"gp\",\"gp_practice\":\"caf\xc3\xa9\"}}",
	`{"event_id":"e","event_id":"f","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","referral_source":"self"}}`,
	`{"event_\u0069d":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}} x`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp",}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","x":01}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","x":-}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","long_term_condition": true , "x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp","long_term_condition":1}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":"943 476 5919","date_of_birth":"1980-01-02","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":9434765919,"referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"feedback_id":"f","codes":["a","b\n",null]}}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"feedback_id":"f","codes":["a","b"], "coder":"c"}}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"feedback_id":"f","codes":[]}}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"feedback_id":"f","codes":[1]}}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":["feedback_id"]}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":null}`,
	`{"event_id":"x","type":"feedback.coded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v"}`,
	// Repeated, null and spaced members; long lists (past the stack
	// buffers); unknown members repeated; identifiers in every form.
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"phq9","measure":"gad7","timepoint":"baseline","items":[0,1,2,3,0,1,2],"zz":1,"zz":[2],"session_id": null ,"total" : 9 }}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"mi","timepoint":"baseline","items":[1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5]}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"other","timepoint":"baseline","items":[1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4,5,"x"]}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"other","timepoint":"baseline","items":[1e2,-0,2.0E0,9223372036854775807,9223372036854775808]}}`,
	`{"event_id":"o1","type":"outcome.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"svc","person":"px","referral_id":"r1","data":{"measure":"other","timepoint":"baseline","total":-1.5e-7,"vas":"50"}}`,
	`{"event_id":"x","type":"action.taken","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"action_id":"a","summary":"s","codes":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","a","b","c","d","e","f","g","h"],"feedback_ids":["x",null]}}`,
	`{"event_id":"x","type":"action.taken","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"action_id":"a","summary":"s","codes":"a"}}`,
	`{"event_id":"x","type":"cost.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"programme":"crisis","period_start":"2024-04-01","period_end":"2024-02-30","amount_gbp":10,"category":"staff"}}`,
	`{"event_id":"x","type":"cost.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"programme":"crisis","period_start":"2024-04-01","period_end":"2024-06-30","amount_gbp":" 10","category":"staff"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","local_id":"L1","person":"ignored","referral_id":"r1","date_of_birth":null,"data":{"programme":"talking_therapies","referral_source":"gp","age_band":"26-35"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":"943-476-5919","date_of_birth":"2010-01-01","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":"943 476 59190","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":"9434765918","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"e","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","nhs_number":"943476591٩","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"e","type":"referral.received","schema":1,"schema":null,"occurred_at":"2024-05-01T09:30:00Z","recorded_at":"1899-12-31T23:59:59Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"programme":"talking_therapies","referral_source":"gp"}}`,
	`{"event_id":"","type":"referral.received","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{}}`,
	`{"event_id":"e","type":"session.recorded","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","person":"p","referral_id":"r1","data":{"session_id":"s","kind":"group","attendance":"attended","worker_id":"w","worker_role":"pwp","step":3,"duration_min":601,"co_delivered_by_peer":false}}`,
	`{"event_id":"e","type":"consultation.held","occurred_at":"2024-05-01T09:30:00Z","source":"s","service":"v","data":{"worker_id":"w","facilitator":"f","notes":"` + strings.Repeat("é", 20001) + `"}}`,
	`[1,2]`, `null`, `"x"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{} {}`, "\xef\xbb\xbf{}", `{"a":"\u12"}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}",
}

// TestFastPathAgreesMutated: the two paths agree on random edits of every
// edge case (bytes dropped, doubled or replaced by JSON's punctuation), so
// that plain go test also tries input no one wrote by hand.
func TestFastPathAgreesMutated(t *testing.T) {
	opt := fixedOpts(t)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, l := range fastEdgeCases {
		for range 200 {
			decodeBoth(t, mutated(rng, l), opt)
			n++
		}
	}
	t.Logf("%d mutated lines agree", n)
}

// mutated is l with one to three random edits: a byte dropped, doubled or
// replaced by JSON's punctuation (or a byte that is hard on UTF-8).
func mutated(rng *rand.Rand, l string) []byte {
	const alphabet = "{}[]\",:0123456789.eE+- ntrufalse\\u\x00\xc3\xa9\xff<&"
	b := []byte(l)
	for range 1 + rng.IntN(3) {
		if len(b) == 0 {
			break
		}
		i := rng.IntN(len(b))
		switch rng.IntN(3) {
		case 0:
			b = append(b[:i:i], b[i+1:]...)
		case 1:
			b = append(b[:i+1:i+1], b[i:]...)
		default:
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
	}
	return b
}

// TestSmallInt: smallInt agrees with the general path (a JSON number,
// then json.Number.Int64) where it answers, and answers for the plain
// integers it is for.
func TestSmallInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-7", "10", "123456789012345678", "-123456789012345678",
		"1234567890123456789", "9223372036854775807", "00", "01", "-01", "-", "", "1.0", "1e2", " 1", "1 ", "+1", "0x1"} {
		v, ok := smallInt([]byte(s))
		n, err := rawValue{b: []byte(s)}.number()
		want, err2 := n.Int64()
		err = errors.Join(err, err2)
		plain := s != "" && len(strings.TrimPrefix(s, "-")) <= 18 && validNumber([]byte(s)) && !strings.ContainsAny(s, ".eE")
		switch {
		case ok && (err != nil || v != want):
			t.Errorf("smallInt(%q) = %d, json.Number %d %v", s, v, want, err)
		case !ok && plain:
			t.Errorf("smallInt(%q) declines a plain integer", s)
		}
	}
}

func FuzzFastPathAgrees(f *testing.F) {
	for _, l := range fastEdgeCases {
		f.Add([]byte(l))
	}
	opt := fixedOpts(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		decodeBoth(t, line, opt)
		var m1 map[string]json.RawMessage
		err := json.Unmarshal(line, &m1)
		m2 := map[string]json.RawMessage{}
		ok := scanMembers(line, func(key []byte, lo, hi int) { m2[string(key)] = line[lo:hi] })
		if ok && (err != nil || !reflect.DeepEqual(m1, m2)) {
			t.Fatalf("scanMembers(%q) = %q, json.Unmarshal %q %v", line, m2, m1, err)
		}
	})
}

// BenchmarkDecode: the fast path against encoding/json alone, in one run,
// on a source referral (pseudonymised) and a canonical outcome line.
//
//	go test ./events -run '^$' -bench Decode
func BenchmarkDecode(b *testing.B) {
	opt := fixedOpts(b)
	outcome := []byte(`{"event_id":"iaptus-islington:out-0000123","type":"outcome.recorded","schema":1,"occurred_at":"2024-05-01T09:30:00Z","recorded_at":"2024-05-01T10:00:00.123456Z","source":"iaptus-islington","service":"tt-islington","person":"p_3f9a0c6f1e2d4b5a8c7d","referral_id":"R0001234","data":{"items":[3,3,2,2,1,1,0,0,1],"measure":"phq9","session_id":"S000123","timepoint":"session","total":13}}`)
	for _, c := range []struct {
		name string
		line []byte
	}{{"referral", []byte(okReferral)}, {"outcome", outcome}} {
		for _, slow := range []bool{false, true} {
			name := c.name + "/fast"
			if slow {
				name = c.name + "/encoding_json"
			}
			b.Run(name, func(b *testing.B) {
				slowOnly = slow
				defer func() { slowOnly = false }()
				b.SetBytes(int64(len(c.line)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Decode(c.line, opt); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
