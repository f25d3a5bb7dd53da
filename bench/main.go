// Command bench is evalpipe's national-scale benchmark (`make bench`): every
// figure is a ratio against a reference measured in the same run, on the
// same data, on the same machine, so that a busy shared machine slows both
// sides alike. Several runs; the table quotes the median.
//
//	go run ./bench -events 10000000 -runs 3 -bin bin/evalpipe
//
// Per run, on a fresh data directory served by `evalpipe broker`:
//
//	ingest     evalpipe ingest GEN/ (validate, pseudonymise, produce acks=all)
//	           ÷ kcat -P -l of the same files into the same broker      target ≥ 1.5
//	transform  evalpipe transform --until-caught-up (Kafka → lake)
//	           ÷ DuckDB COPY (SELECT * FROM read_json(canonical NDJSON))
//	             TO parquet, the same events                            target ≥ 1.0
//	           peak RSS of the transform process                        target ≤ 300 MiB
//	reports    evalpipe report kpi --format json (warehouse build + every KPI)
//	           ÷ one DuckDB scan of every column of the lake            target ≤ 3
//	           and, beside it, the same report over a build saved by
//	           `evalpipe warehouse` (the save timed apart), and over a build
//	           saved before the newest lake files (the warehouse updates
//	           it): not the target's measure, which includes the build
//	end to end ingest + transform + report, wall time and peak RSS      targets ≤ 10 min, ≤ 1 GiB
//
// Events come from the demo generator (evalpipe demo-data, ~27 events per
// referral, an appointments CSV among NDJSON exports), cached under -work by
// size; generation is not timed. Results go to -out (bench/results.json).
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/internal/procstatus"
	"github.com/evalpipe/evalpipe/kafkaconf"
)

