package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evalpipe/evalpipe/events"
)

// The cursor is saved once a page is in Kafka, so a new Poller resumes
// where the last left off; a page that fails is asked for again with the
// same cursor, never skipped.
func TestPollerCursorAndRetry(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	var (
		mu      sync.Mutex
		asked   []string
		failed  bool
		pageOf  = map[string][2]string{"": {"a", "c1"}, "c1": {"b", "c2"}} // cursor → events' prefix, next
		pageLen = 5
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		c := r.URL.Query().Get("cursor")
		asked = append(asked, c)
		if c == "c1" && !failed { // the second page fails once
			failed = true
			http.Error(w, "upstream busy", http.StatusBadGateway)
			return
		}
		pg, ok := pageOf[c]
		if !ok {
			w.Write([]byte(`{"events":[],"next_cursor":"` + c + `"}`))
			return
		}
		var evs []json.RawMessage
		for i := range pageLen {
			evs = append(evs, json.RawMessage(session(fmt.Sprintf("%s%d", pg[0], i), "p1")))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"events": evs, "next_cursor": pg[1]})
	}))
	defer api.Close()
	ctx := context.Background()
	p := &Poller{URL: api.URL, Config: cfg}
	if more, err := p.Poll(ctx); err != nil || !more {
		t.Fatalf("first page: %v %v", more, err)
	}
	var st pollState
	if _, err := readJSON(filepath.Join(cfg.StateDir, "poll", "api", "cursor.json"), &st); err != nil || st.Cursor != "c1" || st.Pending {
		t.Fatalf("cursor after the first page: %+v %v, want c1 saved", st, err)
	}
	if _, err := p.Poll(ctx); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("the failing page: %v, want its error", err)
	}
	// A new Poller (a restart) starts from the saved cursor and gets the
	// failed page again.
	p = &Poller{URL: api.URL, Config: cfg}
	if more, err := p.Poll(ctx); err != nil || !more {
		t.Fatalf("the retried page: %v %v", more, err)
	}
	if more, err := p.Poll(ctx); err != nil || more {
		t.Fatalf("caught up: %v %v, want no more", more, err)
	}
	mu.Lock()
	got := strings.Join(asked, ",")
	mu.Unlock()
	if got != ",c1,c1,c2" {
		t.Errorf("cursors asked for: %q, want \",c1,c1,c2\"", got)
	}
	msgs := readTopic(t, brokers, kc.Topic(events.Sessions))
	ids := map[string]int{}
	for _, m := range msgs {
		var e struct {
			EventID string `json:"event_id"`
		}
		json.Unmarshal(m.Value, &e)
		ids[e.EventID]++
	}
	if len(msgs) != 2*pageLen || len(ids) != 2*pageLen {
		t.Errorf("Kafka holds %d messages, %d distinct ids; want both pages once (%d): %v", len(msgs), len(ids), 2*pageLen, ids)
	}
}
