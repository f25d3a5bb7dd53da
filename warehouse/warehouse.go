package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/lake"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

//go:embed sql/*.sql sql/metrics/*.sql
var sqlFS embed.FS

// Config says which lake to read and how. The zero value of every field but
// Lake is a usable default.
type Config struct {
	// Lake is the lake root (see package lake). Required.
	Lake string
	// DBPath is the DuckDB database file. "" (the default) is an in-memory
	// database: past MemoryLimit DuckDB evicts its tables to a temporary
	// folder (removed by Close), so a large lake still fits. It is faster
	// than a file because a file's tables are compressed as they are
	// written: building the sessions table of a 3M-event lake took 2.3 s on
	// a file and 0.65 s in memory, with the same peak RSS under a 300MB
	// limit. The warehouse rebuilds its tables on every Open either way,
	// unless it reuses a saved build (SaveDir).
	DBPath string
	// TimeZone is the service's IANA time zone, in which every date is taken.
	// Default "Europe/London".
	TimeZone string
	// AsOf, when not zero, hides events recorded after it (and so
	// retractions and erasures recorded after it are not applied).
	// Zero means everything in the lake.
	AsOf time.Time
	// Population is the adult population for access_rate_per_100k; 0 (the
	// default) leaves the metric without a value and with a note.
	Population int
	// Version is the code version recorded in Provenance.
	Version string
	// ExportDir, when set, is a directory the database may write to (for
	// example COPY ... TO for Parquet exports through DB). Default none:
	// the database can read only the lake.
	ExportDir string
	// MemoryLimit is DuckDB's memory_limit for this warehouse, a size such
	// as "512MB" or "2GiB": past it DuckDB spills to a temporary folder
	// (removed by Close) instead of growing. Default "512MB": the KPI
	// report of a 10M-event lake peaked at 0.75 GiB resident with it
	// (12.9 GiB before the warehouse stopped materialising the lake), the
	// demo's national year (40M events) at 0.85-1.0 GiB with two threads,
	// its episodes built in four parts (episodeparts.go). The peak is
	// the pool plus what DuckDB allocates outside it (allocator.go).
	MemoryLimit string
	// Threads is DuckDB's number of worker threads. Default
	// DefaultThreads (2). Under DuckDB 1.4 it had to be 1: the parallel
	// hash aggregate, spilling under a memory limit, failed with internal
	// errors (RadixPartitionedHashTable::Combine) or gave wrong group counts
	// in 2 of 3 builds of a 10M-event lake. DuckDB 1.5.6 gives the
	// one-thread output at 2 threads (see warehouse/README.md). Each thread
	// needs its share of MemoryLimit: raise them together.
	Threads int
	// SaveDir, when set, is the folder of saved builds (saved.go): Open
	// reuses the build saved there for the same lake files and settings
	// instead of building the tables again, or, when the lake has new
	// files since, updates it for the referrals they touch (update.go).
	// "" (the default): every Open builds.
	SaveDir string
	// Save, with SaveDir, saves the build there when Open had to build it,
	// replacing the build saved before, then reads the saved tables back
	// (readSaved). In make bench at 9c8559d (10M events), the KPI report
	// took 0.95 times one DuckDB scan of the lake over the saved build,
	// against 6.56 times building it; the build and its save
	// (evalpipe warehouse) took 16.3-18.7 s.
	Save bool
	// episodeParts, when not 0, is how many parts episodes is built in
	// (buildEpisodes) at first; tests set it.
	episodeParts int
	// buildHook, when set, sees every build statement before it runs and
	// may fail it instead; tests inject DuckDB's out-of-memory error.
	buildHook func(q string) error
	// savedHook, when set, runs between saving a build and reading it
	// back; tests remove the file there, as another process's save would.
	savedHook func(path string)
	// Now stamps Provenance.GeneratedAt; default time.Now. Tests fix it.
	Now func() time.Time
	// Logger, when set, gets one debug record per build statement (the
	// table or view it makes and how long it took): progress on a large
	// lake, and where a slow build spends its time.
	Logger *slog.Logger
	// ProfileFile, when set, is where Open writes DuckDB's profile of its
	// build: every statement that makes a table runs under EXPLAIN ANALYZE
	// (profile.go), and the file says which operators and statements the
	// build's time went to. A diagnosis, for make bench's -pprof and
	// EVALPIPE_DUCKDB_PROFILE: the profiler adds a little to each statement.
	ProfileFile string
	// Evaluation settings for the programme, crisis and qualitative metrics
	// (see evaluation.go). The zero value is valid: metrics that need a
	// setting that is absent carry a note instead of a value.
	Evaluation Evaluation
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.Lake == "" {
		return errors.New("warehouse: Config.Lake is required")
	}
	if c.TimeZone == "" {
		c.TimeZone = "Europe/London"
	}
	if !tzPattern.MatchString(c.TimeZone) {
		return fmt.Errorf("warehouse: time zone %q: want an IANA name such as Europe/London", c.TimeZone)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return fmt.Errorf("warehouse: time zone %q: %w", c.TimeZone, err)
	}
	if c.Population < 0 {
		return fmt.Errorf("warehouse: population %d: want 0 (not configured) or more", c.Population)
	}
	if c.MemoryLimit == "" {
		c.MemoryLimit = DefaultMemoryLimit
	}
	if !memoryLimitPattern.MatchString(c.MemoryLimit) {
		return fmt.Errorf("warehouse: memory limit %q: want a size such as 512MB or 2GiB", c.MemoryLimit)
	}
	if c.Threads == 0 {
		c.Threads = DefaultThreads
	}
	if c.Threads < 0 {
		return fmt.Errorf("warehouse: threads %d: want 1 or more (0 for the default, %d)", c.Threads, DefaultThreads)
	}
	if c.SaveDir != "" && c.DBPath != "" {
		return errors.New("warehouse: SaveDir works with the in-memory database only: leave DBPath empty")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// DefaultMemoryLimit is Config.MemoryLimit's default.
const DefaultMemoryLimit = "512MB"

// DefaultThreads is Config.Threads's default: the two cores of the machine
// the national-year benchmark runs on, within DefaultMemoryLimit.
const DefaultThreads = 2

var (
	tzPattern          = regexp.MustCompile(`^[A-Za-z0-9_+\-/]+$`)
	memoryLimitPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)? ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)
)

