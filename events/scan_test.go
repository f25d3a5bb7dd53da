package events

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// jsonStringEnd is what skipString should say of the string starting at
// s[start], by encoding/json: the end of its shortest prefix that is a
// valid JSON string, if any.
func jsonStringEnd(s []byte, start int) (int, bool) {
	for end := start + 2; end <= len(s); end++ {
		if json.Valid(s[start:end]) {
			return end, true
		}
	}
	return 0, false
}

// plainStringBytewise is plainString's verdict, a byte at a time.
func plainStringBytewise(r []byte) bool {
	if len(r) < 2 || r[0] != '"' || r[len(r)-1] != '"' {
		return false
	}
	s := r[1 : len(r)-1]
	for _, c := range s {
		if c == '\\' || c == '"' {
			return false
		}
	}
	return utf8.Valid(s)
}

// TestSkipStringLanes: skipString and plainString, which read eight
// bytes at a time, agree with encoding/json and with a byte-at-a-time
// reading respectively, on strings of every length up to 40 with each
// hard byte (quote, backslash, escapes, controls, 0x1f/0x20, 0x7f/0x80,
// multi-byte and invalid UTF-8) at every position, and on random strings
// of those bytes.
func TestSkipStringLanes(t *testing.T) {
	hard := []string{`"`, `\`, `\"`, `\\`, `\/`, `\n`, `\u00e9`, `\u12`, `\x`, "\x00", "\x1f", " ", "\x7f", "\x80", "é", "\xff", "\u2028", "!", "#", "[", "]", "\\u"}
	check := func(s []byte) {
		t.Helper()
		for start := 0; start < len(s); start++ {
			if s[start] != '"' {
				continue
			}
			gi, gok := skipString(s, start)
			wi, wok := jsonStringEnd(s, start)
			if gok != wok || (gok && gi != wi) {
				t.Fatalf("skipString(%q, %d) = %d %v, encoding/json %d %v", s, start, gi, gok, wi, wok)
			}
			if gok {
				v := rawValue{b: s[start:gi]}
				_, ok := v.plainString()
				if ok != plainStringBytewise(v.b) {
					t.Fatalf("plainString(%q) = %v, bytewise %v", v.b, ok, !ok)
				}
			}
		}
	}
	n := 0
	for length := 0; length <= 40; length++ {
		for _, h := range hard {
			for pos := 0; pos <= length; pos++ {
				s := []byte{'"'}
				for k := 0; k < length; k++ {
					if k == pos {
						s = append(s, h...)
					}
					s = append(s, 'a'+byte(k%26))
				}
				if pos == length {
					s = append(s, h...)
				}
				check(append(s, '"'))
				check(append(append([]byte(nil), s...), '"', ',', '"', 'x', '"'))
				check(s) // unterminated
				n++
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		s := []byte{'"'}
		for range rng.IntN(48) {
			if rng.IntN(4) == 0 {
				s = append(s, hard[rng.IntN(len(hard))]...)
			} else {
				s = append(s, byte(0x20+rng.IntN(0x5f)))
			}
		}
		check(append(s, '"'))
		n++
	}
	t.Logf("%d strings agree", n)
}

// TestStopLanes: stopLanes flags, as its lowest set lane, exactly the first
// byte that is '"', '\\' or a control, for each byte in each lane over a
// background of every byte class.
func TestStopLanes(t *testing.T) {
	for _, bg := range []byte{'a', ' ', 0x7f, 0x80, 0xff, '!', '#', '[', ']', 0x21, 0x5d} {
		for lane := range 8 {
			for c := range 256 {
				var b [8]byte
				for k := range b {
					b[k] = bg
				}
				b[lane] = byte(c)
				want := -1
				for k, x := range b {
					if x == '"' || x == '\\' || x < 0x20 {
						want = k
						break
					}
				}
				m := stopLanes(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
					uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
				got := -1
				if m != 0 {
					for k := range 8 {
						if m>>(8*k+7)&1 != 0 {
							got = k
							break
						}
					}
				}
				if got != want {
					t.Fatalf("stopLanes(%q) flags lane %d first, want %d", b[:], got, want)
				}
			}
		}
	}
}