var (
	nEvents = flag.Int("events", envInt("BENCH_EVENTS", 10_000_000), "events to generate (approximately: ~27 per referral)")
	runs    = flag.Int("runs", envInt("BENCH_RUNS", 3), "runs; the median is quoted")
	bin     = flag.String("bin", "bin/evalpipe", "the evalpipe binary")
	work    = flag.String("work", filepath.Join(os.TempDir(), "evalpipe-bench"), "work folder (generated data is cached here by size)")
	out     = flag.String("out", "bench/results.json", "results file")
	keep    = flag.Bool("keep", false, "keep each run's data folder (broker log, lake)")
	e2eOnly = flag.Bool("e2e-only", false, "time only the pipeline (ingest, transform, report), without the kcat and DuckDB references: the national-year run (make bench-year)")
	config  = flag.String("config", "", "evalpipe config file for every command (EVALPIPE_CONFIG), e.g. one with a larger warehouse.memory_limit")
	whole   = flag.Bool("whole", false, "then time `evalpipe run` over the same inputs once: the whole pipeline in one process with its embedded broker, writing every report, with the demo's settings (make bench-year)")
	cpuprof = flag.Bool("pprof", false, "write CPU profiles of ingest, transform and report into each run's folder (EVALPIPE_CPUPROFILE), and DuckDB's profile of each warehouse build (EVALPIPE_DUCKDB_PROFILE)")
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// stage is one timed subprocess.
type stage struct {
	Seconds float64 `json:"seconds"`
	MaxRSS  float64 `json:"max_rss_mib"`
}

// runResult is everything one run measured.
type runResult struct {
	Events      int64   `json:"events"`      // lines ingested (events + dead letters)
	Rows        int64   `json:"rows"`        // lake rows written by transform
	LakeBytes   int64   `json:"lake_bytes"`  //
	InputBytes  int64   `json:"input_bytes"` //
	Ingest      stage   `json:"ingest"`      //
	Kcat        stage   `json:"kcat"`        //
	Transform   stage   `json:"transform"`   //
	DuckCopy    float64 `json:"duckdb_copy_seconds"`
	Report      stage   `json:"report"` //
	DuckScan    float64 `json:"duckdb_scan_seconds"`
	BrokerRSS   float64 `json:"broker_max_rss_mib"`
	IngestRatio float64 `json:"ingest_ratio"`
	TransRatio  float64 `json:"transform_ratio"`
	ReportRatio float64 `json:"report_ratio"`
	// Save is `evalpipe warehouse` (build and save); ReportSaved the KPI
	// report over that saved build, and its ratio to the scan.
	Save             stage   `json:"warehouse_save"`
	ReportSaved      stage   `json:"report_saved_build"`
	ReportSavedRatio float64 `json:"report_saved_build_ratio"`
	// Update: the newest lake files (the last of each partition that has
	// more than one) held back while `evalpipe warehouse` saves a build,
	// then put back. ReportUpdated is the KPI report over that build (the
	// warehouse updates it in memory), SaveUpdated `evalpipe warehouse`
	// updating and saving it; NewRows and NewReferrals are the new files'
	// share of the lake's rows and of its referral ids.
	ReportUpdated      stage   `json:"report_updated_build"`
	ReportUpdatedRatio float64 `json:"report_updated_build_ratio"`
	SaveUpdated        stage   `json:"warehouse_update_save"`
	NewRows            float64 `json:"update_new_rows_share"`
	NewReferrals       float64 `json:"update_new_referrals_share"`
	E2ESeconds         float64 `json:"e2e_seconds"`
	E2EMaxRSS          float64 `json:"e2e_max_rss_mib"` // the largest pipeline process, broker excluded
}

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx := context.Background()
	if err := os.MkdirAll(*work, 0o755); err != nil {
		log.Fatal(err)
	}
	gen, inputBytes, err := generate(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var results []runResult
	for i := range *runs {
		r, err := oneRun(ctx, i, gen)
		if err != nil {
			log.Fatalf("run %d: %v", i+1, err)
		}
		r.InputBytes = inputBytes
		results = append(results, r)
		log.Printf("run %d: ingest %.2f  transform %.2f (%.0f MiB)  report %.2f  e2e %.0fs", i+1, r.IngestRatio, r.TransRatio, r.Transform.MaxRSS, r.ReportRatio, r.E2ESeconds)
	}
	summary := summarise(results)
	printTable(os.Stdout, summary, results)
	doc := map[string]any{
		"events_requested": *nEvents, "runs": results, "median": summary,
		"go": runtime.Version(), "cpus": runtime.NumCPU(), "when": time.Now().UTC().Format(time.RFC3339),
	}
	if *whole {
		st, again, err := wholeRun(ctx, gen)
		if err != nil {
			log.Fatalf("whole run: %v", err)
		}
		doc["whole_run"], doc["whole_run_again"] = st, again
		estimate, verdict := yearVerdict(summary.Events, st.Seconds, st.MaxRSS)
		fmt.Printf("%-11s %8.1f s  peak RSS %5.0f MiB  (evalpipe run: one process, embedded broker, every report)  %s  target ≤ 10 min, ≤ 1 GiB %s\n",
			"whole run", st.Seconds, st.MaxRSS, estimate, verdict)
		fmt.Printf("%-11s %8.1f s  peak RSS %5.0f MiB  (the same again over its data directory: the log reloaded, the saved build read)  ≤ 1 GiB %s\n\n",
			"  again", again.Seconds, again.MaxRSS, passFail(again.MaxRSS <= 1024))
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		log.Fatalf("results: %v", err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
}

// generate writes (or reuses) the demo exports for about nEvents events.
func generate(ctx context.Context) (dir string, size int64, err error) {
	referrals := max(1, *nEvents/27)
	dir = filepath.Join(*work, fmt.Sprintf("gen-%d", referrals))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		os.RemoveAll(dir)
		log.Printf("generating %d referrals (~%d events) into %s", referrals, referrals*27, dir)
		// The demo generator holds a service in memory (about 14 GB at its
		// cap of 999,999 referrals), so larger sizes are several services'
		// worth of exports of at most partReferrals (~10M events, ~5 GB),
		// distinct seeds, one folder each, their identifiers made distinct.
		for part, left := 0, referrals; left > 0; part++ {
			n := min(left, partReferrals)
			left -= n
			sub := filepath.Join(dir, fmt.Sprintf("part%d", part))
			log.Printf("part %d: %d referrals", part, n)
			cmd := exec.CommandContext(ctx, *bin, "demo-data", "--out", sub, "--referrals", strconv.Itoa(n), "--seed", strconv.Itoa(part+1))
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return "", 0, fmt.Errorf("demo-data: %w", err)
			}
			if part > 0 {
				if err := distinctIDs(sub, fmt.Sprintf("p%d", part)); err != nil {
					return "", 0, err
				}
			}
		}
		os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
	}
	filepath.Walk(dir, func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	return dir, size, nil
}

// partReferrals is the most referrals generated by one demo-data call.
const partReferrals = 370_370

// demoIDStarts are how the demo's identifiers begin (referrals, crisis
// episodes, feedback, actions, involvement, costs, consultations,
// appointments and sessions), in JSON and in the appointments CSV alike:
// each at a word boundary and, but for "consult-", followed by a digit.
// (The regular expression \b((?:tt-r|pc-r|cr-|fb-|act-|inv-q|cost-|A)[0-9]|consult-),
// which prefixIDs replaces, is its test's oracle.)
var demoIDStarts = []string{"tt-r", "pc-r", "cr-", "fb-", "act-", "inv-q", "cost-", "A"}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// prefixIDs appends line to dst with prefix before every demo identifier.
// Written out rather than as a regular expression: Go's regexp rewrote the
// 40M-event bench data at about 6 MB/s, 7 minutes per 10M-event part.
func prefixIDs(dst, line []byte, prefix string) []byte {
	from := 0 // line[from:i] is still to copy
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case 't', 'p', 'c', 'f', 'a', 'i', 'A': // the first bytes of demoIDStarts and "consult-"
		default:
			continue
		}
		if i > 0 && isWordByte(line[i-1]) {
			continue // no word boundary before line[i]
		}
		rest, n := line[i:], 0
		if len(rest) >= 8 && string(rest[:8]) == "consult-" {
			n = 8
		} else {
			for _, s := range demoIDStarts {
				if len(rest) > len(s) && string(rest[:len(s)]) == s && '0' <= rest[len(s)] && rest[len(s)] <= '9' {
					n = len(s) + 1
					break
				}
			}
		}
		if n > 0 {
			dst = append(append(dst, line[from:i]...), prefix...)
			from = i
			i += n - 1
		}
	}
	return append(dst, line[from:]...)
}

