package events

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
)

// The fast path of Decode. encoding/json costs Decode most of its time: the
// line is scanned once into map[string]json.RawMessage (checkValid, then the
// reflective decoder), and each value is scanned twice more by its own
// json.Unmarshal. Here one hand-written pass validates the whole line with
// encoding/json's grammar and drops each member's raw value straight into
// its slot: the envelope's by name (envelope), data's by the index of the
// type's field (dataMembers). No map is built, and the line is copied into
// one string whose substrings become every string the event keeps, so that
// a line costs a handful of allocations rather than one a field. Values of
// the common shapes (a plain string, a number literal, true/false, an array
// of those) are then converted directly.
//
// Every function here may decline (ok == false) on anything unusual —
// malformed or non-object input, escaped or non-ASCII keys, escaped or
// invalid UTF-8 strings, deep nesting — and the caller then does exactly
// what Decode did before, with encoding/json, so verdicts and error messages
// are unchanged. TestFastPathAgrees and FuzzFastPathAgrees check the two
// paths against each other.

// maxFastDepth is the nesting the fast scanner handles; deeper input goes
// to encoding/json (whose own limit is 10000).
const maxFastDepth = 64

// slowOnly turns the fast path off, for tests comparing the two.
var slowOnly bool

// rawValue is one member's value as raw JSON (nil when the member is
// absent). s, when not empty, is the same bytes as a string cut from the
// copy of the line, so that strings taken from it cost no allocation.
type rawValue struct {
	b []byte
	s string
}

func (v rawValue) present() bool { return v.b != nil }

// sub is the value at b[lo:hi].
func (v rawValue) sub(lo, hi int) rawValue {
	r := rawValue{b: v.b[lo:hi:hi]}
	if v.s != "" {
		r.s = v.s[lo:hi]
	}
	return r
}

// literal is the raw JSON as a string.
func (v rawValue) literal() string {
	if v.s != "" {
		return v.s
	}
	return string(v.b)
}

// plainString returns the string v (already valid JSON) holds when it
// needs no unescaping and is valid UTF-8: then json.Unmarshal would give
// the same.
func (v rawValue) plainString() (string, bool) {
	r := v.b
	if slowOnly || len(r) < 2 || r[0] != '"' || r[len(r)-1] != '"' {
		return "", false
	}
	s := r[1 : len(r)-1]
	var high uint64 // the bytes or'ed together: top bit set if any is not ASCII
	t := s
	for ; len(t) >= 8; t = t[8:] {
		x := binary.LittleEndian.Uint64(t)
		q, e := x^(lanes1*'"'), x^(lanes1*'\\')
		if ((q-lanes1)&^q|(e-lanes1)&^e)&lanes80 != 0 {
			return "", false
		}
		high |= x
	}
	for _, c := range t {
		if c == '\\' || c == '"' {
			return "", false
		}
		high |= uint64(c)
	}
	if high&lanes80 != 0 && !utf8.Valid(s) {
		return "", false
	}
	if v.s != "" {
		return v.s[1 : len(v.s)-1], true
	}
	return string(s), true
}

// string is json.Unmarshal(v, &s) == nil, fast for plain strings.
func (v rawValue) string() (string, bool) {
	if s, ok := v.plainString(); ok {
		return s, true
	}
	var s string
	if json.Unmarshal(v.b, &s) != nil {
		return "", false
	}
	return s, true
}

// number is json.Unmarshal into json.Number for anything but a quoted
// string (which json.Number would otherwise accept).
func (v rawValue) number() (json.Number, error) {
	r := bytes.TrimSpace(v.b)
	if len(r) == 0 || r[0] == '"' {
		return "", errors.New("not a number")
	}
	if isNumberLit(r) && validNumber(r) {
		if len(r) == len(v.b) {
			return json.Number(v.literal()), nil
		}
		return json.Number(r), nil
	}
	var n json.Number
	err := json.Unmarshal(r, &n)
	return n, err
}

