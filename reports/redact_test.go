package reports

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

func TestRedact(t *testing.T) {
	staff := []string{"Jo", "Sam Lee", "Zoë", "O'Brien"}
	tests := []struct {
		name, in, want string
	}{
		// NHS numbers
		{"nhs number run together", "my number is 9434765919.", "my number is [NHS number]."},
		{"nhs number spaced 3-3-4", "NHS no 943 476 5919 ok", "NHS no [NHS number] ok"},
		{"nhs number hyphenated", "ref 943-476-5919", "ref [NHS number]"},
		{"nhs number after letters", "id:NHS9434765919", "id:NHS[NHS number]"},
		{"longer digit run", "card 1234567890123456", "card [number]"},
		// phones
		{"mobile", "text me on 07700 900123 please", "text me on [phone] please"},
		{"mobile unspaced", "07700900123", "[phone]"},
		{"mobile +44", "call +44 7700 900123", "call [phone]"},
		{"mobile +44 (0)", "call +44 (0)7700 900123.", "call [phone]."},
		{"london", "ring 020 7946 0018 now", "ring [phone] now"},
		{"london bracketed", "ring (020) 7946 0018", "ring [phone]"},
		{"landline 4-3-4", "Leeds 0113 496 0000", "Leeds [phone]"},
		{"landline 5-6 bracketed", "(01632) 960123 is the office", "[phone] is the office"},
		{"landline hyphens", "0161-496-0000", "[phone]"},
		// e-mail
		{"email", "write to jo.smith@nhs.net.", "write to [email]."},
		{"email plus and subdomain", "a.b+c@mail.example.co.uk, thanks", "[email], thanks"},
		{"email in brackets", "(x@y.org)", "([email])"},
		// postcodes
		{"postcode", "I live at LS1 4AP now", "I live at [postcode] now"},
		{"postcode no space lower case", "near ls14ap", "near [postcode]"},
		{"postcode A9A", "W1A 1AA", "[postcode]"},
		{"postcode AA99", "near SW19 2HX.", "near [postcode]."},
		// dates
		{"date slashes", "seen 12/03/2024", "seen [date]"},
		{"date short year", "seen 12-03-24 and", "seen [date] and"},
		{"date dots", "12.03.2024", "[date]"},
		{"date iso", "on 2024-03-12", "on [date]"},
		{"date day month year", "on 12 March 2024 I", "on [date] I"},
		{"date ordinal of month", "the 3rd of March", "the [date]"},
		{"date month day ordinal", "March 12th, 2024 was hard", "[date] was hard"},
		{"date month day", "since march 12th", "since [date]"},
		{"date month year", "from May 2024", "from [date]"},
		{"on the 3rd", "I was seen on the 3rd and it helped", "I was seen on [date] and it helped"},
		{"on the 3rd end", "seen on the 21st.", "seen on [date]."},
		// names
		{"staff name", "Jo was brilliant", "[name] was brilliant"},
		{"staff name any case", "thanks to JO and jo", "thanks to [name] and [name]"},
		{"staff name two words", "Sam  Lee listened", "[name] listened"},
		{"staff name possessive", "Jo's advice", "[name]'s advice"},
		{"staff name non-ascii", "Zoë helped", "[name] helped"},
		{"staff name apostrophe", "Mr o'brien", "Mr [name]"},
		{"title name", "Dr Smith was kind", "[name] was kind"},
		{"title dotted", "Dr. Smith", "[name]"},
		{"title nurse", "Nurse Jones listened", "[name] listened"},
		{"title two names", "Prof Anna Bell said", "[name] said"},
		{"title hyphenated", "Mrs Smith-Jones", "[name]"},
		{"several kinds", "Dr Patel (020 7946 0018, a@b.nhs.uk) on 3 May 2024", "[name] ([phone], [email]) on [date]"},
		// must not be redacted
		{"phq score", "PHQ-9 score 12", "PHQ-9 score 12"},
		{"gad change", "GAD-7 went from 15 to 8", "GAD-7 went from 15 to 8"},
		{"session of", "session 3 of 8", "session 3 of 8"},
		{"weeks", "after 2 weeks", "after 2 weeks"},
		{"out of", "scored 10/27 then 24/7 support", "scored 10/27 then 24/7 support"},
		{"ordinal session", "on the 3rd session I cried", "on the 3rd session I cried"},
		{"may the verb", "it may help, session 3 may be the one", "it may help, session 3 may be the one"},
		{"name inside word", "Joanne and Joseph enjoyed it", "Joanne and Joseph enjoyed it"},
		{"lower case after title", "the nurse said it was fine", "the nurse said it was fine"},
		{"ordinal not postcode", "Q1 2nd review", "Q1 2nd review"},
		{"outward code alone", "I live in LS6", "I live in LS6"},
		{"short numbers", "call 111 or 999, text 85258", "call 111 or 999, text 85258"},
		{"nine digits", "code 123456789", "code 123456789"},
		{"step and one-to-one", "step 2, 1-2-1 sessions", "step 2, 1-2-1 sessions"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in, staff); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactIgnoresOneLetterNames(t *testing.T) {
	if got, want := Redact("a I Jo", []string{"a", " ", "", "I"}), "a I Jo"; got != want {
		t.Errorf("Redact with one-letter names = %q, want %q", got, want)
	}
	if err := (NHSOptions{StaffNames: []string{"Jo", "I"}}).Validate(); err == nil {
		t.Errorf("NHSOptions with a one-letter name: Validate() = nil, want an error")
	}
	if _, err := NHSPolicyWith(NHSOptions{StaffNames: []string{"Jo Smith"}}); err != nil {
		t.Errorf("NHSPolicyWith(Jo Smith) = %v, want nil", err)
	}
}

// emailLike is what the fuzz test calls an @-address: deliberately a
// different expression from the one Redact uses.
var emailLike = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+`)

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"Dr Smith rang 07700 900123 on 12/03/2024 about 943 476 5919",
		"jo@example.org LS1 4AP", "a@b@c", "x@y.", "１２３４５６７８９０", "0" + strings.Repeat("1", 20),
		"PHQ-9 score 12, session 3 of 8", "on the 3rd", "+44 (0)20 7946 0018", "\xff\xfe@\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		out := Redact(in, []string{"Jo", "Sam Lee"})
		run := 0
		for _, r := range out {
			if unicode.IsDigit(r) {
				run++
				if run >= 10 {
					t.Fatalf("Redact(%q) = %q: a run of 10 digits survives", in, out)
				}
				continue
			}
			run = 0
		}
		if m := emailLike.FindString(out); m != "" {
			t.Fatalf("Redact(%q) = %q: @-address %q survives", in, out, m)
		}
	})
}
