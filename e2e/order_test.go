package e2e

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The same events in any order give byte-identical report data: the
// fixture in file order and in three shuffled orders, through the whole
// pipeline, give the same CSVs and JSON of every report `run` writes, but
// for provenance (which names the lake files, and so their offsets).
func TestArrivalOrderDoesNotMatter(t *testing.T) {
	src, err := os.ReadFile("../testdata/fixture/events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	var want map[string][]byte
	for seed := uint64(0); seed < 4; seed++ {
		order := append([]string(nil), lines...)
		if seed > 0 {
			rand.New(rand.NewPCG(seed, 1)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		data := t.TempDir()
		in := filepath.Join(data, "events.ndjson")
		if err := os.WriteFile(in, []byte(strings.Join(order, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(data, "out")
		evalpipe(t, data, "run", "--input", in, "--from", "2024-04", "--to", "2024-06", "--out", out)
		got := map[string][]byte{}
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		for _, f := range files {
			name := filepath.Base(f)
			if !strings.HasSuffix(name, ".csv") && !strings.HasSuffix(name, ".json") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".json") {
				b = withoutProvenance(t, b)
			}
			got[name] = b
		}
		if len(got) < 10 {
			t.Fatalf("order %d: only %d CSV/JSON report files: %v", seed, len(got), files)
		}
		if want == nil {
			want = got
			continue
		}
		if len(got) != len(want) {
			t.Errorf("order %d: %d report files, want %d", seed, len(got), len(want))
		}
		for name := range want {
			if !bytes.Equal(got[name], want[name]) {
				t.Errorf("order %d: %s differs from the file-order run", seed, name)
			}
		}
	}
}

func withoutProvenance(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "provenance")
	out, _ := json.Marshal(m)
	return out
}