// Warehouse is DuckDB over one snapshot of the lake: the base views, the
// materialised projections (events, referrals, sessions, scores, episodes)
// and the metric queries. Safe for concurrent use. Close it when done.
type Warehouse struct {
	db          *sql.DB
	cfg         Config
	tmp         string        // schema-only Parquet files, removed by Close
	prof        *buildProfile // DuckDB's profile of the build, when Config.ProfileFile is set
	lakeFP      string
	files       map[string]lakeFile // the lake's committed files by relative path
	dataAt      time.Time           // latest recorded_at of a visible event
	metrics     map[string]string
	pairs       pairsMemo  // the last wellbeing pairs (programme_wellbeing.go)
	saved       string     // the saved build read or written (saved.go)
	reused      bool       // the tables are the saved build's
	updated     string     // the saved build this one updated (update.go)
	base        *savedBase // that build while this Open updates it
	tables      []string   // the build's tables, as save writes them
	settingsKey string     // the saved-build key without the lake (saved.go)
}

// Open reads the lake's committed files and builds the warehouse. The lake
// is immutable between opens: a file committed after Open is not seen
// until the next Open.
func Open(ctx context.Context, cfg Config) (*Warehouse, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Warehouse{cfg: cfg}
	ok := false
	defer func() {
		if !ok {
			w.Close()
		}
	}()
	byFamily, err := w.listLake()
	if err != nil {
		return nil, err
	}
	if err := w.newDatabase(); err != nil {
		return nil, err
	}
	if cfg.ProfileFile != "" {
		w.prof = &buildProfile{}
	}
	buildStart := time.Now()
	key, err := w.build(ctx, byFamily)
	if err == nil && w.prof != nil {
		// A diagnosis: the command goes on without it.
		if perr := w.writeProfile(time.Since(buildStart)); perr != nil {
			w.warn(perr.Error())
		}
	}
	if err != nil {
		if isOutOfMemory(err) {
			err = fmt.Errorf("%w\n\nThe warehouse needs more than its memory_limit of %s for this lake: raise it (warehouse.memory_limit in the config, e.g. 2GB; the demo's national year of 40M events fits the default 512MB and peaks at about 1 GiB resident)", err, w.cfg.MemoryLimit)
		}
		return nil, err
	}
	if cfg.Save && key != "" && !w.reused {
		// The saved build only spares later commands a build: when it
		// cannot be written, this one goes on with the tables it has.
		if err := w.save(ctx, key); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			w.warn(err.Error())
		} else {
			if cfg.savedHook != nil {
				cfg.savedHook(w.saved)
			}
			if err := w.readSaved(ctx, byFamily); err != nil {
				return nil, err
			}
		}
	}
	if err := w.sandbox(ctx); err != nil {
		return nil, err
	}
	if w.metrics, err = metricSQL(); err != nil {
		return nil, err
	}
	ok = true
	return w, nil
}

