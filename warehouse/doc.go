// Package warehouse is DuckDB over the Parquet lake: the views that turn
// the event log into current state, and the talking-therapies metrics of
// METRICS.md computed from them.
//
// Data flow, all of it rebuilt on every Open unless a build saved for the
// same lake and settings is reused (Config.SaveDir, saved.go) or updated
// for the lake's new files (update.go). The lake is
// immutable between opens, so the projections that many queries read are
// materialised once; events, scores and session_facts are views, read from
// the lake per query:
//
//	lake files (lake.Files)  ──►  raw_<family>       one view per family, explicit file list
//	                         ──►  lake_events        all families, UNION ALL BY NAME
//	                         ──►  visible_events     recorded_at <= AsOf, one row per event_id
//	                         ──►  events             minus corrections, retracted targets, erased people;
//	                                                 plus local_date in Config.TimeZone
//	                         ──►  referrals, sessions, scores       current state
//	                         ──►  episodes, session_facts          per referral / per session, with flags
//	                         ──►  sql/metrics/<id>.sql             one query per catalogue metric
//
// Each metric query returns rows (grp, num, den) and is run three ways: for
// the headline (grp = 'all'), per breakdown dimension, and per month for the
// monthly series. So a metric has exactly one definition: its catalogue
// entry (Catalogue) and its SQL file, which carries the METRICS.md text.
//
// Use:
//
//	w, err := warehouse.Open(ctx, warehouse.Config{Lake: "data/lake", Population: 250000})
//	...
//	defer w.Close()
//	p, _ := warehouse.ParsePeriod("2024-04", "2025-03")
//	res, err := w.TalkingTherapies(ctx, p, "")        // *Result: metrics, breakdowns, series, provenance
//	cols, rows, err := w.Query(ctx, "SELECT * FROM episodes WHERE recovered")
//
// README.md lists every view and its columns, the definitions chosen where
// METRICS.md is silent, and the known quirks.
package warehouse
