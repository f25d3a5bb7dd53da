package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// goldenReports are the reports whose every metric is pinned on the demo data.
var goldenReports = [][]string{
	{"kpi"},
	{"interim", "--programme", "peer_coaching"},
	{"peer-impact"},
	{"crisis-savings"},
	{"you-said-we-did"},
}

// Golden results of every metric on the demo data, through the whole
// pipeline (the CSV export included): a change in any number shows up as a
// diff to review. Refresh with `go test ./e2e -run Golden -update`.
func TestDemoGolden(t *testing.T) {
	data := t.TempDir()
	input := filepath.Join(data, "input")
	evalpipe(t, data, "demo-data", "--out", input, "--referrals", "600", "--months", "24", "--start", "2023-04-01", "--bad-lines", "6")
	// The demo's synthetic settings (unit costs, population shares), so the
	// crisis and representation metrics have values to pin.
	evalpipe(t, data, "--config", filepath.Join(input, "evalpipe.demo.yaml"), "run", "--input", input, "--from", "2024-04", "--to", "2025-03", "--out", filepath.Join(data, "out"))
	// run saved its warehouse build, and the reports below reuse it. Each
	// is also made from a fresh build (warehouse.save: false), and both
	// must be the golden.
	settings, err := os.ReadFile(filepath.Join(input, "evalpipe.demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(data, "fresh.yaml")
	if err := os.WriteFile(fresh, append(settings, "\nwarehouse:\n  save: false\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(data, "warehouse", "build-*.duckdb")); len(m) != 1 {
		t.Fatalf("run saved builds %v, want one", m)
	}
	for _, rep := range goldenReports {
		t.Run(rep[0], func(t *testing.T) {
			args := append([]string{"--config", filepath.Join(input, "evalpipe.demo.yaml"), "report"}, rep...)
			args = append(args, "--format", "json", "--disclosure", "none", "--out", "-", "--from", "2024-04", "--to", "2025-03")
			out, errOut, err := evalpipeErr(t, data, args...)
			if err != nil {
				t.Fatalf("evalpipe %v: %v\n%s", args, err, errOut)
			}
			if !strings.Contains(errOut, "using the saved build") {
				t.Errorf("the report did not reuse run's saved build; stderr:\n%s", errOut)
			}
			got := indent(t, withoutProvenance(t, []byte(out)))
			args[1] = fresh
			if built := indent(t, withoutProvenance(t, []byte(evalpipe(t, data, args...)))); !bytes.Equal(built, got) {
				t.Errorf("%s: the report from a fresh build differs from the one from the saved build", rep[0])
			}
			path := filepath.Join("testdata", "demo-"+rep[0]+".golden.json")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./e2e -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s: run go test ./e2e -run Golden -update and review the diff", rep[0], path)
			}
		})
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), '\n')
}
