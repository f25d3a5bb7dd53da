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
