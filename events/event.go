package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one validated event in canonical form: the shape that travels on
// Kafka after ingest. It carries a pseudonym, never a direct identifier.
// Data holds each known field as int64, float64, bool, string, []int64 or
// []string, and unknown fields as json.RawMessage, kept verbatim.
type Event struct {
	EventID    string         `json:"event_id"`
	Type       string         `json:"type"`
	Schema     int            `json:"schema"`
	OccurredAt time.Time      `json:"occurred_at"`
	RecordedAt time.Time      `json:"recorded_at"`
	Source     string         `json:"source"`
	Service    string         `json:"service"`
	Person     string         `json:"person,omitempty"`
	ReferralID string         `json:"referral_id,omitempty"`
	Data       map[string]any `json:"data"`
}

// Spec returns the event's type definition. It is non-nil for any event
// returned by Decode.
func (e *Event) Spec() *TypeSpec { return Lookup(e.Type) }

// Family is the topic family the event is routed to. Corrections go to the
// family named in data.family, by default referrals.
func (e *Event) Family() Family {
	spec := e.Spec()
	if spec == nil {
		return DeadLetter
	}
	if spec.IsCorrection() {
		if f, ok := e.Data["family"].(string); ok {
			return Family(f)
		}
		return Referrals
	}
	return spec.Family
}

// Error codes group dead-lettered input in run summaries.
const (
	CodeInvalidJSON   = "invalid_json"
	CodeMissing       = "missing_field"
	CodeBadType       = "wrong_type"
	CodeBadValue      = "bad_value"
	CodeOutOfRange    = "out_of_range"
	CodeUnknownType   = "unknown_type"
	CodeBadNHSNumber  = "bad_nhs_number"
	CodeIdentifier    = "direct_identifier"
	CodeInconsistency = "inconsistent"
)

// FieldError says which field of an event is wrong, with what value, and why.
type FieldError struct {
	Field string // dotted path, e.g. "data.items[3]"
	Value string // the offending value, empty when absent; never a direct identifier
	Why   string
	Code  string // one of the Code constants; empty means CodeBadValue
}

func (e *FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s = %s: %s", e.Field, e.Value, e.Why)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Why)
}

// Reason is the error's code, for summaries.
func (e *FieldError) Reason() string {
	if e.Code == "" {
		return CodeBadValue
	}
	return e.Code
}

// ReasonCode returns the summary code of any decoding error.
func ReasonCode(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Reason()
	}
	return CodeInvalidJSON
}

// DecodeOptions say what a decoder may do beyond validation.
type DecodeOptions struct {
	// Pseudonymiser replaces nhs_number and local_id by a pseudonym. When nil,
	// an event carrying a direct identifier is rejected: past ingest, none may
	// appear.
	Pseudonymiser *Pseudonymiser
	// Now stamps recorded_at when the source did not; default time.Now.
	Now func() time.Time
}

// Decode parses and validates one event (one NDJSON line), applying the
// contract of EVENTS.md. Errors are *FieldError except for malformed JSON.
// Decode keeps no reference to line; the event's strings usually share one
// copy of it.
func Decode(line []byte, opt DecodeOptions) (Event, error) {
	return decode(line, opt, nil)
}

// DecodeAppend is Decode, then AppendJSON of the event onto dst (the same
// bytes), for a caller that wants both: the data object is written from
// the values as Decode found them, field by field in the order of their
// names, rather than by walking and sorting the map. An event that cannot
// be encoded (which Decode's checks leave no way to reach) is a
// *FieldError. dst is returned unchanged with an error.
func DecodeAppend(dst, line []byte, opt DecodeOptions) (Event, []byte, error) {
	return decodeAppend(dst, line, opt, false)
}

// DecodeAppendNoData is DecodeAppend for a producer, which needs of the
// event only its canonical JSON, id, person and family: Data is left nil
// where the JSON is written without it (a type that is no correction,
// with no Check or outcome.recorded's, which reads the values, and whose
// data object held only the type's fields), so that no map is built. The
// JSON, the error and the rest of the event are DecodeAppend's; Family()
// too.
func DecodeAppendNoData(dst, line []byte, opt DecodeOptions) (Event, []byte, error) {
	return decodeAppend(dst, line, opt, true)
}

