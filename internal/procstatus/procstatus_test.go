package procstatus

import "testing"

func TestKiB(t *testing.T) {
	status := []byte("Name:\tevalpipe\nVmHWM:\t  1048576 kB\nVmRSS:\t   524800 kB\nThreads:\t4\n")
	for _, c := range []struct {
		name string
		want int64
		ok   bool
	}{{"VmHWM:", 1048576, true}, {"VmRSS:", 524800, true}, {"VmSwap:", 0, false}, {"Threads:", 4, true}} {
		got, ok := KiB(status, c.name)
		if ok != c.ok || got != c.want {
			t.Errorf("KiB(%s) = %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	if _, ok := KiB([]byte("VmRSS:\tlots kB\n"), "VmRSS:"); ok {
		t.Error("KiB read a number from \"lots\"")
	}
	if _, ok := KiB([]byte("XVmRSS:\t12 kB\n"), "VmRSS:"); ok {
		t.Error("KiB matched a name inside another line")
	}
}
