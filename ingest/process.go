package ingest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/segmentio/kafka-go"
)

type verdict uint8

const (
	ingested verdict = iota
	deadLettered
	duplicate
	resumed // before the checkpoint: already in Kafka, counted as a duplicate
)

// outcome is what became of one record.
type outcome struct {
	verdict verdict
	msg     kafka.Message
	code    string // dead letters: the events code
	family  string // ingested: the family
	eventID string // ingested: the event id, for the run's duplicate check
}

// processor turns the records of one file into Kafka messages. It keeps no
// state between records, so each worker goroutine has its own copy; the
// check for ids already seen happens after, in file order.
type processor struct {
	kafkaTopic func(events.Family) string
	opts       events.DecodeOptions
	now        func() time.Time
	origin     string
	slab       []byte // message keys and values are cut from it, so that a record costs no allocation of its own

	// CSV only.
	mapping *Mapping
	cols    []int // column of each mapping target
	idCols  []int // columns holding direct identifiers
	ncols   int
}

// topicNames returns topic, with each family's topic named once rather than
// joined afresh for every message.
func topicNames(topic func(events.Family) string) func(events.Family) string {
	names := make(map[events.Family]string, len(events.Families)+1)
	for _, f := range append([]events.Family{events.DeadLetter}, events.Families...) {
		names[f] = topic(f)
	}
	return func(f events.Family) string {
		if t, ok := names[f]; ok {
			return t
		}
		return topic(f)
	}
}

// ndjson handles one NDJSON line.
func (p *processor) ndjson(rec record) outcome {
	if rec.tooLong {
		return p.deadJSON(rec, &events.FieldError{Field: "line", Why: fmt.Sprintf("longer than %d bytes", MaxLineBytes), Code: events.CodeOutOfRange})
	}
	ev, value, err := events.DecodeAppendNoData(p.room(), rec.data, p.opts)
	if err != nil {
		return p.deadJSON(rec, err)
	}
	return p.valid(ev, value, func(err error) outcome { return p.deadJSON(rec, err) })
}

// csvRow handles one CSV data row.
func (p *processor) csvRow(rec record) outcome {
	if rec.tooLong {
		return p.deadCSV(rec, nil, nil, &events.FieldError{Field: "row", Why: fmt.Sprintf("longer than %d bytes", MaxLineBytes), Code: events.CodeOutOfRange})
	}
	cells, err := splitCSV(string(rec.data))
	if err != nil {
		return p.deadCSV(rec, nil, nil, &events.FieldError{Field: "row", Why: "malformed CSV: " + err.Error(), Code: events.CodeBadValue})
	}
	if len(cells) != p.ncols {
		return p.deadCSV(rec, cells, nil, &events.FieldError{Field: "row", Why: fmt.Sprintf("has %d columns, the header has %d", len(cells), p.ncols), Code: events.CodeBadValue})
	}
	line, idents, err := p.mapping.row(cells, p.cols)
	if err != nil {
		return p.deadCSV(rec, cells, idents, err)
	}
	ev, value, err := events.DecodeAppendNoData(p.room(), line, p.opts)
	if err != nil {
		return p.deadCSV(rec, cells, idents, err)
	}
	return p.valid(ev, value, func(err error) outcome { return p.deadCSV(rec, cells, idents, err) })
}

// room returns the free end of the slab, at least 4 KB, for an event's
// canonical JSON to be written into (see valid).
func (p *processor) room() []byte {
	if cap(p.slab)-len(p.slab) < 4<<10 {
		p.slab = make([]byte, 0, 256<<10)
	}
	return p.slab[len(p.slab):]
}

