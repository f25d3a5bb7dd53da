package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/events"
)

// A saved build is the warehouse's tables written to a DuckDB file in
// Config.SaveDir, so that the next Open of the same lake with the same
// settings attaches them instead of building them again: at national scale
// a build takes about a minute, and every report, query and export began
// with one.
//
// The file is named from its key, build-<first 16 hex digits>.duckdb, and
// holds the whole key in its evalpipe_build table. The key is the SHA-256
// of:
//   - savedFormat, and the DuckDB library version (a file written by one
//     DuckDB may not be readable by an older one);
//   - the lake's absolute path and every committed file's relative path and
//     size (a committed lake file never changes: a replay rewrites the same
//     rows under the same name), that is, the lake fingerprint of
//     Provenance;
//   - every build statement after its settings are filled in: the as-of
//     instant, the time zone's local-date arithmetic, the configured
//     thresholds and ADSM problems, and the SQL itself, so that a new
//     binary whose build differs never reads an old build.
//
// A saved build also records its lake files (savedFiles) and its key
// without the lake (the settings key): when the lake has grown since, Open
// updates it instead of building afresh (update.go), and with Save saves
// the result as the next build.
//
// Only tables are saved; views and macros are made again on each Open (they
// are cheap, and the lake views name this Open's schema files). A table
// made and dropped during the build (referral_received) is not made at all.
// The saved tables are attached read-only, each reached through a view of
// its own name, so that any number of processes can read one saved build
// while another saves the next under a temporary name.
const savedFormat = "evalpipe-warehouse-build-2"

// savedMeta is the table in a saved build that says what it is.
const savedMeta = "evalpipe_build"

// savedFiles is the table in a saved build of the lake files it was built
// from, each relative path and size, so that a later Open can update it
// (update.go).
const savedFiles = "evalpipe_build_files"

// savedAlias is the saved build's catalog name once attached.
const savedAlias = "saved_build"

// buildKey is the saved-build key of this Open (see above), and its
// settings key: the same without the lake fingerprint, which a saved build
// must share to be updated (update.go).
func (w *Warehouse) buildKey(ctx context.Context, stmts []fileStatement) (settings, key string, err error) {
	var duck string
	if err := w.db.QueryRowContext(ctx, "SELECT library_version FROM pragma_version()").Scan(&duck); err != nil {
		return "", "", fmt.Errorf("warehouse: DuckDB version: %w", err)
	}
	lake, err := filepath.Abs(w.cfg.Lake)
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	for _, part := range []string{savedFormat, duck, lake} {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	for _, st := range stmts {
		fmt.Fprintf(h, "%d:%s\n", len(st.sql), st.sql)
	}
	settings = hex.EncodeToString(h.Sum(nil))
	k := sha256.Sum256([]byte(settings + "\n" + w.lakeFP))
	return settings, hex.EncodeToString(k[:]), nil
}

// savedPath is where the build of key is saved.
func (w *Warehouse) savedPath(key string) string {
	return filepath.Join(w.cfg.SaveDir, "build-"+key[:16]+".duckdb")
}

// useSaved attaches the build saved for key, if there is one, and makes
// the build's objects over it: its tables as views of the saved ones, its
// views and macros as the build makes them. It reports whether it did. A
// saved build that cannot be read, or whose key differs, is left alone and
// the warehouse is built instead.
func (w *Warehouse) useSaved(ctx context.Context, key string, stmts []fileStatement) (bool, error) {
	path := w.savedPath(key)
	if _, err := os.Stat(path); err != nil {
		w.debug(ctx, "warehouse: no saved build of this lake and settings", "file", path)
		return false, nil
	}
	start := time.Now()
	if _, err := w.db.ExecContext(ctx, "ATTACH "+sqlString(path)+" AS "+savedAlias+" (READ_ONLY)"); err != nil {
		w.info("warehouse: the saved build cannot be read; building instead", "file", path, "error", err)
		return false, nil
	}
	detach := func() {
		if _, err := w.db.ExecContext(ctx, "DETACH "+savedAlias); err != nil {
			w.info("warehouse: detach the saved build", "error", err)
		}
	}
	var got string
	var at sql.NullTime
	err := w.db.QueryRowContext(ctx, "SELECT key, data_at FROM "+savedAlias+".main."+savedMeta).Scan(&got, &at)
	if err != nil || got != key {
		w.info("warehouse: the saved build is not of this lake and settings; building instead", "file", path, "error", err)
		detach()
		return false, nil
	}
	tables, err := w.savedTables(ctx)
	if err != nil {
		detach()
		return false, fmt.Errorf("warehouse: saved build %s: %w", path, err)
	}
	for _, fs := range stmts {
		st := fs.statement
		q := st.sql
		switch {
		case st.drop:
			continue
		case tables[st.name]:
			q = "CREATE OR REPLACE VIEW " + st.name + " AS SELECT * FROM " + savedAlias + ".main." + st.name
		case st.name == "episode_scores":
			// a view when episodes were built in one part (episodeparts.go)
			q = strings.Replace(scoped(q, false), "CREATE OR REPLACE TABLE episode_scores AS", "CREATE OR REPLACE VIEW episode_scores AS", 1)
		case st.table:
			continue // made and dropped by the build
		}
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("warehouse: %s (%s) over the saved build %s: %w\n\nRemove that file to build the warehouse afresh", fs.file, st.name, path, err)
		}
	}
	w.dataAt = at.Time.UTC()
	if w.saved == path { // read back after saving it (readSaved)
		w.debug(ctx, "warehouse: reading the build just saved", "file", path, "took", time.Since(start).Round(time.Millisecond))
	} else {
		w.info("warehouse: using the saved build of this lake", "file", path, "took", time.Since(start).Round(time.Millisecond))
	}
	w.saved, w.reused = path, true
	return true, nil
}