func decodeAppend(dst, line []byte, opt DecodeOptions, noMap bool) (Event, []byte, error) {
	vals := dataValues{noMap: noMap}
	ev, err := decode(line, opt, &vals)
	if err != nil {
		return ev, dst, err
	}
	out, err := appendEvent(dst, &ev, &vals)
	if err != nil {
		return ev, dst, &FieldError{Field: "event", Why: "cannot be encoded: " + err.Error(), Code: CodeBadValue}
	}
	return ev, out, nil
}

// decode is Decode; vals, when not nil, is also given Data's values by
// field (see dataValues).
func decode(line []byte, opt DecodeOptions, vals *dataValues) (Event, error) {
	var ev Event
	var env envelope
	if !env.scan(line) { // see fastjson.go
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(line, &raw); err != nil {
			return ev, fmt.Errorf("not a JSON object: %w", err)
		}
		if raw == nil {
			return ev, &FieldError{Field: "event", Why: "is null, want a JSON object", Code: CodeInvalidJSON}
		}
		env.fill(raw)
	}
	var err error
	if ev.EventID, err = env.str(envEventID, true, 64); err != nil {
		return ev, err
	}
	if ev.Type, err = env.str(envType, true, 64); err != nil {
		return ev, err
	}
	spec := Lookup(ev.Type)
	if spec == nil {
		return ev, &FieldError{Field: "type", Value: quote(ev.Type), Why: "unknown event type; known: " + strings.Join(TypeNames(), ", "), Code: CodeUnknownType}
	}
	ev.Type = spec.Name // the same string, not one that keeps the line
	ev.Schema = 1
	if r := env[envSchema]; r.present() && !isNull(r.b) {
		n, err := r.number()
		if err != nil {
			return ev, &FieldError{Field: "schema", Value: clip(string(r.b)), Why: "want an integer >= 1", Code: CodeBadType}
		}
		v, err := n.Int64()
		if err != nil || v < 1 || v > 1000 {
			return ev, &FieldError{Field: "schema", Value: n.String(), Why: "want an integer >= 1", Code: CodeOutOfRange}
		}
		if v != 1 {
			return ev, &FieldError{Field: "schema", Value: n.String(), Why: "only version 1 of " + ev.Type + " is known", Code: CodeOutOfRange}
		}
		ev.Schema = int(v)
	}
	if ev.OccurredAt, err = env.timestamp(envOccurredAt, true); err != nil {
		return ev, err
	}
	if ev.RecordedAt, err = env.timestamp(envRecordedAt, false); err != nil {
		return ev, err
	}
	if ev.RecordedAt.IsZero() {
		now := time.Now
		if opt.Now != nil {
			now = opt.Now
		}
		ev.RecordedAt = now().UTC().Truncate(time.Microsecond)
	}
	if ev.Source, err = env.str(envSource, true, 128); err != nil {
		return ev, err
	}
	if ev.Service, err = env.str(envService, true, 128); err != nil {
		return ev, err
	}
	if ev.ReferralID, err = env.str(envReferralID, spec.NeedsReferral, 128); err != nil {
		return ev, err
	}
	if err := decodePerson(&ev, spec, &env, opt.Pseudonymiser); err != nil {
		return ev, err
	}
	if err := decodeData(&ev, spec, env[envData], vals); err != nil {
		return ev, err
	}
	if dob := env[envDateOfBirth]; dob.present() && !isNull(dob.b) {
		if opt.Pseudonymiser == nil {
			return ev, &FieldError{Field: "date_of_birth", Why: "a direct identifier; only ingest may receive it", Code: CodeIdentifier}
		}
		d, _, err := dateField(dob, "date_of_birth")
		if err != nil {
			return ev, err
		}
		if spec.Name == "referral.received" {
			band, err := AgeBand(d, ev.OccurredAt)
			if err != nil {
				return ev, err
			}
			v := ageBandValue(band)
			if ev.Data != nil {
				ev.Data["age_band"] = v
			}
			vals.set(spec, spec.ageBand, v)
		}
	}
	return ev, nil
}

// ageBandValue is band as an interface value, boxed once.
func ageBandValue(band string) any {
	for i, b := range AgeBands {
		if b == band {
			return boxedAgeBands[i]
		}
	}
	return band
}

var boxedAgeBands = box(AgeBands)

