// Package cli is the evalpipe command line as a library: Run parses the
// arguments and runs one command, writing to the given stdout and stderr.
// Flags are parsed only here; every stage package takes a typed Config.
//
// The commands and their flags are a public contract (CLI.md): add freely,
// change only with a deprecation path.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// Version is the code version stamped into reports' provenance; set at build
// time with -ldflags "-X github.com/evalpipe/evalpipe/cmd/evalpipe/cli.Version=...".
var Version = "dev"

// UsageError is a mistake in the command line: exit status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// Main runs the command line and returns the process exit status: 0 on
// success, 1 on failure, 2 on a usage error.
func Main(ctx context.Context, args []string, in io.Reader, stdout, stderr io.Writer) int {
	stdin = in
	err := Run(ctx, args, stdout, stderr)
	var ue *UsageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "evalpipe: %v\nRun 'evalpipe --help' for usage.\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "evalpipe: %v\n", err)
		return 1
	}
}

// env is the state every command shares: the shared flags of CLI.md.
type env struct {
	stdout, stderr io.Writer
	data           string
	brokers        string
	configPath     string
	verbose        bool
	log            *slog.Logger
}

func (e *env) sharedFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.data, "data", "./data", "data directory: the embedded broker's log, the lake, checkpoints, reports (env EVALPIPE_DATA)")
	fs.StringVar(&e.brokers, "brokers", "", "Kafka bootstrap servers, comma-separated; empty means the embedded broker (env EVALPIPE_BROKERS)")
	fs.StringVar(&e.configPath, "config", "", "YAML config file: Kafka TLS/SASL, population, time zone, ... (env EVALPIPE_CONFIG)")
	fs.BoolVar(&e.verbose, "verbose", false, "log progress and decisions at debug level")
}

func (e *env) paths() (lake, state, reports string) {
	return filepath.Join(e.data, "lake"), filepath.Join(e.data, "ingest"), filepath.Join(e.data, "reports")
}

// Run parses args and runs one command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	newFS := func(name string) *flag.FlagSet {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		e.sharedFlags(fs)
		return fs
	}
	opts := []ff.Option{ff.WithEnvVarPrefix("EVALPIPE")}
	cmds := []*ffcli.Command{
		runCommand(e, newFS("run"), opts),
		demoCommand(e, newFS("demo-data"), opts),
		brokerCommand(e, newFS("broker"), opts),
		ingestCommand(e, newFS("ingest"), opts),
		transformCommand(e, newFS("transform"), opts),
		reportCommand(e, newFS("report"), opts),
		warehouseCommand(e, newFS("warehouse"), opts),
		queryCommand(e, newFS("query"), opts),
		metricsCommand(e, newFS("metrics"), opts),
		scoreCommand(e, newFS("score"), opts),
		spcCommand(e, newFS("spc"), opts),
		serveCommand(e, newFS("serve"), opts),
		tokenCommand(e, newFS("token"), opts),
		exportCommand(e, newFS("export"), opts),
	}
	root := &ffcli.Command{
		Name:       "evalpipe",
		ShortUsage: "evalpipe [--data DIR] [--brokers LIST] [--config FILE] <command> [flags]",
		ShortHelp:  "An event-sourced evaluation pipeline for mental-health services.",
		LongHelp: strings.TrimSpace(`
Sources (NDJSON and CSV exports) are ingested into Kafka, validated and
pseudonymised; transformed exactly once into a Parquet lake; modelled in
DuckDB; and reported with disclosure control.

Start with 'evalpipe run': with no --input it generates a demo service,
runs the whole pipeline on an embedded broker and writes the reports.`),
		FlagSet:     newFS("evalpipe"),
		Options:     opts,
		Subcommands: cmds,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q", args[0])
			}
			return flag.ErrHelp
		},
	}
	for _, c := range append(cmds, root) {
		c.UsageFunc = usageFunc
	}
	if err := root.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{Msg: err.Error()}
	}
	level := slog.LevelInfo
	if e.verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	err := root.Run(ctx)
	if errors.Is(err, flag.ErrHelp) {
		root.FlagSet.Usage()
	}
	return err
}

func usageFunc(c *ffcli.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "USAGE\n  %s\n", c.ShortUsage)
	if c.LongHelp != "" {
		fmt.Fprintf(&b, "\n%s\n", c.LongHelp)
	} else if c.ShortHelp != "" {
		fmt.Fprintf(&b, "\n%s\n", c.ShortHelp)
	}
	if len(c.Subcommands) > 0 {
		b.WriteString("\nCOMMANDS\n")
		for _, s := range c.Subcommands {
			fmt.Fprintf(&b, "  %-10s %s\n", s.Name, s.ShortHelp)
		}
	}
	b.WriteString("\nFLAGS\n")
	c.FlagSet.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&b, "  --%-14s %s%s\n", f.Name, f.Usage, def)
	})
	b.WriteString("\nExit status: 0 success, 1 failure, 2 usage error.")
	return b.String()
}

// interspersed lets flags follow positional arguments, as CLI.md writes them
// (`evalpipe report kpi --from 2024-04`): the standard flag package stops at
// the first positional, so parse what follows each one again.
func interspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		if err := fs.Parse(args[1:]); err != nil {
			return nil, &UsageError{Msg: err.Error()}
		}
		args = fs.Args()
	}
	return pos, nil
}
