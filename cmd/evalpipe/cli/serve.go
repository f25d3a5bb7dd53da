package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"

	"github.com/evalpipe/evalpipe/server"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// ServeConfig is the serve: section of the config file: what `evalpipe
// serve` runs. A flag given on the command line (or as EVALPIPE_*) wins
// over the file; the file wins over the flags' defaults.
//
//	serve:
//	  listen: 127.0.0.1:8080
//	  inbox: /srv/evalpipe/inbox
//	  poll: {url: https://forms.example/api/events, every: 30s}
//	  idle_flush: 5s
//	  memory_limit: 2GB
//	  query_timeout: 30s
//	  schedules:
//	    - {report: kpi, cron: "0 6 1 * *", period: last_month}
//	    - {report: kpi, on: 2025-01-15, from: 2024-04, to: 2024-12}
type ServeConfig struct {
	// Listen is the HTTP address, HOST:PORT. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// Inbox is the folder polled for exports. Default DATA/inbox.
	Inbox string `yaml:"inbox"`
	// InboxEvery is the inbox's poll interval. Default 2s.
	InboxEvery time.Duration `yaml:"inbox_every"`
	// Poll is an "events since cursor" API. Default none.
	Poll struct {
		URL   string        `yaml:"url"`
		Every time.Duration `yaml:"every"` // default 5s
	} `yaml:"poll"`
	// IdleFlush bounds how late data reaches the warehouse. Default 2s.
	IdleFlush time.Duration `yaml:"idle_flush"`
	// RefreshEvery is how often the lake is checked for new files. Default 5s.
	RefreshEvery time.Duration `yaml:"refresh_every"`
	// SaveEvery is how often, at most, a refresh saves the warehouse build
	// to DATA/warehouse (unless warehouse.save is false). Default 10m.
	SaveEvery time.Duration `yaml:"save_every"`
	// MemoryLimit is DuckDB's memory_limit, e.g. 1GB. Default 1GB.
	MemoryLimit string `yaml:"memory_limit"`
	// QueryTimeout is the time limit of each /api/query. Default 30s.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// Schedules are the reports written on schedule. Default: the KPI
	// report at 06:00 on the first of each month.
	Schedules []server.Schedule `yaml:"schedules"`
}

var memoryLimitRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)? ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// validate names the serve.* setting to fix.
func (c *ServeConfig) validate() error {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("serve.listen = %q: want HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)", c.Listen)
		}
	}
	for name, d := range map[string]time.Duration{"inbox_every": c.InboxEvery, "poll.every": c.Poll.Every,
		"idle_flush": c.IdleFlush, "refresh_every": c.RefreshEvery, "save_every": c.SaveEvery, "query_timeout": c.QueryTimeout} {
		if d < 0 {
			return fmt.Errorf("serve.%s = %s: want a positive duration such as 5s, or leave it out for the default", name, d)
		}
	}
	if c.Poll.URL != "" {
		u, err := url.Parse(c.Poll.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("serve.poll.url = %q: want an http:// or https:// URL of an \"events since cursor\" API", c.Poll.URL)
		}
	} else if c.Poll.Every != 0 {
		return fmt.Errorf("serve.poll.every is set without serve.poll.url: give the API's url, or remove every")
	}
	if c.MemoryLimit != "" && !memoryLimitRE.MatchString(c.MemoryLimit) {
		return fmt.Errorf("serve.memory_limit = %q: want a size such as 512MB or 2GB", c.MemoryLimit)
	}
	for i := range c.Schedules {
		if err := c.Schedules[i].Validate(fmt.Sprintf("serve.schedules[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func serveCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address to serve on")
	inbox := fs.String("inbox", "", "folder polled for exports (default DATA/inbox)")
	inboxEvery := fs.Duration("inbox-every", 2*time.Second, "inbox poll interval")
	pollURL := fs.String("poll-url", "", "an \"events since cursor\" API to poll: GET URL?cursor=X answering NDJSON or {\"events\":[...],\"next_cursor\":\"...\"}")
	pollEvery := fs.Duration("poll-every", 5*time.Second, "API poll interval once caught up")
	reportEvery := fs.String("report-every", "0 6 1 * *", "when to write the KPI report: a cron expression, @every DURATION, or a duration")
	idleFlush := fs.Duration("idle-flush", 2*time.Second, "commit an idle partition's open lake file after this long: the bound on how late data reaches the warehouse")
	refreshEvery := fs.Duration("refresh-every", 5*time.Second, "how long to wait between looks for new lake files, counted from the end of the last look and of the warehouse refresh it started")
	saveEvery := fs.Duration("save-every", 10*time.Minute, "how often, at most, a refresh saves the warehouse build to DATA/warehouse, for the refreshes and commands that follow (they update it for newer lake files); as short as --refresh-every saves on every refresh; a failed save is tried again this much later")
	queryTimeout := fs.Duration("query-timeout", 30*time.Second, "time limit of each /api/query")
	memLimit := fs.String("memory-limit", "1GB", "DuckDB memory_limit for the served warehouse")
	return &ffcli.Command{
		Name: "serve", ShortUsage: "evalpipe serve [--listen HOST:PORT] [--inbox DIR] [--poll-url URL] [--report-every CRON]",
		FlagSet: fs, Options: opts, ShortHelp: "run continuously: sources polled, transform, warehouse, scheduled reports, HTTP API",
		LongHelp: `Runs the pipeline unattended until interrupted (SIGTERM or Ctrl-C): the inbox
folder and an optional HTTP API are polled, events can be pushed to
POST /v1/events, the transformer runs continuously, the warehouse is
re-opened when the lake changes, and reports are written on schedule into
DATA/reports/<timestamp>/: the KPI report monthly by default, or the
schedules of the config file's serve: section (--report-every replaces
them with the KPI report on that schedule). Flags win over the config file. On first start it prints an admin token
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
			cfg, err := e.config()
			if err != nil {
				return err
			}
			// Flags given win over the config file, which wins over the
			// flags' defaults.
			given := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
			sc := cfg.Serve
			str := func(flagName string, v *string, file string) {
				if !given[flagName] && file != "" {
					*v = file
				}
			}
			dur := func(flagName string, v *time.Duration, file time.Duration) {
				if !given[flagName] && file > 0 {
					*v = file
				}
			}
			str("listen", listen, sc.Listen)
			str("inbox", inbox, sc.Inbox)
			str("poll-url", pollURL, sc.Poll.URL)
			str("memory-limit", memLimit, sc.MemoryLimit)
			dur("inbox-every", inboxEvery, sc.InboxEvery)
			dur("poll-every", pollEvery, sc.Poll.Every)
			dur("idle-flush", idleFlush, sc.IdleFlush)
			dur("refresh-every", refreshEvery, sc.RefreshEvery)
			dur("save-every", saveEvery, sc.SaveEvery)
			dur("query-timeout", queryTimeout, sc.QueryTimeout)
			var schedules []server.Schedule
			if !given["report-every"] {
				schedules = sc.Schedules
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
			wc, err := e.warehouseConfig(s.cfg, "")
			if err != nil {
				return err
			}
			wc.MemoryLimit = *memLimit // the build is bounded too, not only the queries
			wc.Save = true             // at most every --save-every, when warehouse.save allows (SaveDir)
			srv, err := server.New(server.Config{
				Data: e.data, Listen: *listen, Inbox: *inbox, InboxEvery: *inboxEvery,
				PollURL: *pollURL, PollEvery: *pollEvery, ReportSchedule: sched, Schedules: schedules,
				RefreshEvery: *refreshEvery, SaveEvery: *saveEvery, QueryTimeout: *queryTimeout, MemoryLimit: *memLimit,
				Disclosure: s.cfg.Disclosure, StaffNames: s.cfg.StaffNames, Ingest: ic, Transform: tc,
				Warehouse: wc,
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
