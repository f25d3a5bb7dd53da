package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README's curl examples (between the serving-curl markers), run by
// /usr/bin/curl as a user would, against the running server.
func testReadme(t *testing.T, url, admin string) {
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		t.Skip("no /usr/bin/curl")
	}
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "<!-- serving-curl:begin -->"), strings.Index(s, "<!-- serving-curl:end -->")
	if i < 0 || j < i {
		t.Fatal("README has no serving-curl markers")
	}
	var cmds []string
	for _, line := range strings.Split(s[i:j], "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "curl ") {
			cmds = append(cmds, line)
		}
	}
	if len(cmds) != 5 {
		t.Fatalf("README: %d curl commands between the markers, want 5", len(cmds))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "events.ndjson"), []byte(referrals("readme", 3, 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	wants := [][]string{
		{"303"},
		{`"reports"`, `kpi.html`},
		{`"status": "ingested"`},
		{`"recovery_rate"`, `"disclosure": "nhs"`},
		{"referral_source,n\ngp,"},
	}
	for k, cmd := range cmds {
		c := exec.Command("/bin/sh", "-c", cmd)
		c.Dir = dir
		c.Env = append(os.Environ(), "EVALPIPE_URL="+url, "TOKEN="+admin)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", cmd, err, out)
			continue
		}
		for _, w := range wants[k] {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s\nprinted %s\nwant it to contain %q", cmd, out, w)
			}
		}
	}
}
