package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Poller pulls events from an HTTP API that serves "events since a cursor":
//
//	GET URL?cursor=C
//
// answered either with a JSON page {"events": [...], "next_cursor": "..."}
// or with NDJSON, the next cursor then in the X-Next-Cursor header (absent:
// the last line's event_id). An empty page means caught up.
//
// Each page is written to StateDir/poll/<name>/page-<cursor hash>.ndjson and ingested with
// Ingest, so it is validated, pseudonymised and dead-lettered exactly as a
// file; only once Kafka has acknowledged it is the cursor saved (atomically,
// StateDir/poll/<name>/cursor.json). A crash in between re-ingests the saved
// page on the next start, which its checkpoint makes a no-op: nothing lost,
// nothing twice.
type Poller struct {
	// URL of the endpoint, without the cursor parameter. Required.
	URL string
	// Name keys the cursor and the page files. Default "api".
	Name string
	// Config is the ingest configuration. Required.
	Config Config
	// Interval between polls once caught up. Default 5s.
	Interval time.Duration
	// Header is added to every request (e.g. Authorization). Default none.
	Header http.Header
	// Client makes the requests. Default a client with a 30s timeout.
	Client *http.Client
	// OnPage, when set, is called after each page is ingested.
	OnPage func(sum Summary)
}

type pollState struct {
	Cursor  string    `json:"cursor"`
	Updated time.Time `json:"updated_at"`
	Pending bool      `json:"pending,omitempty"` // page.ndjson holds a page not yet acknowledged
	Next    string    `json:"next,omitempty"`    // the cursor after the pending page
	Page    string    `json:"page,omitempty"`    // the pending page's file
}

func (p *Poller) dir() string { return filepath.Join(p.Config.StateDir, "poll", p.Name) }

// Run polls until ctx ends; errors of one poll are logged and retried after
// Interval. It returns nil on cancellation.
func (p *Poller) Run(ctx context.Context) error {
	if p.Interval <= 0 {
		p.Interval = 5 * time.Second
	}
	log := p.logger()
	for {
		more, err := p.Poll(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("poll: failed; retrying", "url", p.URL, "err", err)
		}
		if more && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(p.Interval):
		}
	}
}

func (p *Poller) logger() *slog.Logger {
	if p.Config.Logger != nil {
		return p.Config.Logger
	}
	return slog.Default()
}

// Poll fetches and ingests one page; more says a page with events was
// ingested (so there may be more at once).
func (p *Poller) Poll(ctx context.Context) (more bool, err error) {
	if p.URL == "" {
		return false, errors.New("ingest: poll: URL is required")
	}
	if p.Name == "" {
		p.Name = "api"
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if err := os.MkdirAll(p.dir(), 0o755); err != nil {
		return false, fmt.Errorf("ingest: poll: %w", err)
	}
	statePath := filepath.Join(p.dir(), "cursor.json")
	var st pollState
	if _, err := readJSON(statePath, &st); err != nil {
		return false, fmt.Errorf("ingest: poll: %w", err)
	}
	if !st.Pending {
		lines, next, err := p.fetch(ctx, st.Cursor)
		if err != nil {
			return false, err
		}
		if len(lines) == 0 {
			return false, nil
		}
		// One file per cursor: its checkpoint then says whether this very
		// page was acknowledged, whatever the other pages held.
		h := sha256.Sum256([]byte(st.Cursor))
		st.Page = filepath.Join(p.dir(), "page-"+hex.EncodeToString(h[:8])+".ndjson")
		if err := writeFileSync(st.Page, bytes.Join(lines, []byte("\n"))); err != nil {
			return false, fmt.Errorf("ingest: poll: %w", err)
		}
		st.Pending, st.Next = true, next
		if err := writeJSONAtomic(statePath, &st); err != nil {
			return false, fmt.Errorf("ingest: poll: %w", err)
		}
	}
	sum, err := Ingest(ctx, p.Config, st.Page)
	if err != nil {
		return false, err
	}
	page := st.Page
	if p.OnPage != nil {
		p.OnPage(sum)
	}
	st = pollState{Cursor: st.Next, Updated: time.Now().UTC()}
	if err := writeJSONAtomic(statePath, &st); err != nil {
		return false, fmt.Errorf("ingest: poll: %w", err)
	}
	_ = os.Remove(page) // acknowledged and checkpointed; the cursor has moved on
	return true, nil
}

// fetch gets the page after cursor: its NDJSON lines and the next cursor.
func (p *Poller) fetch(ctx context.Context, cursor string) (lines [][]byte, next string, err error) {
	u, err := url.Parse(p.URL)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: poll: URL %q: %w", p.URL, err)
	}
	q := u.Query()
	q.Set("cursor", cursor)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: poll: %w", err)
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/x-ndjson, application/json")
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: poll %s: %w", p.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, "", fmt.Errorf("ingest: poll %s: read: %w", p.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("ingest: poll %s: status %s: %s", p.URL, resp.Status, clipString(string(body), 200))
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, cursor, nil
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "application/json") && !bytes.Contains(trimmed, []byte("\n")) || isPage(trimmed) {
		var page struct {
			Events     []json.RawMessage `json:"events"`
			NextCursor *string           `json:"next_cursor"`
		}
		if err := json.Unmarshal(trimmed, &page); err == nil && page.Events != nil {
			for _, e := range page.Events {
				lines = append(lines, compactLine(e))
			}
			next = cursor
			if page.NextCursor != nil {
				next = *page.NextCursor
			}
			return lines, next, nil
		}
	}
	for _, l := range bytes.Split(trimmed, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			lines = append(lines, l)
		}
	}
	next = resp.Header.Get("X-Next-Cursor")
	if next == "" && len(lines) > 0 {
		var head struct {
			EventID string `json:"event_id"`
		}
		if json.Unmarshal(lines[len(lines)-1], &head) == nil {
			next = head.EventID
		}
	}
	if next == "" {
		return nil, "", fmt.Errorf("ingest: poll %s: NDJSON page without X-Next-Cursor and without a readable event_id on its last line; cannot advance", p.URL)
	}
	return lines, next, nil
}

// isPage says whether a body is one JSON object with an "events" array.
func isPage(b []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) != nil {
		return false
	}
	_, ok := probe["events"]
	return ok
}

// compactLine puts one event on one line (a page may pretty-print them).
func compactLine(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return bytes.ReplaceAll(raw, []byte("\n"), []byte(" "))
	}
	return b.Bytes()
}

// writeFileSync writes a file through a temporary name, synced, renamed.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
