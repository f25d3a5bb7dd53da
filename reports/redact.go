package reports

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redaction tokens. Each identifier is replaced by a typed token rather than
// a bare "[redacted]", so that a reader still follows the quote ("I rang
// [phone] and [name] called back"). No token contains a digit or an "@", so a
// redacted text never looks like the identifiers it hides.
const (
	TokenNHSNumber = "[NHS number]"
	TokenNumber    = "[number]" // any other run of 10 or more digits
	TokenPhone     = "[phone]"
	TokenEmail     = "[email]"
	TokenPostcode  = "[postcode]"
	TokenDate      = "[date]"
	TokenName      = "[name]"
)

// Redact returns text with direct identifiers replaced by typed tokens:
//
//   - e-mail addresses (anything@anything, up to spaces and brackets) → [email];
//   - UK phone numbers: mobiles (07700 900123, +44 7700 900123), London
//     (020 7946 0018, (020) 7946 0018) and other landlines, with spaces,
//     hyphens or brackets, +44 or 0044 with or without (0) → [phone];
//   - NHS numbers: 10 digits, run together or spaced or hyphenated 3-3-4
//     → [NHS number] (without checking the modulus 11 check digit: a
//     mistyped NHS number identifies as well); any other run of 10 or more
//     digits → [number];
//   - full UK postcodes (LS1 4AP, ls14ap) → [postcode]. An outward code on
//     its own ("LS6") is left: it names a district of thousands of
//     households and would otherwise catch "M1", "A1" and "B12";
//   - dates: 12/03/2024, 12-03-24, 12.03.2024, 2024-03-12, 12 March 2024,
//     12th of March, March 12th, March 12th, 2024, March 2024, and "on the
//     3rd" (not "on the 3rd session") → [date];
//   - staff names from staffNames, as whole words in any case ("Jo Smith"
//     also matches "jo  smith"); a name with fewer than two letters is
//     ignored → [name];
//   - a title followed by a capitalised name, whatever the list says: Dr
//     Smith, Dr. Smith, Nurse Jones, Mrs O'Neil, Prof Anna Bell → [name].
//
// Scores and counts are left alone: "PHQ-9 score 12", "session 3 of 8",
// "2 weeks", "24/7". Every rule runs on the original text and overlapping
// matches are merged, so a token is never matched again.
//
// Redaction is a safety net under consent and review, not a substitute for
// them: it cannot find a first name the list does not hold, or a nickname,
// an address without a postcode, or "the only Polish nurse on Tuesdays".
func Redact(text string, staffNames []string) string {
	return newRedactor(staffNames).redact(text)
}

// redactor is Redact with its staff-name pattern compiled once.
type redactor struct {
	names *regexp.Regexp // nil: no staff names
}

