package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/evalpipe/evalpipe/warehouse"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// setup is what most commands need: the config, the Kafka brokers (the
// embedded one unless --brokers is given) and a stop function for them.
type setup struct {
	cfg     *Config
	brokers []string
	stop    func() error
}

func (e *env) config() (*Config, error) {
	cfg, err := LoadConfig(e.configPath)
	if err != nil {
		return nil, err
	}
	if e.brokers != "" {
		cfg.Kafka.Brokers = strings.Split(e.brokers, ",")
		if err := cfg.Kafka.Validate(); err != nil {
			return nil, usagef("--brokers: %v", err)
		}
	}
	return cfg, nil
}

func (e *env) connect(ctx context.Context) (*setup, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	brokers, stop, err := broker.Resolve(ctx, filepath.Join(e.data, "broker"), &cfg.Kafka)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &setup{cfg: cfg, brokers: brokers, stop: stop}, nil
}

func (e *env) pseudonymiser(cfg *Config) (*events.Pseudonymiser, error) {
	keyFile := cfg.PseudonymKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(e.data, "keys", "pseudonym.key")
	}
	key, generated, err := events.LoadKey(keyFile, cfg.PseudonymKeyFile == "")
	if err != nil {
		return nil, err
	}
	if generated {
		e.log.Warn("generated a pseudonymisation key for this data directory; production needs its own key, kept apart from the data",
			"file", keyFile, "set", events.KeyEnv+" or pseudonym_key_file")
	}
	return events.NewPseudonymiser(key)
}

func (e *env) ingestConfig(s *setup) (ingest.Config, error) {
	p, err := e.pseudonymiser(s.cfg)
	if err != nil {
		return ingest.Config{}, err
	}
	_, state, _ := e.paths()
	last := time.Now()
	return ingest.Config{
		Kafka: &s.cfg.Kafka, Brokers: s.brokers, Pseudonymiser: p, StateDir: state, Logger: e.log,
		Progress: func(pr ingest.Progress) {
			if time.Since(last) > 2*time.Second {
				last = time.Now()
				rate := float64(pr.Totals.Read) / pr.Elapsed.Seconds()
				fmt.Fprintf(e.stderr, "ingest: %s line %d; %d lines so far (%.0f lines/s)\n", filepath.Base(pr.File), pr.Line, pr.Totals.Read, rate)
			}
		},
	}, nil
}

func (e *env) transformConfig(s *setup) transform.Config {
	lake, _, _ := e.paths()
	return transform.Config{
		Kafka: &s.cfg.Kafka, Brokers: s.brokers, Lake: lake, UntilCaughtUp: true,
		MaxFileRows: s.cfg.Transform.MaxFileRows, IdleFlush: s.cfg.Transform.IdleFlush, Logger: e.log,
	}
}

// warehouseConfig is the one place a command turns the configuration into
// a warehouse.Config, so that reports, exports and the server read the lake
// with the same settings: before, serve and export left out the evaluation
// settings, and so the configured ADSM thresholds (the anxiety measure of
// every recovery figure), unit costs and population shares. asOf, when not
// "", is a local date: the warehouse then shows what was known at its end.
func (e *env) warehouseConfig(cfg *Config, asOf string) (warehouse.Config, error) {
	lake, _, _ := e.paths()
	wc := warehouse.Config{
		Lake: lake, TimeZone: cfg.TimeZone, Population: cfg.Population, Version: Version, Evaluation: cfg.Evaluation,
		MemoryLimit: cfg.Warehouse.MemoryLimit, Threads: cfg.Warehouse.Threads, Logger: e.log,
		// EVALPIPE_DUCKDB_PROFILE=FILE: DuckDB's profile of the build, as
		// EVALPIPE_CPUPROFILE is Go's (main.go; make bench's -pprof).
		ProfileFile: os.Getenv("EVALPIPE_DUCKDB_PROFILE"),
	}
	if cfg.Warehouse.saving() {
		wc.SaveDir = e.savedBuilds()
	}
	if asOf != "" {
		t, err := time.Parse(time.DateOnly, asOf)
		if err != nil {
			return wc, usagef("--as-of %q: want a date YYYY-MM-DD", asOf)
		}
		loc, _ := time.LoadLocation(cfg.TimeZone)
		wc.AsOf = time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 999999000, loc) // the end of that local day
	}
	return wc, nil
}

// savedBuilds is the folder of saved warehouse builds (warehouse.Config.SaveDir).
func (e *env) savedBuilds() string { return filepath.Join(e.data, "warehouse") }

