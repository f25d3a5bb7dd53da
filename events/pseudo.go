package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Pseudonymiser turns direct identifiers into stable pseudonyms with a keyed
// HMAC-SHA256, so that one person's events link across sources without the
// identifier ever leaving ingest. Whoever holds the key can re-identify by
// brute force over NHS numbers: keep it out of the lake and the warehouse.
type Pseudonymiser struct {
	key  []byte
	macs sync.Pool // of *macState
}

// macState is a pooled HMAC with the buffers one pseudonym needs: hmac.New
// derives the key's pads afresh each time, and ingest calls Person for most
// events, from several goroutines.
type macState struct {
	mac hash.Hash // HMAC-SHA256 keyed, reset between uses
	in  []byte
	sum [sha256.Size]byte
}

// MinKeyBytes is the shortest key accepted.
const MinKeyBytes = 32

// NewPseudonymiser returns a pseudonymiser for key, which must be at least
// MinKeyBytes long.
func NewPseudonymiser(key []byte) (*Pseudonymiser, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("pseudonymisation key is %d bytes, want at least %d", len(key), MinKeyBytes)
	}
	return &Pseudonymiser{key: append([]byte(nil), key...)}, nil
}

// Person returns the pseudonym of an identifier within a scope ("nhs" for NHS
// numbers, "local:<source>" for source-local ids): "p" and 32 hex digits.
func (p *Pseudonymiser) Person(scope, id string) string { return p.pseudonym(scope, "", id) }

// pseudonym is Person with the scope given in two parts, so that a caller
// need not join them.
func (p *Pseudonymiser) pseudonym(scope, scope2, id string) string {
	st, _ := p.macs.Get().(*macState)
	if st == nil {
		st = &macState{mac: hmac.New(sha256.New, p.key)}
	}
	st.in = append(append(append(append(st.in[:0], scope...), scope2...), 0), id...)
	st.mac.Write(st.in)
	var out [33]byte
	out[0] = 'p'
	hex.Encode(out[1:], st.mac.Sum(st.sum[:0])[:16])
	st.mac.Reset()
	p.macs.Put(st)
	return string(out[:])
}

// KeyEnv names the environment variable that may hold the key (hex).
const KeyEnv = "EVALPIPE_PSEUDONYM_KEY"

// LoadKey finds the pseudonymisation key: the environment variable
// EVALPIPE_PSEUDONYM_KEY (hex), else keyFile (hex), else, when generate is
// true, a new random key written to keyFile. The returned bool is true when a
// key was generated: production deployments must provide their own.
func LoadKey(keyFile string, generate bool) ([]byte, bool, error) {
	if v := strings.TrimSpace(os.Getenv(KeyEnv)); v != "" {
		k, err := hex.DecodeString(v)
		if err != nil {
			return nil, false, fmt.Errorf("%s: want hex digits: %w", KeyEnv, err)
		}
		return k, false, nil
	}
	b, err := os.ReadFile(keyFile)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, false, fmt.Errorf("pseudonymisation key file %s: want hex digits: %w", keyFile, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !generate {
		return nil, false, fmt.Errorf("pseudonymisation key: set %s or create %s: %w", KeyEnv, keyFile, err)
	}
	k := make([]byte, MinKeyBytes)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("store generated pseudonymisation key: %w", err)
	}
	return k, true, nil
}

// NormaliseNHSNumber strips spaces and hyphens and checks the Modulus 11
// check digit (NHS Data Dictionary, "NHS Number"). Errors never repeat the
// number itself.
func NormaliseNHSNumber(s string) (string, error) {
	d, err := nhsDigits(s)
	if err != nil {
		return "", err
	}
	return string(d[:]), nil
}

// nhsDigits is NormaliseNHSNumber without the copy into a string.
func nhsDigits(s string) (d [10]byte, err error) {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n < len(d) {
				d[n] = c
			}
			n++
		case c == ' ' || c == '-':
		default: // any other byte, or any byte of a multi-byte character
			return d, &FieldError{Field: "nhs_number", Why: "want 10 digits (spaces allowed)", Code: CodeBadNHSNumber}
		}
	}
	if n != len(d) {
		return d, &FieldError{Field: "nhs_number", Why: fmt.Sprintf("has %d digits, want 10", n), Code: CodeBadNHSNumber}
	}
	if !ValidNHSNumber(string(d[:])) {
		return d, &FieldError{Field: "nhs_number", Why: "fails the Modulus 11 check digit", Code: CodeBadNHSNumber}
	}
	return d, nil
}

// ValidNHSNumber reports whether ten digits pass the Modulus 11 check.
func ValidNHSNumber(d string) bool {
	if len(d) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := d[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 {
		return false
	}
	return d[9] >= '0' && d[9] <= '9' && int(d[9]-'0') == check
}

// AgeBand returns the referral age band of someone born on dob at time at.
func AgeBand(dob, at time.Time) (string, error) {
	y, m, d := at.Date()
	age := y - dob.Year()
	if m < dob.Month() || (m == dob.Month() && d < dob.Day()) {
		age--
	}
	switch {
	case age < 16:
		return "", &FieldError{Field: "date_of_birth", Why: fmt.Sprintf("gives age %d at occurred_at, below the youngest band (16-17)", age), Code: CodeOutOfRange}
	case age <= 17:
		return "16-17", nil
	case age <= 25:
		return "18-25", nil
	case age <= 35:
		return "26-35", nil
	case age <= 45:
		return "36-45", nil
	case age <= 55:
		return "46-55", nil
	case age <= 64:
		return "56-64", nil
	case age <= 74:
		return "65-74", nil
	case age <= 130:
		return "75+", nil
	}
	return "", &FieldError{Field: "date_of_birth", Why: fmt.Sprintf("gives age %d", age), Code: CodeOutOfRange}
}
