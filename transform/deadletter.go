package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/segmentio/kafka-go"
)

// identifierKeys are the direct identifiers removed from a poison message
// before it travels on: only ingest may ever hold them.
var identifierKeys = []string{"nhs_number", "local_id", "date_of_birth"}

// origin names a message's place in the log.
func origin(topic string, partition int, offset int64) string {
	return fmt.Sprintf("%s/%d@%d", topic, partition, offset)
}

// poison sends a message that failed to decode to the dead-letter topic and
// waits for the broker to acknowledge it, so that its offset may then be
// committed.
func (r *runner) poison(ctx context.Context, topic string, msg kafka.Message, cause error) error {
	raw, head := scrub(msg.Value)
	dl := events.DeadLetterMessage{
		EventID:    head.EventID,
		Type:       head.Type,
		Reason:     cause.Error(),
		Code:       events.ReasonCode(cause),
		Origin:     origin(topic, msg.Partition, msg.Offset),
		Raw:        raw,
		RecordedAt: msg.Time.UTC().Truncate(time.Microsecond),
	}
	value, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("transform: encode dead letter for %s: %w", dl.Origin, err)
	}
	// The dead letter outlives a graceful stop: write it even if ctx is
	// being cancelled, since its offset is about to be committed.
	if err := r.dlq.WriteMessages(context.WithoutCancel(ctx), kafka.Message{Key: msg.Key, Value: value}); err != nil {
		return fmt.Errorf("transform: dead-letter %s: %w", dl.Origin, err)
	}
	r.cfg.Logger.Warn("transform: dead-lettered", "origin", dl.Origin, "code", dl.Code, "reason", dl.Reason)
	return nil
}

// envelopeHead is what a dead letter keeps of a broken event's envelope.
type envelopeHead struct {
	EventID string `json:"event_id"`
	Type    string `json:"type"`
}

// scrub returns value with every direct-identifier key removed, at any depth,
// when value is a JSON object; anything else is returned as it is.
func scrub(value []byte) (string, envelopeHead) {
	var head envelopeHead
	var obj map[string]json.RawMessage
	if json.Unmarshal(value, &obj) != nil || obj == nil {
		// Not JSON, so identifiers cannot be found by name: redact by shape.
		return events.RedactIdentifierShapes(string(value)), head
	}
	// Best effort: a wrongly typed event_id or type is simply not kept.
	if r, ok := obj["event_id"]; ok {
		_ = json.Unmarshal(r, &head.EventID)
	}
	if r, ok := obj["type"]; ok {
		_ = json.Unmarshal(r, &head.Type)
	}
	out, err := json.Marshal(scrubValue(obj))
	if err != nil {
		return "", head
	}
	return string(out), head
}

func scrubValue(obj map[string]json.RawMessage) map[string]json.RawMessage {
	for _, k := range identifierKeys {
		delete(obj, k)
	}
	for k, v := range obj {
		obj[k] = scrubRaw(v)
	}
	return obj
}

// scrubRaw scrubs the objects inside any JSON value, arrays included.
func scrubRaw(v json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return v
	}
	var out any
	switch t[0] {
	case '{':
		var inner map[string]json.RawMessage
		if json.Unmarshal(t, &inner) != nil || inner == nil {
			return v
		}
		out = scrubValue(inner)
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(t, &items) != nil {
			return v
		}
		for i := range items {
			items[i] = scrubRaw(items[i])
		}
		out = items
	default:
		return v
	}
	b, err := json.Marshal(out)
	if err != nil {
		return v
	}
	return b
}

// deadLetterRow turns a message of the dead-letter topic into its lake row.
// A message that is not a readable DeadLetterMessage is kept as it is, with
// code invalid_json.
func deadLetterRow(topic string, msg kafka.Message) *events.DeadLetterRow {
	var m events.DeadLetterMessage
	err := json.Unmarshal(msg.Value, &m)
	if err == nil && m.Code == "" {
		err = fmt.Errorf("no code: not a dead-letter message")
	}
	if err != nil {
		return &events.DeadLetterRow{
			Reason:         "unreadable dead letter: " + err.Error(),
			Code:           events.CodeInvalidJSON,
			Origin:         origin(topic, msg.Partition, msg.Offset),
			Raw:            string(msg.Value),
			RecordedAt:     msg.Time.UTC().Truncate(time.Microsecond),
			KafkaPartition: int32(msg.Partition),
			KafkaOffset:    msg.Offset,
			KafkaTimestamp: recordTime(msg, time.Unix(0, 0)).UTC().Truncate(time.Microsecond),
		}
	}
	at := m.RecordedAt
	if at.IsZero() {
		at = msg.Time
	}
	return &events.DeadLetterRow{
		EventID:        optString(m.EventID),
		Type:           optString(m.Type),
		Reason:         m.Reason,
		Code:           m.Code,
		Origin:         m.Origin,
		Line:           m.Line,
		Raw:            m.Raw,
		RecordedAt:     at.UTC().Truncate(time.Microsecond),
		KafkaPartition: int32(msg.Partition),
		KafkaOffset:    msg.Offset,
		KafkaTimestamp: recordTime(msg, at).UTC().Truncate(time.Microsecond),
	}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
