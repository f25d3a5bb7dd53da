package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/lake/laketest"
)

// fixturePath is the hand-built fixture of testdata/fixture/README.md.
var fixturePath = filepath.Join("..", "testdata", "fixture", "events.ndjson")

// writeLake writes NDJSON events to a lake under root (see laketest).
func writeLake(t testing.TB, root string, ndjson []byte) { laketest.WriteNDJSON(t, root, ndjson) }

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

// openLines writes NDJSON lines to a new lake and opens a warehouse over
// it with the default Config.
func openLines(t testing.TB, lines []string) *Warehouse {
	t.Helper()
	lake := t.TempDir()
	writeLake(t, lake, []byte(strings.Join(lines, "\n")+"\n"))
	w, err := Open(context.Background(), Config{Lake: lake})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// queryString is the one string a query returns.
func queryString(t testing.TB, w *Warehouse, q string) string {
	t.Helper()
	var s string
	if err := w.DB().QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
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