// newDatabase starts a DuckDB database and the temporary folder of its
// schema files and spills.
func (w *Warehouse) newDatabase() error {
	var err error
	if w.tmp, err = os.MkdirTemp("", "evalpipe-warehouse-"); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	if w.db, err = sql.Open("duckdb", w.cfg.DBPath); err != nil {
		return fmt.Errorf("warehouse: open duckdb %q: %w", w.cfg.DBPath, err)
	}
	return nil
}

// metricSQL reads each catalogue metric's query, sql/metrics/<id>.sql.
func metricSQL() (map[string]string, error) {
	out := map[string]string{}
	for _, c := range catalogue {
		if c.kind == kindRate {
			continue
		}
		b, err := sqlFS.ReadFile("sql/metrics/" + c.ID + ".sql")
		if err != nil {
			return nil, fmt.Errorf("warehouse: metric %s has no SQL: %w", c.ID, err)
		}
		out[c.ID] = string(b)
	}
	return out, nil
}

// families are the lake folders the warehouse reads, valid events first.
var families = append(append([]events.Family{}, events.Families...), events.DeadLetter)

// listLake groups the lake's committed files by family and fingerprints
// the list (lake.Fingerprint).
func (w *Warehouse) listLake() (map[events.Family][]string, error) {
	files, err := lake.Files(w.cfg.Lake)
	if err != nil {
		return nil, fmt.Errorf("warehouse: list lake %s: %w", w.cfg.Lake, err)
	}
	out := map[events.Family][]string{}
	w.files = map[string]lakeFile{}
	for _, f := range files {
		rel, err := filepath.Rel(w.cfg.Lake, f.Path)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		fam := events.Family(strings.Split(rel, "/")[0])
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			return nil, err
		}
		out[fam] = append(out[fam], abs)
		w.files[rel] = lakeFile{fam: fam, rel: rel, abs: abs, size: f.Size}
	}
	if w.lakeFP, err = lake.Fingerprint(w.cfg.Lake, files); err != nil {
		return nil, err
	}
	return out, nil
}

// schemaFile writes a Parquet file with a family's columns and no rows.
func (w *Warehouse) schemaFile(fam events.Family) (string, error) {
	lw, err := lake.Create(w.tmp, fam, time.Unix(0, 0), "schema", 0, 0, lake.Options{})
	if err != nil {
		return "", fmt.Errorf("warehouse: schema file for %s: %w", fam, err)
	}
	if err := lw.Commit(-1); err != nil {
		return "", fmt.Errorf("warehouse: schema file for %s: %w", fam, err)
	}
	return lw.Path(), nil
}