// openWarehouse opens the warehouse for a command; save says whether a
// build it has to make is saved (when the config allows).
func (e *env) openWarehouse(ctx context.Context, cfg *Config, asOf string, save bool) (*warehouse.Warehouse, error) {
	wc, err := e.warehouseConfig(cfg, asOf)
	if err != nil {
		return nil, err
	}
	wc.Save = save
	return warehouse.Open(ctx, wc)
}

func warehouseCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	return &ffcli.Command{
		Name: "warehouse", ShortUsage: "evalpipe warehouse", FlagSet: fs, Options: opts,
		ShortHelp: "build the warehouse over the lake and save it for the commands that follow",
		LongHelp: `Builds the warehouse's tables from the lake (de-duplicated events, referrals,
sessions, episodes) and saves them in DATA/warehouse. Every report, query
and export of the same lake with the same settings then reuses them
instead of building them again: on a national year (40M events) a build
takes about a minute. 'evalpipe run' saves its build too. When the lake
has new files since, the saved build is updated: only the referrals they
touch are made again. A lake file gone or changed, another --as-of, time
zone or threshold, or an evalpipe whose build differs makes a new build;
the saved one is then not used. warehouse.save: false in the config turns
saving, reusing and updating off.`,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("warehouse takes no arguments, got %q", args)
			}
			cfg, err := e.config()
			if err != nil {
				return err
			}
			if !cfg.Warehouse.saving() {
				return usagef("warehouse: warehouse.save is false in the config, so there is nothing to save; remove it or set it true")
			}
			start := time.Now()
			w, err := e.openWarehouse(ctx, cfg, "", true)
			if err != nil {
				return err
			}
			defer w.Close()
			p := w.Provenance()
			fmt.Fprintf(e.stdout, "warehouse: %d lake files, data as of %s, in %s (%.1f s)\n",
				p.LakeFiles, p.AsOf.Format(time.RFC3339), w.Saved(), time.Since(start).Seconds())
			return nil
		},
	}
}

func ingestCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	mapping := fs.String("mapping", "", "CSV mapping file for CSV exports with no X.mapping.yaml beside them")
	strict := fs.Bool("strict", false, "exit 1 when any line is dead-lettered")
	return &ffcli.Command{
		Name: "ingest", ShortUsage: "evalpipe ingest [--mapping FILE] FILE|DIR ...", FlagSet: fs, Options: opts,
		ShortHelp: "validate, pseudonymise and publish source files to Kafka",
		LongHelp: `Reads NDJSON (.ndjson, .jsonl) and CSV exports (.csv, with a mapping file),
validates every line against the event contract, replaces direct identifiers
by pseudonyms and publishes to the family topics; bad lines go to the
dead-letter topic with their reason. A checkpoint per file means the same
file ingested again adds nothing.`,
		Exec: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return usagef("ingest: name at least one file or folder")
			}
			batchGC()
			s, err := e.connect(ctx)
			if err != nil {
				return err
			}
			defer s.stop()
			ic, err := e.ingestConfig(s)
			if err != nil {
				return err
			}
			ic.Mapping = *mapping
			sum, err := ingest.Ingest(ctx, ic, args...)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, sum.String())
			if *strict && sum.DeadLettered > 0 {
				return fmt.Errorf("--strict: %d lines dead-lettered", sum.DeadLettered)
			}
			return nil
		},
	}
}

func transformCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	caughtUp := fs.Bool("until-caught-up", false, "exit once every partition is drained (default: run until interrupted)")
	maxRows := fs.Int("max-file-rows", 0, "rotate lake files after this many rows (default: config transform.max_file_rows, else 200000)")
	return &ffcli.Command{
		Name: "transform", ShortUsage: "evalpipe transform [--until-caught-up]", FlagSet: fs, Options: opts,
		ShortHelp: "consume Kafka into the Parquet lake, exactly once",
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("transform takes no arguments, got %q", args)
			}
			s, err := e.connect(ctx)
			if err != nil {
				return err
			}
			defer s.stop()
			tc := e.transformConfig(s)
			tc.UntilCaughtUp = *caughtUp
			if *maxRows > 0 {
				tc.MaxFileRows = *maxRows
			}
			st, err := transform.Run(ctx, tc)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "transform: %+v\n", st)
			return nil
		},
	}
}

func brokerCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	listen := fs.String("listen", "127.0.0.1:9092", "address to serve the Kafka protocol on")
	return &ffcli.Command{
		Name: "broker", ShortUsage: "evalpipe broker [--listen HOST:PORT]", FlagSet: fs, Options: opts,
		ShortHelp: "run the embedded Kafka-protocol broker as a server",
		LongHelp: `Serves the embedded broker's durable log (DATA/broker) until interrupted.
Other commands on the same --data find and use it; kcat and any Kafka client
can reach it at the listen address.`,
		Exec: func(ctx context.Context, args []string) error {
			cfg, err := e.config()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) > 0 {
				return usagef("broker: --brokers is set (%v); the embedded broker is for when there is no Kafka cluster", cfg.Kafka.Brokers)
			}
			b, err := broker.Start(ctx, broker.Config{DataDir: filepath.Join(e.data, "broker"), Listen: *listen, Partitions: cfg.Kafka.Partitions, Topics: cfg.Kafka.Topics()})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "broker: serving %s on %s (Ctrl-C to stop)\n", filepath.Join(e.data, "broker"), strings.Join(b.Addrs(), ","))
			<-ctx.Done()
			return b.Close()
		},
	}
}

func demoCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	var c demo.Config
	out := fs.String("out", "", "folder to write the demo exports to (required)")
	fs.IntVar(&c.Referrals, "referrals", 8000, "talking-therapies referrals over the span")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed: the same seed gives the same bytes")
	start := fs.String("start", "2024-04-01", "first day of the span, YYYY-MM-DD")
	fs.IntVar(&c.Months, "months", 12, "length of the span in months")
	fs.IntVar(&c.BadLines, "bad-lines", 0, "malformed lines to mix in, to see dead-lettering work")
	return &ffcli.Command{
		Name: "demo-data", ShortUsage: "evalpipe demo-data --out DIR [--referrals N] [--seed N] [--start YYYY-MM-DD] [--months N] [--bad-lines N]",
		FlagSet: fs, Options: opts, ShortHelp: "write a realistic synthetic service's exports",
		Exec: func(ctx context.Context, args []string) error {
			if *out == "" {
				return usagef("demo-data: --out DIR is required")
			}
			t, err := time.Parse(time.DateOnly, *start)
			if err != nil {
				return usagef("--start %q: want YYYY-MM-DD", *start)
			}
			c.Start = t
			if err := c.Validate(); err != nil {
				return &UsageError{Msg: err.Error()}
			}
			sum, err := demo.Generate(ctx, c, *out)
			if err != nil {
				return err
			}
			total := 0
			for _, n := range sum.Events {
				total += n
			}
			fmt.Fprintf(e.stdout, "demo-data: %d events in %d files under %s (%d bad lines)\n", total, len(sum.Files), *out, sum.BadLines)
			return nil
		},
	}
}

func reportCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	from := fs.String("from", "", "first month YYYY-MM (default: the 12 months ending with the month of the latest referral received)")
	to := fs.String("to", "", "last month YYYY-MM")
	service := fs.String("service", "", "one service id (default: all)")
	format := fs.String("format", "", "html | md | json | csv | csv-tables | pdf: only that format, into --out ('-': to stdout); default: every format, into --out")
	disclosure := fs.String("disclosure", "", "nhs (publishable, default) | none (internal use)")
	out := fs.String("out", "", "folder for the report files (default DATA/reports); with --format, '-' prints to stdout")
	asOf := fs.String("as-of", "", "report what was known at the end of this date, YYYY-MM-DD")
	programme := fs.String("programme", "peer_coaching", "the programme of the interim report")
	worker := fs.String("worker", "", "the clinician of the consultation pack")
	return &ffcli.Command{
		Name: "report", ShortUsage: "evalpipe report NAME [--from YYYY-MM] [--to YYYY-MM] [--service ID] [--format html|md|json|csv|csv-tables|pdf] [--disclosure nhs|none] [--out DIR] [--programme NAME] [--worker ID] [--as-of DATE]",
		FlagSet: fs, Options: opts, ShortHelp: "write a report from the lake (NAME: " + strings.Join(reports.ReportNames, " | ") + ")",
		Exec: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usagef("report: name one report: %s", strings.Join(reports.ReportNames, " | "))
			}
			name := args[0]
			known := false
			for _, n := range reports.ReportNames {
				known = known || n == name
			}
			if !known {
				return usagef("report %q: unknown; available: %s", name, strings.Join(reports.ReportNames, " | "))
			}
			if err := checkMonths(*from, *to); err != nil {
				return err
			}
			cfg, err := e.config()
			if err != nil {
				return err
			}
			if *disclosure == "" {
				*disclosure = cfg.Disclosure
			}
			w, err := e.openWarehouse(ctx, cfg, *asOf, false)
			if err != nil {
				return err
			}
			defer w.Close()
			res, err := kpiResult(ctx, w, *from, *to, *service)
			if err != nil {
				return err
			}
			if name != reports.ReportKPI {
				g := &reports.Gatherer{Warehouse: w, Period: res.Period, Service: *service, TalkingTherapies: res}
				in, err := evalInputs(ctx, g, name, *programme, *worker, cfg.StaffNames)
				if err != nil {
					return err
				}
				file := name
				if name == reports.ReportConsultation {
					file = "consultation-" + safeName(*worker)
				}
				dir := *out
				if dir == "" && *format == "" {
					_, _, dir = e.paths()
				}
				wr, err := writeEvaluation(ctx, name, in, w.Catalogue(), *format, *disclosure, dir, file, e.stdout)
				if err != nil {
					return err
				}
				for _, m := range wr.Warnings {
					fmt.Fprintln(e.stderr, "warning:", m)
				}
				for _, f := range wr.Paths {
					fmt.Fprintln(e.stdout, f)
				}
				return nil
			}
			if *format != "" && (*out == "" || *out == "-") {
				return reports.KPI(res, w.Catalogue(), reports.Options{Format: *format, Disclosure: *disclosure}, e.stdout)
			}
			if *format != "" {
				path, err := writeFormat(*out, "kpi", *format, func(wr io.Writer) error {
					return reports.KPI(res, w.Catalogue(), reports.Options{Format: *format, Disclosure: *disclosure}, wr)
				})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, path)
				return nil
			}
			dir := *out
			if dir == "" {
				_, _, dir = e.paths()
			}
			files, err := reports.WriteKPI(res, w.Catalogue(), *disclosure, dir)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(e.stdout, f)
			}
			return nil
		},
	}
}