// distinctIDs prefixes every identifier in a part's exports, so that parts
// generated from the same numbering are different services' events rather
// than repeats of one another.
func distinctIDs(dir, prefix string) error {
	for _, path := range inputFiles(dir) {
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		out, err := os.Create(path + ".tmp")
		if err != nil {
			in.Close()
			return err
		}
		br, bw := bufio.NewReaderSize(in, 1<<20), bufio.NewWriterSize(out, 1<<20)
		var buf []byte
		for {
			line, err := br.ReadSlice('\n') // demo lines are far under the 1 MiB buffer
			buf = prefixIDs(buf[:0], line, prefix)
			bw.Write(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				in.Close()
				out.Close()
				return err
			}
		}
		in.Close()
		if err := bw.Flush(); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			return err
		}
	}
	return nil
}

// inputFiles lists the exports kcat sends: the same files ingest reads.
func inputFiles(gen string) []string {
	var files []string
	filepath.Walk(gen, func(p string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() && (strings.HasSuffix(p, ".ndjson") || strings.HasSuffix(p, ".csv")) {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// concatInputs writes (once) the exports as one file beside gen, as kcat
// -l takes one file: the same lines ingest reads (CSV headers included).
func concatInputs(gen string) (string, error) {
	path := gen + ".lines"
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", err
	}
	for _, in := range inputFiles(gen) {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Close()
			return "", err
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return "", err
		}
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(path+".tmp", path)
}

func oneRun(ctx context.Context, i int, gen string) (r runResult, err error) {
	data := filepath.Join(*work, fmt.Sprintf("run%d", i+1))
	os.RemoveAll(data)
	if !*keep {
		defer os.RemoveAll(data)
	}
	bctx, stopBroker := context.WithCancel(ctx)
	addr, brokerDone, err := startBroker(bctx, data)
	if err != nil {
		stopBroker()
		return r, err
	}
	defer func() {
		stopBroker()
		if st := <-brokerDone; st != nil {
			r.BrokerRSS = st.MaxRSS
		}
	}()

	// Ingest.
	outb, st, err := run(ctx, data, "ingest", "ingest", gen)
	if err != nil {
		return r, err
	}
	r.Ingest = st
	m := regexp.MustCompile(`read\s+(\d+)`).FindStringSubmatch(outb)
	if m == nil {
		return r, fmt.Errorf("ingest: no count in %q", outb)
	}
	r.Events, _ = strconv.ParseInt(m[1], 10, 64)

	// Transform.
	if _, st, err = run(ctx, data, "transform", "transform", "--until-caught-up"); err != nil {
		return r, err
	}
	r.Transform = st
	lake := filepath.Join(data, "lake")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return r, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s/*/*/*.parquet', union_by_name=true)", lake)).Scan(&r.Rows); err != nil {
		return r, fmt.Errorf("count lake rows: %w", err)
	}
	filepath.Walk(lake, func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			r.LakeBytes += fi.Size()
		}
		return nil
	})

	if *e2eOnly {
		if _, st, err = run(ctx, data, "report", "report", "kpi", "--format", "json", "--out", "-"); err != nil {
			return r, err
		}
		r.Report = st
		r.E2ESeconds = r.Ingest.Seconds + r.Transform.Seconds + r.Report.Seconds
		r.E2EMaxRSS = max(r.Ingest.MaxRSS, r.Transform.MaxRSS, r.Report.MaxRSS)
		return r, nil
	}

	// The canonical events on Kafka, as NDJSON, for DuckDB's COPY: the same
	// events transform read. (Dumped before kcat adds its copy.)
	canon := filepath.Join(data, "canonical.ndjson")
	if err := dumpTopics(ctx, addr, canon); err != nil {
		return r, err
	}
	t0 := time.Now()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM read_json('%s', sample_size=-1)) TO '%s' (FORMAT parquet)", canon, filepath.Join(data, "duck.parquet"))); err != nil {
		return r, fmt.Errorf("duckdb copy: %w", err)
	}
	r.DuckCopy = time.Since(t0).Seconds()
	os.Remove(canon)
	os.Remove(filepath.Join(data, "duck.parquet"))

	// kcat: the same export files, line per message, into the same broker
	// (after transform, so the lake is not affected).
	k := &kafkaconf.Config{}
	k.Validate()
	lines, err := concatInputs(gen)
	if err != nil {
		return r, err
	}
	args := []string{"-P", "-b", addr, "-t", k.Topic(events.Referrals), "-l", lines}
	if r.Kcat, err = timed(exec.CommandContext(ctx, "kcat", args...), nil); err != nil {
		return r, fmt.Errorf("kcat -P: %w", err)
	}

	// Reports, then the reference scan.
	report, st, err := run(ctx, data, "report", "report", "kpi", "--format", "json", "--out", "-")
	if err != nil {
		return r, err
	}
	r.Report = st
	t0 = time.Now()
	var n int64
	var h any
	q := fmt.Sprintf("SELECT count(*), bit_xor(hash(t)) FROM read_parquet('%s/*/*/*.parquet', union_by_name=true) t", lake)
	if err := db.QueryRowContext(ctx, q).Scan(&n, &h); err != nil {
		return r, fmt.Errorf("duckdb scan: %w", err)
	}
	r.DuckScan = time.Since(t0).Seconds()

	// The same report over a saved build: `evalpipe warehouse` builds the
	// tables and saves them (timed on its own), then the report reads them
	// instead of building. Not the measure, which includes the
	// build: the table prints it beside that, with the saving's cost.
	if _, r.Save, err = run(ctx, data, "warehouse", "warehouse"); err != nil {
		return r, err
	}
	if _, r.ReportSaved, err = run(ctx, data, "report-saved", "report", "kpi", "--format", "json", "--out", "-"); err != nil {
		return r, err
	}
	r.ReportSavedRatio = r.ReportSaved.Seconds / r.DuckScan
	if err := updateScenario(ctx, db, data, lake, report, &r); err != nil {
		return r, err
	}

	r.IngestRatio = (float64(r.Events) / r.Ingest.Seconds) / (float64(r.Events) / r.Kcat.Seconds)
	r.TransRatio = (float64(r.Rows) / r.Transform.Seconds) / (float64(r.Rows) / r.DuckCopy)
	r.ReportRatio = r.Report.Seconds / r.DuckScan
	r.E2ESeconds = r.Ingest.Seconds + r.Transform.Seconds + r.Report.Seconds
	r.E2EMaxRSS = max(r.Ingest.MaxRSS, r.Transform.MaxRSS, r.Report.MaxRSS)
	return r, nil
}

