// Command evalpipe is the event-sourced evaluation pipeline for mental-health
// services: one binary with a subcommand per stage. See the README, or run
// `evalpipe --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/evalpipe/evalpipe/cmd/evalpipe/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// EVALPIPE_CPUPROFILE=FILE writes a CPU profile of the command, for
	// `make bench` (go run ./bench -pprof) and go tool pprof.
	if path := os.Getenv("EVALPIPE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if os.Getenv("EVALPIPE_CPUPROFILE") != "" {
		pprof.StopCPUProfile()
	}
	os.Exit(code)
}