// settings bounds the database before anything is built: memory_limit and
// threads from the Config, spilling into the warehouse's own temporary
// folder, and the UTC session time zone.
//
// DuckDB's top_n_window_elimination optimizer is off. It rewrites
// "QUALIFY row_number() OVER (PARTITION BY .. ORDER BY ..) <= n", the
// shape of every latest-record rule here, into arg_max aggregates. In
// DuckDB 1.5.6 it fails our quotes query (INTERNAL "Failed to cast
// expression to type", like duckdb/duckdb#22096), and it has had fixes for
// silently wrong values and dropped rows (duckdb/duckdb#22849, #23677,
// #24609). A KPI must not depend on that rewrite being right.
func (w *Warehouse) settings(ctx context.Context) error {
	qs := []string{
		"SET GLOBAL TimeZone = 'UTC'",
		"SET GLOBAL disabled_optimizers = 'top_n_window_elimination'",
		"SET GLOBAL memory_limit = " + sqlString(w.cfg.MemoryLimit),
		"SET GLOBAL temp_directory = " + sqlString(filepath.Join(w.tmp, "spill")),
	}
	qs = append(qs, fmt.Sprintf("SET GLOBAL threads = %d", w.cfg.Threads))
	if err := tuneAllocator(); err != nil && w.cfg.Logger != nil {
		w.cfg.Logger.Debug("warehouse: allocator left as it is", "why", err)
	}
	for _, q := range qs {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("warehouse: %s: %w", q, err)
		}
	}
	return nil
}

// build makes the warehouse's objects, from the build saved for this lake
// and settings when Config.SaveDir has one (w.reused), or by updating one
// saved for fewer of the lake's files (update.go). It returns the
// saved-build key, "" without a SaveDir.
func (w *Warehouse) build(ctx context.Context, byFamily map[events.Family][]string) (key string, err error) {
	w.base = nil
	if err := w.settings(ctx); err != nil {
		return "", err
	}
	rawTmpl := mustSQL("sql/01_raw.sql")
	schemas := map[events.Family]string{}
	for _, fam := range families {
		schema, err := w.schemaFile(fam)
		if err != nil {
			return "", err
		}
		schemas[fam] = schema
		if _, err := w.db.ExecContext(ctx, rawViewSQL(rawTmpl, fam, schema, byFamily[fam])); err != nil {
			return "", fmt.Errorf("warehouse: view raw_%s: %w", fam, err)
		}
	}
	if _, err := w.db.ExecContext(ctx, idsViewSQL(schemas, byFamily)); err != nil {
		return "", fmt.Errorf("warehouse: view lake_event_ids: %w", err)
	}
	asOf := "'infinity'::TIMESTAMPTZ"
	if !w.cfg.AsOf.IsZero() {
		asOf = sqlString(w.cfg.AsOf.UTC().Format(time.RFC3339Nano)) + "::TIMESTAMPTZ"
	}
	adsm, err := adsmTemplate(w.cfg.Evaluation) // configured ADSM thresholds, problem → measure (adsm.go)
	if err != nil {
		return "", err
	}
	localDate, err := localDateSQL("v.occurred_at", w.cfg.TimeZone)
	if err != nil {
		return "", err
	}
	r := strings.NewReplacer(append([]string{"{{as_of}}", asOf, "{{tz}}", w.cfg.TimeZone, "{{local_date}}", localDate}, adsm...)...)
	var stmts []fileStatement
	for _, name := range []string{"sql/02_events.sql", "sql/03_projections.sql", "sql/04_episodes.sql", "sql/05_cohorts.sql"} {
		for _, st := range splitStatements(r.Replace(mustSQL(name))) {
			stmts = append(stmts, fileStatement{file: name, statement: st})
		}
	}
	var base *savedBase // the saved build this one updates
	if w.cfg.SaveDir != "" {
		if w.settingsKey, key, err = w.buildKey(ctx, stmts); err != nil {
			return "", err
		}
		if used, err := w.useSaved(ctx, key, stmts); used || err != nil {
			return key, err
		}
		if base = w.findBase(ctx, w.settingsKey); base != nil {
			if err := w.addedViews(ctx, base, schemas); err != nil {
				return "", err
			}
		}
	}
	var episodeScores string // built with episodes, as a view or a table (buildEpisodes)
	for _, fs := range stmts {
		name, st := fs.file, fs.statement
		switch {
		case st.name == "episode_scores":
			episodeScores = st.sql
			continue
		case st.name == "episodes":
			err = w.buildEpisodes(ctx, name, episodeScores, st.sql, base)
		case st.drop:
			if err = w.execBuild(ctx, st.name, st.sql); err != nil {
				err = fmt.Errorf("warehouse: %s (drop %s): %w", name, st.name, err)
			}
			w.debug(ctx, "warehouse dropped", "file", name, "object", st.name)
		case base != nil && st.name == "duplicate_event_hashes":
			var ok bool
			if ok, err = w.startUpdate(ctx, base, name); err == nil && !ok {
				base = nil
				w.detachSaved(ctx)
			}
		case base != nil && overlaid[st.name]:
			err = w.runOverlay(ctx, name, st.name, st.sql)
		case base != nil && st.name == "events":
			err = w.runParts(ctx, name, st.name, []string{st.sql, touchedEventsSQL})
		default:
			err = w.runParts(ctx, name, st.name, []string{scoped(st.sql, base != nil)})
		}
		if err != nil {
			return "", err
		}
	}
	w.base = base
	if base != nil {
		w.updated = base.path
		w.tables = sortedKeys(base.tables)
	} else if w.tables, err = w.tableNames(ctx, "memory"); err != nil {
		return "", err
	}
	var at sql.NullTime
	if err := w.db.QueryRowContext(ctx, "SELECT max(recorded_at) FROM visible_events").Scan(&at); err != nil {
		return "", fmt.Errorf("warehouse: latest event: %w", err)
	}
	w.dataAt = at.Time.UTC()
	return key, nil
}