// save writes the build's tables to a new saved build and removes the
// builds saved before it. It writes under a temporary name, syncs and
// renames, so a reader never sees a partly written build.
func (w *Warehouse) save(ctx context.Context, key string) (err error) {
	start := time.Now()
	path := w.savedPath(key)
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	defer func() {
		if err != nil {
			os.Remove(tmp)
			os.Remove(tmp + ".wal")
			err = fmt.Errorf("warehouse: could not save the build in %s, so the next command will build it again: %w (free space there, or set warehouse.save: false)", w.cfg.SaveDir, err)
		}
	}()
	if err := os.MkdirAll(w.cfg.SaveDir, 0o755); err != nil {
		return err
	}
	removeAbandoned(w.cfg.SaveDir)
	os.Remove(tmp)
	// An update is saved in a copy of the build it updated, its touched
	// referrals' rows replaced (savedBase.overlays); a whole build, or an update
	// after maxSavedUpdates of them, is written table by table.
	updates := 0
	if w.base != nil && w.base.updates < maxSavedUpdates {
		if cerr := copySaved(w.base.path, tmp); cerr != nil {
			w.debug(ctx, "warehouse: the updated build cannot be copied; saving every table", "file", w.base.path, "error", cerr)
			os.Remove(tmp)
		} else {
			updates = w.base.updates + 1
		}
	}
	const alias = "saving_build"
	if _, err := w.db.ExecContext(ctx, "ATTACH "+sqlString(tmp)+" AS "+alias); err != nil {
		return err
	}
	attached := true
	defer func() {
		if attached {
			w.db.ExecContext(context.WithoutCancel(ctx), "DETACH "+alias)
		}
	}()
	tables := w.tables
	for _, t := range tables {
		var qs []string
		switch {
		case updates > 0 && w.base.overlays(t):
			qs = []string{
				"DELETE FROM " + alias + ".main." + t + " WHERE referral_id IN (SELECT referral_id FROM " + updateSchema + ".referral_ids)",
				"INSERT INTO " + alias + ".main." + t + " BY NAME SELECT * FROM " + updateSchema + "." + t,
			}
		case updates > 0:
			qs = []string{"DROP TABLE " + alias + ".main." + t, "CREATE TABLE " + alias + ".main." + t + " AS SELECT * FROM memory.main." + t}
		default:
			qs = []string{"CREATE TABLE " + alias + ".main." + t + " AS SELECT * FROM memory.main." + t}
		}
		for _, q := range qs {
			if _, err := w.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
		}
	}
	if updates > 0 {
		for _, t := range []string{savedMeta, savedFiles} {
			if _, err := w.db.ExecContext(ctx, "DROP TABLE "+alias+".main."+t); err != nil {
				return err
			}
		}
	}
	meta := fmt.Sprintf("CREATE TABLE %s.main.%s AS SELECT %s AS key, %s AS settings, %s::TIMESTAMPTZ AS data_at, %s AS version, now() AS saved_at, %d AS updates",
		alias, savedMeta, sqlString(key), sqlString(w.settingsKey), sqlString(w.dataAt.Format(time.RFC3339Nano)), sqlString(w.cfg.Version), updates)
	if _, err := w.db.ExecContext(ctx, meta); err != nil {
		return err
	}
	if err := w.saveFiles(ctx, alias); err != nil {
		return err
	}
	attached = false
	if _, err := w.db.ExecContext(ctx, "DETACH "+alias); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if err := syncFile(w.cfg.SaveDir); err != nil {
		return err
	}
	// The builds saved before this one are of another lake or settings;
	// a process still reading one keeps its open file.
	old, _ := filepath.Glob(filepath.Join(w.cfg.SaveDir, "build-*.duckdb"))
	for _, f := range old {
		if f != path {
			os.Remove(f)
		}
	}
	size := int64(0)
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	w.saved = path
	w.info("warehouse: build saved", "file", path, "tables", len(tables), "mib", size>>20, "updates", updates, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// readSaved starts the warehouse again over the build it has just saved:
// a new database whose tables are the saved ones, read from the file as
// queries need them, instead of held in DuckDB's memory (and spilled when
// they do not fit). The queries that follow a build in the same process
// (evalpipe run's reports) then run in the memory a later process reading
// the saved build would have.
func (w *Warehouse) readSaved(ctx context.Context, byFamily map[events.Family][]string) error {
	saved := w.saved
	if err := w.db.Close(); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	w.db = nil
	purgeAllocator()
	if err := os.RemoveAll(w.tmp); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	if err := w.newDatabase(); err != nil {
		return err
	}
	if _, err := w.build(ctx, byFamily); err != nil {
		return err
	}
	if !w.reused {
		// Another process's save, for another lake or settings, removed
		// it before it was read back: build has made the tables again,
		// in memory, and the warehouse goes on with those.
		w.saved = ""
		w.warn("warehouse: the build just saved was replaced by another process's before it was read back; built it again in memory", "file", saved)
	}
	return nil
}

// removeAbandoned removes the temporary files of saves that were cut off
// (a process killed while saving): those not written to for an hour. A
// save in progress writes its file continuously.
func removeAbandoned(dir string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, "build-*.duckdb.tmp-*"))
	for _, f := range tmps {
		if st, err := os.Stat(f); err == nil && time.Since(st.ModTime()) > time.Hour {
			os.Remove(f)
		}
	}
}

// maxSavedUpdates is how many updates in a row are saved in a copy of the
// build they updated; the next is written table by table, which leaves out
// the space of the rows the updates replaced.
var maxSavedUpdates = 8 // a variable for tests

// copySaved copies a saved build to a new file and syncs it.
func copySaved(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// syncFile fsyncs a file or a directory.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// tableNames are the tables of an attached database's main schema.
func (w *Warehouse) tableNames(ctx context.Context, database string) ([]string, error) {
	rows, err := w.db.QueryContext(ctx, "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' AND NOT temporary ORDER BY table_name", database)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// savedTables are the build's tables in the attached saved build: its
// tables but the meta tables.
func (w *Warehouse) savedTables(ctx context.Context) (map[string]bool, error) {
	names, err := w.tableNames(ctx, savedAlias)
	if err != nil {
		return nil, err
	}
	tables := map[string]bool{}
	for _, t := range names {
		if t != savedMeta && t != savedFiles {
			tables[t] = true
		}
	}
	return tables, nil
}

// Saved is the saved build this warehouse was read from or saved to, ""
// when none.
func (w *Warehouse) Saved() string { return w.saved }
