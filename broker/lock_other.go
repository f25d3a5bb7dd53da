//go:build !unix

package broker

import "os"

// tryLock is a no-op where flock is unavailable: the data directory is then
// protected only by convention (one broker per --data).
func tryLock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
