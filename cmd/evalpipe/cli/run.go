package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/evalpipe/evalpipe/warehouse"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func runCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	var inputs listFlag
	fs.Var(&inputs, "input", "source file or folder (repeatable); default: generate a demo service under DATA/demo")
	from := fs.String("from", "", "first month of the report period, YYYY-MM (default: the 12 months ending with the month of the latest referral received)")
	to := fs.String("to", "", "last month of the report period, YYYY-MM")
	out := fs.String("out", "", "folder for the reports (default DATA/reports)")
	strict := fs.Bool("strict", false, "exit 1 when any input line is dead-lettered")
	return &ffcli.Command{
		Name:       "run",
		ShortUsage: "evalpipe run [--input FILE|DIR ...] [--from YYYY-MM] [--to YYYY-MM] [--out DIR]",
		ShortHelp:  "the whole pipeline once: ingest, transform, warehouse, reports",
		LongHelp: `Runs every stage once: ingest the inputs (a generated demo service when no
--input is given), transform until caught up, build the warehouse and write
the reports. Prints the counts (read / ingested / dead-lettered / duplicate)
and where the reports are.`,
		FlagSet: fs, Options: opts,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("run: unexpected argument %q (inputs go with --input)", args[0])
			}
			return e.run(ctx, inputs, *from, *to, *out, *strict)
		},
	}
}

func (e *env) run(ctx context.Context, inputs []string, from, to, out string, strict bool) error {
	start := time.Now()
	if err := checkMonths(from, to); err != nil {
		return err
	}
	if len(inputs) == 0 {
		dir := filepath.Join(e.data, "demo")
		fmt.Fprintf(e.stderr, "run: no --input given: generating a demo service into %s\n", dir)
		// A few malformed lines, so the first run shows dead-lettering at work.
		c := demo.Config{BadLines: 25}
		if err := c.Validate(); err != nil {
			return err
		}
		sum, err := demo.Generate(ctx, c, dir)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		inputs = []string{dir}
		if e.configPath == "" {
			// The demo's synthetic settings (population, unit costs, ...),
			// so every report has material; a real run names its own.
			e.configPath = sum.Settings
			fmt.Fprintf(e.stderr, "run: using the demo's synthetic settings %s (every figure in it is labelled SYNTHETIC)\n", sum.Settings)
		}
	}
	for _, in := range inputs {
		if _, err := os.Stat(in); err != nil {
			return usagef("--input %s: %v", in, err)
		}
	}
	s, err := e.connect(ctx)
	if err != nil {
		return err
	}
	defer s.stop()

	fmt.Fprintf(e.stderr, "run: ingesting %v via Kafka at %v\n", inputs, s.brokers)
	ic, err := e.ingestConfig(s)
	if err != nil {
		return err
	}
	sum, err := ingest.Ingest(ctx, ic, inputs...)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}

	fmt.Fprintln(e.stderr, "run: transforming Kafka into the lake until caught up")
	st, err := transform.Run(ctx, e.transformConfig(s))
	if err != nil {
		return fmt.Errorf("transform: %w", err)
	}

	// The warehouse reads only the lake. Stop the embedded broker (a no-op
	// for a cluster or another process's broker) and hand the memory of
	// the broker, ingest and transform back to the system before DuckDB
	// takes its share (as its own process in make bench-year, the broker
	// peaked at 488-503 MiB on a national year).
	if err := s.stop(); err != nil {
		e.log.Warn("run: stopping the embedded broker", "err", err)
	}
	debug.FreeOSMemory()

	fmt.Fprintln(e.stderr, "run: building the warehouse")
	w, err := e.openWarehouse(ctx, s.cfg, "", true)
	if err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	defer w.Close()
	counts, err := w.Counts(ctx)
	if err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	res, err := kpiResult(ctx, w, from, to, "")
	if err != nil {
		return err
	}
	if out == "" {
		_, _, out = e.paths()
	}
	files, err := reports.WriteKPI(res, w.Catalogue(), s.cfg.Disclosure, out)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	g := &reports.Gatherer{Warehouse: w, Period: res.Period, TalkingTherapies: res}
	more, notes, err := writeEvaluations(ctx, g, s.cfg.Disclosure, s.cfg.StaffNames, out)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	files = append(files, more...)
	for _, n := range notes {
		fmt.Fprintln(e.stderr, "run:", n)
	}

	fmt.Fprintf(e.stdout, "%s\n", sum.String())
	fmt.Fprintf(e.stdout, "transform: %d messages, %d lake files written this run\n", st.Messages, st.Files)
	fmt.Fprintf(e.stdout, "warehouse: %+v\n", counts)
	fmt.Fprintf(e.stdout, "reports (%s to %s, disclosure %s):\n", res.Period.From.Format("2006-01-02"), res.Period.To.Format("2006-01-02"), s.cfg.Disclosure)
	for _, f := range files {
		fmt.Fprintf(e.stdout, "  %s\n", f)
	}
	summary := RunSummary{Ingest: sum, Transform: st, Warehouse: counts, Reports: files, Period: res.Period, Seconds: time.Since(start).Seconds()}
	summaryPath := filepath.Join(e.data, "run-summary.json")
	if err := writeJSONFile(summaryPath, summary); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "summary: %s\n", summaryPath)
	fmt.Fprintf(e.stdout, "done in %s\n", time.Since(start).Round(time.Second))
	if strict && sum.DeadLettered > 0 {
		return fmt.Errorf("--strict: %d lines dead-lettered", sum.DeadLettered)
	}
	return nil
}

