package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/evalpipe/evalpipe/lake"
	"github.com/evalpipe/evalpipe/warehouse"
)

// snapshot is one opened warehouse over one state of the lake. Requests
// hold a reference while they use it; a refresh swaps in a new snapshot and
// closes the old one once its last request is done.
type snapshot struct {
	w  *warehouse.Warehouse
	fp string
	// unreadable are the names of the snapshot's relations that evaluators
	// may not read (unreadableNames): the catalog is fixed once opened.
	unreadable map[string]bool
	refs       sync.WaitGroup
}

// snapshots holds the current snapshot.
type snapshots struct {
	mu  sync.Mutex
	cur *snapshot
}

// acquire returns the current snapshot and a release function, or nil when
// none is open yet.
func (s *snapshots) acquire() (*snapshot, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil, func() {}
	}
	snap := s.cur
	snap.refs.Add(1)
	return snap, snap.refs.Done
}

func (s *snapshots) fingerprint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return ""
	}
	return s.cur.fp
}

// swap installs next and closes the previous snapshot in the background
// once its requests are done.
func (s *snapshots) swap(next *snapshot) {
	s.mu.Lock()
	old := s.cur
	s.cur = next
	s.mu.Unlock()
	if old != nil {
		go func() {
			old.refs.Wait()
			old.w.Close()
		}()
	}
}

// close closes the current snapshot after its requests.
func (s *snapshots) close() {
	s.mu.Lock()
	old := s.cur
	s.cur = nil
	s.mu.Unlock()
	if old != nil {
		old.refs.Wait()
		old.w.Close()
	}
}

// lakeFingerprint is lake.Fingerprint of the committed files: it changes
// exactly when the transformer commits a file.
func lakeFingerprint(root string) (string, error) {
	files, err := lake.Files(root)
	if err != nil {
		return "", err
	}
	return lake.Fingerprint(root, files)
}

// openSnapshot opens a warehouse on the lake with wc (the server's
// template, saving or not), then applies the server's limits: DuckDB's
// memory limit, and the consented-feedback view that is the evaluators'
// only way to feedback text.
func (s *Server) openSnapshot(ctx context.Context, fp string, wc warehouse.Config) (*snapshot, error) {
	w, err := warehouse.Open(ctx, wc)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		"SET GLOBAL memory_limit = " + sqlString(s.cfg.MemoryLimit),
		feedbackView,
	} {
		if _, err := w.DB().ExecContext(ctx, q); err != nil {
			w.Close()
			return nil, fmt.Errorf("server: prepare warehouse: %w", err)
		}
	}
	unreadable, err := unreadableNames(ctx, w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("server: prepare warehouse: %w", err)
	}
	return &snapshot{w: w, fp: fp, unreadable: unreadable}, nil
}

// feedbackView exposes feedback with its free text only where the person
// consented to it being quoted.
const feedbackView = `CREATE OR REPLACE VIEW feedback_consented AS
SELECT event_id, type, occurred_at, recorded_at, service, person, referral_id,
       feedback_id, respondent, channel, experience, consent_to_quote, codes,
       CASE WHEN consent_to_quote THEN text END AS text
FROM events
WHERE type LIKE 'feedback.%'`

func sqlString(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
