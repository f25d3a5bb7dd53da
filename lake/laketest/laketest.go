// Package laketest writes lakes for tests: NDJSON events decoded as
// transform decodes them and laid out as transform lays them out, without a
// broker. The warehouse and reports tests share it.
package laketest

import (
	"bufio"
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/lake"
)

// WriteNDJSON decodes canonical NDJSON events (no direct identifiers) and
// writes them under root: one file per family and UTC date of recorded_at
// (standing in for the Kafka timestamp), partition 0, offsets in file
// order per family. Any bad line fails the test.
func WriteNDJSON(t testing.TB, root string, ndjson []byte) {
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
