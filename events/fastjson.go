package events

import (
	"encoding/json"
	"sync"
	"unicode/utf8"
)

// The fast path of Decode. encoding/json costs Decode most of its time: the
// line is scanned once into map[string]json.RawMessage (checkValid, then the
// reflective decoder), and each value is scanned twice more by its own
// json.Unmarshal. Here one hand-written pass validates the whole line with
// encoding/json's grammar and splits objects into raw values; the common
// value shapes (a plain string, a number literal, true/false, an array of
// those) are then converted directly.
//
// Every function here may decline (ok == false) on anything unusual —
// malformed or non-object input, escaped or non-ASCII keys, escaped or
// invalid UTF-8 strings, deep nesting — and the caller then does exactly
// what Decode did before, with encoding/json, so verdicts and error messages
// are unchanged. TestFastPathAgrees checks the two paths against each other.

// maxFastDepth is the nesting the fast scanner handles; deeper input goes
// to encoding/json (whose own limit is 10000).
const maxFastDepth = 64

// slowOnly turns the fast path off, for tests comparing the two.
var slowOnly bool

// scanObject splits the JSON object b (surrounding whitespace allowed) into
// its members' raw values, sub-slices of b, as json.Unmarshal into
// map[string]json.RawMessage would (last duplicate wins). intern maps a key
// to a string without allocating when it is a known one.
func scanObject(b []byte, intern func([]byte) string) (map[string]json.RawMessage, bool) {
	return scanObjectInto(nil, b, intern)
}

// objectPool holds the maps Decode scans envelopes and data into: each is
// dropped at the end of Decode, and making two a line cost Decode a fifth
// of its time.
var objectPool = sync.Pool{New: func() any { return make(map[string]json.RawMessage, 16) }}

// pooledObject scans b into a map from objectPool; release hands it back.
func pooledObject(b []byte, intern func([]byte) string) (m map[string]json.RawMessage, ok bool, release func()) {
	pm := objectPool.Get().(map[string]json.RawMessage)
	m, ok = scanObjectInto(pm, b, intern)
	return m, ok, func() {
		clear(pm)
		objectPool.Put(pm)
	}
}

// scanObjectInto is scanObject filling m (empty), or a new map when m is nil.
func scanObjectInto(m map[string]json.RawMessage, b []byte, intern func([]byte) string) (map[string]json.RawMessage, bool) {
	i := skipWS(b, 0)
	if slowOnly || i >= len(b) || b[i] != '{' {
		return nil, false
	}
	if m == nil {
		m = make(map[string]json.RawMessage, 16)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i = skipWS(b, i+1)
		return m, i == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		ks := i + 1
		j := ks
		for j < len(b) && b[j] != '"' {
			c := b[j]
			if c < 0x20 || c >= 0x80 || c == '\\' {
				return nil, false // escapes, control or non-ASCII in a key: encoding/json decides
			}
			j++
		}
		if j >= len(b) {
			return nil, false
		}
		key := b[ks:j]
		i = skipWS(b, j+1)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipWS(b, i+1)
		vs := i
		var ok bool
		i, ok = skipValue(b, i, 0)
		if !ok {
			return nil, false
		}
		m[intern(key)] = json.RawMessage(b[vs:i:i])
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, false
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if b[i] != '}' {
			return nil, false
		}
		i = skipWS(b, i+1)
		return m, i == len(b)
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
		c := b[i]
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++
		}
	}
	return i, false
}

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

// plainString returns the string r (already valid JSON) holds when it needs
// no unescaping and is valid UTF-8: then json.Unmarshal would give the same.
func plainString(r []byte) (string, bool) {
	if slowOnly || len(r) < 2 || r[0] != '"' || r[len(r)-1] != '"' {
		return "", false
	}
	s := r[1 : len(r)-1]
	ascii := true
	for _, c := range s {
		if c == '\\' || c == '"' {
			return "", false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// unmarshalString is json.Unmarshal(r, &s) != nil inverted, fast for plain strings.
func unmarshalString(r []byte) (string, bool) {
	if s, ok := plainString(r); ok {
		return s, true
	}
	var s string
	if json.Unmarshal(r, &s) != nil {
		return "", false
	}
	return s, true
}

// isNumberLit reports whether r (already valid JSON, no surrounding space)
// is a number literal, which json.Unmarshal into json.Number keeps verbatim.
func isNumberLit(r []byte) bool {
	return !slowOnly && len(r) > 0 && (r[0] == '-' || (r[0] >= '0' && r[0] <= '9'))
}

// splitArray splits the JSON array r (already valid, no surrounding space)
// into its elements' raw values; ok is false when r is not an array.
func splitArray(r []byte) ([]json.RawMessage, bool) {
	if slowOnly || len(r) < 2 || r[0] != '[' {
		return nil, false
	}
	out := []json.RawMessage{}
	i := skipWS(r, 1)
	if i >= len(r) {
		return nil, false
	}
	if r[i] == ']' {
		return out, true
	}
	for {
		s := i
		var ok bool
		if i, ok = skipValue(r, i, 1); !ok {
			return nil, false
		}
		out = append(out, json.RawMessage(r[s:i:i]))
		i = skipWS(r, i)
		if i >= len(r) {
			return nil, false
		}
		if r[i] == ']' {
			return out, true
		}
		if r[i] != ',' {
			return nil, false
		}
		i = skipWS(r, i+1)
	}
}

// envelopeKey interns the envelope's keys; others are copied.
func envelopeKey(b []byte) string {
	switch string(b) {
	case "event_id":
		return "event_id"
	case "type":
		return "type"
	case "schema":
		return "schema"
	case "occurred_at":
		return "occurred_at"
	case "recorded_at":
		return "recorded_at"
	case "source":
		return "source"
	case "service":
		return "service"
	case "person":
		return "person"
	case "nhs_number":
		return "nhs_number"
	case "local_id":
		return "local_id"
	case "date_of_birth":
		return "date_of_birth"
	case "referral_id":
		return "referral_id"
	case "data":
		return "data"
	}
	return string(b)
}

// fieldKey interns the data field names of every type (built once).
var fieldNames = func() map[string]string {
	m := map[string]string{}
	for _, t := range Types {
		for _, f := range t.Fields {
			m[f.Name] = f.Name
		}
	}
	return m
}()

func fieldKey(b []byte) string {
	if s, ok := fieldNames[string(b)]; ok {
		return s
	}
	return string(b)
}

// validNumber reports whether all of r is one number literal.
func validNumber(r []byte) bool {
	i, ok := skipNumber(r, 0)
	return ok && i == len(r)
}

// plainStrings is json.Unmarshal into []string for an array of plain
// strings; ok is false for anything else (null elements included, which
// encoding/json turns into "").
func plainStrings(r []byte) ([]string, bool) {
	rs, ok := splitArray(r)
	if !ok {
		return nil, false
	}
	out := make([]string, len(rs))
	for i, x := range rs {
		if out[i], ok = plainString(x); !ok {
			return nil, false
		}
	}
	return out, true
}

// known reports whether name is one of the type's data fields.
func (t *TypeSpec) known(name string) bool {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return true
		}
	}
	return false
}