// kpiResult computes the talking-therapies result for the requested period,
// defaulting to the 12 months that end with the month of the latest referral
// received (referrals.received_date).
func kpiResult(ctx context.Context, w *warehouse.Warehouse, from, to, service string) (*warehouse.Result, error) {
	if from == "" || to == "" {
		last, err := latestMonth(ctx, w)
		if err != nil {
			return nil, err
		}
		if to == "" {
			to = last.Format("2006-01")
		}
		if from == "" {
			t, err := time.Parse("2006-01", to)
			if err != nil {
				return nil, usagef("--to %q: want YYYY-MM", to)
			}
			from = t.AddDate(0, -11, 0).Format("2006-01")
		}
	}
	p, err := warehouse.ParsePeriod(from, to)
	if err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	return w.TalkingTherapies(ctx, p, service)
}

func latestMonth(ctx context.Context, w *warehouse.Warehouse) (time.Time, error) {
	_, rows, err := w.Query(ctx, "SELECT strftime(max(received_date), '%Y-%m') FROM referrals")
	if err != nil {
		return time.Time{}, err
	}
	if len(rows) == 0 || rows[0][0] == nil {
		return time.Time{}, fmt.Errorf("the lake has no referrals yet: ingest and transform some data first (or run 'evalpipe run')")
	}
	return time.Parse("2006-01", fmt.Sprint(rows[0][0]))
}

func queryCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	format := fs.String("format", "table", "table | csv | json")
	asOf := fs.String("as-of", "", "query what was known at the end of this date, YYYY-MM-DD")
	return &ffcli.Command{
		Name: "query", ShortUsage: "evalpipe query [--format table|csv|json] [--as-of DATE] SQL",
		FlagSet: fs, Options: opts, ShortHelp: "run read-only SQL over the warehouse views",
		LongHelp: `Runs one SELECT over the warehouse views (referrals, sessions, scores,
episodes, events, ...). Record-level views carry pseudonyms only.`,
		Exec: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usagef("query: give the SQL as one argument, e.g. evalpipe query 'SELECT count(*) FROM referrals'")
			}
			cfg, err := e.config()
			if err != nil {
				return err
			}
			w, err := e.openWarehouse(ctx, cfg, *asOf, false)
			if err != nil {
				return err
			}
			defer w.Close()
			cols, rows, err := w.Query(ctx, args[0])
			if err != nil {
				return err
			}
			return writeTable(e.stdout, *format, cols, rows)
		},
	}
}

func metricsCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	format := fs.String("format", "md", "md | json")
	return &ffcli.Command{
		Name: "metrics", ShortUsage: "evalpipe metrics [--format md|json]", FlagSet: fs, Options: opts,
		ShortHelp: "print the metric catalogue",
		Exec: func(ctx context.Context, args []string) error {
			cat := warehouse.Metrics()
			switch *format {
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(cat)
			case "md":
				return warehouse.WriteCatalogue(e.stdout)
			}
			return usagef("metrics --format %q: want md or json", *format)
		},
	}
}

// checkMonths validates --from/--to before any work is done.
func checkMonths(from, to string) error {
	for name, v := range map[string]string{"--from": from, "--to": to} {
		if v == "" {
			continue
		}
		if _, err := time.Parse("2006-01", v); err != nil {
			return usagef("%s %q: want a month YYYY-MM, e.g. 2024-04", name, v)
		}
	}
	return nil
}