// rawViewSQL fills in 01_raw.sql (or a copy of it under other names) for
// one family: its schema-only file, then its lake files.
func rawViewSQL(tmpl string, fam events.Family, schema string, files []string) string {
	return strings.NewReplacer("{{family}}", string(fam), "{{files}}", "["+strings.Join(quotedFiles(schema, files), ", ")+"]").Replace(tmpl)
}

// quotedFiles are a family's schema-only file, then its lake files, as
// SQL strings: what a read_parquet of the family lists.
func quotedFiles(schema string, files []string) []string {
	quoted := []string{sqlString(schema)}
	for _, f := range files {
		quoted = append(quoted, sqlString(f))
	}
	return quoted
}

// idsViewSQL makes lake_event_ids: the event_id of every row lake_rows
// has (the event families' files, dead letters apart), read by one
// read_parquet over all those files. The aggregates over every id in the
// lake (02_events.sql's duplicate hashes, an update's new ones) read it:
// over lake_rows, a UNION ALL of six scans, DuckDB 1.5.6 took 1.6-1.9 s to
// aggregate a 10M-event lake's ids against 0.9-1.1 s over one scan (a
// fresh database each, three runs).
func idsViewSQL(schemas map[events.Family]string, byFamily map[events.Family][]string) string {
	var quoted []string
	for _, fam := range events.Families {
		quoted = append(quoted, quotedFiles(schemas[fam], byFamily[fam])...)
	}
	return "CREATE OR REPLACE VIEW lake_event_ids AS SELECT event_id FROM read_parquet([" + strings.Join(quoted, ", ") + "], union_by_name = TRUE)"
}

// fileStatement is one build statement and the file it comes from.
type fileStatement struct {
	file string
	statement
}