// run runs one evalpipe command on data, returning its stdout.
func run(ctx context.Context, data, name string, args ...string) (string, stage, error) {
	cmd := exec.CommandContext(ctx, *bin, append([]string{"--data", data}, args...)...)
	cmd.Env = os.Environ()
	if *cpuprof {
		cmd.Env = append(cmd.Env, "EVALPIPE_CPUPROFILE="+filepath.Join(data, name+".pprof"),
			"EVALPIPE_DUCKDB_PROFILE="+filepath.Join(data, name+".duckdb-profile.txt"))
	}
	if *config != "" {
		cmd.Env = append(cmd.Env, "EVALPIPE_CONFIG="+*config)
	}
	var sb strings.Builder
	st, err := timed(cmd, &sb)
	if err != nil {
		return "", st, fmt.Errorf("evalpipe %s: %w", name, err)
	}
	return sb.String(), st, nil
}

// timed runs cmd, returning its wall time and peak resident set.
func timed(cmd *exec.Cmd, stdout io.Writer) (stage, error) {
	if stdout == nil {
		stdout = io.Discard
	}
	cmd.Stdout = stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return stage{}, err
	}
	hwm := watchHWM(cmd.Process.Pid)
	err := cmd.Wait()
	st := stage{Seconds: time.Since(t0).Seconds(), MaxRSS: hwm()}
	if err != nil {
		return st, fmt.Errorf("%w: %s", err, tail(stderr.String()))
	}
	return st, nil
}

