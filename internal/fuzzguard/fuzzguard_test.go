package fuzzguard

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The guard must crash the process when a call overruns, with a message
// that says so, and must stay silent when stopped in time. The crash is
// shown in a child process: this test binary run again with one test.
func TestStart(t *testing.T) {
	switch os.Getenv("FUZZGUARD_CHILD") {
	case "hang":
		defer Start(20 * time.Millisecond)()
		time.Sleep(5 * time.Second)
		return
	case "quick":
		stop := Start(20 * time.Millisecond)
		stop()
		time.Sleep(100 * time.Millisecond)
		return
	}
	for _, c := range []struct {
		mode  string
		crash bool
	}{{"hang", true}, {"quick", false}} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestStart$")
		cmd.Env = append(os.Environ(), "FUZZGUARD_CHILD="+c.mode)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		if crashed := err != nil; crashed != c.crash {
			t.Fatalf("%s: crashed = %v (%v), want %v; output:\n%s", c.mode, crashed, err, c.crash, out)
		}
		if c.crash {
			if !strings.Contains(string(out), "this input hangs the code under test") {
				t.Errorf("%s: the crash does not say why:\n%s", c.mode, out)
			}
			if took >= 5*time.Second {
				t.Errorf("%s: the guard fired only after the call ended (%v)", c.mode, took)
			}
		}
	}
}