// runParts runs the statements that build one object, logging each.
func (w *Warehouse) runParts(ctx context.Context, file, object string, runs []string) error {
	for i, q := range runs {
		start := time.Now()
		if err := w.execBuild(ctx, object, q); err != nil {
			return fmt.Errorf("warehouse: %s (%s): %w", file, object, err)
		}
		// What the statement freed goes back to the system before the
		// next one fills the buffer pool again (allocator.go).
		purgeAllocator()
		w.debug(ctx, "warehouse built", "file", file, "object", object, "part", fmt.Sprintf("%d/%d", i+1, len(runs)), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// execBuild runs one build statement of object, under DuckDB's profiler
// when Config.ProfileFile is set; tests wrap it to inject failures.
func (w *Warehouse) execBuild(ctx context.Context, object, q string) error {
	if w.cfg.buildHook != nil {
		if err := w.cfg.buildHook(q); err != nil {
			return err
		}
	}
	if w.prof != nil && profilable.MatchString(firstCode(q)) {
		return w.profiled(ctx, object, q)
	}
	_, err := w.db.ExecContext(ctx, q)
	return err
}

// statement is one SQL statement of a build file and the object it makes.
type statement struct {
	name, sql string
	table     bool // CREATE [OR REPLACE] TABLE name
	drop      bool // DROP TABLE name
}

var createPattern = regexp.MustCompile(`(?i)^CREATE (?:OR REPLACE )?(?:TEMP |TEMPORARY )?(TABLE|VIEW|MACRO) ([A-Za-z0-9_]+)`)

// dropPattern is the other statement a build file may hold: dropping an
// intermediate table once what it was built for exists.
var dropPattern = regexp.MustCompile(`(?i)^DROP TABLE ([A-Za-z0-9_]+)`)

// splitStatements cuts a build file into its statements: each ends at a
// line (not a comment) whose last character is a semicolon, which is how
// every file under sql/ is written. A statement's name is the object its
// CREATE makes, or its first line.
func splitStatements(file string) []statement {
	var out []statement
	var cur []string
	for _, line := range strings.Split(file, "\n") {
		cur = append(cur, line)
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") || !strings.HasSuffix(t, ";") {
			continue
		}
		st := statement{sql: strings.Join(cur, "\n")}
		if l := firstCode(st.sql); l != "" {
			if m := createPattern.FindStringSubmatch(l); m != nil {
				st.name, st.table = m[2], strings.EqualFold(m[1], "TABLE")
			} else if m := dropPattern.FindStringSubmatch(l); m != nil {
				st.name, st.drop = m[1], true
			} else {
				st.name = l
			}
		}
		out = append(out, st)
		cur = nil
	}
	if rest := strings.Join(cur, "\n"); firstCode(rest) != "" {
		// a statement without its semicolon: run it as it is
		out = append(out, statement{name: firstCode(rest), sql: rest})
	}
	return out
}

// firstCode is the first line of sql, trimmed, that is neither blank nor
// a comment: what a statement does. "" when there is none.
func firstCode(sql string) string {
	for _, l := range strings.Split(sql, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--") {
			return l
		}
	}
	return ""
}

// sandbox confines the database to the lake (and ExportDir): after it, no
// query can read or write any other file, nor install or load an extension.
func (w *Warehouse) sandbox(ctx context.Context) error {
	dirs := []string{w.cfg.Lake, w.tmp}
	if w.cfg.ExportDir != "" {
		dirs = append(dirs, w.cfg.ExportDir)
	}
	quoted := make([]string, len(dirs))
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return err
		}
		quoted[i] = sqlString(abs + string(filepath.Separator))
	}
	for _, q := range []string{
		"SET GLOBAL allowed_directories = [" + strings.Join(quoted, ", ") + "]",
		"SET GLOBAL enable_external_access = false",
	} {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("warehouse: sandbox: %w", err)
		}
	}
	return nil
}

