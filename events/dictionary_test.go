package events

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated docs and golden files")

// docs/data-dictionary.md is generated from Types; this fails when it is stale.
func TestDataDictionaryUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDictionary(&buf); err != nil {
		t.Fatal(err)
	}
	const path = "../docs/data-dictionary.md"
	if *update {
		if err := os.MkdirAll("../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./events -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date with events.Types: run go test ./events -update and review the diff", path)
	}
}
