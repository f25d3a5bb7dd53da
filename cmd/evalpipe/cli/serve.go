package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/evalpipe/evalpipe/server"
	"github.com/evalpipe/evalpipe/warehouse"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func serveCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address to serve on")
	inbox := fs.String("inbox", "", "folder polled for exports (default DATA/inbox)")
	inboxEvery := fs.Duration("inbox-every", 2*time.Second, "inbox poll interval")
	pollURL := fs.String("poll-url", "", "an \"events since cursor\" API to poll: GET URL?cursor=X answering NDJSON or {\"events\":[...],\"next_cursor\":\"...\"}")
	pollEvery := fs.Duration("poll-every", 5*time.Second, "API poll interval once caught up")
	reportEvery := fs.String("report-every", "0 6 1 * *", "when to write the KPI report: a cron expression, @every DURATION, or a duration")
	idleFlush := fs.Duration("idle-flush", 2*time.Second, "commit an idle partition's open lake file after this long: the bound on how late data reaches the warehouse")
	refreshEvery := fs.Duration("refresh-every", 5*time.Second, "how often to look for new lake files and re-open the warehouse")
	queryTimeout := fs.Duration("query-timeout", 30*time.Second, "time limit of each /api/query")
	memLimit := fs.String("memory-limit", "1GB", "DuckDB memory_limit for the served warehouse")
	return &ffcli.Command{
		Name: "serve", ShortUsage: "evalpipe serve [--listen HOST:PORT] [--inbox DIR] [--poll-url URL] [--report-every CRON]",
		FlagSet: fs, Options: opts, ShortHelp: "run continuously: sources polled, transform, warehouse, scheduled reports, HTTP API",
		LongHelp: `Runs the pipeline unattended until interrupted (SIGTERM or Ctrl-C): the inbox
folder and an optional HTTP API are polled, events can be pushed to
POST /v1/events, the transformer runs continuously, the warehouse is
re-opened when the lake changes, and the KPI report is written on schedule
into DATA/reports/<timestamp>/. On first start it prints an admin token
(only its hash is kept); make more with 'evalpipe token add'.
See README, Serving.`,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("serve takes no arguments, got %q", args)
			}
			sched := *reportEvery
			if d, err := time.ParseDuration(sched); err == nil {
				sched = "@every " + d.String()
			}
			s, err := e.connect(ctx)
			if err != nil {
				return err
			}
			defer s.stop()
			ic, err := e.ingestConfig(s)
			if err != nil {
				return err
			}
			ic.Progress = nil
			tc := e.transformConfig(s)
			tc.UntilCaughtUp = false
			tc.IdleFlush = *idleFlush
			lake, _, _ := e.paths()
			srv, err := server.New(server.Config{
				Data: e.data, Listen: *listen, Inbox: *inbox, InboxEvery: *inboxEvery,
				PollURL: *pollURL, PollEvery: *pollEvery, ReportSchedule: sched,
				RefreshEvery: *refreshEvery, QueryTimeout: *queryTimeout, MemoryLimit: *memLimit,
				Disclosure: s.cfg.Disclosure, Ingest: ic, Transform: tc,
				Warehouse: warehouse.Config{Lake: lake, TimeZone: s.cfg.TimeZone, Population: s.cfg.Population, Version: Version},
				Logger:    e.log, Stdout: e.stdout,
			})
			if err != nil {
				return &UsageError{Msg: err.Error()}
			}
			return srv.Run(ctx)
		},
	}
}

func tokenCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	role := fs.String("role", "", "commissioner | evaluator | admin")
	name := fs.String("name", "", "who holds the token, as the audit log will name them")
	return &ffcli.Command{
		Name: "token", ShortUsage: "evalpipe token add --role commissioner|evaluator|admin --name NAME",
		FlagSet: fs, Options: opts, ShortHelp: "create an access token for evalpipe serve",
		LongHelp: `Prints a new token once and stores only its SHA-256 hash, with its role, in
DATA/server/tokens.json; a running server picks it up at once.
Roles: commissioner (reports, disclosure-controlled metrics), evaluator (also
SQL over the pseudonymised views), admin (also push ingest).`,
		Exec: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 || args[0] != "add" {
				return usagef("token: want 'token add --role ROLE --name NAME'")
			}
			if !server.ValidRole(*role) || *name == "" {
				return usagef("token add: --role commissioner|evaluator|admin and --name are required")
			}
			ts, err := server.OpenTokens(server.TokensPath(e.data))
			if err != nil {
				return err
			}
			secret, err := ts.Add(*name, *role)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, secret)
			return nil
		},
	}
}
