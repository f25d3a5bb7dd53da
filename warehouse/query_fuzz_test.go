package warehouse

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

// FuzzParsePeriod: any --from/--to or ?from=&to= text is parsed or refused
// with an error, never a panic; an accepted period is whole months, in order.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range [][2]string{{"2024-04", "2025-03"}, {"2024-13", "2024-01"}, {"", ""}, {"2024-02", "2024-02"}, {"9999-12", "0000-01"}, {"2024-4", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, from, to string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		p, err := ParsePeriod(from, to)
		if err != nil {
			return
		}
		if p.To.Before(p.From) || p.From.Day() != 1 || p.To.AddDate(0, 0, 1).Day() != 1 {
			t.Fatalf("ParsePeriod(%q, %q) = %v to %v: not whole months in order", from, to, p.From, p.To)
		}
	})
}

// FuzzCheckReadOnly: the guard in front of evaluators' SQL never panics,
// and never lets a statement through that begins with a writing or
// configuring keyword.
func FuzzCheckReadOnly(f *testing.F) {
	for _, s := range []string{"SELECT 1", "WITH x AS (SELECT 1) SELECT * FROM x", "COPY referrals TO '/tmp/x'", "ATTACH 'x.db'", "SELECT 1; DROP TABLE referrals", "INSTALL httpfs", "SET memory_limit='1GB'", "/* c */ select 1", "", "PRAGMA version"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		out, err := checkReadOnly(q)
		if err != nil || !utf8.ValidString(q) {
			return
		}
		head := strings.ToUpper(strings.TrimSpace(out))
		for _, bad := range []string{"COPY", "ATTACH", "INSTALL", "LOAD", "SET", "PRAGMA", "CREATE", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "EXPORT", "IMPORT"} {
			if strings.HasPrefix(head, bad+" ") {
				t.Fatalf("checkReadOnly(%q) let %q through", q, out)
			}
		}
	})
}
