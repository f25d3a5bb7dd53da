package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// episodeBytesPerReferral sizes the parts: a part gets at most
// memory_limit/2/episodeBytesPerReferral referrals. Measured on the demo's
// national year (1.48M referrals, 40M events) under the default 512MB: one
// query ran out of memory, four parts of ~370k referrals fitted (and the
// 10M-event bench's 370k referrals stay one part). More parts cost time:
// every part reads the sessions and scores tables again, 14 parts took
// 108 s where 4 took 51 s.
const episodeBytesPerReferral = 600

// maxEpisodeParts bounds the retries of buildEpisodes.
const maxEpisodeParts = 256

// buildEpisodes runs the episodes statement of 04_episodes.sql in parts,
// after the episode_scores statement (scores) that it reads: as a view when
// episodes is one part, so that one statement joins the scores as it reads
// them, and as a table when there are more, so that each part does not read
// the lake's outcomes again.
//
// The number of parts is an estimate (episodeParts); the memory a part needs
// depends on the lake's shape (sessions and scores per referral) and on
// the threads, so when a part runs out of DuckDB's memory_limit the table
// is built again from the start in twice as many parts, up to
// maxEpisodeParts, and the retry is logged. A build that still does not
// fit fails with DuckDB's error, which Open turns into its hint.
//
// In an update of a saved build (base, update.go) both are made for the
// touched referrals only, in parts of those, and overlaid on the saved
// rows; episode_scores stays a table or a view as the saved build has it.
func (w *Warehouse) buildEpisodes(ctx context.Context, file, scores, q string, base *savedBase) error {
	const table = "CREATE OR REPLACE TABLE episode_scores AS"
	if !strings.Contains(scores, table) {
		return fmt.Errorf("warehouse: the episode_scores statement does not start %q", table)
	}
	asView := strings.Replace(scoped(scores, false), table, "CREATE OR REPLACE VIEW episode_scores AS", 1)
	count, target := "referrals", "episodes"
	scoresTable := false
	if base != nil {
		// An update keeps episode_scores as the saved build has it: a
		// table (made again for the touched referrals), or a view.
		count, target, scoresTable = updateSchema+".referral_ids", updateSchema+".episodes", true
		var err error
		if base.tables["episode_scores"] {
			err = w.runOverlay(ctx, file, "episode_scores", scores)
		} else {
			err = w.runParts(ctx, file, "episode_scores", []string{retarget(scoped(scores, true), "episode_scores"), asView})
		}
		if err != nil {
			return err
		}
	}
	parts, err := w.episodeParts(ctx, count)
	if err != nil {
		return err
	}
	for {
		if !scoresTable {
			run := []string{asView}
			if parts > 1 {
				run = []string{"DROP VIEW IF EXISTS episode_scores", scoped(scores, false)}
				scoresTable = true
			}
			if err := w.runParts(ctx, file, "episode_scores", run); err != nil {
				return err
			}
		}
		runs, err := episodeStatements(scoped(q, base != nil), parts, target)
		if err != nil {
			return err
		}
		err = w.runParts(ctx, file, "episodes", runs)
		if err == nil && base != nil {
			err = w.runParts(ctx, file, "episodes", []string{overlaySQL("episodes")})
		}
		if err == nil || !isOutOfMemory(err) || parts*2 > maxEpisodeParts {
			return err
		}
		w.info("warehouse: episodes ran out of memory_limit; building them again in more parts",
			"parts", parts, "retry_parts", parts*2, "memory_limit", w.cfg.MemoryLimit, "threads", w.cfg.Threads)
		parts *= 2
	}
}

// episodeParts is how many parts episodes is first built in: Config's
// episodeParts when set, else memory_limit/2/episodeBytesPerReferral
// referrals a part, of the referrals in the table named (all of them, or
// an update's touched ones).
func (w *Warehouse) episodeParts(ctx context.Context, referrals string) (int, error) {
	if w.cfg.episodeParts > 0 {
		return w.cfg.episodeParts, nil
	}
	var n int64
	if err := w.db.QueryRowContext(ctx, "SELECT count(*) FROM "+referrals).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: count referrals: %w", err)
	}
	limit, err := parseSize(w.cfg.MemoryLimit)
	if err != nil {
		return 0, err
	}
	perPart := max(1, limit/2/episodeBytesPerReferral)
	return int(max(1, (n+perPart-1)/perPart)), nil
}

// episodeStatements turns the episodes statement into the statements that
// build the table named (episodes, or an update's) in parts: one CREATE
// for the first part, an INSERT for each other.
func episodeStatements(q string, parts int, table string) ([]string, error) {
	const create = "CREATE OR REPLACE TABLE episodes AS"
	if !strings.Contains(q, create) {
		return nil, fmt.Errorf("warehouse: the episodes statement does not start %q", create)
	}
	if parts <= 1 {
		s := strings.ReplaceAll(q, "{{episode_part}}", "TRUE")
		return []string{strings.Replace(s, create, "CREATE OR REPLACE TABLE "+table+" AS", 1)}, nil
	}
	out := make([]string, parts)
	for k := range parts {
		s := strings.ReplaceAll(q, "{{episode_part}}", fmt.Sprintf("hash(referral_id) %% %d = %d", parts, k))
		into := "CREATE OR REPLACE TABLE " + table + " AS"
		if k > 0 {
			into = "INSERT INTO " + table
		}
		out[k] = strings.Replace(s, create, into, 1)
	}
	return out, nil
}

// isOutOfMemory reports whether err is DuckDB's "Out of Memory Error".
func isOutOfMemory(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Out of Memory Error")
}

// parseSize reads a size Config.Validate accepted (memoryLimitPattern):
// KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024, as
// DuckDB reads them.
func parseSize(s string) (int64, error) {
	m := memoryLimitPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("warehouse: memory limit %q: want a size such as 512MB or 2GiB", s)
	}
	num := strings.TrimSpace(strings.TrimSuffix(s, m[2]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("warehouse: memory limit %q: %w", s, err)
	}
	mult := map[string]float64{"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	return int64(v * mult), nil
}
