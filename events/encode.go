package events

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AppendJSON appends the canonical JSON of ev, byte for byte what
// json.Marshal(ev) writes, and returns the extended buffer. Ingest encodes
// every event it produces; json.Marshal spent a fifth of ingest's time in
// reflection and in sorting Data's keys, and its garbage fed the collector.
//
// The common shapes (ASCII strings needing no escape, int64, finite float64,
// bool, the list kinds) are written here; anything else (escapes, non-ASCII
// text, unknown fields kept as json.RawMessage) is handed to json.Marshal,
// so the output never differs. TestAppendJSONMatchesMarshal and
// FuzzDecode (which checks it on every valid fuzzed event) hold it to that.
func AppendJSON(dst []byte, ev *Event) ([]byte, error) {
	return appendEvent(dst, ev, nil)
}

// appendEvent is AppendJSON; vals, when it holds Data's values by field,
// writes the data object from them.
func appendEvent(dst []byte, ev *Event, vals *dataValues) ([]byte, error) {
	dst = append(dst, `{"event_id":`...)
	dst = appendJSONString(dst, ev.EventID)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, ev.Type)
	dst = append(dst, `,"schema":`...)
	dst = strconv.AppendInt(dst, int64(ev.Schema), 10)
	var err error
	dst = append(dst, `,"occurred_at":`...)
	if dst, err = appendJSONTime(dst, ev.OccurredAt); err != nil {
		return dst, err
	}
	dst = append(dst, `,"recorded_at":`...)
	if dst, err = appendJSONTime(dst, ev.RecordedAt); err != nil {
		return dst, err
	}
	dst = append(dst, `,"source":`...)
	dst = appendJSONString(dst, ev.Source)
	dst = append(dst, `,"service":`...)
	dst = appendJSONString(dst, ev.Service)
	if ev.Person != "" {
		dst = append(dst, `,"person":`...)
		dst = appendJSONString(dst, ev.Person)
	}
	if ev.ReferralID != "" {
		dst = append(dst, `,"referral_id":`...)
		dst = appendJSONString(dst, ev.ReferralID)
	}
	dst = append(dst, `,"data":`...)
	if ev.Data == nil && vals != nil && vals.noMap && !vals.usable() {
		return dst, errors.New("data: neither a map nor its values") // never: see needMap
	}
	if vals.usable() && (ev.Data != nil || vals.noMap) {
		dst, err = vals.appendJSON(dst)
	} else {
		dst, err = appendJSONData(dst, ev.Data)
	}
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// dataValues is an event's Data as decodeData found it: each of the
// type's fields present with its value, by the field's index. When Data
// holds anything else (unknown members, a field beyond the arrays) it is
// broken, and the map is encoded as AppendJSON does.
type dataValues struct {
	spec   *TypeSpec
	broken bool
	noMap  bool // asked to do without Data's map where it can (see needMap)
	has    [16]bool
	v      [16]any
}

// needMap reports whether decodeData must build Data's map: always, but for
// DecodeAppendNoData when the values say all there is (no unknown members
// in extra, no Check but one that reads the values, no correction, whose
// family is read from the map, and fields that fit).
func (d *dataValues) needMap(spec *TypeSpec, extra []member) bool {
	return d == nil || !d.noMap || len(extra) > 0 || (spec.Check != nil && !spec.checksValues()) || spec.IsCorrection() ||
		spec.sortedFields == nil || len(spec.Fields) > len(d.v)
}

// set records that Data[spec.Fields[i].Name] is v; i < 0 says Data holds
// something else. A nil d does nothing.
func (d *dataValues) set(spec *TypeSpec, i int, v any) {
	if d == nil || d.broken {
		return
	}
	if i < 0 || i >= len(d.v) || spec.sortedFields == nil {
		d.broken = true
		return
	}
	d.spec = spec
	d.has[i], d.v[i] = true, v
}

// usable reports whether d holds all of Data.
func (d *dataValues) usable() bool { return d != nil && !d.broken && d.spec != nil }

