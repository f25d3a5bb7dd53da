// Package procstatus reads the memory figures of Linux's /proc/PID/status.
package procstatus

import (
	"bytes"
	"strconv"
)

// KiB is the value of the line "name N kB" of a /proc/PID/status file (name
// with its colon, e.g. "VmHWM:"), in KiB; false when there is no such line
// or its value is not a number.
func KiB(status []byte, name string) (int64, bool) {
	for line := range bytes.Lines(status) {
		v, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
		return kb, err == nil
	}
	return 0, false
}
