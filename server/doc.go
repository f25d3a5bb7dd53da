// Package server is `evalpipe serve`: the pipeline running unattended and
// open to its readers over one HTTP server.
//
// Data flows as in a batch run, only continuously:
//
//	inbox folder ─┐
//	HTTP API poll ┼─► ingest ─► Kafka ─► transform (continuous) ─► lake
//	POST /v1/events┘                                                 │
//	                          lake fingerprint changed? ─► warehouse re-opened (a snapshot)
//	                                                                 │
//	          cron ─► reports/<timestamp>/        /api/metrics, /api/query, /reports/
//
// Readers authenticate with bearer tokens (or a cookie set by /signin).
// Tokens are stored as SHA-256 hashes with a role: commissioner (reports
// and disclosure-controlled metrics), evaluator (also SQL over the
// pseudonymised record-level views, sandboxed), admin (also push ingest).
// Every data request is appended to an audit log.
//
// Run starts everything and stops it in order when ctx ends: sources first
// (their in-flight batches finish), then the transformer (which commits
// the files it has written), then the HTTP server (in-flight requests
// finish), then the warehouse.
package server