func newRedactor(staffNames []string) *redactor {
	var alts []string
	for _, n := range staffNames {
		if letters(n) < 2 {
			continue
		}
		words := strings.Fields(n)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		alts = append(alts, strings.Join(words, `\s+`))
	}
	if len(alts) == 0 {
		return &redactor{}
	}
	// Longest first, so that "Anna Bell" wins over "Anna" at the same place.
	sort.SliceStable(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	return &redactor{names: regexp.MustCompile(`(?i)(?:` + strings.Join(alts, "|") + `)`)}
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// span is one stretch of the original text to replace.
type span struct {
	start, end int
	token      string
	rank       int // rule order: the earlier rule names a merged span
}

const month = `(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)\.?`

// The day before month or after it, with an optional ordinal suffix.
const day = `\d{1,2}(?i:st|nd|rd|th)?`

var (
	// A chain (a@b@c) is one address: trimming a dot off the end of the
	// first must not leave it to start the next.
	reEmail = regexp.MustCompile(`[^\s@,;:()<>\[\]{}"'` + "`" + `]+(?:@[^\s@,;:()<>\[\]{}"'` + "`" + `]+)+`)
	rePhone = regexp.MustCompile(`(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?\(?|\(?0)\d(?:[ \-]?\)?[ \-]?\d){8,9}`)
	reNHS   = regexp.MustCompile(`[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4}`)
	reLong  = regexp.MustCompile(`\p{Nd}{10,}`)
	// Outward code (A9, A99, AA9, AA99, A9A, AA9A), optional space, inward
	// code (9AA, letters from the ones Royal Mail uses there).
	rePostcode = regexp.MustCompile(`(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b`)
	reDates    = []*regexp.Regexp{
		regexp.MustCompile(`\b\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})\b`),
		regexp.MustCompile(`\b\d{4}[/\-]\d{1,2}[/\-]\d{1,2}\b`),
		regexp.MustCompile(`\b` + day + `(?:\s+of)?\s+` + month + `(?:,?\s+\d{4})?\b`),
		regexp.MustCompile(`\b` + month + `\s+(?:` + day + `(?:,?\s+\d{4})?|\d{4})\b`),
	}
	// "on the 3rd": group 1 is what is replaced.
	reOnThe = regexp.MustCompile(`\b(?i:on|by|from|until|till|since|before|after)\s+((?i:the)\s+\d{1,2}(?i:st|nd|rd|th))\b`)
	// Words after "on the 3rd" that make it an ordinal, not a date.
	reOrdinalNoun = regexp.MustCompile(`^\s+(?i:sessions?|appointments?|weeks?|times?|attempts?|visits?|calls?|days?|months?|occasions?|floor|step|try|one|group|class|meetings?)\b`)
	reTitleName   = regexp.MustCompile(`\b(?i:dr|doctor|nurse|mr|mrs|ms|miss|mx|prof|professor|sister|matron)\.?[ \t]+\p{Lu}[\p{L}'’\-]*(?:[ \t]+\p{Lu}[\p{L}'’\-]*)?`)
)

func (rd *redactor) redact(text string) string {
	if text == "" {
		return text
	}
	var spans []span
	add := func(rank int, token string, start, end int) {
		if end > start {
			spans = append(spans, span{start, end, token, rank})
		}
	}
	for _, m := range reEmail.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		at := strings.LastIndexByte(text[start:end], '@') + start
		// Keep trailing punctuation ("write to a@b.com.") unless nothing
		// of the domain would be left.
		for end-1 > at+1 && strings.IndexByte(".!?-", text[end-1]) >= 0 {
			end--
		}
		add(0, TokenEmail, start, end)
	}
	for _, m := range rePhone.FindAllStringIndex(text, -1) {
		if text[m[0]] == '(' && !strings.Contains(text[m[0]:m[1]], ")") {
			m[0]++ // "(020 7946 0018, ...)": the bracket is the writer's
		}
		if !digitAt(text, m[0], -1) && !digitAt(text, m[1], +1) {
			add(1, TokenPhone, m[0], m[1])
		}
	}
	for _, m := range reNHS.FindAllStringIndex(text, -1) {
		if !digitAt(text, m[0], -1) && !digitAt(text, m[1], +1) {
			add(2, TokenNHSNumber, m[0], m[1])
		}
	}
	for _, m := range reLong.FindAllStringIndex(text, -1) {
		add(3, TokenNumber, m[0], m[1])
	}
	for _, m := range rePostcode.FindAllStringIndex(text, -1) {
		if !ordinal(text[m[0]:m[1]]) {
			add(4, TokenPostcode, m[0], m[1])
		}
	}
	for _, re := range reDates {
		for _, m := range re.FindAllStringIndex(text, -1) {
			add(5, TokenDate, m[0], m[1])
		}
	}
	for _, m := range reOnThe.FindAllStringSubmatchIndex(text, -1) {
		if !reOrdinalNoun.MatchString(text[m[1]:]) {
			add(5, TokenDate, m[2], m[3])
		}
	}
	for _, m := range reTitleName.FindAllStringIndex(text, -1) {
		add(6, TokenName, m[0], m[1])
	}
	if rd.names != nil {
		// Scan by hand: a match rejected for touching a letter ("Jo" in
		// "Joanne") must not hide one that starts inside it.
		for pos := 0; pos < len(text); {
			m := rd.names.FindStringIndex(text[pos:])
			if m == nil {
				break
			}
			start, end := pos+m[0], pos+m[1]
			if wordAt(text, start, -1) || wordAt(text, end, +1) {
				_, w := utf8.DecodeRuneInString(text[start:])
				pos = start + w
				continue
			}
			add(7, TokenName, start, end)
			pos = end
		}
	}
	if len(spans) == 0 {
		return text
	}
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.end != b.end {
			return a.end > b.end
		}
		return a.rank < b.rank
	})
	var b strings.Builder
	last := 0
	cur := spans[0]
	flush := func() {
		b.WriteString(text[last:cur.start])
		b.WriteString(cur.token)
		last = cur.end
	}
	for _, s := range spans[1:] {
		if s.start < cur.end { // overlaps: one redaction
			if s.end > cur.end {
				cur.end = s.end
			}
			continue
		}
		flush()
		cur = s
	}
	flush()
	b.WriteString(text[last:])
	return b.String()
}

// digitAt reports whether the rune just before i (dir -1) or at i (dir +1)
// is a digit.
func digitAt(s string, i, dir int) bool {
	r, ok := runeAt(s, i, dir)
	return ok && unicode.IsDigit(r)
}

// wordAt is digitAt for letters, digits and underscores: a name must not
// continue into a longer word.
func wordAt(s string, i, dir int) bool {
	r, ok := runeAt(s, i, dir)
	return ok && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r))
}

func runeAt(s string, i, dir int) (rune, bool) {
	if dir < 0 {
		if i <= 0 {
			return 0, false
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		return r, true
	}
	if i >= len(s) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r, true
}

// ordinal reports whether a postcode-shaped match ends in a lower-case
// ordinal ("Q1 2nd"), which no one writes for a postcode.
func ordinal(m string) bool {
	tail := m[len(m)-2:]
	switch tail {
	case "st", "nd", "rd", "th":
		return true
	}
	return false
}
