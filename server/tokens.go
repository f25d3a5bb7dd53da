package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Roles, from least to most access.
const (
	RoleCommissioner = "commissioner"
	RoleEvaluator    = "evaluator"
	RoleAdmin        = "admin"
)

var roleRank = map[string]int{RoleCommissioner: 1, RoleEvaluator: 2, RoleAdmin: 3}

// ValidRole says whether role is one of the three roles.
func ValidRole(role string) bool { return roleRank[role] > 0 }

// allows says whether a token of role may use what needs at least need.
func allows(role, need string) bool { return roleRank[role] >= roleRank[need] && roleRank[role] > 0 }

// Token is one stored token: only the SHA-256 of the secret is kept.
type Token struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	SHA256    string    `json:"sha256"`
	CreatedAt time.Time `json:"created_at"`
}

// Tokens is the token file (DATA/server/tokens.json, mode 0600). `evalpipe
// token add` may change it while a server runs: the server re-reads it when
// its modification time changes.
type Tokens struct {
	path string

	mu     sync.Mutex
	mtime  time.Time
	size   int64
	tokens []Token
}

// OpenTokens reads the token file at path (none yet is an empty file).
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokens) reload() error {
	st, err := os.Stat(t.path)
	if errors.Is(err, os.ErrNotExist) {
		t.tokens = nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if st.ModTime().Equal(t.mtime) && st.Size() == t.size && t.tokens != nil {
		return nil
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	var f struct {
		Tokens []Token `json:"tokens"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("tokens %s: %w", t.path, err)
	}
	t.tokens, t.mtime, t.size = f.Tokens, st.ModTime(), st.Size()
	return nil
}

// Empty says whether no token exists yet.
func (t *Tokens) Empty() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.reload()
	return len(t.tokens) == 0
}

// Add creates a token for name with role, stores its hash and returns the
// secret: the only time it is seen.
func (t *Tokens) Add(name, role string) (string, error) {
	if !ValidRole(role) {
		return "", fmt.Errorf("tokens: role %q: want commissioner, evaluator or admin", role)
	}
	if name == "" {
		return "", errors.New("tokens: a token needs a name (who holds it), for the audit log")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reload(); err != nil {
		return "", err
	}
	for _, tk := range t.tokens {
		if tk.Name == name {
			return "", fmt.Errorf("tokens: name %q is taken; names identify holders in the audit log", name)
		}
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := "ep_" + hex.EncodeToString(raw)
	all := append(append([]Token(nil), t.tokens...), Token{Name: name, Role: role, SHA256: hashToken(secret), CreatedAt: time.Now().UTC()})
	if err := writeTokens(t.path, all); err != nil {
		return "", err
	}
	t.tokens, t.mtime = all, time.Time{}
	return secret, nil
}

// Lookup returns the token whose secret is given, if any.
func (t *Tokens) Lookup(secret string) (Token, bool) {
	if secret == "" {
		return Token{}, false
	}
	h := []byte(hashToken(secret))
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.reload() // on error keep the tokens already known
	var found Token
	ok := false
	for _, tk := range t.tokens {
		if subtle.ConstantTimeCompare(h, []byte(tk.SHA256)) == 1 {
			found, ok = tk, true
		}
	}
	return found, ok
}

func hashToken(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

func writeTokens(path string, tokens []Token) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	b, err := json.MarshalIndent(struct {
		Tokens []Token `json:"tokens"`
	}{tokens}, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("tokens: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("tokens: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	return nil
}