// appendJSON writes the data object as appendJSONData writes the map:
// members in the order of their keys, each key as json.Marshal writes it.
func (d *dataValues) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	for _, i := range d.spec.sortedFields {
		if !d.has[i] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, d.spec.Fields[i].jsonKey...)
		var err error
		if dst, err = appendJSONValue(dst, d.v[i]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendJSONData writes Data with its keys sorted, as json.Marshal does.
func appendJSONData(dst []byte, data map[string]any) ([]byte, error) {
	if data == nil {
		return append(dst, "null"...), nil
	}
	// Members taken out in one pass and sorted, rather than keys sorted
	// and each looked up again.
	var buf [16]dataMember
	members := buf[:0]
	for k, v := range data {
		members = append(members, dataMember{k, v})
	}
	if len(members) <= 12 { // the usual few: insertion sort, no calls
		for i := 1; i < len(members); i++ {
			for j := i; j > 0 && members[j].key < members[j-1].key; j-- {
				members[j], members[j-1] = members[j-1], members[j]
			}
		}
	} else {
		slices.SortFunc(members, func(a, b dataMember) int { return strings.Compare(a.key, b.key) })
	}
	dst = append(dst, '{')
	for i := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, members[i].key)
		dst = append(dst, ':')
		var err error
		if dst, err = appendJSONValue(dst, members[i].value); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

type dataMember struct {
	key   string
	value any
}

func appendJSONValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendJSONString(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendJSONFloat(dst, x), nil
		}
	case []int64:
		if x != nil {
			dst = append(dst, '[')
			for i, n := range x {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendInt(dst, n, 10)
			}
			return append(dst, ']'), nil
		}
	case []string:
		if x != nil {
			dst = append(dst, '[')
			for i, s := range x {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, s)
			}
			return append(dst, ']'), nil
		}
	}
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

// AppendJSONString appends s as a JSON string, exactly as json.Marshal
// writes it.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// appendJSONString writes s quoted. Printable ASCII other than the
// characters json.Marshal escapes (" \ < > &) is copied; any other string
// is left to json.Marshal, with its escapes and its handling of invalid
// UTF-8.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// plainJSON says which bytes appendJSONString copies: one look-up a byte
// rather than seven comparisons.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONFloat is encoding/json's float64 encoder (ES6 number to
// string): %f, or %e outside [1e-6, 1e21) with the exponent unpadded.
func appendJSONFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendJSONTime writes t as time.Time's MarshalJSON does (Decode's times
// are UTC; any other zone is left to MarshalJSON).
func appendJSONTime(dst []byte, t time.Time) ([]byte, error) {
	if t.Location() == time.UTC {
		if y, mo, d := t.Date(); y >= 0 && y <= 9999 {
			// t.AppendFormat(dst, time.RFC3339Nano), without reading the
			// layout: a fifth of AppendJSON's time went there.
			h, mi, sec := t.Clock()
			dst = append(dst, '"')
			dst = appendDigits(dst, y, 4)
			dst = append(dst, '-')
			dst = appendDigits(dst, int(mo), 2)
			dst = append(dst, '-')
			dst = appendDigits(dst, d, 2)
			dst = append(dst, 'T')
			dst = appendDigits(dst, h, 2)
			dst = append(dst, ':')
			dst = appendDigits(dst, mi, 2)
			dst = append(dst, ':')
			dst = appendDigits(dst, sec, 2)
			if ns := t.Nanosecond(); ns != 0 { // trailing zeros dropped
				digits := 9
				for ns%10 == 0 {
					ns /= 10
					digits--
				}
				dst = append(dst, '.')
				dst = appendDigits(dst, ns, digits)
			}
			return append(dst, 'Z', '"'), nil
		}
	}
	b, err := t.MarshalJSON()
	return append(dst, b...), err
}

// appendDigits writes v (0 <= v < 10^width) in exactly width digits.
func appendDigits(dst []byte, v, width int) []byte {
	n := len(dst) + width
	dst = append(dst, "000000000"[:width]...)
	for i := n - 1; v > 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}
