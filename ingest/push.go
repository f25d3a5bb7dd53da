package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/evalpipe/evalpipe/events"
	"github.com/segmentio/kafka-go"
)

// Push outcomes, as answered per line by Pusher.Push.
const (
	StatusIngested     = "ingested"
	StatusDuplicate    = "duplicate"
	StatusDeadLettered = "dead_lettered"
)

// LineResult is what became of one pushed line.
type LineResult struct {
	Line    int64  `json:"line"` // physical line of the body, 1-based
	Status  string `json:"status"`
	EventID string `json:"event_id,omitempty"`
	Reason  string `json:"reason,omitempty"` // dead letters: why, identifiers scrubbed
}

// Pusher ingests NDJSON bodies pushed over HTTP (web forms, other systems)
// through the same path as files: events.Decode with the pseudonymiser,
// the same topics, the same dead letters. Files are idempotent by their
// checkpoint; pushes are idempotent by event_id, remembered in a seen-set
// under StateDir (push-seen.ids) once Kafka has acknowledged the event.
//
// A crash between Kafka's acknowledgement and the seen-set's write lets a
// retried push produce an event twice; the warehouse de-duplicates by
// event_id, as it does for a file re-read after a crash.
//
// Safe for concurrent use; pushes are serialised.
type Pusher struct {
	cfg  Config
	w    *kafka.Writer
	mu   sync.Mutex
	seen map[string]struct{}
	log  *os.File // the seen-set, append-only, one event_id a line
}

// NewPusher connects to Kafka and loads the seen-set. Close it when done.
func NewPusher(ctx context.Context, cfg Config) (*Pusher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("ingest: push: %w", err)
	}
	path := filepath.Join(cfg.StateDir, "push-seen.ids")
	seen := map[string]struct{}{}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if id := strings.TrimSpace(sc.Text()); id != "" {
				seen[id] = struct{}{}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("ingest: push: read %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ingest: push: %w", err)
	}
	log, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ingest: push: %w", err)
	}
	w, err := newWriter(ctx, &cfg)
	if err != nil {
		log.Close()
		return nil, err
	}
	return &Pusher{cfg: cfg, w: w, seen: seen, log: log}, nil
}

// Push reads body as NDJSON and answers for each non-blank line. origin
// names the pusher in dead letters (e.g. "push:forms"). The Summary counts
// the lines as Ingest does. On an error (Kafka unreachable, ctx ended)
// nothing of this body was acknowledged as ingested: the caller may retry
// the whole body, and lines already in Kafka come back as duplicates.
func (p *Pusher) Push(ctx context.Context, origin string, body io.Reader) ([]LineResult, Summary, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var sum Summary
	proc := &processor{
		kafkaTopic: topicNames(p.cfg.Kafka.Topic),
		opts:       events.DecodeOptions{Pseudonymiser: p.cfg.Pseudonymiser, Now: p.cfg.Now},
		now:        p.cfg.Now,
		origin:     origin,
	}
	inBody := map[string]struct{}{} // ids ingested from this body
	rr := newRecordReader(body, sha256.New(), false, MaxLineBytes)
	var (
		results []LineResult
		msgs    []kafka.Message
		newIDs  []string
	)
	for {
		rec, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, sum, fmt.Errorf("ingest %s line %d: read: %w", origin, rr.lines+1, err)
		}
		o := proc.ndjson(rec)
		res := LineResult{Line: rec.line}
		sum.Read++
		switch o.verdict {
		case ingested:
			res.EventID = o.eventID
			_, before := p.seen[o.eventID]
			_, again := inBody[o.eventID]
			if before || again {
				res.Status = StatusDuplicate
				sum.Duplicates++
				break
			}
			inBody[o.eventID] = struct{}{}
			res.Status = StatusIngested
			sum.Ingested++
			inc(&sum.ByFamily, o.family)
			msgs = append(msgs, o.msg)
			newIDs = append(newIDs, o.eventID)
		case duplicate:
			res.Status = StatusDuplicate
			sum.Duplicates++
		case deadLettered:
			var dl events.DeadLetterMessage
			_ = json.Unmarshal(o.msg.Value, &dl)
			res.Status, res.EventID, res.Reason = StatusDeadLettered, dl.EventID, dl.Reason
			sum.DeadLettered++
			inc(&sum.ByCode, o.code)
			msgs = append(msgs, o.msg)
		}
		results = append(results, res)
	}
	for i := 0; i < len(msgs); i += p.cfg.BatchSize {
		if err := p.w.WriteMessages(ctx, msgs[i:min(i+p.cfg.BatchSize, len(msgs))]...); err != nil {
			return nil, Summary{}, fmt.Errorf("ingest %s: produce: %w", origin, err)
		}
	}
	if len(newIDs) > 0 {
		var b strings.Builder
		for _, id := range newIDs {
			p.seen[id] = struct{}{}
			b.WriteString(id + "\n")
		}
		if _, err := p.log.WriteString(b.String()); err != nil {
			return results, sum, fmt.Errorf("ingest %s: record pushed event ids: %w", origin, err)
		}
		if err := p.log.Sync(); err != nil {
			return results, sum, fmt.Errorf("ingest %s: record pushed event ids: %w", origin, err)
		}
	}
	if len(results) > 0 {
		sum.Files = 1
	}
	return results, sum, nil
}

// Close closes the producer and the seen-set.
func (p *Pusher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(closeWriter(p.w), p.log.Close())
}