// watchHWM samples the process's VmHWM (its resident high-water mark,
// /proc/PID/status) every 20 ms until it exits; the returned function
// stops sampling and gives the largest, in MiB.
//
// Not getrusage's ru_maxrss: Linux carries a process's maxrss across
// fork and exec, so every child of this process, which has run DuckDB's
// COPY in-process, reported at least this process's own peak (3 GiB at
// 10M events): a transform that peaked at 231 MiB in the first run read
// 2,976 MiB in the next. VmHWM belongs to the exec'd image alone. A
// spike in the last 20 ms before exit would be missed.
func watchHWM(pid int) func() float64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak float64
	read := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		if kb, ok := procstatus.KiB(b, "VmHWM:"); ok {
			peak = max(peak, float64(kb)/1024)
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		return peak
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// startBroker serves data's broker in a child process until ctx ends; the
// channel then yields its peak RSS.
func startBroker(ctx context.Context, data string) (string, <-chan *stage, error) {
	cmd := exec.Command(*bin, "--data", data, "broker", "--listen", "127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	hwm := watchHWM(cmd.Process.Pid)
	done := make(chan *stage, 1)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("broker: %q %v", line, err)
	}
	m := regexp.MustCompile(` on (\S+)`).FindStringSubmatch(line)
	if m == nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("broker: no address in %q", line)
	}
	go func() {
		<-ctx.Done()
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		done <- &stage{MaxRSS: hwm()}
	}()
	return strings.TrimSuffix(strings.Split(m[1], ",")[0], "\n"), done, nil
}

// dumpTopics writes every family topic's messages, one per line, to path.
func dumpTopics(ctx context.Context, addr, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	k := &kafkaconf.Config{}
	k.Validate()
	for _, fam := range events.Families {
		cmd := exec.CommandContext(ctx, "kcat", "-C", "-b", addr, "-t", k.Topic(fam), "-e", "-q", "-f", "%s\n")
		cmd.Stdout = f
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kcat -C %s: %w: %s", k.Topic(fam), err, stderr.String())
		}
	}
	return nil
}

type summary struct {
	Events            int64   `json:"events"`
	IngestEventsPerS  float64 `json:"ingest_events_per_s"`
	KcatEventsPerS    float64 `json:"kcat_events_per_s"`
	IngestRatio       float64 `json:"ingest_ratio"`
	TransformRowsPerS float64 `json:"transform_rows_per_s"`
	DuckRowsPerS      float64 `json:"duckdb_rows_per_s"`
	TransformRatio    float64 `json:"transform_ratio"`
	TransformRSS      float64 `json:"transform_max_rss_mib"`
	ReportSeconds     float64 `json:"report_seconds"`
	DuckScanSeconds   float64 `json:"duckdb_scan_seconds"`
	ReportRatio       float64 `json:"report_ratio"`
	SaveSeconds       float64 `json:"warehouse_save_seconds"`
	ReportSavedSecs   float64 `json:"report_saved_build_seconds"`
	ReportSavedRatio  float64 `json:"report_saved_build_ratio"`
	ReportUpdSecs     float64 `json:"report_updated_build_seconds"`
	ReportUpdRatio    float64 `json:"report_updated_build_ratio"`
	SaveUpdSecs       float64 `json:"warehouse_update_save_seconds"`
	NewRows           float64 `json:"update_new_rows_share"`
	NewReferrals      float64 `json:"update_new_referrals_share"`
	E2ESeconds        float64 `json:"e2e_seconds"`
	E2EMaxRSS         float64 `json:"e2e_max_rss_mib"`
	BrokerRSS         float64 `json:"broker_max_rss_mib"`
}

