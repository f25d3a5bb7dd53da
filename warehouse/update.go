package warehouse

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/evalpipe/evalpipe/events"
)

// Updating a saved build. When Config.SaveDir has no build of this lake
// but has one of the same settings over fewer of its files (the lake only
// grows: a committed file never changes), Open builds only what the new
// files change, over that saved build, instead of everything again:
//
//   - the lake-wide tables (duplicate_event_hashes, duplicate_copies,
//     corrections) are made again, duplicate_event_hashes from the saved
//     one and the hashes of the new files' ids only;
//   - the per-referral tables (overlaid) are made again for the referrals
//     the new files touch (touchedSQL), into the evalpipe_update schema,
//     and each is a view of the saved table without those referrals plus
//     the new rows (overlaySQL); the intermediate tables a build drops
//     (referral_received, referral_progress) hold the touched referrals
//     only.
//
// The per-referral statements name their inputs {{events}},
// {{referrals}}, ...: the relations themselves in a whole build, and in an
// update tables of the touched referrals' rows only (the events read from
// the lake once, touchedEventsSQL; the others the update's own new rows).
// Every one of those tables is a function of its referral's rows alone (a
// window or aggregate partitioned by referral_id), so the rows of the
// referrals not touched are what they were; TestUpdatedBuildMatchesFreshBuild
// holds the update to a whole build, relation by relation.
//
// A referral is touched when a new file holds one of its events, or an
// event of the lake that a new file's event.retracted names, or an event
// of a person a new file's person.erased names, or an event whose id a new
// file delivers again (which copy counts may change).

// overlaid are the saved tables that hold rows of one referral each: an
// update makes their rows again for the touched referrals only and
// overlays them on the saved ones. (episode_scores and episodes are
// overlaid by buildEpisodes.)
var overlaid = map[string]bool{"referrals": true, "superseded_sessions": true, "sessions": true}

// updateSchema holds an update's new rows and touched referrals.
const updateSchema = "evalpipe_update"

// updateAbove is the share of the saved build's referrals past which an
// update builds the whole warehouse instead. The half is a judgement, not
// a measured break-even: with 21% of the referrals touched the KPI report
// over an update in memory took 5.42 times one scan of the lake against
// 6.56 times building (make bench at 9c8559d, 10M events), and past half,
// making most referrals again and overlaying them is unlikely to cost
// less than building them all.
const updateAbove = 0.5

// touchedPattern is a per-referral statement's inputs (03_projections.sql).
var touchedPattern = regexp.MustCompile(`\{\{(events|referrals|superseded_sessions|sessions|episode_scores)\}\}`)

// scoped fills in a build statement's per-referral inputs: the relations
// themselves in a whole build, the update's tables of their touched
// referrals' rows in an update.
func scoped(q string, update bool) string {
	if !update {
		return touchedPattern.ReplaceAllString(q, "$1")
	}
	return touchedPattern.ReplaceAllString(q, updateSchema+".$1")
}

// touchedEventsSQL is {{events}} in an update: the events of the touched
// referrals, read from the lake once for every per-referral table, with
// only the columns those tables read. In one report kpi --verbose each,
// on a 10M-event lake whose new files held 2.3% of the events and touched
// 22% of the referrals (not a bench figure), every column took 4.4 s,
// these 2.9 s, and these filtered by type 9.9 s (DuckDB planned it
// otherwise). A column a per-referral statement reads
// and this list lacks fails every update (TestUpdatedBuildMatchesFreshBuild).
const touchedEventsSQL = `CREATE OR REPLACE TABLE ` + updateSchema + `.events AS
SELECT
    event_id, type, referral_id, person, service, occurred_at, recorded_at, local_date,
    programme, referral_source, gp_practice, age_band, gender, ethnicity, long_term_condition,
    problem, complexity, reason, follow_up_offered, status, worker_id,
    session_id, kind, attendance, worker_role, step, co_delivered_by_peer, duration_min,
    setting, intervention, measure, total
FROM events AS e
SEMI JOIN ` + updateSchema + `.referral_ids AS t ON e.referral_id = t.referral_id`

// savedBase is a saved build an update starts from, attached as savedAlias.
type savedBase struct {
	path    string
	tables  map[string]bool // its tables, the meta tables apart
	files   int             // lake files it was built from
	updates int             // updates saved in it since it was written whole
	added   map[events.Family][]string
}

// overlays says whether an update made the table's touched rows again
// (in updateSchema) rather than the whole table.
func (b *savedBase) overlays(table string) bool {
	return overlaid[table] || table == "episodes" || table == "episode_scores"
}

// lakeFile is one committed lake file.
type lakeFile struct {
	fam      events.Family
	rel, abs string
	size     int64
}

