package events

import (
	"regexp"
	"strings"
)

// Redacted replaces identifier-shaped text in dead letters.
const Redacted = "[redacted]"

var (
	// NHSShaped matches ten digits, optionally grouped by single spaces or
	// hyphens as NHS numbers are written (943 476 5919). Read-only.
	NHSShaped = regexp.MustCompile(`\d(?:[ -]?\d){9}`)
	// dateShaped is anything written like a date: 1990-01-31, 31/01/1990,
	// 31.1.90, 1990/01/31.
	dateShaped = regexp.MustCompile(`\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}`)
)

// RedactIdentifierShapes replaces whatever is shaped like an NHS number or
// a date, for text whose identifiers cannot be found by name (input that is
// not JSON). The text is made valid UTF-8 first, so that no later encoding
// can join digits around dropped bytes into a new NHS-shaped run.
func RedactIdentifierShapes(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = NHSShaped.ReplaceAllLiteralString(s, Redacted)
	return dateShaped.ReplaceAllLiteralString(s, Redacted)
}