// RunSummary is what `evalpipe run` did, written to DATA/run-summary.json for
// schedulers and tests: the counts reconcile as
// Ingest.Read = Ingest.Ingested + Ingest.DeadLettered + Ingest.Duplicates.
type RunSummary struct {
	Ingest    ingest.Summary   `json:"ingest"`
	Transform transform.Stats  `json:"transform"`
	Warehouse warehouse.Counts `json:"warehouse"`
	Period    warehouse.Period `json:"period"`
	Reports   []string         `json:"reports"`
	Seconds   float64          `json:"seconds"`
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeEvaluations writes every evaluation report after the KPI report:
// interim (peer coaching), peer-impact, crisis-savings, you-said-we-did and
// a consultation pack for each clinician with a consultation in the period
// (none, with a note, when nobody had one). Packs are internal: they are
// written under policy none only if the run's policy is none, otherwise
// under the run's policy, which withholds their record rows.
func writeEvaluations(ctx context.Context, g *reports.Gatherer, disclosure string, staff []string, out string) ([]string, []string, error) {
	w, p := g.Warehouse, g.Period
	var files, notes []string
	cat := w.Catalogue()
	write := func(name, file string, in reports.Inputs) error {
		wr, err := reports.WriteReport(ctx, name, in, cat, disclosure, out, file)
		files = append(files, wr.Paths...)
		notes = append(notes, wr.Warnings...)
		return err
	}
	for _, name := range []string{reports.ReportInterim, reports.ReportPeerImpact, reports.ReportCrisis, reports.ReportPoster} {
		in, err := evalInputs(ctx, g, name, "peer_coaching", "", staff)
		if err != nil {
			return files, notes, err
		}
		if err := write(name, name, in); err != nil {
			return files, notes, err
		}
	}
	workers, err := consultedWorkers(ctx, w, p)
	if err != nil {
		return files, notes, err
	}
	if len(workers) == 0 {
		notes = append(notes, "no consultation pack written: no clinician had a consultation.held in the period")
	}
	for _, wk := range workers {
		in, err := evalInputs(ctx, g, reports.ReportConsultation, "", wk, staff)
		if err != nil {
			return files, notes, err
		}
		if err := write(reports.ReportConsultation, "consultation-"+safeName(wk), in); err != nil {
			return files, notes, err
		}
	}
	return files, notes, nil
}