func median(rs []runResult, f func(runResult) float64) float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// rate is n per second, 0 for a stage not timed (-e2e-only skips the
// references): JSON has no Inf, and an Inf made the results file empty.
func rate(n, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return n / seconds
}

func summarise(rs []runResult) summary {
	return summary{
		Events:            rs[0].Events,
		IngestEventsPerS:  median(rs, func(r runResult) float64 { return rate(float64(r.Events), r.Ingest.Seconds) }),
		KcatEventsPerS:    median(rs, func(r runResult) float64 { return rate(float64(r.Events), r.Kcat.Seconds) }),
		IngestRatio:       median(rs, func(r runResult) float64 { return r.IngestRatio }),
		TransformRowsPerS: median(rs, func(r runResult) float64 { return rate(float64(r.Rows), r.Transform.Seconds) }),
		DuckRowsPerS:      median(rs, func(r runResult) float64 { return rate(float64(r.Rows), r.DuckCopy) }),
		TransformRatio:    median(rs, func(r runResult) float64 { return r.TransRatio }),
		TransformRSS:      median(rs, func(r runResult) float64 { return r.Transform.MaxRSS }),
		ReportSeconds:     median(rs, func(r runResult) float64 { return r.Report.Seconds }),
		DuckScanSeconds:   median(rs, func(r runResult) float64 { return r.DuckScan }),
		ReportRatio:       median(rs, func(r runResult) float64 { return r.ReportRatio }),
		SaveSeconds:       median(rs, func(r runResult) float64 { return r.Save.Seconds }),
		ReportSavedSecs:   median(rs, func(r runResult) float64 { return r.ReportSaved.Seconds }),
		ReportSavedRatio:  median(rs, func(r runResult) float64 { return r.ReportSavedRatio }),
		ReportUpdSecs:     median(rs, func(r runResult) float64 { return r.ReportUpdated.Seconds }),
		ReportUpdRatio:    median(rs, func(r runResult) float64 { return r.ReportUpdatedRatio }),
		SaveUpdSecs:       median(rs, func(r runResult) float64 { return r.SaveUpdated.Seconds }),
		NewRows:           median(rs, func(r runResult) float64 { return r.NewRows }),
		NewReferrals:      median(rs, func(r runResult) float64 { return r.NewReferrals }),
		E2ESeconds:        median(rs, func(r runResult) float64 { return r.E2ESeconds }),
		E2EMaxRSS:         median(rs, func(r runResult) float64 { return r.E2EMaxRSS }),
		BrokerRSS:         median(rs, func(r runResult) float64 { return r.BrokerRSS }),
	}
}

func passFail(ok bool) string {
	if ok {
		return "ok"
	}
	return "SHORT"
}

// minYearEvents is the fewest events whose time the bench scales up to a
// national year's 40M and judges against the target: below it the fixed
// costs (starting the broker and processes, DuckDB's start, every report's
// rendering) dominate, and 100k events in 2 s would read as 13 minutes.
const minYearEvents = 1_000_000

// yearVerdict judges a run of events taking seconds at peak rssMiB
// against the national-year target (≤ 10 minutes for 40M events, ≤ 1 GiB),
// scaling the time linearly, and says what it estimated.
func yearVerdict(events int64, seconds, rssMiB float64) (estimate, verdict string) {
	perYear := seconds / float64(events) * 40e6
	estimate = fmt.Sprintf("40M events ≈ %.1f min", perYear/60)
	if events < minYearEvents {
		return estimate, fmt.Sprintf("not judged under %d events (make bench-year runs 40M)", minYearEvents)
	}
	return estimate, passFail(perYear <= 600 && rssMiB <= 1024)
}

