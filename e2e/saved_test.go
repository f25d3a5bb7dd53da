package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Several commands saving and reading the warehouse build of one data
// directory at once (evalpipe warehouse twice, with the same and with
// other settings, and a report): each succeeds, one build is left and no
// temporary file, and the next report reuses it.
func TestSavedBuildUnderConcurrentCommands(t *testing.T) {
	data := t.TempDir()
	input := filepath.Join(data, "input")
	evalpipe(t, data, "demo-data", "--out", input, "--referrals", "150")
	evalpipe(t, data, "run", "--input", input)
	other := filepath.Join(data, "other.yaml")
	if err := os.WriteFile(other, []byte("time_zone: Europe/Paris\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(data, "warehouse")); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"warehouse"},
		{"warehouse"},
		{"--config", other, "warehouse"},
		{"report", "kpi", "--format", "json", "--out", "-"},
	}
	var wg sync.WaitGroup
	errs := make([]string, len(commands))
	for i, args := range commands {
		wg.Go(func() {
			if _, errOut, err := evalpipeErr(t, data, args...); err != nil {
				errs[i] = err.Error() + "\n" + errOut
			}
		})
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("evalpipe %s: %s", strings.Join(commands[i], " "), e)
		}
	}
	builds, _ := filepath.Glob(filepath.Join(data, "warehouse", "build-*.duckdb"))
	tmps, _ := filepath.Glob(filepath.Join(data, "warehouse", "*.tmp-*"))
	if len(builds) != 1 || len(tmps) != 0 {
		t.Fatalf("saved builds %v, temporary files %v: want one build and no temporary file", builds, tmps)
	}
	// Whichever save was last, a report with its settings reuses it.
	args := []string{"report", "kpi", "--format", "json", "--out", "-"}
	if !reusedBy(t, data, args) && !reusedBy(t, data, append([]string{"--config", other}, args...)) {
		t.Errorf("neither setting reuses the build left, %s", builds[0])
	}
}

func reusedBy(t *testing.T, data string, args []string) bool {
	t.Helper()
	_, errOut, err := evalpipeErr(t, data, args...)
	if err != nil {
		t.Fatalf("evalpipe %v: %v\n%s", args, err, errOut)
	}
	return strings.Contains(errOut, "using the saved build")
}

// The month after: the latest tenth of each NDJSON export arrives after a
// run has saved its build. The next run updates that build (it does not
// build afresh), and the KPI report over the build it saves is the one a
// whole build of the lake gives.
func TestRunUpdatesTheSavedBuild(t *testing.T) {
	data := t.TempDir()
	input := filepath.Join(data, "input")
	evalpipe(t, data, "demo-data", "--out", input, "--referrals", "300")
	later := filepath.Join(data, "later")
	if err := os.MkdirAll(later, 0o755); err != nil {
		t.Fatal(err)
	}
	exports, _ := filepath.Glob(filepath.Join(input, "*.ndjson"))
	for _, f := range exports {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		cut := len(lines) * 9 / 10 // the exports are in recorded_at order
		if err := os.WriteFile(f, []byte(strings.Join(lines[:cut], "")), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(later, filepath.Base(f)), []byte(strings.Join(lines[cut:], "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := filepath.Join(input, "evalpipe.demo.yaml")
	evalpipe(t, data, "--config", config, "run", "--input", input)
	_, errOut, err := evalpipeErr(t, data, "--config", config, "run", "--input", later)
	if err != nil {
		t.Fatalf("the second run: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "updating the saved build") {
		t.Fatalf("the second run did not update the saved build:\n%s", errOut)
	}
	args := []string{"report", "kpi", "--format", "json", "--out", "-"}
	got, errOut, err := evalpipeErr(t, data, append([]string{"--config", config}, args...)...)
	if err != nil || !strings.Contains(errOut, "using the saved build") {
		t.Fatalf("the report after: %v\n%s", err, errOut)
	}
	whole := filepath.Join(data, "whole.yaml")
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(whole, append(b, "\nwarehouse:\n  save: false\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	want := evalpipe(t, data, append([]string{"--config", whole}, args...)...)
	if string(withoutProvenance(t, []byte(got))) != string(withoutProvenance(t, []byte(want))) {
		t.Error("the KPI report over the updated build differs from a whole build's")
	}
}
