package warehouse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// metricFingerprint hashes what a metric means: its catalogue text, every
// SQL file named after it, and the shared cohort views it selects from.
func metricFingerprint(t *testing.T, m Metric) string {
	t.Helper()
	h := sha256.New()
	for _, s := range []string{m.ID, m.Title, m.Definition, m.Cohort, m.Unit, m.Direction} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var files []string
	filepath.WalkDir("sql", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.TrimSuffix(d.Name(), ".sql") == m.ID {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	// A metric that selects from a shared cohort view depends on its
	// definition too (sql/05_cohorts.sql).
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte("cohort_finished_")) {
			files = append(files, filepath.Join("sql", "05_cohorts.sql"))
			break
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(f))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

type lockEntry struct {
	Version     int    `json:"version"`
	Fingerprint string `json:"fingerprint"`
}

// A metric's definition text and SQL may change only with its version:
// testdata/metric_lock.json records, per id, the version and a fingerprint
// of the text and SQL. Changing either without bumping Version fails here;
// bumping it and running `go test ./warehouse -update` records the new one
// (and refreshes the golden results, which show what the change did).
func TestMetricDefinitionsLocked(t *testing.T) {
	const path = "testdata/metric_lock.json"
	var lock map[string]lockEntry
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &lock); err != nil {
			t.Fatal(err)
		}
	}
	now := map[string]lockEntry{}
	for _, m := range Catalogue() {
		e := lockEntry{Version: m.Version, Fingerprint: metricFingerprint(t, m)}
		now[m.ID] = e
		old, ok := lock[m.ID]
		switch {
		case *update:
		case !ok:
			t.Errorf("%s is not in %s: run go test ./warehouse -update and commit it", m.ID, path)
		case old.Version == e.Version && old.Fingerprint != e.Fingerprint:
			t.Errorf("%s: definition or SQL changed but version is still %d: bump its Version, then run go test ./warehouse -update", m.ID, e.Version)
		case old.Version != e.Version:
			t.Errorf("%s: version %d → %d not recorded: run go test ./warehouse -update and review the golden diff", m.ID, old.Version, e.Version)
		}
	}
	if *update {
		b, _ := json.MarshalIndent(now, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Every metric is exercised by a test that states its expected value: its
// id appears in a hand-worked test (this package's or the end-to-end one).
func TestEveryMetricTested(t *testing.T) {
	var corpus bytes.Buffer
	for _, pattern := range []string{"*_test.go", "../e2e/*_test.go"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "catalogue_lock_test.go") {
				continue
			}
			b, _ := os.ReadFile(f)
			corpus.Write(b)
		}
	}
	for _, m := range Catalogue() {
		if !bytes.Contains(corpus.Bytes(), []byte(`"`+m.ID+`"`)) {
			t.Errorf("%s: no test names it; add its hand-worked expected value to a fixture test", m.ID)
		}
	}
}

// docs/metrics.md is generated from the catalogue.
func TestMetricsDocUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCatalogue(&buf); err != nil {
		t.Fatal(err)
	}
	const path = "../docs/metrics.md"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date with the catalogue: run go test ./warehouse -update and review the diff", path)
	}
}