// valid routes a decoded event, value its canonical JSON appended to
// p.room(), to its family's topic, keyed by the person's pseudonym so one
// person's events keep their order.
func (p *processor) valid(ev events.Event, value []byte, dead func(error) outcome) outcome {
	if len(value) <= cap(p.slab)-len(p.slab) { // written in place: keep it, and move the slab on
		value = value[:len(value):len(value)]
		p.slab = p.slab[:len(p.slab)+len(value)]
	}
	key := ev.Person
	if key == "" {
		key = ev.EventID
	}
	var keyBytes []byte
	if len(key) <= cap(p.slab)-len(p.slab) { // the key too, behind the value
		keyBytes = append(p.slab[len(p.slab):], key...)[:len(key):len(key)]
		p.slab = p.slab[:len(p.slab)+len(key)]
	} else {
		keyBytes = []byte(key)
	}
	if len(key)+len(value) > maxMessageBytes {
		return dead(&events.FieldError{Field: "event", Why: fmt.Sprintf("is %d bytes once encoded, more than the %d a Kafka message may hold", len(value), maxMessageBytes), Code: events.CodeOutOfRange})
	}
	fam := ev.Family()
	return outcome{
		verdict: ingested,
		family:  string(fam),
		eventID: ev.EventID,
		msg:     kafka.Message{Topic: p.kafkaTopic(fam), Key: keyBytes, Value: value},
	}
}

// deadJSON dead-letters an NDJSON line.
func (p *processor) deadJSON(rec record, cause error) outcome {
	raw, idents, id, typ, ok := redactJSONLine(rec.data)
	if !ok {
		raw = redactText(string(rec.data))
	}
	return p.dead(rec, raw, idents, id, typ, cause)
}

// deadCSV dead-letters a CSV row: identifier columns are blanked, then
// anything shaped like an NHS number or a date is redacted.
func (p *processor) deadCSV(rec record, cells, idents []string, cause error) outcome {
	raw := string(rec.data)
	var id string
	if cells != nil {
		cp := append([]string(nil), cells...)
		for _, c := range p.idCols {
			if c < len(cp) {
				if cp[c] != "" {
					idents = append(idents, cp[c])
				}
				cp[c] = ""
			}
		}
		raw = joinCSV(cp)
		if i := p.mapping.targetIndex("event_id"); i >= 0 && p.cols[i] < len(cells) && cells[p.cols[i]] != "" {
			id = p.mapping.EventIDPrefix + cells[p.cols[i]]
		}
	}
	return p.dead(rec, redactText(raw), idents, id, p.mapping.Type, cause)
}

func (p *processor) dead(rec record, raw string, idents []string, eventID, typ string, cause error) outcome {
	for i := range idents {
		idents[i] = strings.ToValidUTF8(idents[i], "")
	}
	sc := newScrubber(idents)
	// Every text field is made valid UTF-8 before it is scrubbed: JSON
	// encoding would otherwise drop invalid bytes afterwards and join digits
	// around them into an NHS-number-shaped run (found by FuzzCSVRow).
	clean := func(s string) string { return redactText(sc.apply(strings.ToValidUTF8(s, ""))) }
	dl := events.DeadLetterMessage{
		EventID:    clipString(clean(eventID), 128),
		Type:       clipString(clean(typ), 128),
		Reason:     clean(cause.Error()),
		Code:       events.ReasonCode(cause),
		Origin:     p.origin,
		Line:       rec.line,
		Raw:        clipRaw(clean(raw)),
		RecordedAt: p.now().UTC().Truncate(time.Microsecond),
	}
	value, err := json.Marshal(dl)
	if err != nil { // cannot happen: every field is a string, number or time
		value = []byte(`{"reason":"dead letter could not be encoded","code":"invalid_json"}`)
	}
	return outcome{
		verdict: deadLettered,
		code:    dl.Code,
		// Keyed by file, so one file's dead letters stay in line order.
		msg: kafka.Message{Topic: p.kafkaTopic(events.DeadLetter), Key: []byte(p.origin), Value: value},
	}
}

func joinCSV(cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(c, ",\"\n\r") {
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		} else {
			b.WriteString(c)
		}
	}
	return b.String()
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
