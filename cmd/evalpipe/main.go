// Command evalpipe is the event-sourced evaluation pipeline for mental-health
// services: one binary with a subcommand per stage. See the README, or run
// `evalpipe --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/evalpipe/evalpipe/cmd/evalpipe/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
