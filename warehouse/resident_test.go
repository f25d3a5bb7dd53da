package warehouse

import (
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// At debug level every build statement and metric query is logged with the
// process's resident memory, its peak and DuckDB's buffer pool; at info
// level none is, and nothing is asked of DuckDB for it.
func TestBuildLogCarriesMemory(t *testing.T) {
	var logs strings.Builder
	openFixture(t, Config{Population: 200000, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	built := regexp.MustCompile(`msg="warehouse built" .*object=episodes .*duckdb_mib=\d+`)
	if !built.MatchString(logs.String()) {
		t.Errorf("no episodes build record with duckdb_mib:\n%.2000s", logs.String())
	}
	if runtime.GOOS == "linux" && !regexp.MustCompile(`object=episodes .*rss_mib=[1-9]\d* peak_mib=[1-9]\d*`).MatchString(logs.String()) {
		t.Errorf("no episodes build record with rss_mib and peak_mib:\n%.2000s", logs.String())
	}

	logs.Reset()
	openFixture(t, Config{Population: 200000, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if strings.Contains(logs.String(), "warehouse built") {
		t.Errorf("build records at info level:\n%.2000s", logs.String())
	}
}
