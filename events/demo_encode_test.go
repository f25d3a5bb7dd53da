package events_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/events"
)

// TestDecodeAppendDemoData: every NDJSON line of a demo data set (bad lines
// included) decodes through DecodeAppend as through Decode, and encodes as
// json.Marshal encodes the event.
func TestDecodeAppendDemoData(t *testing.T) {
	dir := t.TempDir()
	if _, err := demo.Generate(context.Background(), demo.Config{Referrals: 300, BadLines: 20}, dir); err != nil {
		t.Fatal(err)
	}
	p, err := events.NewPseudonymiser([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	opt := events.DecodeOptions{Pseudonymiser: p, Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }}
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	lines, valid := 0, 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines++
			ev, err := events.Decode(sc.Bytes(), opt)
			got, out, gerr := events.DecodeAppend(nil, sc.Bytes(), opt)
			_, _, lerr := events.DecodeAppendNoData(nil, sc.Bytes(), opt)
			if (err == nil) != (gerr == nil) || (err != nil && (err.Error() != gerr.Error() || lerr == nil || err.Error() != lerr.Error())) {
				t.Fatalf("%s: DecodeAppend error %v, DecodeAppendNoData %v, Decode %v", sc.Bytes(), gerr, lerr, err)
			}
			if err != nil {
				continue
			}
			valid++
			want, _ := json.Marshal(ev)
			if !reflect.DeepEqual(got, ev) || string(out) != string(want) {
				t.Fatalf("%s:\nDecodeAppend %s\njson.Marshal %s", sc.Bytes(), out, want)
			}
			lean, out2, err := events.DecodeAppendNoData(nil, sc.Bytes(), opt)
			if lean.Data == nil {
				lean.Data = ev.Data
			}
			if err != nil || string(out2) != string(want) || !reflect.DeepEqual(lean, ev) || lean.Family() != ev.Family() {
				t.Fatalf("%s:\nDecodeAppendNoData %s (%v)\njson.Marshal       %s", sc.Bytes(), out2, err, want)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d files, %d lines, %d valid", len(files), lines, valid)
	if valid < 1000 {
		t.Fatalf("only %d valid lines: the test checks too little", valid)
	}
}
