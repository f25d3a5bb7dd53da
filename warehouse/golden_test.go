package warehouse

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// TestGolden pins the whole Result of TalkingTherapies on the fixture
// (every metric, breakdown, series point and interval). Refresh with
// `go test ./warehouse -update` and review the diff.
func TestGolden(t *testing.T) {
	w := openFixture(t, Config{Population: 200000, Version: "golden"})
	for _, tc := range []struct{ name, service string }{
		{"talking_therapies_2024q1_all", ""},
		{"talking_therapies_2024q1_svc-south", "svc-south"},
	} {
		res, err := w.TalkingTherapies(context.Background(), q1(), tc.service)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", tc.name+".golden.json")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./warehouse -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file; if the change is intended, run go test ./warehouse -update and review the diff\ngot:\n%s", path, firstDiff(got, want))
		}
	}
}

func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range g {
		if i >= len(w) || !bytes.Equal(g[i], w[i]) {
			wl := []byte("<end>")
			if i < len(w) {
				wl = w[i]
			}
			return "line " + itoa(i+1) + ":\n  got:  " + string(g[i]) + "\n  want: " + string(wl)
		}
	}
	return "(want is longer)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