func decodePerson(ev *Event, spec *TypeSpec, env *envelope, p *Pseudonymiser) error {
	person, err := env.str(envPerson, false, 64)
	if err != nil {
		return err
	}
	nhs, err := env.str(envNHSNumber, false, 32)
	if err != nil {
		return &FieldError{Field: "nhs_number", Why: "want a string of 10 digits", Code: CodeBadType}
	}
	local, err := env.str(envLocalID, false, 128)
	if err != nil {
		return err
	}
	if (nhs != "" || local != "") && p == nil {
		return &FieldError{Field: "nhs_number/local_id", Why: "a direct identifier; only ingest may receive it", Code: CodeIdentifier}
	}
	switch {
	case nhs != "":
		digits, err := nhsDigits(nhs)
		if err != nil {
			return err
		}
		ev.Person = p.pseudonym("nhs", "", string(digits[:]))
	case local != "":
		ev.Person = p.pseudonym("local:", ev.Source, local)
	case person != "":
		ev.Person = person
	}
	if ev.Person == "" && (spec.NeedsReferral || spec.Name == "person.erased") {
		return &FieldError{Field: "person", Why: "one of person, nhs_number or local_id is required", Code: CodeMissing}
	}
	return nil
}

func decodeData(ev *Event, spec *TypeSpec, raw rawValue, vals *dataValues) error {
	if !raw.present() || isNull(raw.b) {
		return &FieldError{Field: "data", Why: "required", Code: CodeMissing}
	}
	var buf [16]rawValue
	known := buf[:0]
	if n := len(spec.Fields); n <= len(buf) {
		known = buf[:n]
	} else {
		known = make([]rawValue, n)
	}
	extra, fast := scanData(spec, raw, known) // see fastjson.go
	if !fast {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw.b, &fields); err != nil {
			return &FieldError{Field: "data", Value: clip(string(raw.b)), Why: "want a JSON object", Code: CodeBadType}
		}
		extra = fillData(spec, fields, known)
	}
	size := len(extra)
	for i := range known {
		if known[i].present() {
			size++
		}
	}
	var data map[string]any
	if vals.needMap(spec, extra) {
		data = make(map[string]any, size)
	} else {
		vals.spec = spec // written from vals, even with no field present
	}
	for i := range spec.Fields {
		f := &spec.Fields[i]
		r := &known[i]
		if !r.present() || isNull(r.b) {
			if f.Required {
				return &FieldError{Field: "data." + f.Name, Why: "required for " + spec.Name, Code: CodeMissing}
			}
			continue
		}
		v, err := decodeField(f, *r)
		if err != nil {
			return err
		}
		if data != nil {
			data[f.Name] = v
		}
		vals.set(spec, i, v)
	}
	if len(extra) > 0 {
		vals.set(spec, -1, nil) // unknown members: AppendJSON's way
	}
	for _, m := range extra {
		// Unknown fields are kept, not rejected; copied, as the fast
		// path's values share the caller's line.
		data[m.key] = append(json.RawMessage(nil), m.value.b...)
	}
	switch {
	case spec.Check != nil && data == nil: // no map: see needMap
		if err := checkOutcomeValues(spec, vals); err != nil {
			return err
		}
	case spec.Check != nil:
		if err := spec.Check(data); err != nil {
			return err
		}
		vals.set(spec, -1, nil) // Check may change data: the map's way
	}
	ev.Data = data
	return nil
}