// findBase attaches the saved build this Open can update, if any: one of
// the same settings whose lake files are all in the lake still, unchanged,
// and fewer. It returns nil when there is none.
func (w *Warehouse) findBase(ctx context.Context, settings string) *savedBase {
	paths, _ := filepath.Glob(filepath.Join(w.cfg.SaveDir, "build-*.duckdb"))
	sort.Strings(paths)
	for _, path := range paths {
		if b := w.tryBase(ctx, path, settings); b != nil {
			return b
		}
	}
	return nil
}

// tryBase attaches one saved build and returns it when an update can start
// from it, else detaches it and returns nil.
func (w *Warehouse) tryBase(ctx context.Context, path, settings string) *savedBase {
	if _, err := w.db.ExecContext(ctx, "ATTACH "+sqlString(path)+" AS "+savedAlias+" (READ_ONLY)"); err != nil {
		w.debug(ctx, "warehouse: a saved build that cannot be read is not updated", "file", path, "error", err)
		return nil
	}
	keep := false
	defer func() {
		if !keep {
			w.detachSaved(ctx)
		}
	}()
	var got string
	var updates int
	if err := w.db.QueryRowContext(ctx, "SELECT settings, updates FROM "+savedAlias+".main."+savedMeta).Scan(&got, &updates); err != nil || got != settings {
		w.debug(ctx, "warehouse: a saved build of other settings is not updated", "file", path, "error", err)
		return nil
	}
	rows, err := w.db.QueryContext(ctx, "SELECT path, size FROM "+savedAlias+".main."+savedFiles)
	if err != nil {
		return nil
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var rel string
		var size int64
		if err := rows.Scan(&rel, &size); err != nil {
			return nil
		}
		cur, ok := w.files[rel]
		if !ok || cur.size != size {
			w.debug(ctx, "warehouse: a saved build of a lake file that has gone or changed is not updated", "file", path, "lake_file", rel)
			return nil
		}
		have[rel] = true
	}
	if rows.Err() != nil || len(have) == len(w.files) {
		return nil
	}
	tables, err := w.savedTables(ctx)
	if err != nil {
		return nil
	}
	b := &savedBase{path: path, tables: tables, files: len(have), updates: updates, added: map[events.Family][]string{}}
	for _, t := range []string{"duplicate_event_hashes", "referrals", "superseded_sessions", "sessions", "episodes"} {
		if !b.tables[t] {
			return nil
		}
	}
	for rel, f := range w.files {
		if !have[rel] {
			b.added[f.fam] = append(b.added[f.fam], f.abs)
		}
	}
	for _, fs := range b.added {
		sort.Strings(fs)
	}
	keep = true
	return b
}

// detachSaved detaches the saved build attached as savedAlias, if any.
func (w *Warehouse) detachSaved(ctx context.Context) {
	if _, err := w.db.ExecContext(ctx, "DETACH DATABASE IF EXISTS "+savedAlias); err != nil {
		w.info("warehouse: detach the saved build", "error", err)
	}
}

// addedViews makes added_rows: the rows of the lake files the saved build
// has not seen, with the columns of lake_rows.
func (w *Warehouse) addedViews(ctx context.Context, b *savedBase, schemas map[events.Family]string) error {
	if _, err := w.db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+updateSchema); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	tmpl := strings.NewReplacer("lake_rows_{{family}}", updateSchema+".rows_{{family}}", "raw_{{family}}", updateSchema+".raw_{{family}}").Replace(mustSQL("sql/01_raw.sql"))
	var union []string
	for _, fam := range events.Families {
		if _, err := w.db.ExecContext(ctx, rawViewSQL(tmpl, fam, schemas[fam], b.added[fam])); err != nil {
			return fmt.Errorf("warehouse: the new files of %s: %w", fam, err)
		}
		union = append(union, "SELECT * FROM "+updateSchema+".rows_"+string(fam))
	}
	q := "CREATE OR REPLACE VIEW " + updateSchema + ".added_rows AS " + strings.Join(union, " UNION ALL BY NAME ")
	if _, err := w.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("warehouse: the new files: %w", err)
	}
	return nil
}

// updateHashesSQL makes duplicate_event_hashes from the saved build's and
// the hashes of the new files' ids seen more than once in the whole lake:
// the same set 02_events.sql's aggregate over every row gives, without
// aggregating every row. new_duplicate_hashes are those the new files add.
var updateHashesSQL = []string{
	`CREATE OR REPLACE TABLE ` + updateSchema + `.new_duplicate_hashes AS
SELECT hash('~' || r.event_id) AS h
FROM lake_event_ids AS r
SEMI JOIN (SELECT DISTINCT hash('~' || event_id) AS h FROM ` + updateSchema + `.added_rows) AS a
    ON hash('~' || r.event_id) = a.h
GROUP BY ALL
HAVING count(*) > 1`,
	`CREATE OR REPLACE TABLE duplicate_event_hashes AS
SELECT h FROM ` + savedAlias + `.main.duplicate_event_hashes
UNION
SELECT h FROM ` + updateSchema + `.new_duplicate_hashes`,
}

