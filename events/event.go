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

// envelopeKeys are the envelope fields; anything else at the top level is
// ignored (and so never travels on).
var envelopeKeys = map[string]bool{
	"event_id": true, "type": true, "schema": true, "occurred_at": true, "recorded_at": true,
	"source": true, "service": true, "person": true, "nhs_number": true, "local_id": true,
	"date_of_birth": true, "referral_id": true, "data": true,
}

// Decode parses and validates one event (one NDJSON line), applying the
// contract of EVENTS.md. Errors are *FieldError except for malformed JSON.
func Decode(line []byte, opt DecodeOptions) (Event, error) {
	var ev Event
	raw, fast, release := pooledObject(line, envelopeKey) // see fastjson.go
	defer release()
	if !fast {
		raw = nil
		if err := json.Unmarshal(line, &raw); err != nil {
			return ev, fmt.Errorf("not a JSON object: %w", err)
		}
	}
	if raw == nil {
		return ev, &FieldError{Field: "event", Why: "is null, want a JSON object", Code: CodeInvalidJSON}
	}
	var err error
	if ev.EventID, err = str(raw, "event_id", true, 64); err != nil {
		return ev, err
	}
	if ev.Type, err = str(raw, "type", true, 64); err != nil {
		return ev, err
	}
	spec := Lookup(ev.Type)
	if spec == nil {
		return ev, &FieldError{Field: "type", Value: quote(ev.Type), Why: "unknown event type; known: " + strings.Join(TypeNames(), ", "), Code: CodeUnknownType}
	}
	ev.Schema = 1
	if r, ok := raw["schema"]; ok && !isNull(r) {
		var n json.Number
		if err := unmarshalNumber(r, &n); err != nil {
			return ev, &FieldError{Field: "schema", Value: clip(string(r)), Why: "want an integer >= 1", Code: CodeBadType}
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
	if ev.OccurredAt, err = timestamp(raw, "occurred_at", true); err != nil {
		return ev, err
	}
	if ev.RecordedAt, err = timestamp(raw, "recorded_at", false); err != nil {
		return ev, err
	}
	if ev.RecordedAt.IsZero() {
		now := time.Now
		if opt.Now != nil {
			now = opt.Now
		}
		ev.RecordedAt = now().UTC().Truncate(time.Microsecond)
	}
	if ev.Source, err = str(raw, "source", true, 128); err != nil {
		return ev, err
	}
	if ev.Service, err = str(raw, "service", true, 128); err != nil {
		return ev, err
	}
	if ev.ReferralID, err = str(raw, "referral_id", spec.NeedsReferral, 128); err != nil {
		return ev, err
	}
	if err := decodePerson(&ev, raw, opt.Pseudonymiser); err != nil {
		return ev, err
	}
	if err := decodeData(&ev, spec, raw["data"]); err != nil {
		return ev, err
	}
	if dob, ok := raw["date_of_birth"]; ok && !isNull(dob) {
		if opt.Pseudonymiser == nil {
			return ev, &FieldError{Field: "date_of_birth", Why: "a direct identifier; only ingest may receive it", Code: CodeIdentifier}
		}
		d, err := dateField(dob, "date_of_birth")
		if err != nil {
			return ev, err
		}
		if spec.Name == "referral.received" {
			band, err := AgeBand(d, ev.OccurredAt)
			if err != nil {
				return ev, err
			}
			ev.Data["age_band"] = band
		}
	}
	return ev, nil
}

func decodePerson(ev *Event, raw map[string]json.RawMessage, p *Pseudonymiser) error {
	person, err := str(raw, "person", false, 64)
	if err != nil {
		return err
	}
	nhs, err := str(raw, "nhs_number", false, 32)
	if err != nil {
		return &FieldError{Field: "nhs_number", Why: "want a string of 10 digits", Code: CodeBadType}
	}
	local, err := str(raw, "local_id", false, 128)
	if err != nil {
		return err
	}
	if (nhs != "" || local != "") && p == nil {
		return &FieldError{Field: "nhs_number/local_id", Why: "a direct identifier; only ingest may receive it", Code: CodeIdentifier}
	}
	switch {
	case nhs != "":
		digits, err := NormaliseNHSNumber(nhs)
		if err != nil {
			return err
		}
		ev.Person = p.Person("nhs", digits)
	case local != "":
		ev.Person = p.Person("local:"+ev.Source, local)
	case person != "":
		ev.Person = person
	}
	spec := Lookup(ev.Type)
	if ev.Person == "" && (spec.NeedsReferral || spec.Name == "person.erased") {
		return &FieldError{Field: "person", Why: "one of person, nhs_number or local_id is required", Code: CodeMissing}
	}
	return nil
}

func decodeData(ev *Event, spec *TypeSpec, raw json.RawMessage) error {
	if raw == nil || isNull(raw) {
		return &FieldError{Field: "data", Why: "required", Code: CodeMissing}
	}
	fields, fast, release := pooledObject(raw, fieldKey)
	defer release()
	if !fast {
		fields = nil
		if err := json.Unmarshal(raw, &fields); err != nil {
			return &FieldError{Field: "data", Value: clip(string(raw)), Why: "want a JSON object", Code: CodeBadType}
		}
	}
	data := make(map[string]any, len(fields))
	for i := range spec.Fields {
		f := &spec.Fields[i]
		r, ok := fields[f.Name]
		if !ok || isNull(r) {
			if f.Required {
				return &FieldError{Field: "data." + f.Name, Why: "required for " + spec.Name, Code: CodeMissing}
			}
			continue
		}
		v, err := decodeField(f, r)
		if err != nil {
			return err
		}
		data[f.Name] = v
	}
	for k, r := range fields {
		if !spec.known(k) {
			// Unknown fields are kept, not rejected; copied, as the fast
			// path's values share the caller's line.
			data[k] = append(json.RawMessage(nil), r...)
		}
	}
	if spec.Check != nil {
		if err := spec.Check(data); err != nil {
			return err
		}
	}
	ev.Data = data
	return nil
}

func decodeField(f *Field, r json.RawMessage) (any, error) {
	name := "data." + f.Name
	bad := func(want string) error {
		return &FieldError{Field: name, Value: clip(string(r)), Why: "want " + want, Code: CodeBadType}
	}
	switch f.Kind {
	case KindString, KindEnum:
		s, ok := unmarshalString(r)
		if !ok {
			return nil, bad("a string")
		}
		if f.Kind == KindEnum {
			for _, v := range f.Values {
				if s == v {
					return s, nil
				}
			}
			return nil, &FieldError{Field: name, Value: quote(s), Why: "not one of " + strings.Join(f.Values, ", "), Code: CodeBadValue}
		}
		if f.MaxLen > 0 && utf8.RuneCountInString(s) > f.MaxLen {
			return nil, &FieldError{Field: name, Value: fmt.Sprintf("(%d characters)", utf8.RuneCountInString(s)), Why: fmt.Sprintf("longer than %d characters", f.MaxLen), Code: CodeOutOfRange}
		}
		return s, nil
	case KindBool:
		if !slowOnly {
			switch string(r) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		var b bool
		if json.Unmarshal(r, &b) != nil {
			return nil, bad("true or false")
		}
		return b, nil
	case KindInt:
		v, err := intValue(r)
		if err != nil {
			return nil, bad("an integer")
		}
		if f.Max > f.Min && (v < f.Min || v > f.Max) {
			return nil, &FieldError{Field: name, Value: fmt.Sprint(v), Why: fmt.Sprintf("out of range %d-%d", f.Min, f.Max), Code: CodeOutOfRange}
		}
		return v, nil
	case KindNumber:
		var n json.Number
		if unmarshalNumber(r, &n) != nil {
			return nil, bad("a number")
		}
		v, err := n.Float64()
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, bad("a finite number")
		}
		return v, nil
	case KindDate:
		d, err := dateField(r, name)
		if err != nil {
			return nil, err
		}
		return d.Format(time.DateOnly), nil
	case KindIntList:
		rs, ok := splitArray(r)
		if !ok && json.Unmarshal(r, &rs) != nil {
			return nil, bad("an array of integers")
		}
		out := make([]int64, len(rs))
		for i, x := range rs {
			v, err := intValue(x)
			if err != nil {
				return nil, &FieldError{Field: fmt.Sprintf("%s[%d]", name, i), Value: clip(string(x)), Why: "want an integer", Code: CodeBadType}
			}
			out[i] = v
		}
		return out, nil
	case KindStringList:
		out, ok := plainStrings(r)
		if !ok && json.Unmarshal(r, &out) != nil {
			return nil, bad("an array of strings")
		}
		if out == nil {
			out = []string{}
		}
		return out, nil
	}
	return nil, fmt.Errorf("field %s: unhandled kind %v", name, f.Kind)
}

func intValue(r json.RawMessage) (int64, error) {
	var n json.Number
	if err := unmarshalNumber(r, &n); err != nil {
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

func unmarshalNumber(r json.RawMessage, n *json.Number) error {
	r = bytes.TrimSpace(r)
	if len(r) == 0 || r[0] == '"' {
		return errors.New("not a number")
	}
	if isNumberLit(r) && validNumber(r) {
		*n = json.Number(r)
		return nil
	}
	return json.Unmarshal(r, n)
}

func str(raw map[string]json.RawMessage, key string, required bool, max int) (string, error) {
	r, ok := raw[key]
	if !ok || isNull(r) {
		if required {
			return "", &FieldError{Field: key, Why: "required", Code: CodeMissing}
		}
		return "", nil
	}
	s, ok := unmarshalString(r)
	if !ok {
		value := clip(string(r))
		if key == "nhs_number" || key == "local_id" {
			value = ""
		}
		return "", &FieldError{Field: key, Value: value, Why: "want a string", Code: CodeBadType}
	}
	if required && s == "" {
		return "", &FieldError{Field: key, Why: "must not be empty", Code: CodeMissing}
	}
	if utf8.RuneCountInString(s) > max {
		return "", &FieldError{Field: key, Why: fmt.Sprintf("longer than %d characters", max), Code: CodeOutOfRange}
	}
	return s, nil
}

func timestamp(raw map[string]json.RawMessage, key string, required bool) (time.Time, error) {
	s, err := str(raw, key, required, 64)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FieldError{Field: key, Value: quote(s), Why: "want an RFC 3339 timestamp with offset, e.g. 2024-05-01T09:30:00+01:00", Code: CodeBadValue}
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, &FieldError{Field: key, Value: quote(s), Why: "year out of range 1900-2200", Code: CodeOutOfRange}
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

func dateField(r json.RawMessage, name string) (time.Time, error) {
	s, ok := unmarshalString(r)
	if !ok {
		return time.Time{}, &FieldError{Field: name, Why: "want a date YYYY-MM-DD", Code: CodeBadType}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		v := quote(s)
		if name == "date_of_birth" {
			v = ""
		}
		return time.Time{}, &FieldError{Field: name, Value: v, Why: "want a date YYYY-MM-DD", Code: CodeBadValue}
	}
	return d, nil
}

func isNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }

func quote(s string) string { return clip(fmt.Sprintf("%q", s)) }

// clip keeps error messages short whatever the input.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
