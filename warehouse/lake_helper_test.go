package warehouse

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/lake"
)

// fixturePath is the hand-built fixture of testdata/fixture/README.md.
var fixturePath = filepath.Join("..", "testdata", "fixture", "events.ndjson")

// writeLake decodes NDJSON events as transform would and writes them to a
// lake under root: one file per family and recorded UTC date, offsets in
// file order per family, as the transformer lays them out.
func writeLake(t testing.TB, root string, ndjson []byte) {
	t.Helper()
	type key struct {
		fam  events.Family
		date string
	}
	rows := map[key][]*events.Event{}
	var keys []key
	sc := bufio.NewScanner(bytes.NewReader(ndjson))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		ev, err := events.Decode(sc.Bytes(), events.DecodeOptions{})
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		k := key{ev.Family(), ev.RecordedAt.UTC().Format(time.DateOnly)}
		if rows[k] == nil {
			keys = append(keys, k)
		}
		rows[k] = append(rows[k], &ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].fam != keys[j].fam {
			return keys[i].fam < keys[j].fam
		}
		return keys[i].date < keys[j].date
	})
	next := map[events.Family]int64{}
	for _, k := range keys {
		d, _ := time.Parse(time.DateOnly, k.date)
		start := next[k.fam]
		w, err := lake.Create(root, k.fam, d, "evalpipe."+string(k.fam), 0, start, lake.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range rows[k] {
			row, err := ev.Row(0, start+int64(i))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
		}
		next[k.fam] = start + int64(len(rows[k]))
		if err := w.Commit(next[k.fam] - 1); err != nil {
			t.Fatal(err)
		}
	}
}

// openFixture writes the fixture lake and opens a warehouse over it.
func openFixture(t testing.TB, cfg Config) *Warehouse {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Lake == "" {
		cfg.Lake = t.TempDir()
		writeLake(t, cfg.Lake, b)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Date(2024, 8, 1, 12, 0, 0, 0, time.UTC) }
	}
	w, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func q1() Period {
	p, err := ParsePeriod("2024-04", "2024-06")
	if err != nil {
		panic(err)
	}
	return p
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// testingTB lets an Example use writeLake; it panics on failure.
type testingTB struct{ testing.TB }

func (testingTB) Helper()                   {}
func (testingTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (testingTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
