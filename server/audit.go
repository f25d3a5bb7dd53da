package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Who    string    `json:"who"` // the token's name; "" when no valid token was given
	Role   string    `json:"role,omitempty"`
	Method string    `json:"method"`
	Route  string    `json:"route"`
	SQL    string    `json:"sql,omitempty"`
	Rows   int64     `json:"rows"`
	Status int       `json:"status"`
	Error  string    `json:"error,omitempty"`
}

// Audit is the append-only audit log (DATA/server/audit.ndjson): who asked
// for what, when, with which SQL, how many rows went back, and the status.
// Each entry is one write on a file opened O_APPEND, synced.
type Audit struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAudit opens (creating) the audit log at path.
func OpenAudit(path string) (*Audit, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Audit{f: f}, nil
}

// Log appends e.
func (a *Audit) Log(e AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return a.f.Sync()
}

// Close closes the log.
func (a *Audit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}