// scanMembers walks the JSON object b (surrounding whitespace allowed) and
// calls member with each key and the offsets of its raw value in b, in
// input order. It returns false, perhaps after some calls, when b is not
// an object the fast path handles.
func scanMembers(b []byte, member func(key []byte, lo, hi int)) bool {
	i := skipWS(b, 0)
	if slowOnly || i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i = skipWS(b, i+1)
		return i == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		ks := i + 1
		j := ks
		for j < len(b) && byteClass[b[j]]&keyByte != 0 {
			j++
		}
		if j >= len(b) || b[j] != '"' {
			return false // escapes, control or non-ASCII in a key: encoding/json decides
		}
		key := b[ks:j]
		i = skipWS(b, j+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		vs := i
		var ok bool
		i, ok = skipValue(b, i, 0)
		if !ok {
			return false
		}
		member(key, vs, i)
		i = skipWS(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if b[i] != '}' {
			return false
		}
		i = skipWS(b, i+1)
		return i == len(b)
	}
}

// The envelope's members, by their slot in an envelope.
const (
	envEventID = iota
	envType
	envSchema
	envOccurredAt
	envRecordedAt
	envSource
	envService
	envPerson
	envNHSNumber
	envLocalID
	envDateOfBirth
	envReferralID
	envData
	numEnvelope
)

// envelopeNames are the envelope's members; anything else at the top level
// is ignored (and so never travels on).
var envelopeNames = [numEnvelope]string{
	envEventID: "event_id", envType: "type", envSchema: "schema", envOccurredAt: "occurred_at",
	envRecordedAt: "recorded_at", envSource: "source", envService: "service", envPerson: "person",
	envNHSNumber: "nhs_number", envLocalID: "local_id", envDateOfBirth: "date_of_birth",
	envReferralID: "referral_id", envData: "data",
}

// envelopeSlot is the slot of an envelope member, or -1.
func envelopeSlot(key []byte) int {
	switch string(key) {
	case "event_id":
		return envEventID
	case "type":
		return envType
	case "schema":
		return envSchema
	case "occurred_at":
		return envOccurredAt
	case "recorded_at":
		return envRecordedAt
	case "source":
		return envSource
	case "service":
		return envService
	case "person":
		return envPerson
	case "nhs_number":
		return envNHSNumber
	case "local_id":
		return envLocalID
	case "date_of_birth":
		return envDateOfBirth
	case "referral_id":
		return envReferralID
	case "data":
		return envData
	}
	return -1
}

// envelope holds an event's top-level members by slot.
type envelope [numEnvelope]rawValue

// scan fills e from line in one pass; false means encoding/json must
// decide (e is then to be refilled).
func (e *envelope) scan(line []byte) bool {
	var lo, hi [numEnvelope]int
	ok := scanMembers(line, func(key []byte, vlo, vhi int) {
		if i := envelopeSlot(key); i >= 0 { // a repeated member: the last wins
			lo[i], hi[i] = vlo, vhi
		}
	})
	if !ok {
		return false
	}
	// One copy of the line holds every string the event keeps. (Each
	// value is written in place: building a rawValue and copying it cost
	// as much as the scan, in stalled stores.)
	s := string(line)
	for i := range e {
		if h := hi[i]; h > 0 {
			e[i].b = line[lo[i]:h:h]
			e[i].s = s[lo[i]:h]
		}
	}
	return true
}

// fill sets e from the map encoding/json decoded.
func (e *envelope) fill(m map[string]json.RawMessage) {
	for i, name := range envelopeNames {
		e[i] = rawValue{b: m[name]}
	}
}

// member is a data member the event's type does not define.
type member struct {
	key   string
	value rawValue
}

// scanData sets known (the type's fields, by their index in spec.Fields)
// from the data object raw in one pass and returns the other members in
// input order; false means encoding/json must decide (see fillData).
func scanData(spec *TypeSpec, raw rawValue, known []rawValue) (extra []member, ok bool) {
	ok = scanMembers(raw.b, func(key []byte, lo, hi int) {
		v := raw.sub(lo, hi)
		if i := spec.fieldIndex(key); i >= 0 {
			known[i] = v // a repeated member: the last wins
		} else {
			extra = append(extra, member{string(key), v})
		}
	})
	return extra, ok
}

// fillData is scanData from the map encoding/json decoded.
func fillData(spec *TypeSpec, m map[string]json.RawMessage, known []rawValue) (extra []member) {
	clear(known)
	for k, r := range m {
		if i := spec.fieldIndex([]byte(k)); i >= 0 {
			known[i] = rawValue{b: r}
		} else {
			extra = append(extra, member{k, rawValue{b: r}})
		}
	}
	return extra
}

// fieldIndex is the index of the named field in t.Fields, or -1.
func (t *TypeSpec) fieldIndex(name []byte) int {
	for i := range t.Fields {
		if t.Fields[i].Name == string(name) {
			return i
		}
	}
	return -1
}

// elements returns v's elements as json.Unmarshal into []json.RawMessage
// would, appended to buf; ok is false when v is not an array.
func (v rawValue) elements(buf []rawValue) ([]rawValue, bool) {
	if elems, ok := v.scanElements(buf); ok {
		return elems, true
	}
	var rs []json.RawMessage
	if json.Unmarshal(v.b, &rs) != nil {
		return nil, false
	}
	buf = buf[:0]
	for _, r := range rs {
		buf = append(buf, rawValue{b: r})
	}
	return buf, true
}

// scanElements is elements' fast path, for v already valid JSON with no
// surrounding space.
func (v rawValue) scanElements(buf []rawValue) ([]rawValue, bool) {
	r := v.b
	if slowOnly || len(r) < 2 || r[0] != '[' {
		return buf, false
	}
	i := skipWS(r, 1)
	if i >= len(r) {
		return buf, false
	}
	if r[i] == ']' {
		return buf, true
	}
	for {
		s := i
		var ok bool
		if i, ok = skipValue(r, i, 1); !ok {
			return buf, false
		}
		buf = append(buf, v.sub(s, i))
		i = skipWS(r, i)
		if i >= len(r) {
			return buf, false
		}
		if r[i] == ']' {
			return buf, true
		}
		if r[i] != ',' {
			return buf, false
		}
		i = skipWS(r, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	case c == 't':
		return skipLit(b, i, "true")
	case c == 'f':
		return skipLit(b, i, "false")
	case c == 'n':
		return skipLit(b, i, "null")
	case c == '{':
		if depth >= maxFastDepth {
			return i, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = skipString(b, i); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			if i, ok = skipValue(b, skipWS(b, i+1), depth+1); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == '}' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipWS(b, i+1)
		}
	case c == '[':
		if depth >= maxFastDepth {
			return i, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipWS(b, i+1)
		}
	}
	return i, false
}

func skipLit(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// skipString accepts what encoding/json's scanner accepts: any byte but
// '"', '\\' and controls, and the escapes \" \\ \/ \b \f \n \r \t \uXXXX.
// (Invalid UTF-8 is valid JSON to encoding/json; decoding replaces it.)
func skipString(b []byte, i int) (int, bool) {
	i++
	for i < len(b) {
		// Eight bytes at a time to the first that is not stringByte,
		// then a byte at a time near the end.
		if len(b)-i >= 8 {
			m := stopLanes(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else if byteClass[b[i]]&stringByte != 0 {
			i++
			continue
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			var ok bool
			if i, ok = skipEscape(b, i); !ok {
				return i, false
			}
		default:
			i++
		}
	}
	return i, false
}

// skipEscape returns the index after the escape starting at b[i] == '\\'.
func skipEscape(b []byte, i int) (int, bool) {
	if i+1 >= len(b) {
		return i, false
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, true
	case 'u':
		if i+6 > len(b) {
			return i, false
		}
		for _, h := range b[i+2 : i+6] {
			if !isHex(h) {
				return i, false
			}
		}
		return i + 6, true
	}
	return i, false
}

// Lanes of a uint64 (its bytes, little-endian, as read from a []byte).
const (
	lanes1  = 0x0101010101010101 // 1 in each byte
	lanes80 = 0x8080808080808080 // 0x80 in each byte
)

// stopLanes sets the top bit of the lowest byte of x that is '"', '\\' or a
// control (below 0x20): a byte a string cannot hold unlooked at. Higher
// bits may be set by borrows, so only the lowest counts (its index is
// TrailingZeros64/8); zero means all eight bytes are stringByte.
func stopLanes(x uint64) uint64 {
	q := x ^ (lanes1 * '"')
	e := x ^ (lanes1 * '\\')
	return ((q-lanes1)&^q | (e-lanes1)&^e | (x-lanes1*0x20)&^x) & lanes80
}

// byteClass says, for each byte, where it may stand with no further look.
var byteClass = func() (t [256]uint8) {
	for c := 0x20; c < 256; c++ {
		if c != '"' && c != '\\' {
			t[c] |= stringByte
			if c < 0x80 {
				t[c] |= keyByte
			}
		}
	}
	return t
}()

const (
	stringByte = 1 << iota // in a string: not '"', '\\' or a control
	keyByte                // in a key the fast path takes: ASCII, too
)

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// skipNumber accepts -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, false
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return i, false
		}
	}
	return i, true
}

// smallInt is json.Number(r).Int64() for r an integer literal of at most
// 18 digits (which cannot overflow), without a string; ok is false for
// anything else.
func smallInt(r []byte) (int64, bool) {
	d := r
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if slowOnly || len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if len(d) < len(r) {
		v = -v
	}
	return v, true
}

// isNumberLit reports whether r (already valid JSON, no surrounding space)
// is a number literal, which json.Unmarshal into json.Number keeps verbatim.
func isNumberLit(r []byte) bool {
	return !slowOnly && len(r) > 0 && (r[0] == '-' || (r[0] >= '0' && r[0] <= '9'))
}

// validNumber reports whether all of r is one number literal.
func validNumber(r []byte) bool {
	i, ok := skipNumber(r, 0)
	return ok && i == len(r)
}

// Each type's enum values are boxed once, so that decoding an enum puts a
// string into Data without an allocation.
//
// DecodeAppend's data object is written field by field: each type's fields
// are sorted by name once, and each field's key encoded once.
func init() {
	for i := range Types {
		t := &Types[i]
		t.ageBand = -1
		names := map[string]bool{}
		for j := range t.Fields {
			f := &t.Fields[j]
			f.boxed = box(f.Values)
			key, _ := json.Marshal(f.Name) // as json.Marshal writes a map's key
			f.jsonKey = append(key, ':')
			if f.Name == "age_band" {
				t.ageBand = j
			}
			names[f.Name] = true
			t.sortedFields = append(t.sortedFields, j)
		}
		slices.SortFunc(t.sortedFields, func(a, b int) int { return strings.Compare(t.Fields[a].Name, t.Fields[b].Name) })
		if len(names) < len(t.Fields) || t.sortedFields == nil {
			t.sortedFields = nil // a name twice (or none): the map's way
		}
	}
}

// box returns strs as interface values.
func box(strs []string) []any {
	out := make([]any, len(strs))
	for i, s := range strs {
		out[i] = s
	}
	return out
}

// value is f.Values[i] as an interface value.
func (f *Field) value(i int) any {
	if i < len(f.boxed) {
		return f.boxed[i]
	}
	return f.Values[i]
}