// wholeRun times `evalpipe run` over the generated inputs, as a user runs
// the pipeline: ingest, transform, the warehouse and every report in one
// process with its embedded broker. The settings are the demo's (its
// population and unit costs, so every report has material) unless -config
// names others. It then runs the same command again over the same data
// directory, as a service's next month starts: the broker loads the log
// the first run wrote, ingest finds those exports already in, and the
// reports read the saved build. Both are timed.
func wholeRun(ctx context.Context, gen string) (first, again stage, err error) {
	data := filepath.Join(*work, "whole")
	os.RemoveAll(data)
	if !*keep {
		defer os.RemoveAll(data)
	}
	settings := *config
	if settings == "" {
		found, _ := filepath.Glob(filepath.Join(gen, "*", "evalpipe.demo.yaml"))
		if len(found) == 0 {
			return first, again, fmt.Errorf("no evalpipe.demo.yaml under %s: pass -config", gen)
		}
		settings = found[0]
	}
	run := func() (stage, error) {
		cmd := exec.CommandContext(ctx, *bin, "--data", data, "run", "--input", gen)
		cmd.Env = append(os.Environ(), "EVALPIPE_CONFIG="+settings)
		return timed(cmd, nil)
	}
	log.Printf("whole run: evalpipe run --input %s (settings %s)", gen, settings)
	if first, err = run(); err != nil {
		return first, again, err
	}
	log.Printf("whole run again over the same data directory")
	again, err = run()
	return first, again, err
}

func printTable(w io.Writer, s summary, rs []runResult) {
	pass := passFail
	fmt.Fprintf(w, "\nevalpipe bench: %d events, %d runs (median), %d CPUs, %s\n\n", s.Events, len(rs), runtime.NumCPU(), runtime.Version())
	if *e2eOnly {
		med := func(f func(runResult) stage) stage {
			return stage{median(rs, func(r runResult) float64 { return f(r).Seconds }), median(rs, func(r runResult) float64 { return f(r).MaxRSS })}
		}
		for _, st := range []struct {
			name string
			s    stage
		}{{"ingest", med(func(r runResult) stage { return r.Ingest })}, {"transform", med(func(r runResult) stage { return r.Transform })}, {"report", med(func(r runResult) stage { return r.Report })}} {
			fmt.Fprintf(w, "%-11s %8.1f s  peak RSS %5.0f MiB  %8.0f events/s\n", st.name, st.s.Seconds, st.s.MaxRSS, float64(s.Events)/st.s.Seconds)
		}
		estimate, verdict := yearVerdict(s.Events, s.E2ESeconds, s.E2EMaxRSS)
		fmt.Fprintf(w, "%-11s %8.1f s  peak RSS %5.0f MiB (broker %.0f)  %s  target ≤ 10 min, ≤ 1 GiB %s\n\n", "end to end", s.E2ESeconds, s.E2EMaxRSS, s.BrokerRSS, estimate, verdict)
		return
	}
	fmt.Fprintf(w, "%-11s %-44s %-26s %-9s %s\n", "stage", "evalpipe", "reference (same run)", "ratio", "target")
	fmt.Fprintf(w, "%-11s %-44s %-26s %-9.2f %s %s\n", "ingest", fmt.Sprintf("%.0f events/s", s.IngestEventsPerS), fmt.Sprintf("kcat -P %.0f/s", s.KcatEventsPerS), s.IngestRatio, "≥ 1.5", pass(s.IngestRatio >= 1.5))
	fmt.Fprintf(w, "%-11s %-44s %-26s %-9.2f %s %s\n", "transform", fmt.Sprintf("%.0f rows/s, peak RSS %.0f MiB", s.TransformRowsPerS, s.TransformRSS), fmt.Sprintf("DuckDB COPY %.0f/s", s.DuckRowsPerS), s.TransformRatio, "≥ 1.0, ≤ 300 MiB", pass(s.TransformRatio >= 1 && s.TransformRSS <= 300))
	fmt.Fprintf(w, "%-11s %-44s %-26s %-9.2f %s %s\n", "reports", fmt.Sprintf("kpi report %.1f s", s.ReportSeconds), fmt.Sprintf("DuckDB scan %.1f s", s.DuckScanSeconds), s.ReportRatio, "≤ 3", pass(s.ReportRatio <= 3))
	fmt.Fprintf(w, "%-11s %-44s %-26s %-9.2f %s\n", "", fmt.Sprintf("the same over a saved build %.1f s", s.ReportSavedSecs), fmt.Sprintf("(saving it took %.1f s)", s.SaveSeconds), s.ReportSavedRatio, "not the target's measure: the build is excluded")
	if s.ReportUpdSecs > 0 {
		fmt.Fprintf(w, "%-11s %-44s %-26s %-9.2f %s\n", "", fmt.Sprintf("the same, a saved build updated %.1f s", s.ReportUpdSecs), fmt.Sprintf("(update and save %.1f s)", s.SaveUpdSecs), s.ReportUpdRatio,
			fmt.Sprintf("not the target's measure: saved before the newest files (%.1f%% of the rows, %.1f%% of the referrals)", 100*s.NewRows, 100*s.NewReferrals))
	}
	estimate, verdict := yearVerdict(s.Events, s.E2ESeconds, s.E2EMaxRSS)
	fmt.Fprintf(w, "%-11s %-44s %-26s %-9s %s %s\n", "end to end", fmt.Sprintf("%.0f s, peak RSS %.0f MiB (broker %.0f)", s.E2ESeconds, s.E2EMaxRSS, s.BrokerRSS), estimate, "-", "≤ 10 min, ≤ 1 GiB", verdict)
	fmt.Fprintln(w)
}