// touchedSQL makes the touched referrals (see above). The lake is read
// again only for the ids, people and referrals of a few rows: the
// semi-joins end at once when the new files hold no correction and no
// copy of an id.
const touchedSQL = `CREATE OR REPLACE TABLE ` + updateSchema + `.referral_ids AS
SELECT DISTINCT referral_id
FROM (
    SELECT referral_id FROM ` + updateSchema + `.added_rows
    UNION ALL
    SELECT r.referral_id
    FROM lake_rows AS r
    SEMI JOIN ` + updateSchema + `.added_rows AS c
        ON c.type = 'event.retracted' AND c.target_event_id = r.event_id
    UNION ALL
    SELECT r.referral_id
    FROM lake_rows AS r
    SEMI JOIN ` + updateSchema + `.added_rows AS c
        ON c.type = 'person.erased' AND c.person = r.person
    UNION ALL
    SELECT r.referral_id
    FROM lake_rows AS r
    SEMI JOIN ` + updateSchema + `.new_duplicate_hashes AS d ON hash('~' || r.event_id) = d.h
)
WHERE referral_id IS NOT NULL`

// overlaySQL is the view of a per-referral table in an update: the saved
// rows of the referrals not touched, and the touched ones made again.
func overlaySQL(table string) string {
	return fmt.Sprintf(`CREATE OR REPLACE VIEW %[1]s AS
SELECT s.*
FROM %[2]s.main.%[1]s AS s
ANTI JOIN %[3]s.referral_ids AS t ON s.referral_id = t.referral_id
UNION ALL BY NAME
SELECT * FROM %[3]s.%[1]s`, table, savedAlias, updateSchema)
}

// retarget makes a per-referral table's statement write the update's
// table of it instead.
func retarget(q, table string) string {
	return strings.Replace(q, "CREATE OR REPLACE TABLE "+table+" AS", "CREATE OR REPLACE TABLE "+updateSchema+"."+table+" AS", 1)
}

// startUpdate stands for the duplicate_event_hashes statement in an
// update: it makes that table and the touched referrals. It reports false
// when so many referrals are touched that a whole build is cheaper; the
// caller then detaches the saved build and builds the rest whole.
func (w *Warehouse) startUpdate(ctx context.Context, b *savedBase, file string) (bool, error) {
	if err := w.runParts(ctx, file, "duplicate_event_hashes", updateHashesSQL); err != nil {
		return false, err
	}
	if err := w.runParts(ctx, file, updateSchema+".referral_ids", []string{touchedSQL}); err != nil {
		return false, err
	}
	var touched, saved int64
	q := "SELECT (SELECT count(*) FROM " + updateSchema + ".referral_ids), (SELECT count(*) FROM " + savedAlias + ".main.referrals)"
	if err := w.db.QueryRowContext(ctx, q).Scan(&touched, &saved); err != nil {
		return false, fmt.Errorf("warehouse: touched referrals: %w", err)
	}
	if float64(touched) > updateAbove*float64(saved) {
		w.info("warehouse: the new lake files touch most referrals; building the warehouse afresh",
			"file", b.path, "touched", touched, "saved_referrals", saved)
		return false, nil
	}
	w.info("warehouse: updating the saved build with the lake's new files",
		"file", b.path, "new_files", len(w.files)-b.files, "touched_referrals", touched, "saved_referrals", saved)
	return true, nil
}

// runOverlay builds a per-referral table's touched rows and its view.
func (w *Warehouse) runOverlay(ctx context.Context, file, table, q string) error {
	return w.runParts(ctx, file, table, []string{retarget(scoped(q, true), table), overlaySQL(table)})
}

// saveFiles writes the saved build's record of the lake files it was built
// from, for a later update (findBase).
func (w *Warehouse) saveFiles(ctx context.Context, alias string) error {
	if _, err := w.db.ExecContext(ctx, "CREATE TABLE "+alias+".main."+savedFiles+" (path VARCHAR, size BIGINT)"); err != nil {
		return err
	}
	rels := make([]string, 0, len(w.files))
	for rel := range w.files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+alias+".main."+savedFiles+" VALUES (?, ?)")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, rel := range rels {
		if _, err := stmt.ExecContext(ctx, rel, w.files[rel].size); err != nil {
			return err
		}
	}
	return tx.Commit()
}
