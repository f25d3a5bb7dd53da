package transform

import (
	"encoding/json"
	"testing"

	"github.com/evalpipe/evalpipe/internal/fuzzguard"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"top level", `{"event_id":"e1","nhs_number":"9434765919","local_id":"L1","date_of_birth":"1990-01-01","x":1}`, `{"event_id":"e1","x":1}`},
		{"nested", `{"data":{"nhs_number":"9434765919","a":{"local_id":"L"}}}`, `{"data":{"a":{}}}`},
		{"in an array", `{"people":[{"date_of_birth":"1990-01-01","n":1}]}`, `{"people":[{"n":1}]}`},
		{"not json: redacted by shape", "\x00 9434765919 born 31/01/1990", "\x00 [redacted] born [redacted]"},
		{"array", `[{"nhs_number":"1"}]`, `[{"nhs_number":"1"}]`},
	}
	for _, tt := range tests {
		if got, _ := scrub([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: scrub(%s) = %s, want %s", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzScrub: scrub never panics and leaves no identifier key in an object.
func FuzzScrub(f *testing.F) {
	f.Add([]byte(`{"nhs_number":"9434765919","data":{"date_of_birth":"x"}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, in []byte) {
		defer fuzzguard.Start(fuzzguard.Limit)()
		out, _ := scrub(in)
		var obj map[string]any
		if json.Unmarshal(in, &obj) != nil || obj == nil {
			return
		}
		var walked any
		if err := json.Unmarshal([]byte(out), &walked); err != nil {
			t.Fatalf("scrub(%q) = %s: not JSON: %v", in, out, err)
		}
		if k := identifierIn(walked); k != "" {
			t.Errorf("scrub(%q) = %s still has %s", in, out, k)
		}
	})
}

func identifierIn(v any) string {
	switch x := v.(type) {
	case map[string]any:
		for k, inner := range x {
			for _, id := range identifierKeys {
				if k == id {
					return k
				}
			}
			if found := identifierIn(inner); found != "" {
				return found
			}
		}
	case []any:
		for _, inner := range x {
			if found := identifierIn(inner); found != "" {
				return found
			}
		}
	}
	return ""
}