func decodeField(f *Field, r rawValue) (any, error) {
	bad := func(want string) error {
		return &FieldError{Field: "data." + f.Name, Value: clip(string(r.b)), Why: "want " + want, Code: CodeBadType}
	}
	switch f.Kind {
	case KindString, KindEnum:
		s, ok := r.string()
		if !ok {
			return nil, bad("a string")
		}
		if f.Kind == KindEnum {
			for i, v := range f.Values {
				if s == v {
					return f.value(i), nil
				}
			}
			return nil, &FieldError{Field: "data." + f.Name, Value: quote(s), Why: "not one of " + strings.Join(f.Values, ", "), Code: CodeBadValue}
		}
		if f.MaxLen > 0 && len(s) > f.MaxLen && utf8.RuneCountInString(s) > f.MaxLen {
			return nil, &FieldError{Field: "data." + f.Name, Value: fmt.Sprintf("(%d characters)", utf8.RuneCountInString(s)), Why: fmt.Sprintf("longer than %d characters", f.MaxLen), Code: CodeOutOfRange}
		}
		return s, nil
	case KindBool:
		if !slowOnly {
			switch string(r.b) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		var b bool
		if json.Unmarshal(r.b, &b) != nil {
			return nil, bad("true or false")
		}
		return b, nil
	case KindInt:
		v, err := intValue(r)
		if err != nil {
			return nil, bad("an integer")
		}
		if f.Max > f.Min && (v < f.Min || v > f.Max) {
			return nil, &FieldError{Field: "data." + f.Name, Value: fmt.Sprint(v), Why: fmt.Sprintf("out of range %d-%d", f.Min, f.Max), Code: CodeOutOfRange}
		}
		return v, nil
	case KindNumber:
		n, err := r.number()
		if err != nil {
			return nil, bad("a number")
		}
		v, err := n.Float64()
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, bad("a finite number")
		}
		return v, nil
	case KindDate:
		_, text, err := dateField(r, "data."+f.Name)
		if err != nil {
			return nil, err
		}
		return text, nil
	case KindIntList:
		var buf [32]rawValue
		elems, ok := r.elements(buf[:0])
		if !ok {
			return nil, bad("an array of integers")
		}
		out := make([]int64, len(elems))
		for i, x := range elems {
			v, err := intValue(x)
			if err != nil {
				return nil, &FieldError{Field: fmt.Sprintf("data.%s[%d]", f.Name, i), Value: clip(string(x.b)), Why: "want an integer", Code: CodeBadType}
			}
			out[i] = v
		}
		return out, nil
	case KindStringList:
		var buf [32]rawValue
		elems, ok := r.scanElements(buf[:0])
		var out []string
		if ok {
			out = make([]string, len(elems))
			for i, x := range elems {
				if out[i], ok = x.plainString(); !ok {
					break
				}
			}
		}
		if !ok {
			// Anything but plain strings (escapes, null, which becomes
			// "") is encoding/json's to decide.
			out = nil
			if json.Unmarshal(r.b, &out) != nil {
				return nil, bad("an array of strings")
			}
		}
		if out == nil {
			out = []string{}
		}
		return out, nil
	}
	return nil, fmt.Errorf("field data.%s: unhandled kind %v", f.Name, f.Kind)
}

func intValue(r rawValue) (int64, error) {
	if v, ok := smallInt(r.b); ok {
		return v, nil
	}
	n, err := r.number()
	if err != nil {
		return 0, err
	}
	if v, err := n.Int64(); err == nil {
		return v, nil
	}
	// Accept 3.0 but not 3.5.
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("not an integer")
	}
	return int64(f), nil
}

// str is the envelope's string member i, checked.
func (e *envelope) str(i int, required bool, max int) (string, error) {
	key := envelopeNames[i]
	r := &e[i]
	if !r.present() || isNull(r.b) {
		if required {
			return "", &FieldError{Field: key, Why: "required", Code: CodeMissing}
		}
		return "", nil
	}
	s, ok := r.string()
	if !ok {
		value := clip(string(r.b))
		if i == envNHSNumber || i == envLocalID {
			value = ""
		}
		return "", &FieldError{Field: key, Value: value, Why: "want a string", Code: CodeBadType}
	}
	if required && s == "" {
		return "", &FieldError{Field: key, Why: "must not be empty", Code: CodeMissing}
	}
	if len(s) > max && utf8.RuneCountInString(s) > max {
		return "", &FieldError{Field: key, Why: fmt.Sprintf("longer than %d characters", max), Code: CodeOutOfRange}
	}
	return s, nil
}