// Close releases the database and the temporary files.
func (w *Warehouse) Close() error {
	var err error
	if w.db != nil {
		err = w.db.Close()
	}
	if w.tmp != "" {
		if rerr := os.RemoveAll(w.tmp); err == nil {
			err = rerr
		}
	}
	return err
}

// DB is the underlying database, for the query and export layers. It holds
// the views and tables of README.md and is sandboxed to the lake.
func (w *Warehouse) DB() *sql.DB { return w.db }

// Provenance says what the warehouse was built from. AsOf is Config.AsOf,
// or when that is zero the latest recorded_at of any event read.
func (w *Warehouse) Provenance() Provenance {
	asOf := w.cfg.AsOf.UTC()
	if w.cfg.AsOf.IsZero() {
		asOf = w.dataAt
	}
	mv := map[string]int{}
	for _, c := range catalogue {
		mv[c.ID] = c.Version
	}
	return Provenance{
		AsOf: asOf, Lake: w.lakeFP, LakeFiles: len(w.files), Version: w.cfg.Version,
		Metrics: mv, TimeZone: w.cfg.TimeZone, GeneratedAt: w.cfg.Now().UTC(),
	}
}

// Counts are the warehouse's side of the end-to-end reconciliation.
// Visible = Events + Corrections + Retracted + Erased.
type Counts struct {
	LakeRows         int64 `json:"lake_rows"`          // rows in the lake's event files (dead letters apart)
	DistinctEventIDs int64 `json:"distinct_event_ids"` // LakeRows less duplicate deliveries
	Visible          int64 `json:"visible"`            // distinct events recorded on or before AsOf
	Events           int64 `json:"events"`             // valid events after dedup, retractions and erasures
	Corrections      int64 `json:"corrections"`        // event.retracted and person.erased events
	Retracted        int64 `json:"retracted"`          // events removed by a retraction
	Erased           int64 `json:"erased"`             // events removed by an erasure (and not retracted)
	DeadLetters      int64 `json:"dead_letters"`       // rows in the dead-letter family
}

// Counts counts the lake and the warehouse's view of it.
func (w *Warehouse) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	if err := w.counts(ctx, c.fields(), nil); err != nil {
		return Counts{}, err
	}
	return c, nil
}

// LakeCounts is Counts with only LakeRows and DeadLetters filled in: the
// two that need no pass over the events (the lake's rows come from its
// Parquet footers). serve sets its gauges from them on every refresh,
// where all the counts took about 1.5 s at 10M events, as long as a small
// update of the build.
func (w *Warehouse) LakeCounts(ctx context.Context) (Counts, error) {
	var c Counts
	if err := w.counts(ctx, c.fields(), map[*int64]bool{&c.LakeRows: true, &c.DeadLetters: true}); err != nil {
		return Counts{}, err
	}
	return c, nil
}

// fields are c's counts in the order of sql/counts.sql's statements.
func (c *Counts) fields() []*int64 {
	return []*int64{&c.LakeRows, &c.DistinctEventIDs, &c.Visible, &c.Events, &c.Corrections, &c.Retracted, &c.Erased, &c.DeadLetters}
}

// counts runs sql/counts.sql's statement for each of fields (only those in
// only, when it is not nil).
func (w *Warehouse) counts(ctx context.Context, fields []*int64, only map[*int64]bool) error {
	stmts := splitStatements(mustSQL("sql/counts.sql"))
	if len(stmts) != len(fields) {
		panic(fmt.Sprintf("warehouse: sql/counts.sql has %d statements for %d counts", len(stmts), len(fields)))
	}
	for i, st := range stmts {
		if only != nil && !only[fields[i]] {
			continue
		}
		if err := w.db.QueryRowContext(ctx, st.sql).Scan(fields[i]); err != nil {
			return fmt.Errorf("warehouse: counts: %w", err)
		}
	}
	return nil
}

func mustSQL(name string) string {
	b, err := fs.ReadFile(sqlFS, name)
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build error
	}
	return string(b)
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
