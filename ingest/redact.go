package ingest

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/evalpipe/evalpipe/events"
)

// maxRawBytes clips the raw input kept in a dead letter, so that one
// pathological line cannot exceed the broker's message size.
const maxRawBytes = 64 << 10

const redacted = events.Redacted

// nhsShaped is the contract's NHS-number shape.
var nhsShaped = events.NHSShaped

// redactJSONLine removes direct identifiers from a line that is a JSON
// object: it deletes nhs_number, local_id and date_of_birth, and returns the
// remaining object, their values (to scrub elsewhere), and the event_id and
// type when readable. ok is false when the line is not a JSON object.
func redactJSONLine(line []byte) (raw string, idents []string, eventID, typ string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil || obj == nil || dec.More() {
		return "", nil, "", "", false
	}
	for k := range identifierKeys {
		v, present := obj[k]
		if !present {
			continue
		}
		if s, isString := v.(string); isString {
			idents = append(idents, s)
		} else if b, err := json.Marshal(v); err == nil {
			idents = append(idents, string(b))
		}
		delete(obj, k)
	}
	eventID, _ = obj["event_id"].(string)
	typ, _ = obj["type"].(string)
	// Re-encoding puts every string in one canonical form (no \u escapes of
	// digits), so that what is shaped like an NHS number can be seen.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(obj) != nil {
		return "", idents, eventID, typ, false
	}
	return strings.TrimSuffix(b.String(), "\n"), idents, eventID, typ, true
}

// redactText replaces whatever is shaped like an NHS number or a date: for
// input that is not JSON, where identifiers cannot be found by name.
func redactText(s string) string { return events.RedactIdentifierShapes(s) }

// scrubber removes known identifier values (those a line carried under
// nhs_number, local_id, date_of_birth or their CSV columns) wherever else
// they appear: in other fields, in the error message, in the event id.
type scrubber struct {
	old []string
}

func newScrubber(idents []string) scrubber {
	var sc scrubber
	for _, id := range idents {
		id = strings.TrimSpace(id)
		sc.addForm(id)
		// An NHS number may be written grouped elsewhere in the same line.
		var digits strings.Builder
		for _, r := range id {
			if r >= '0' && r <= '9' {
				digits.WriteRune(r)
			}
		}
		if d := digits.String(); len(d) == 10 {
			sc.addForm(d)
			sc.addForm(d[:3] + " " + d[3:6] + " " + d[6:])
			sc.addForm(d[:3] + "-" + d[3:6] + "-" + d[6:])
		}
	}
	return sc
}

func (sc *scrubber) addForm(s string) {
	// Very short values (a local id "7") would wipe out unrelated text and
	// identify nobody.
	if utf8.RuneCountInString(s) >= 5 {
		sc.old = append(sc.old, s)
	}
}

// apply scrubs the identifier values, then anything NHS-number-shaped.
func (sc scrubber) apply(s string) string {
	for _, o := range sc.old {
		s = strings.ReplaceAll(s, o, redacted)
	}
	return nhsShaped.ReplaceAllLiteralString(s, redacted)
}

// clipRaw keeps the first maxRawBytes of a dead letter's raw text, on a
// rune boundary.
func clipRaw(s string) string {
	if len(s) <= maxRawBytes {
		return s
	}
	cut := maxRawBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[clipped]"
}
