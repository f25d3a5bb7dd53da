package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Profiling a build. With Config.ProfileFile set, every build statement
// that makes or fills a table runs as EXPLAIN (ANALYZE, FORMAT JSON), which
// executes it as before and returns DuckDB's own profile of it, and Open
// writes where the build's time went: operator time by operator type over
// the whole build, and each statement's wall time, CPU time, DuckDB's
// temporary files after it and its largest operators. It answers what
// Go's pprof cannot: evalpipe's CPU profile of a KPI report puts almost
// all of it inside DuckDB's C++ code (make bench's -pprof), which pprof
// does not break down.

// profilable matches the first code line (firstCode) of the statements
// EXPLAIN ANALYZE can run: DuckDB runs a CREATE TABLE AS or an INSERT and
// returns its plan; views and drops cost nothing worth profiling and run
// as they are.
var profilable = regexp.MustCompile(`(?i)^(CREATE (OR REPLACE )?(TEMP |TEMPORARY )?TABLE \S+ AS|INSERT INTO)(\s|$)`)

// buildProfile is what EXPLAIN ANALYZE said of each statement of a build.
type buildProfile struct {
	stmts []statementProfile
}

// statementProfile is DuckDB's profile of one build statement.
type statementProfile struct {
	object string
	// latency and cpu are the statement's wall and CPU seconds; temp is
	// the size of DuckDB's temporary files once it has run, in bytes:
	// what memory_limit has evicted to disk, the tables built so far
	// included.
	latency, cpu float64
	temp         int64
	// ops is operator time in seconds by operator type (HASH_JOIN,
	// READ_PARQUET, ...), summed over the plan's operators of that type.
	ops map[string]float64
}

// explainNode is the part of DuckDB's JSON profile the summary reads: the
// root has the query's figures, every node below it an operator's.
type explainNode struct {
	Latency        float64       `json:"latency"`
	CPUTime        float64       `json:"cpu_time"`
	OperatorName   string        `json:"operator_name"`
	OperatorTiming float64       `json:"operator_timing"`
	Children       []explainNode `json:"children"`
}

// profiled runs q under EXPLAIN ANALYZE and records its profile.
func (w *Warehouse) profiled(ctx context.Context, object, q string) error {
	var kind, plan string
	if err := w.db.QueryRowContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q).Scan(&kind, &plan); err != nil {
		return err
	}
	sp, err := parseProfile(object, plan)
	if err != nil {
		return fmt.Errorf("warehouse: DuckDB's profile of %s: %w", object, err)
	}
	if err := w.db.QueryRowContext(ctx, "SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()").Scan(&sp.temp); err != nil {
		return fmt.Errorf("warehouse: DuckDB's temporary files: %w", err)
	}
	w.prof.stmts = append(w.prof.stmts, sp)
	return nil
}

// parseProfile reads DuckDB's JSON profile of one statement.
func parseProfile(object, plan string) (statementProfile, error) {
	var root explainNode
	if err := json.Unmarshal([]byte(plan), &root); err != nil {
		return statementProfile{}, err
	}
	sp := statementProfile{object: object, latency: root.Latency, cpu: root.CPUTime, ops: map[string]float64{}}
	var walk func(n explainNode)
	walk = func(n explainNode) {
		// EXPLAIN_ANALYZE is the profiler's own node around the plan.
		if n.OperatorName != "" && n.OperatorName != "EXPLAIN_ANALYZE" {
			sp.ops[n.OperatorName] += n.OperatorTiming
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, c := range root.Children {
		walk(c)
	}
	return sp, nil
}

// writeProfile writes the build's profile to Config.ProfileFile; Open
// warns when it cannot.
func (w *Warehouse) writeProfile(took time.Duration) error {
	f, err := os.Create(w.cfg.ProfileFile)
	if err == nil {
		w.prof.write(f, w.cfg.Lake, took)
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("warehouse: DuckDB's profile of the build (EVALPIPE_DUCKDB_PROFILE) not written: %w; going on without it", err)
	}
	w.info("warehouse: DuckDB's profile of the build written", "file", w.cfg.ProfileFile)
	return nil
}

// write prints the profile: operator types by their time over the whole
// build, then each statement.
func (p *buildProfile) write(out io.Writer, lake string, took time.Duration) {
	var latency, cpu float64
	byOp := map[string]float64{}
	for _, s := range p.stmts {
		latency += s.latency
		cpu += s.cpu // DuckDB's cpu_time: its operators' time, summed
		for op, t := range s.ops {
			byOp[op] += t
		}
	}
	fmt.Fprintf(out, "DuckDB's profile of a warehouse build (EXPLAIN ANALYZE of each statement that makes a table)\n")
	fmt.Fprintf(out, "lake %s\n", lake)
	fmt.Fprintf(out, "build %.2f s; %d statements profiled: %.2f s wall, %.2f s CPU\n", took.Seconds(), len(p.stmts), latency, cpu)
	fmt.Fprintf(out, "(CPU is DuckDB's operator time summed over its threads; the metric queries that follow a build\n")
	fmt.Fprintf(out, "are not in it: their times are `evalpipe --verbose`'s \"warehouse metric\" records; temp MiB is\n")
	fmt.Fprintf(out, "DuckDB's temporary files after the statement, what memory_limit evicted to disk)\n\n")
	if len(p.stmts) == 0 {
		fmt.Fprintf(out, "No statement was profiled: Open used a saved build (DATA/warehouse) as it was.\n")
		return
	}
	fmt.Fprintf(out, "%-28s %9s %6s\n", "operator", "CPU s", "share")
	for _, op := range byTime(byOp) {
		fmt.Fprintf(out, "%-28s %9.2f %5.1f%%\n", op, byOp[op], 100*byOp[op]/max(cpu, 1e-9))
	}
	fmt.Fprintf(out, "\n%-28s %8s %8s %10s  %s\n", "statement", "wall s", "CPU s", "temp MiB", "largest operators (s)")
	for _, s := range p.stmts {
		var top []string
		for i, op := range byTime(s.ops) {
			if i == 3 {
				break
			}
			top = append(top, fmt.Sprintf("%s %.2f", op, s.ops[op]))
		}
		fmt.Fprintf(out, "%-28s %8.2f %8.2f %10.0f  %s\n", s.object, s.latency, s.cpu, float64(s.temp)/(1<<20), strings.Join(top, ", "))
	}
}

// byTime is m's keys, the largest value first (then by name).
func byTime(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