// timestamp is the envelope's time member i, checked, in UTC.
func (e *envelope) timestamp(i int, required bool) (time.Time, error) {
	if r := e[i].b; len(r) >= 2 && r[0] == '"' && r[len(r)-1] == '"' {
		if t, ok := parseTimestamp(r[1 : len(r)-1]); ok {
			return t, nil
		}
	}
	s, err := e.str(i, required, 64)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	key := envelopeNames[i]
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FieldError{Field: key, Value: quote(s), Why: "want an RFC 3339 timestamp with offset, e.g. 2024-05-01T09:30:00+01:00", Code: CodeBadValue}
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, &FieldError{Field: key, Value: quote(s), Why: "year out of range 1900-2200", Code: CodeOutOfRange}
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// parseTimestamp is timestamp's fast path: for s (a JSON string's bytes,
// unquoted) of the exact form 2006-01-02T15:04:05, then a fraction of one
// to nine digits or none, then Z or an offset ±hh:mm, with every field in
// range and a year of 1900-2200, it returns what timestamp would:
// time.Parse(time.RFC3339Nano, s) in UTC, truncated to the microsecond.
// time.Parse spent most of timestamp's time finding the offset's zone
// (Local or a new FixedZone) and the calendar fields that Decode then
// threw away. Anything else (escapes, leap seconds, a tenth fraction
// digit, lower-case z, another year) is declined, for time.Parse to
// decide with its own verdict. TestParseTimestamp and FuzzParseTimestamp
// hold it to time.Parse.
func parseTimestamp(s []byte) (t time.Time, ok bool) {
	if slowOnly || len(s) < 20 || len(s) > 35 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return t, false
	}
	y1, ok1 := twoDigits(s, 0)
	y2, ok2 := twoDigits(s, 2)
	mo, ok3 := twoDigits(s, 5)
	d, ok4 := twoDigits(s, 8)
	h, ok5 := twoDigits(s, 11)
	mi, ok6 := twoDigits(s, 14)
	sec, ok7 := twoDigits(s, 17)
	y := y1*100 + y2
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || y < 1900 || y > 2200 ||
		mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) || h > 23 || mi > 59 || sec > 59 {
		return t, false
	}
	rest := s[19:]
	ns := 0
	if rest[0] == '.' {
		n := 1
		for ; n < len(rest) && rest[n] >= '0' && rest[n] <= '9'; n++ {
			ns = ns*10 + int(rest[n]-'0')
		}
		if n == 1 || n > 10 {
			return t, false // no digit (not RFC 3339's fraction) or more than nine
		}
		for range 10 - n {
			ns *= 10
		}
		rest = rest[n:]
	}
	off := 0
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := twoDigits(rest, 1)
		om, okm := twoDigits(rest, 4)
		if !okh || !okm || oh > 23 || om > 59 {
			return t, false
		}
		off = oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return t, false
	}
	unix := int64(daysSinceEpoch(y, mo, d))*86400 + int64(h*3600+mi*60+sec-off)
	return time.Unix(unix, int64(ns-ns%1000)).UTC(), true
}

// twoDigits is the number s[i:i+2] holds, if both are decimal digits.
func twoDigits(s []byte, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

// daysSinceEpoch is the number of days from 1970-01-01 to the proleptic
// Gregorian date y-m-d (y >= 0), after Howard Hinnant's days_from_civil.
func daysSinceEpoch(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateField is the date r holds, checked, and its text in canonical form.
func dateField(r rawValue, name string) (time.Time, string, error) {
	s, ok := r.string()
	if !ok {
		return time.Time{}, "", &FieldError{Field: name, Why: "want a date YYYY-MM-DD", Code: CodeBadType}
	}
	d, plain := parsePlainDate(s)
	var err error
	if !plain {
		d, err = time.Parse(time.DateOnly, s)
	}
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		v := quote(s)
		if name == "date_of_birth" {
			v = ""
		}
		return time.Time{}, "", &FieldError{Field: name, Value: v, Why: "want a date YYYY-MM-DD", Code: CodeBadValue}
	}
	if !plain {
		s = d.Format(time.DateOnly)
	}
	return d, s, nil
}

// parsePlainDate is time.Parse(time.DateOnly, s) for s of the form
// 2006-01-02 and a day that exists, which time.Parse reads through its
// general layout walk; ok is false for anything else. A date it reads
// formats back to s, which dateField relies on. TestParsePlainDate and
// FuzzParsePlainDate hold it to time.Parse.
func parsePlainDate(s string) (d time.Time, ok bool) {
	if slowOnly || len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return d, false
	}
	y, m, day := 0, 0, 0
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return d, false
		}
		switch {
		case i < 4:
			y = y*10 + int(c-'0')
		case i < 7:
			m = m*10 + int(c-'0')
		default:
			day = day*10 + int(c-'0')
		}
	}
	if m < 1 || m > 12 || day < 1 || day > daysIn(time.Month(m), y) {
		return d, false
	}
	return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), true
}

func daysIn(m time.Month, y int) int {
	if m == time.February {
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
}

func isNull(r []byte) bool {
	if len(r) > 0 && r[0] > ' ' && r[0] < 0x80 && r[0] != 'n' {
		return false // what TrimSpace leaves starts with r[0]
	}
	return string(bytes.TrimSpace(r)) == "null"
}

func quote(s string) string { return clip(fmt.Sprintf("%q", s)) }

// clip keeps error messages short whatever the input.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