// updateScenario times the reports over a saved build that the lake has
// grown past: it holds back the newest lake files (the last, by offset, of
// each family and partition that has more than one), saves a build of the
// rest with `evalpipe warehouse`, puts them back, and times the KPI report
// (which updates the build in memory) and `evalpipe warehouse` (which
// updates and saves it). The report must equal the one built whole.
func updateScenario(ctx context.Context, db *sql.DB, data, lake, whole string, r *runResult) error {
	files, err := filepath.Glob(filepath.Join(lake, "*", "*", "*.parquet"))
	if err != nil {
		return err
	}
	newest := map[string]string{} // family/date/topic+partition → its last file
	count := map[string]int{}
	for _, f := range files {
		k := f[:strings.LastIndex(f, "+")]
		count[k]++
		if f > newest[k] {
			newest[k] = f
		}
	}
	var held []string
	for k, f := range newest {
		if count[k] > 1 {
			held = append(held, f)
		}
	}
	if len(held) == 0 {
		log.Printf("update: not measured, no partition of the lake has more than one file (about 10M events make several)")
		return nil
	}
	slices.Sort(held)
	aside := filepath.Join(data, "held")
	if err := os.MkdirAll(aside, 0o755); err != nil {
		return err
	}
	for i, f := range held {
		if err := os.Rename(f, filepath.Join(aside, strconv.Itoa(i))); err != nil {
			return err
		}
	}
	os.RemoveAll(filepath.Join(data, "warehouse"))
	_, _, err = run(ctx, data, "warehouse-before", "warehouse")
	for i, f := range held {
		if rerr := os.Rename(filepath.Join(aside, strconv.Itoa(i)), f); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	quoted := make([]string, len(held))
	for i, f := range held {
		quoted[i] = "'" + f + "'"
	}
	var newRows, newRefs, allRefs float64
	q := fmt.Sprintf("SELECT count(*), count(DISTINCT referral_id) FROM read_parquet([%s], union_by_name=true)", strings.Join(quoted, ", "))
	if err := db.QueryRowContext(ctx, q).Scan(&newRows, &newRefs); err != nil {
		return fmt.Errorf("update: new files: %w", err)
	}
	q = fmt.Sprintf("SELECT count(DISTINCT referral_id) FROM read_parquet('%s/*/*/*.parquet', union_by_name=true)", lake)
	if err := db.QueryRowContext(ctx, q).Scan(&allRefs); err != nil {
		return fmt.Errorf("update: lake referrals: %w", err)
	}
	r.NewRows, r.NewReferrals = newRows/float64(r.Rows), newRefs/allRefs
	updated, st, err := run(ctx, data, "report-updated", "report", "kpi", "--format", "json", "--out", "-")
	if err != nil {
		return err
	}
	r.ReportUpdated, r.ReportUpdatedRatio = st, st.Seconds/r.DuckScan
	if err := sameReport(whole, updated); err != nil {
		return fmt.Errorf("update: the report over the updated build differs from the one built whole: %w", err)
	}
	_, r.SaveUpdated, err = run(ctx, data, "warehouse-update", "warehouse")
	return err
}

// sameReport compares two KPI reports in JSON without their provenance
// (which says when each was made).
func sameReport(a, b string) error {
	var x, y map[string]any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return err
	}
	delete(x, "provenance")
	delete(y, "provenance")
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	if string(xb) != string(yb) {
		return fmt.Errorf("%d bytes against %d", len(xb), len(yb))
	}
	return nil
}
